from __future__ import annotations

import math
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

import trimtab
from trimtab.samplers import GeneticSampler
from trimtab.trial import FrozenTrial, TrialState

POP = 10


def sphere(trial: trimtab.Trial) -> float:
    return sum((trial.suggest_float(f"x{i}", -5, 5) - 1) ** 2 for i in range(3))


def generation(t: FrozenTrial) -> int:
    return int(t.system_attrs["ga:generation"])


def test_bounds_steps_log_and_categorical_are_respected() -> None:
    def objective(trial: trimtab.Trial) -> float:
        a = trial.suggest_float("log", 1e-5, 1e-1, log=True)
        b = trial.suggest_int("istep", 16, 256, step=16)
        c = trial.suggest_int("ilog", 1, 1000, log=True)
        d = trial.suggest_float("fstep", 0.0, 1.0, step=0.1)
        e = trial.suggest_categorical("cat", ["a", "b", "c"])
        return abs(math.log10(a) + 3) + b / 256 + abs(c - 30) / 1000 + abs(d - 0.3) + (e != "b")

    study = trimtab.create_study(sampler=GeneticSampler(population_size=POP, seed=0))
    study.optimize(objective, n_trials=80)
    for t in study.trials:
        p = t.params
        assert 1e-5 <= p["log"] <= 1e-1
        assert p["istep"] % 16 == 0 and 16 <= p["istep"] <= 256
        assert isinstance(p["ilog"], int) and 1 <= p["ilog"] <= 1000
        assert 0.0 <= p["fstep"] <= 1.0 and round(p["fstep"] * 10) == pytest.approx(p["fstep"] * 10)
        assert p["cat"] in ("a", "b", "c")
    bred = [t for t in study.trials if generation(t) > 0]
    assert bred and all(dict(t.params) == t.system_attrs["ga:child"] for t in bred)
    assert study.best_params["cat"] == "b"


def test_reproducible_and_a_new_sampler_continues_the_study() -> None:
    def params(sampler: GeneticSampler, n: int) -> list[dict[str, object]]:
        study = trimtab.create_study(sampler=sampler)
        study.optimize(sphere, n_trials=n)
        return [dict(t.params) for t in study.trials]

    assert params(GeneticSampler(population_size=POP, seed=3), 35) == params(
        GeneticSampler(population_size=POP, seed=3), 35
    )
    assert params(GeneticSampler(population_size=POP, seed=3), 35) != params(
        GeneticSampler(population_size=POP, seed=4), 35
    )
    # a fresh sampler on the stored history proposes what the first one would have
    storage = trimtab.storages.InMemoryStorage()
    a = trimtab.create_study(
        study_name="s", storage=storage, sampler=GeneticSampler(population_size=POP, seed=5)
    )
    a.optimize(sphere, n_trials=25)
    b = trimtab.load_study(
        study_name="s", storage=storage, sampler=GeneticSampler(population_size=POP, seed=5)
    )
    b.optimize(sphere, n_trials=10)
    assert [dict(t.params) for t in b.trials] == params(
        GeneticSampler(population_size=POP, seed=5), 35
    )


def test_generations_parents_and_failed_or_pruned_trials() -> None:
    def objective(trial: trimtab.Trial) -> float:
        value = sphere(trial)
        if trial.number % 5 == 3:
            raise RuntimeError("flaky")
        if trial.number % 7 == 6:
            trial.report(value, 0)
            raise trimtab.TrialPruned()
        return value

    study = trimtab.create_study(sampler=GeneticSampler(population_size=POP, seed=0))
    study.optimize(objective, n_trials=90)
    trials = study.trials
    assert {t.state for t in trials} == {
        TrialState.COMPLETE,
        TrialState.FAILED,
        TrialState.PRUNED,
    }
    by_number = {t.number: t for t in trials}
    last = max(generation(t) for t in trials)
    assert last >= 3
    for g in range(last):  # every closed generation has exactly POP COMPLETE trials
        members = [t for t in trials if generation(t) == g]
        assert sum(t.state == TrialState.COMPLETE for t in members) == POP
        # the generation goes on past failures: its last trial is the POP-th COMPLETE one
        assert members[-1].state == TrialState.COMPLETE
    for t in trials:
        if generation(t) == 0:
            assert "ga:child" not in t.system_attrs  # the first generation is random
            continue
        for n in t.system_attrs["ga:parents"]:
            parent = by_number[n]
            assert parent.state == TrialState.COMPLETE
            assert generation(parent) < generation(t)


def test_conditional_parameters() -> None:
    def objective(trial: trimtab.Trial) -> float:
        x = trial.suggest_float("x", -5, 5)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        if kind == "a":
            return x**2 + trial.suggest_float("a", 0, 1)
        return x**2 + trial.suggest_int("b", 10, 20) / 10

    study = trimtab.create_study(sampler=GeneticSampler(population_size=POP, seed=1))
    study.optimize(objective, n_trials=60)
    bred = [t for t in study.trials if generation(t) > 0]
    assert {t.params["kind"] for t in bred} == {"a", "b"}
    for t in bred:  # the child covers the shared space; branch parameters are drawn at random
        assert set(t.system_attrs["ga:child"]) == {"x", "kind"}
        assert 0 <= t.params.get("a", 0) <= 1 and 10 <= t.params.get("b", 10) <= 20
    assert study.best_value < 0.5


