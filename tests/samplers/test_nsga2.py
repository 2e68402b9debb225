from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

import trimtab
from trimtab.samplers import NSGAIISampler, RandomSampler
from trimtab.trial import FrozenTrial, TrialState

POP = 10
DIRS = ["minimize", "minimize"]


def zdt1(trial: trimtab.Trial) -> tuple[float, float]:
    x = [trial.suggest_float(f"x{i}", 0, 1) for i in range(4)]
    g = 1 + 9 * sum(x[1:]) / 3
    return x[0], g * (1 - math.sqrt(x[0] / g))


def hypervolume(points: Sequence[Sequence[float]], ref: tuple[float, float]) -> float:
    """Area dominated by 2-d ``points`` (minimised) up to ``ref``."""
    area, last_y = 0.0, ref[1]
    for x, y in sorted((p[0], p[1]) for p in points if p[0] < ref[0] and p[1] < ref[1]):
        if y < last_y:
            area += (ref[0] - x) * (last_y - y)
            last_y = y
    return area


def front_values(study: trimtab.Study) -> list[tuple[float, ...]]:
    return [tuple(t.values or ()) for t in study.best_trials]


def generation(t: FrozenTrial) -> int:
    return int(t.system_attrs["ga:generation"])


def test_zdt1_front_beats_random_search_in_hypervolume() -> None:
    ref = (1.1, 11.0)
    ga = trimtab.create_study(directions=DIRS, sampler=NSGAIISampler(population_size=20, seed=0))
    ga.optimize(zdt1, n_trials=300)
    rs = trimtab.create_study(directions=DIRS, sampler=RandomSampler(seed=0))
    rs.optimize(zdt1, n_trials=300)
    hv_ga, hv_rs = hypervolume(front_values(ga), ref), hypervolume(front_values(rs), ref)
    assert hv_ga > hv_rs + 0.5  # the true front's is 12.1 - 1/3 (random's about 10.5)
    # best_trials is the Pareto front: no stored trial dominates any of its members
    for a in ga.best_trials:
        for b in ga.get_trials((TrialState.COMPLETE,)):
            va, vb = a.values or (), b.values or ()
            assert not (all(y <= x for x, y in zip(va, vb, strict=True)) and va != vb)


def test_reproducible_and_a_new_sampler_continues_the_study() -> None:
    def params(sampler: NSGAIISampler, n: int) -> list[dict[str, object]]:
        study = trimtab.create_study(directions=DIRS, sampler=sampler)
        study.optimize(zdt1, n_trials=n)
        return [dict(t.params) for t in study.trials]

    assert params(NSGAIISampler(population_size=POP, seed=1), 35) == params(
        NSGAIISampler(population_size=POP, seed=1), 35
    )
    storage = trimtab.storages.InMemoryStorage()
    a = trimtab.create_study(
        study_name="s",
        storage=storage,
        directions=DIRS,
        sampler=NSGAIISampler(population_size=POP, seed=2),
    )
    a.optimize(zdt1, n_trials=25)
    b = trimtab.load_study(
        study_name="s", storage=storage, sampler=NSGAIISampler(population_size=POP, seed=2)
    )
    b.optimize(zdt1, n_trials=10)
    assert [dict(t.params) for t in b.trials] == params(
        NSGAIISampler(population_size=POP, seed=2), 35
    )


def constrained(trial: FrozenTrial) -> list[float]:
    return [0.3 - trial.params["x0"]]  # feasible when x0 >= 0.3


def test_constraints_keep_infeasible_trials_off_the_front() -> None:
    sampler = NSGAIISampler(population_size=POP, constraints_func=constrained, seed=0)
    study = trimtab.create_study(directions=DIRS, sampler=sampler)
    study.optimize(zdt1, n_trials=100)
    trials = study.get_trials((TrialState.COMPLETE,))
    assert all("constraints" in t.system_attrs for t in trials)
    feasible = [t for t in trials if t.system_attrs["constraints"][0] <= 0]
    assert feasible and len(feasible) < len(trials)
    assert study.best_trials and all(
        t.system_attrs["constraints"][0] <= 0 for t in study.best_trials
    )
    # without the stored constraints the front would hold infeasible trials
    unconstrained = trimtab.trial._best.pareto_front(
        [t.replace(system_attrs={}) for t in trials], study.directions
    )
    numbers = {t.number for t in feasible}
    assert any(t.number not in numbers for t in unconstrained)
    # the population of the last generation is all feasible: feasible beats infeasible
    assert all(t.system_attrs["constraints"][0] <= 0 for t in sampler.population(study))


def test_no_feasible_trial_yet_the_least_violating_are_best() -> None:
    sampler = NSGAIISampler(
        population_size=POP, constraints_func=lambda t: [1 + t.params["x0"]], seed=0
    )
    study = trimtab.create_study(directions=DIRS, sampler=sampler)
    study.optimize(zdt1, n_trials=15)
    least = min(t.params["x0"] for t in study.trials)
    assert [t.params["x0"] for t in study.best_trials] == [least]


