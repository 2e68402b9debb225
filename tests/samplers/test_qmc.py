from __future__ import annotations

import warnings

import numpy as np
import pytest

import trimtab
from trimtab.samplers import QMCSampler, RandomSampler


def two_d(trial: trimtab.Trial) -> float:
    return trial.suggest_float("x", 0, 1) + trial.suggest_float("y", 0, 1)


def points(sampler: trimtab.samplers.BaseSampler, n: int = 64) -> np.ndarray:
    study = trimtab.create_study(sampler=sampler)
    study.optimize(two_d, n_trials=n)
    return np.array([[t.params["x"], t.params["y"]] for t in study.trials])


@pytest.mark.parametrize("qmc_type", ["sobol", "halton"])
def test_points_are_more_even_than_random_ones(qmc_type: str) -> None:
    from scipy.stats import qmc

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no balance warnings from scipy either
        quasi = [
            qmc.discrepancy(points(QMCSampler(qmc_type=qmc_type, seed=s))[1:]) for s in range(3)
        ]
    rand = [qmc.discrepancy(points(RandomSampler(seed=s))[1:]) for s in range(3)]
    assert max(quasi) < min(rand)


def test_bounds_steps_log_and_choices() -> None:
    def objective(trial: trimtab.Trial) -> float:
        a = trial.suggest_float("log", 1e-5, 1e-1, log=True)
        b = trial.suggest_int("istep", 16, 256, step=16)
        c = trial.suggest_categorical("cat", ["a", "b", "c"])
        return a + b + (c == "a")

    study = trimtab.create_study(sampler=QMCSampler(seed=0))
    study.optimize(objective, n_trials=40)
    for t in study.trials:
        assert 1e-5 <= t.params["log"] <= 1e-1
        assert t.params["istep"] % 16 == 0 and 16 <= t.params["istep"] <= 256
        assert t.params["cat"] in ("a", "b", "c")
    assert {t.params["cat"] for t in study.trials} == {"a", "b", "c"}


def test_reproducible_and_seed_dependent() -> None:
    assert np.array_equal(points(QMCSampler(seed=1), 16), points(QMCSampler(seed=1), 16))
    assert not np.array_equal(points(QMCSampler(seed=1), 16), points(QMCSampler(seed=2), 16))


def test_bad_type() -> None:
    with pytest.raises(ValueError, match="qmc_type='lhs' is not known"):
        QMCSampler(qmc_type="lhs")
