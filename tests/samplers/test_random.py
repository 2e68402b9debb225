from __future__ import annotations

import math
from collections import Counter

import pytest

import trimtab
from trimtab.samplers import RandomSampler


def objective(trial: trimtab.Trial) -> float:
    trial.suggest_float("lin", -2.0, 3.0)
    trial.suggest_float("log", 1e-5, 1e-1, log=True)
    trial.suggest_float("step", 0.0, 1.0, step=0.25)
    trial.suggest_int("int", -3, 3)
    trial.suggest_int("ilog", 1, 1000, log=True)
    trial.suggest_int("istep", 16, 256, step=16)
    trial.suggest_categorical("cat", ["a", "b", None, 3])
    return 0.0


def run(seed: int | None, n: int = 200) -> list[dict[str, object]]:
    study = trimtab.create_study(sampler=RandomSampler(seed=seed))
    study.optimize(objective, n_trials=n)
    return [dict(t.params) for t in study.trials]


def test_values_respect_bounds_steps_scales_and_choices() -> None:
    params = run(0, 400)
    for p in params:
        assert -2.0 <= p["lin"] <= 3.0
        assert 1e-5 <= p["log"] <= 1e-1
        assert p["step"] in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert isinstance(p["int"], int) and -3 <= p["int"] <= 3
        assert isinstance(p["ilog"], int) and 1 <= p["ilog"] <= 1000
        assert p["istep"] % 16 == 0 and 16 <= p["istep"] <= 256
        assert p["cat"] in ("a", "b", None, 3)
    # log-uniform: about half of the draws below the geometric midpoint 1e-3
    below = sum(p["log"] < 1e-3 for p in params) / len(params)
    assert 0.4 < below < 0.6
    # every admissible value is reached
    assert {p["int"] for p in params} == set(range(-3, 4))
    assert set(Counter(p["cat"] for p in params)) == {"a", "b", None, 3}
    assert {p["step"] for p in params} == {0.0, 0.25, 0.5, 0.75, 1.0}


def test_same_seed_same_proposals_other_seed_others() -> None:
    assert run(7, 30) == run(7, 30)
    assert run(7, 30) != run(8, 30)
    assert run(None, 5) != run(None, 5)


def test_proposals_do_not_depend_on_earlier_conditional_branches() -> None:
    def conditional(trial: trimtab.Trial) -> float:
        if trial.number % 2:
            trial.suggest_float("extra", 0, 1)
        return trial.suggest_float("x", 0, 1)

    a = trimtab.create_study(sampler=RandomSampler(seed=3))
    a.optimize(conditional, n_trials=6)
    b = trimtab.create_study(sampler=RandomSampler(seed=3))
    b.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=6)
    assert [t.params["x"] for t in a.trials] == [t.params["x"] for t in b.trials]


def test_histories_with_failed_and_pruned_trials_are_fine() -> None:
    def objective(trial: trimtab.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 3 == 1:
            raise trimtab.TrialPruned()
        if trial.number % 3 == 2:
            raise ValueError("nope")
        return x

    study = trimtab.create_study(sampler=RandomSampler(seed=0))
    study.optimize(objective, n_trials=9)
    assert Counter(t.state.name for t in study.trials) == {"COMPLETE": 3, "PRUNED": 3, "FAILED": 3}


def test_uniformity_of_a_float_draw() -> None:
    xs = sorted(p["lin"] for p in run(1, 400))
    # Kolmogorov-Smirnov distance to U(-2, 3), far below the 1% critical value (~0.081)
    d = max(abs((i + 1) / len(xs) - (x + 2.0) / 5.0) for i, x in enumerate(xs))
    assert d < 0.081
    assert not any(math.isnan(x) for x in xs)


def test_bad_seed() -> None:
    with pytest.raises(ValueError, match="seed='1' must be an int or None"):
        RandomSampler(seed="1")  # type: ignore[arg-type]


def test_samplers_pickle_after_use_with_empty_caches() -> None:
    import pickle

    from trimtab.samplers import CMAESSampler, GridSampler, QMCSampler, TPESampler

    def objective(t: trimtab.Trial) -> float:
        return t.suggest_float("x", 0, 1) + t.suggest_int("y", 0, 3)

    samplers = [
        RandomSampler(seed=0),
        TPESampler(seed=0, n_startup_trials=2),
        QMCSampler(seed=0),
        CMAESSampler(seed=0),
        GridSampler({"x": [0.1, 0.5], "y": [1, 2]}),
    ]
    for sampler in samplers:
        study = trimtab.create_study(sampler=sampler)
        study.optimize(objective, n_trials=4)
        copy = pickle.loads(pickle.dumps(sampler))
        again = trimtab.create_study(sampler=copy)  # the copy works on a new study
        again.optimize(objective, n_trials=4)
        assert len(again.trials) == 4
