"""benchmarks.gp_startup: the startup points it hands a GP, and its errors."""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks.gp_startup import main, run, startup_points

import trimtab
from trimtab.benchmarks import get_problem


@pytest.mark.parametrize("source", ["trimtab", "numpy", "sobol", "lhs"])
def test_points_lie_in_the_space_and_repeat_with_the_seed(source: str) -> None:
    space = get_problem("branin").space
    points = startup_points(source, space, 10, seed=3)
    assert len(points) == 10
    for p in points:
        assert set(p) == set(space)
        assert all(space[k].low <= v <= space[k].high for k, v in p.items())
    assert startup_points(source, space, 10, seed=3) == points
    assert startup_points(source, space, 10, seed=4) != points


def _own_gp_study(name: str, seed: int, n_trials: int) -> trimtab.Study:
    """trimtab's GP run on problem ``name`` by itself, nothing enqueued."""
    problem = get_problem(name)
    study = trimtab.create_study(sampler=trimtab.samplers.GPSampler(seed=seed))
    study.optimize(
        lambda t: problem.evaluate(
            {k: t.suggest_float(k, d.low, d.high) for k, d in problem.space.items()}
        ),
        n_trials=n_trials,
    )
    return study


def test_trimtab_points_are_the_ones_its_gp_starts_from() -> None:
    """The comparison rests on this: enqueuing trimtab's points reproduces its own start."""
    problem = get_problem("hartmann3")
    study = _own_gp_study("hartmann3", seed=5, n_trials=10)
    assert [t.params for t in study.trials] == startup_points("trimtab", problem.space, 10, 5)


def test_enqueuing_the_gps_own_startup_points_leaves_the_whole_run_unchanged() -> None:
    problem = get_problem("branin")
    study = _own_gp_study("branin", seed=2, n_trials=14)
    own = min(t.value for t in study.trials) - problem.optimum
    assert run("trimtab", "trimtab", "branin", budget=14, seed=2, n_startup=10) == own
    other = run("trimtab", "sobol", "branin", budget=14, seed=2, n_startup=10)
    assert np.isfinite(other) and other >= 0.0 and other != own


def test_command_line_rejects_bad_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--seeds", "5"])
    assert "--seeds '5' must be first:last" in capsys.readouterr().err


def test_unknown_source_and_unsupported_problem_are_named() -> None:
    with pytest.raises(ValueError, match="--start 'halton' must be one of trimtab, optuna"):
        startup_points("halton", get_problem("branin").space, 4, seed=0)
    with pytest.raises(ValueError, match="--problem 'branin_mixed'"):
        run("trimtab", "sobol", "branin_mixed", budget=12, seed=0, n_startup=10)