def test_ask_and_tell() -> None:
    study = trimtab.create_study(sampler=GeneticSampler(population_size=POP, seed=0))
    for _ in range(40):
        trial = study.ask()
        x = trial.suggest_float("x", -3, 3)
        if x > 2.5:
            study.tell(trial, state=TrialState.FAILED)
        else:
            study.tell(trial, (x - 1) ** 2)
    assert len(study.trials) == 40
    assert max(generation(t) for t in study.trials) >= 2
    assert study.best_value < 0.05


def test_improves_on_its_random_first_generation() -> None:
    study = trimtab.create_study(sampler=GeneticSampler(population_size=20, seed=0))
    study.optimize(sphere, n_trials=200)
    values = {g: [t.value for t in study.trials if generation(t) == g] for g in range(10)}
    first, last = values[0], values[9]
    assert statistics.median(last) < statistics.median(first) / 5  # type: ignore[type-var]
    assert min(last) < min(first) / 5  # type: ignore[type-var]


def test_the_best_trial_is_never_lost_from_the_population() -> None:
    sampler = GeneticSampler(population_size=POP, seed=2)
    study = trimtab.create_study(sampler=sampler)
    checked = 0
    for _ in range(120):
        trial = study.ask()
        g = int(trial.system_attrs["ga:generation"])
        # the parents of generation g: chosen from every COMPLETE trial of generations < g
        earlier = [t for t in study.get_trials((TrialState.COMPLETE,)) if generation(t) < g]
        if earlier:
            best = min(earlier, key=lambda t: t.value or 0.0)
            assert best.number in {t.number for t in sampler.population(study)}
            checked += 1
        study.tell(trial, sphere(trial))
    assert checked > 100
    assert max(generation(t) for t in study.trials) >= 10


def _spread(population: list[FrozenTrial]) -> float:
    xs = [[t.params[f"x{i}"] for i in range(3)] for t in population]
    return statistics.mean(statistics.pstdev(col) for col in zip(*xs, strict=True))


def test_clearing_keeps_the_population_spread_out() -> None:
    spreads = {}
    for radius in (0.0, 0.05):
        sampler = GeneticSampler(population_size=POP, niche_radius=radius, seed=0)
        study = trimtab.create_study(sampler=sampler)
        study.optimize(sphere, n_trials=150)
        spreads[radius] = _spread(sampler.population(study))
    assert spreads[0.05] > 2 * spreads[0.0]


def test_children_do_not_repeat_finished_trials() -> None:
    def objective(trial: trimtab.Trial) -> float:
        return (trial.suggest_int("a", 0, 9) - 3) ** 2 + (trial.suggest_int("b", 0, 9) - 6) ** 2

    study = trimtab.create_study(sampler=GeneticSampler(population_size=POP, seed=0))
    study.optimize(objective, n_trials=60)
    bred = [(t.params["a"], t.params["b"]) for t in study.trials if generation(t) > 0]
    first = {(t.params["a"], t.params["b"]) for t in study.trials if generation(t) == 0}
    assert len(set(bred)) == len(bred) and not first & set(bred)


def test_two_processes_share_one_sqlite_study(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ga.db'}"
    trimtab.create_study(study_name="ga", storage=url)
    worker = Path(__file__).with_name("_ga_worker.py")
    procs = [subprocess.Popen([sys.executable, str(worker), url, "ga"]) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    trials = trimtab.load_study(study_name="ga", storage=url).trials
    assert sorted(t.number for t in trials) == list(range(40))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    gens = [generation(t) for t in trials]
    assert max(gens) >= 3
    for g in range(max(gens)):  # a generation closes at 6 COMPLETE trials (a few more may run)
        assert 6 <= gens.count(g) <= 8


def test_several_objectives_need_nsga2() -> None:
    study = trimtab.create_study(
        directions=["minimize", "minimize"], sampler=GeneticSampler(seed=0)
    )
    with pytest.raises(ValueError, match=r"GeneticSampler optimises one objective.*NSGAIISampler"):
        study.ask()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"population_size": 1}, "population_size=1 must be an integer >= 2"),
        ({"population_size": 2.5}, "population_size=2.5 must be an integer >= 2"),
        ({"crossover_prob": 1.5}, r"crossover_prob=1.5 must be a number in \[0, 1\]"),
        ({"mutation_prob": -0.1}, r"mutation_prob=-0.1 must be a number in \[0, 1\] or None"),
        ({"crossover_eta": -1}, "crossover_eta=-1 must be a number >= 0"),
        ({"mutation_eta": "x"}, "mutation_eta='x' must be a number >= 0"),
        ({"niche_radius": 2}, r"niche_radius=2 must be a number in \[0, 1\]"),
        ({"seed": "s"}, "seed='s' must be an int or None"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GeneticSampler(**kwargs)  # type: ignore[arg-type]
