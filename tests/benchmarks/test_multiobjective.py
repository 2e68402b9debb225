"""Two-objective test problems, the hypervolume, and the multi-objective benchmark runner."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from trimtab.benchmarks import get_multiobjective_problem, hypervolume, multiobjective_problems


def test_hypervolume_of_hand_computed_sets() -> None:
    ref = (1.0, 1.0)
    assert hypervolume([], ref) == 0.0
    assert hypervolume([(0.5, 0.5)], ref) == pytest.approx(0.25)
    # (0.6, 0.6) is dominated, (2, 0) lies outside the reference box: neither adds anything
    points = [(0.2, 0.8), (0.5, 0.5), (0.6, 0.6), (2.0, 0.0)]
    assert hypervolume(points, ref) == pytest.approx(0.3 * 0.2 + 0.5 * 0.5)
    assert hypervolume([(1.0, 0.0)], ref) == 0.0  # on the boundary: dominates nothing


def test_fronts_have_their_analytic_hypervolume() -> None:
    problems = multiobjective_problems()
    assert sorted(problems) == ["dtlz2", "zdt1", "zdt2", "zdt3"]
    # reference (1.1, 1.1): the box minus the area below each front
    assert problems["zdt1"].optimal_hypervolume == pytest.approx(0.1 + 2 / 3 + 0.11, abs=1e-4)
    assert problems["zdt2"].optimal_hypervolume == pytest.approx(0.1 + 1 / 3 + 0.11, abs=1e-4)
    assert problems["dtlz2"].optimal_hypervolume == pytest.approx(1.21 - math.pi / 4, abs=1e-4)


@pytest.mark.parametrize("name", ["zdt1", "zdt2", "zdt3", "dtlz2"])
def test_pareto_optimal_points_leave_almost_no_regret(name: str) -> None:
    problem = get_multiobjective_problem(name)
    names = list(problem.space)
    u = np.linspace(0, 1, 2001)
    rest = 0.0 if name.startswith("zdt") else 0.5  # the Pareto set: g = 1 or g = 0
    front = [problem.evaluate({names[0]: x, **{n: rest for n in names[1:]}}) for x in u]
    assert problem.hypervolume_regret(front) < 2e-3
    rng = np.random.default_rng(0)
    for _ in range(5):
        points = [
            problem.evaluate(dict(zip(names, rng.random(len(names)), strict=True)))
            for _ in range(50)
        ]
        assert problem.hypervolume_regret(points) >= 0.0
        assert problem.hypervolume_regret(points) > problem.hypervolume_regret(front)


def test_unknown_problem_is_refused() -> None:
    with pytest.raises(ValueError, match="'zdt9' is not known; known: \\['dtlz2'"):
        get_multiobjective_problem("zdt9")


def test_runner_with_a_two_trial_budget(tmp_path: Path) -> None:
    from benchmarks import multiobjective

    multiobjective.main(
        [
            "--methods",
            "trimtab.nsga2,trimtab.random",
            "--problems",
            "zdt1",
            "--seeds",
            "2",
            "--budget",
            "2",
            "--jobs",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    data = json.loads((tmp_path / "results.json").read_text())
    assert len(data["results"]) == 4
    assert all(len(r["values"]) == 2 and len(r["values"][0]) == 2 for r in data["results"])
    text = (tmp_path / "report.md").read_text()
    assert "Hypervolume regret after 2 trials" in text and "| trimtab.nsga2 |" in text
    with pytest.raises(SystemExit):
        multiobjective.main(["--methods", "nope", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        multiobjective.main(["--budget", "5", "--checkpoints", "9", "--out", str(tmp_path)])