def test_constraints_through_ask_and_tell_and_a_failing_constraints_func() -> None:
    sampler = NSGAIISampler(population_size=POP, constraints_func=constrained, seed=0)
    study = trimtab.create_study(directions=DIRS, sampler=sampler)
    trial = study.ask()
    values = zdt1(trial)
    trial.flush()
    study.tell(trial.number, values)  # told by number: stored through the storage directly
    assert study.trials[0].system_attrs["constraints"] == constrained(study.trials[0])
    bad = trimtab.create_study(
        directions=DIRS,
        sampler=NSGAIISampler(constraints_func=lambda t: ["x"], seed=0),  # type: ignore[list-item]
    )
    with pytest.raises(ValueError, match="constraints_func returned \\['x'\\] for trial 0"):
        bad.optimize(zdt1, n_trials=1)
    assert bad.trials[0].state == TrialState.FAILED
    assert "constraints_func" in (bad.trials[0].fail_reason or {})["message"]


def test_extremes_of_the_front_are_never_lost() -> None:
    sampler = NSGAIISampler(population_size=POP, seed=3)
    study = trimtab.create_study(directions=DIRS, sampler=sampler)
    checked = 0
    for _ in range(100):
        trial = study.ask()
        g = generation(trial)
        earlier = [t for t in study.get_trials((TrialState.COMPLETE,)) if generation(t) < g]
        if earlier:
            kept = {t.number for t in sampler.population(study)}
            for m in (0, 1):  # the best trial in each objective has infinite crowding distance
                best = min((t.values or ())[m] for t in earlier)
                assert any((t.values or ())[m] == best and t.number in kept for t in earlier)
            checked += 1
        study.tell(trial, zdt1(trial))
    assert checked > 80


def test_one_objective_mixed_space_failed_and_pruned() -> None:
    def objective(trial: trimtab.Trial) -> float:
        x = trial.suggest_float("x", -5, 5)
        n = trial.suggest_int("n", 1, 64, log=True)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        if trial.number % 6 == 5:
            raise RuntimeError("flaky")
        if trial.number % 7 == 6:
            raise trimtab.TrialPruned()
        return (x - 1) ** 2 + abs(n - 8) / 8 + (c != "c")

    study = trimtab.create_study(sampler=NSGAIISampler(population_size=POP, seed=0))
    study.optimize(objective, n_trials=120)
    states = {t.state for t in study.trials}
    assert states == {TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED}
    for t in study.trials:
        assert -5 <= t.params["x"] <= 5 and 1 <= t.params["n"] <= 64
        assert t.params["c"] in ("a", "b", "c")
        for n in t.system_attrs.get("ga:parents", []):
            assert study.trials[n].state == TrialState.COMPLETE
    first = sorted(t.value for t in study.trials if generation(t) == 0 and t.value is not None)
    assert study.best_value < first[0] / 5
    assert study.best_params["c"] == "c"


def test_conditional_parameters_are_drawn_at_random() -> None:
    def objective(trial: trimtab.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        if trial.suggest_categorical("branch", [True, False]):
            return x, 1 - x + trial.suggest_float("extra", 0, 1)
        return x, (1 - x) ** 2

    study = trimtab.create_study(
        directions=DIRS, sampler=NSGAIISampler(population_size=POP, seed=0)
    )
    study.optimize(objective, n_trials=50)
    bred = [t for t in study.trials if generation(t) > 0]
    assert bred and all(set(t.system_attrs["ga:child"]) == {"x", "branch"} for t in bred)
    assert any("extra" in t.params for t in bred)


def test_two_processes_share_one_sqlite_study(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nsga2.db'}"
    trimtab.create_study(study_name="nsga2", storage=url, directions=DIRS)
    worker = Path(__file__).with_name("_ga_worker.py")
    procs = [subprocess.Popen([sys.executable, str(worker), url, "nsga2"]) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    study = trimtab.load_study(study_name="nsga2", storage=url)
    assert sorted(t.number for t in study.trials) == list(range(40))
    assert max(generation(t) for t in study.trials) >= 3
    assert len(study.best_trials) >= 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"population_size": 0}, "population_size=0 must be an integer >= 2"),
        ({"crossover_prob": -1}, r"crossover_prob=-1 must be a number in \[0, 1\]"),
        ({"mutation_prob": 2}, r"mutation_prob=2 must be a number in \[0, 1\] or None"),
        ({"constraints_func": 3}, "constraints_func=3 must be a callable"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NSGAIISampler(**kwargs)  # type: ignore[arg-type]


def test_one_objective_best_trial_honours_constraints() -> None:
    def objective(trial: trimtab.Trial) -> float:
        return trial.suggest_float("x", -1, 1) ** 2

    sampler = NSGAIISampler(
        population_size=POP, constraints_func=lambda t: [0.5 - t.params["x"]], seed=0
    )
    study = trimtab.create_study(sampler=sampler)
    study.optimize(objective, n_trials=40)
    assert min(t.value or 0 for t in study.trials) < 0.25  # infeasible trials were better
    assert study.best_trial.params["x"] >= 0.5
    assert [t.number for t in study.best_trials] == [study.best_trial.number]
