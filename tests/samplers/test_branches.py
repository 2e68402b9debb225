"""The branch of a parameter that switches others on, chosen by MaxUCB (``_branches``), through
``TPESampler`` (its default, ``branches="maxucb"``)."""

from __future__ import annotations

from collections import Counter

import pytest
from benchmarks.conditional_spaces import model_choice

import trimtab
from tests.samplers.test_tpe import every_kind  # every kind of parameter, a categorical too
from trimtab.benchmarks import get_problem
from trimtab.samplers import TPESampler


@pytest.mark.parametrize("group", [False, True])
def test_a_branch_poor_at_random_is_not_given_up(group: bool) -> None:
    # `conditional`: the sphere branch reaches 1.0 at once, Hartmann (0.637) and Branin
    # (0.398) look worse at random. TPE's own density ratio settles on the sphere on these
    # seeds; MaxUCB ranks branches by their best values and goes on trying the others
    problem = get_problem("conditional")
    for seed in (0, 1, 2):
        best = {}
        for branches in ("maxucb", "tpe"):
            sampler = TPESampler(seed=seed, group=group, branches=branches)  # type: ignore[arg-type]
            study = trimtab.create_study(sampler=sampler)
            study.optimize(problem.objective, n_trials=120)
            best[branches] = study.best_value
        assert best["maxucb"] < 0.8 and best["tpe"] > 0.99, (seed, best)


def test_branch_choice_tries_each_choice_first_and_counts_running_trials() -> None:
    # model_choice: forest 1.0 + 0.1 depth; svm 6 |c - 0.7|^0.5; knn 3 + k
    study = trimtab.create_study(sampler=TPESampler(seed=0, n_startup_trials=2))
    study.enqueue_trial({"model": "forest", "depth": 0.0})  # 1.0
    study.enqueue_trial({"model": "svm", "c": 0.7})  # 0.0
    study.optimize(model_choice, n_trials=2)
    trial = study.ask()
    assert trial.suggest_categorical("model", ["forest", "svm", "knn"]) == "knn"  # untried
    study.tell(trial, 3.0 + trial.suggest_float("k", 0, 1))
    # every choice tried: the best value wins (svm); with that trial still running, svm
    # has two tries to forest's one, and forest's larger bonus wins the next: parallel
    # workers asking at once spread over the branches
    running = [study.ask() for _ in range(2)]
    models = [t.suggest_categorical("model", ["forest", "svm", "knn"]) for t in running]
    assert models == ["svm", "forest"]


def test_branch_choice_maximising_and_with_failures() -> None:
    def objective(trial: trimtab.Trial) -> float:
        model = trial.suggest_categorical("model", ["good", "broken", "fair"])
        x = trial.suggest_float(f"x_{model}", 0, 1)
        if model == "broken":
            raise RuntimeError("fails every time")
        return (2.0 if model == "good" else 1.0) - (x - 0.5) ** 2

    study = trimtab.create_study(
        direction="maximize", sampler=TPESampler(seed=0, n_startup_trials=6)
    )
    study.optimize(objective, n_trials=60, catch=(RuntimeError,))
    late = Counter(str(t.params["model"]) for t in study.trials[30:])
    # the best branch (largest values) gets nearly every trial; the failing one's tries count
    # (were they ignored it would look untried, and be chosen again and again)
    assert late["good"] >= 27, late
    assert study.best_value > 1.99


def test_branch_choice_leaves_flat_spaces_alone() -> None:
    def run(branches: str) -> list[dict[str, object]]:
        sampler = TPESampler(seed=2, branches=branches)  # type: ignore[arg-type]
        study = trimtab.create_study(sampler=sampler)
        study.optimize(every_kind, n_trials=30)
        return [dict(t.params) for t in study.trials]

    assert run("maxucb") == run("tpe")
    with pytest.raises(ValueError, match="branches='ucb' must be 'maxucb' or 'tpe'"):
        TPESampler(branches="ucb")  # type: ignore[arg-type]
