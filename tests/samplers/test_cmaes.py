from __future__ import annotations

import math
from collections.abc import Callable

import pytest

import trimtab
from trimtab.trial import TrialState

pytest.importorskip("cmaes")
from trimtab.samplers import CMAESSampler


def sphere(trial: trimtab.Trial) -> float:
    return sum((trial.suggest_float(f"x{i}", -5, 5) - 1) ** 2 for i in range(3))


def replayed(
    objective: Callable[[trimtab.Trial], float], seed: int, n: int
) -> tuple[trimtab.trial.FrozenTrial, trimtab.trial.FrozenTrial]:
    """Trial ``n`` proposed by a fresh sampler loading a stored ``n``-trial history, and by
    the sampler that ran the whole study: a new process must propose what the old one would."""
    storage = trimtab.storages.InMemoryStorage()
    a = trimtab.create_study(study_name="s", storage=storage, sampler=CMAESSampler(seed=seed))
    a.optimize(objective, n_trials=n)
    b = trimtab.load_study(study_name="s", storage=storage, sampler=CMAESSampler(seed=seed))
    b.optimize(objective, n_trials=1)
    c = trimtab.create_study(sampler=CMAESSampler(seed=seed))
    c.optimize(objective, n_trials=n + 1)
    return b.trials[n], c.trials[n]


def test_converges_on_a_sphere() -> None:
    for seed in (0, 1):
        study = trimtab.create_study(sampler=CMAESSampler(seed=seed))
        study.optimize(sphere, n_trials=200)
        assert study.best_value < 1e-2


def test_bounds_steps_and_categorical_parameters() -> None:
    def objective(trial: trimtab.Trial) -> float:
        a = trial.suggest_float("log", 1e-5, 1e-1, log=True)
        b = trial.suggest_int("istep", 16, 256, step=16)
        c = trial.suggest_categorical("cat", ["a", "b"])
        return abs(a - 1e-3) + b + (c == "a")

    study = trimtab.create_study(sampler=CMAESSampler(seed=0))
    study.optimize(objective, n_trials=40)
    for t in study.trials:
        assert 1e-5 <= t.params["log"] <= 1e-1
        assert t.params["istep"] % 16 == 0 and 16 <= t.params["istep"] <= 256
    later = study.trials[1:]
    assert all("cma:x" in t.system_attrs for t in later)  # candidates are recorded
    assert {t.params["cat"] for t in later} == {"a", "b"}  # both choices were tried
    # the categorical distribution learns: "a" costs 1, so the last trials take "b"
    assert [t.params["cat"] for t in study.trials[-10:]].count("b") >= 8


def mixed(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", -3, 3)
    n = trial.suggest_int("n", -10, 10)
    width = trial.suggest_int("width", 1, 1024, log=True)
    rate = trial.suggest_float("rate", 0.0, 1.0, step=0.05)
    kind = trial.suggest_categorical("kind", ["relu", "tanh", "gelu", "silu"])
    return (x - 1) ** 2 + (n - 3) ** 2 + abs(width - 2) / 2 + abs(rate - 0.35) + (kind != "gelu")


def test_integers_and_categoricals_are_optimised_jointly() -> None:
    """CatCMA with Margin on a mixed space: every integer-like value lies on its grid and the
    search reaches the optimum's integer and categorical values (with x near 1)."""
    for seed in (0, 1):
        study = trimtab.create_study(sampler=CMAESSampler(seed=seed))
        study.optimize(mixed, n_trials=300)
        for t in study.trials:
            assert t.params["width"] == int(t.params["width"]) and 1 <= t.params["width"] <= 1024
            assert round(t.params["rate"] / 0.05, 9) == round(t.params["rate"] / 0.05)
        best = study.best_params
        assert (best["n"], best["width"], best["kind"]) == (3, 2, "gelu"), best
        assert study.best_value < 0.3


def test_a_mixed_history_is_replayed_by_a_new_sampler() -> None:
    loaded, warm = replayed(mixed, 2, 30)
    assert dict(loaded.params) == dict(warm.params)
    assert loaded.system_attrs["cma:generation"] >= 2  # generations were told


def test_only_categorical_parameters() -> None:
    def objective(trial: trimtab.Trial) -> float:
        return sum(trial.suggest_categorical(f"c{i}", [0, 1, 2]) for i in range(4))

    study = trimtab.create_study(sampler=CMAESSampler(seed=0))
    study.optimize(objective, n_trials=120)
    assert study.best_value == 0
    assert "cma:x" in study.trials[-1].system_attrs


def test_reproducible_and_a_new_sampler_replays_the_history() -> None:
    def params(sampler: CMAESSampler, n: int) -> list[dict[str, object]]:
        study = trimtab.create_study(sampler=sampler)
        study.optimize(sphere, n_trials=n)
        return [dict(t.params) for t in study.trials]

    assert params(CMAESSampler(seed=3), 25) == params(CMAESSampler(seed=3), 25)
    # a fresh sampler on an existing history replays it and proposes what the old one would
    loaded, warm = replayed(sphere, 5, 20)
    assert dict(loaded.params) == dict(warm.params)


def test_failed_trials_and_maximize() -> None:
    def objective(trial: trimtab.Trial) -> float:
        value = -sphere(trial)
        if trial.number % 5 == 3:
            raise RuntimeError("flaky")
        return value

    study = trimtab.create_study(direction="maximize", sampler=CMAESSampler(seed=0))
    study.optimize(objective, n_trials=150)
    assert sum(t.state == TrialState.FAILED for t in study.trials) == 30
    assert study.best_value > -0.1


def test_restarts_with_a_larger_population() -> None:
    study = trimtab.create_study(sampler=CMAESSampler(seed=0, popsize=4))
    study.optimize(lambda t: round(t.suggest_float("x", 0, 1), 1) * 0, n_trials=150)
    restarts = {t.system_attrs.get("cma:restart") for t in study.trials}
    assert max(r for r in restarts if r is not None) >= 1


def test_enqueued_trials_are_not_taken_for_candidates() -> None:
    study = trimtab.create_study(sampler=CMAESSampler(seed=0))
    study.optimize(sphere, n_trials=5)
    study.enqueue_trial({"x0": 1.0, "x1": 1.0, "x2": 1.0})
    study.optimize(sphere, n_trials=3)
    enqueued = study.trials[5]
    assert enqueued.value == 0.0 and "cma:x" not in enqueued.system_attrs
    assert all("cma:x" in t.system_attrs for t in study.trials[6:])


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="sigma0=0 must be a number in"):
        CMAESSampler(sigma0=0)
    with pytest.raises(ValueError, match="popsize=1 must be an integer >= 2"):
        CMAESSampler(popsize=1)


