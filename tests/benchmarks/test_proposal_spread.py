"""benchmarks/proposal_spread.py: distances to the incumbent, bands, the command line."""

from __future__ import annotations

import math

import pytest

from benchmarks import proposal_spread as spread
from trimtab.benchmarks import get_problem


def test_distance_is_to_the_best_point_before_each_proposal() -> None:
    branin = get_problem("branin")  # x0 in [-5, 10], x1 in [0, 15]: unit = value / 15
    run = [
        ({"x0": -5.0, "x1": 0.0}, 10.0),
        ({"x0": 10.0, "x1": 0.0}, 20.0),  # from the first: 1.0
        ({"x0": -5.0, "x1": 3.0}, 5.0),  # still from the first (the second was worse): 0.2
        ({"x0": -5.0, "x1": 3.03}, 6.0),  # from the third, the best so far: 0.002
    ]
    assert spread.distances(branin, run) == pytest.approx([1.0, 0.2, 0.002])


def test_bands_split_near_mid_far_and_skip_unknown_distances() -> None:
    assert spread.bands([0.001, 0.05, 0.5, math.nan], near=0.002, far=0.1) == pytest.approx(
        (1 / 3, 1 / 3, 1 / 3)
    )
    assert all(math.isnan(x) for x in spread.bands([math.nan], near=0.002, far=0.1))


def test_command_prints_one_row_per_window(capsys: pytest.CaptureFixture[str]) -> None:
    spread.main(
        ["--problem", "branin", "--methods", "trimtab.random", "--budget", "21", "--window", "10"]
    )
    rows = [line for line in capsys.readouterr().out.splitlines() if "trimtab.random" in line]
    assert [r.split("|")[2].strip() for r in rows] == ["2-11", "12-21"]
    with pytest.raises(SystemExit):
        spread.main(["--problem", "branin", "--methods", "nope.gp"])
