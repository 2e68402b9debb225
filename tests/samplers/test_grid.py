from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import trimtab
from trimtab.samplers import GridSampler

SPACE = {"lr": [1e-3, 1e-2], "layers": [1, 2, 3]}


def objective(trial: trimtab.Trial) -> float:
    return trial.suggest_float("lr", 1e-4, 1.0, log=True) * trial.suggest_int("layers", 1, 3)


def test_every_point_once_then_the_study_stops(tmp_path: Path) -> None:
    study = trimtab.create_study(
        storage=f"sqlite:///{tmp_path / 'g.db'}", sampler=GridSampler(SPACE, seed=0)
    )
    study.optimize(objective, n_trials=100)
    pairs = [(t.params["lr"], t.params["layers"]) for t in study.trials]
    assert sorted(pairs) == sorted((lr, n) for lr in SPACE["lr"] for n in SPACE["layers"])
    study.optimize(objective)  # already exhausted: runs nothing
    assert len(study.trials) == 6


def test_order_is_reproducible_with_a_seed() -> None:
    def order(seed: int) -> list[tuple[float, int]]:
        study = trimtab.create_study(sampler=GridSampler(SPACE, seed=seed))
        study.optimize(objective)
        return [(t.params["lr"], t.params["layers"]) for t in study.trials]

    assert order(1) == order(1)
    assert {tuple(order(s)) for s in range(6)} != {tuple(order(1))}


def test_failed_points_count_as_visited() -> None:
    def flaky(trial: trimtab.Trial) -> float:
        value = objective(trial)
        if trial.number == 0:
            raise RuntimeError("flaky")
        return value

    study = trimtab.create_study(sampler=GridSampler(SPACE, seed=0))
    study.optimize(flaky)
    assert len(study.trials) == 6
    assert Counter(t.state.name for t in study.trials) == {"COMPLETE": 5, "FAILED": 1}


def test_point_indexing_covers_the_grid() -> None:
    grid = GridSampler({"a": [1, 2], "b": ["x", "y", "z"]})
    assert grid.n_points == 6
    points = [grid.point(i) for i in range(6)]
    assert points[0] == {"a": 1, "b": "x"} and points[5] == {"a": 2, "b": "z"}
    assert len({tuple(p.items()) for p in points}) == 6


def test_enqueued_trials_come_first_and_fill_missing_params_from_the_grid() -> None:
    study = trimtab.create_study(sampler=GridSampler(SPACE, seed=0))
    study.enqueue_trial({"lr": 0.5})
    study.optimize(objective)
    assert study.trials[0].params["lr"] == 0.5
    assert study.trials[0].params["layers"] in SPACE["layers"]
    assert len(study.trials) == 7  # the enqueued trial, then the 6 grid points


@pytest.mark.parametrize(
    ("space", "fragment"),
    [
        ({}, "must be a non-empty mapping"),
        ({"x": []}, "search_space['x']: choices=[] must hold at least one value"),
        ({"x": [1, 1]}, "lists 1 twice"),
        ({"x": [object()]}, "search_space['x']: choices[0]="),
        ({1: [1]}, "key 1 must be a parameter name"),
    ],
)
def test_bad_grids_are_rejected(space: dict, fragment: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError) as info:
        GridSampler(space)
    assert fragment in str(info.value)


def test_parameters_outside_the_grid_fail_the_trial_clearly() -> None:
    study = trimtab.create_study(sampler=GridSampler({"x": [5]}))
    study.optimize(lambda t: t.suggest_float("y", 0, 1), n_trials=1)
    assert "parameter 'y' is not in the grid" in study.trials[0].fail_reason["message"]
    study = trimtab.create_study(sampler=GridSampler({"x": [5]}))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert (
        "grid value 5 for parameter 'x' is not in the distribution"
        in (study.trials[0].fail_reason["message"])
    )


def test_workers_listing_parameters_in_another_order_agree() -> None:
    storage = trimtab.storages.InMemoryStorage()
    a = trimtab.create_study(
        study_name="g", storage=storage, sampler=GridSampler({"a": [1, 2], "b": [3, 4, 5]}, seed=0)
    )
    b = trimtab.load_study(
        study_name="g", storage=storage, sampler=GridSampler({"b": [3, 4, 5], "a": [1, 2]}, seed=1)
    )

    def obj(trial: trimtab.Trial) -> float:
        return trial.suggest_int("a", 1, 2) + trial.suggest_int("b", 3, 5)

    for _ in range(3):
        a.optimize(obj, n_trials=1)
        b.optimize(obj, n_trials=1)
    a.optimize(obj)
    points = [(t.params["a"], t.params["b"]) for t in a.trials]
    assert len(points) == 6 and len(set(points)) == 6


def test_a_point_taken_by_another_worker_is_skipped() -> None:
    storage = trimtab.storages.InMemoryStorage()
    first = trimtab.create_study(
        study_name="g", storage=storage, sampler=GridSampler({"x": [1, 2, 3]}, seed=0)
    )
    second = trimtab.load_study(
        study_name="g", storage=storage, sampler=GridSampler({"x": [1, 2, 3]}, seed=0)
    )
    obj = lambda t: float(t.suggest_int("x", 1, 3))  # noqa: E731
    first.optimize(obj, n_trials=2)
    second.optimize(obj)  # same seed, same order: its first picks are taken, it must move on
    assert sorted(t.params["x"] for t in first.trials) == [1, 2, 3]


@pytest.mark.slow
def test_several_processes_never_repeat_a_point(sql_url: str) -> None:
    url = sql_url
    trimtab.create_study(study_name="grid", storage=url)
    worker = Path(__file__).with_name("_grid_worker.py")
    procs = [subprocess.Popen([sys.executable, str(worker), url]) for _ in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    study = trimtab.load_study(study_name="grid", storage=url)
    points = [(t.params["a"], t.params["b"]) for t in study.trials]
    assert len(points) == 24 and len(set(points)) == 24
    assert all(t.state == trimtab.TrialState.COMPLETE for t in study.trials)
    assert len({t.user_attrs["pid"] for t in study.trials}) >= 2  # they really shared it