def two_branches(trial: trimtab.Trial) -> float:
    """``deep`` looks worse than ``flat`` at random (7 on average against 1.05) and has the
    better optimum (0 at d = 3, x = 0); ``x`` is shared by both branches."""
    x = trial.suggest_float("x", -1, 1)
    branch = trial.suggest_categorical("branch", ["flat", "deep"])
    if branch == "flat":
        return x**2 + 1 + trial.suggest_float("f", 0, 1) * 0.1
    return x**2 + (trial.suggest_float("d", -5, 5) - 3) ** 2 / 4


def test_each_branch_has_its_own_cmaes_and_maxucb_picks_the_branch() -> None:
    """Ranked by its random points, ``deep`` would be dropped; MaxUCB ranks branches by the
    best value each has reached, and each branch's own CMA-ES searches its parameters (with
    the branch drawn at random, as before, half the trials stayed on ``flat``)."""
    on_deep = 0
    for seed in range(4):
        study = trimtab.create_study(sampler=CMAESSampler(seed=seed))
        study.optimize(two_branches, n_trials=100)
        late = study.trials[50:]
        for t in late:  # each trial is its branch's CMA-ES candidate
            names = ["d", "x"] if t.params["branch"] == "deep" else ["f", "x"]
            assert t.system_attrs["cma:names"] == names
            assert t.system_attrs["cma:branch"] == {
                "branch": ["flat", "deep"].index(t.params["branch"])
            }
        deep = [t for t in late if t.params["branch"] == "deep"]
        if len(deep) >= 40 and study.best_params["branch"] == "deep":
            on_deep += 1
            assert study.best_value < 0.05
            assert sorted(abs(t.params["x"]) for t in deep)[20] < 0.3  # x is searched too
    assert on_deep >= 3  # seed 1 of 0-3 settles on flat before deep's CMA-ES gets going


def test_branches_with_maximize_and_an_integer_switch() -> None:
    """An integer switch (``layers`` decides which ``units_i`` exist) takes its value at
    random and each value gets its own CMA-ES; maximising flips MaxUCB's ranking too."""

    def objective(trial: trimtab.Trial) -> float:
        layers = trial.suggest_int("layers", 1, 3)
        units = [trial.suggest_int(f"units_{i}", 1, 64, log=True) for i in range(layers)]
        kind = trial.suggest_categorical("kind", ["good", "bad"])
        lr = trial.suggest_float("lr", 1e-4, 1, log=True)
        score = -abs(math.log10(lr) + 2) - sum(abs(u - 16) for u in units) / 64
        return score if kind == "good" else score - 1 - trial.suggest_float("noise", 0, 1)

    study = trimtab.create_study(direction="maximize", sampler=CMAESSampler(seed=0))
    study.optimize(objective, n_trials=120)
    late = study.trials[60:]
    assert {t.params["layers"] for t in late} == {1, 2, 3}
    assert sum(t.params["kind"] == "good" for t in late) >= 45
    for t in late:
        names = t.system_attrs["cma:names"]
        assert [n for n in names if n.startswith("units")] == [
            f"units_{i}" for i in range(t.params["layers"])
        ]
    assert study.best_value > -0.5


def test_a_new_sampler_replays_every_branch() -> None:
    loaded, warm = replayed(two_branches, 5, 60)
    assert dict(loaded.params) == dict(warm.params)
    assert "cma:branch" in loaded.system_attrs
