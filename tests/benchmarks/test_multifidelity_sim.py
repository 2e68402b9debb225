"""The simulated-time harness of ``benchmarks/multifidelity.py`` (not the outcomes)."""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from benchmarks.mf_sim import (
    Job,
    Report,
    Step,
    anytime,
    best_at,
    full_trainings,
    median_iqr,
    simulate,
    time_to_target,
)

from benchmarks import mf_methods, multifidelity
from trimtab.distributions import FloatDistribution

# a tiny curve table: name -> (error after each epoch, seconds of each epoch)
CURVES: dict[str, tuple[list[float], list[float]]] = {
    "a": ([0.5, 0.4, 0.3], [1.0, 1.0, 1.0]),
    "b": ([0.6, 0.5, 0.2], [0.4, 0.4, 0.4]),
    "c": ([0.9, 0.8, 0.7], [0.5, 0.5, 0.5]),
    "d": ([0.3, 0.2, 0.1], [2.0, 2.0, 2.0]),
}


def table_start(params: Mapping[str, Any]) -> Step:
    errors, seconds = CURVES[params["name"]]
    epoch = iter(range(len(errors)))

    def step() -> tuple[float, float]:
        i = next(epoch)
        return errors[i], seconds[i]

    return step


class ScriptedJob:
    def __init__(self, method: Scripted, name: str) -> None:
        self.method, self.name = method, name
        self.params = {"name": name}
        self.epochs = method.fixed.get(name)

    def report(self, epoch: int, error: float) -> None:
        self.method.calls.append(("report", self.name, str(epoch)))
        self.epoch = epoch

    def should_stop(self) -> bool:
        self.method.calls.append(("stop?", self.name))
        return self.epoch >= self.method.stop_at.get(self.name, 99)

    def finish(self, error: float, stopped: bool) -> None:
        self.method.calls.append(("finish", self.name, "stopped" if stopped else "done"))


class Scripted:
    """Hands out the table's curves in order (then c); stops a job at ``stop_at[name]``
    epochs; a job in ``epochs`` has that fixed number of epochs."""

    def __init__(
        self,
        names: list[str],
        stop_at: Mapping[str, int] | None = None,
        epochs: Mapping[str, int] | None = None,
    ) -> None:
        self.names, self.stop_at, self.fixed = list(names), stop_at or {}, epochs or {}
        self.calls: list[tuple[str, ...]] = []

    def ask(self) -> Job:
        name = self.names.pop(0) if self.names else "c"
        self.calls.append(("ask", name))
        return ScriptedJob(self, name)


def test_events_are_processed_in_simulated_time_order() -> None:
    method = Scripted(["a", "b", "c"])
    result = simulate(method, table_start, max_epochs=3, workers=2, budget=2.5)
    seen = [(r.time, r.worker, r.job, r.epoch) for r in result.reports]
    # worker 0 trains a (1 s epochs); worker 1 trains b (0.4 s), then c (0.5 s) from 1.2 s
    assert seen == [
        (pytest.approx(0.4), 1, 1, 1),
        (pytest.approx(0.8), 1, 1, 2),
        (pytest.approx(1.0), 0, 0, 1),
        (pytest.approx(1.2), 1, 1, 3),
        (pytest.approx(1.7), 1, 2, 1),
        (pytest.approx(2.0), 0, 0, 2),
        (pytest.approx(2.2), 1, 2, 2),
    ]
    # the method heard of each epoch in that order, and no stop was asked after b's last epoch
    assert method.calls == [
        ("ask", "a"),
        ("ask", "b"),
        ("report", "b", "1"),
        ("stop?", "b"),
        ("report", "b", "2"),
        ("stop?", "b"),
        ("report", "a", "1"),
        ("stop?", "a"),
        ("report", "b", "3"),
        ("finish", "b", "done"),
        ("ask", "c"),
        ("report", "c", "1"),
        ("stop?", "c"),
        ("report", "a", "2"),
        ("stop?", "a"),
        ("report", "c", "2"),
        ("stop?", "c"),
    ]
    assert result.jobs == 3 and result.epochs == 7 and result.stopped == 0
    assert full_trainings(result, 3) == [(pytest.approx(1.2), 0.2)]


def test_each_worker_clock_advances_by_its_epoch_costs() -> None:
    result = simulate(Scripted(["d", "a"]), table_start, max_epochs=3, workers=2, budget=100.0)
    for worker, name in ((0, "d"), (1, "a")):
        times = [r.time for r in result.reports if r.worker == worker and r.job == worker]
        costs = CURVES[name][1]
        assert times == pytest.approx([sum(costs[: i + 1]) for i in range(3)])


def test_a_stopped_job_stops_consuming_time() -> None:
    method = Scripted(["d", "b"], stop_at={"d": 1})
    result = simulate(method, table_start, max_epochs=3, workers=1, budget=100.0)
    d = [r for r in result.reports if r.job == 0]
    assert [r.epoch for r in d] == [1]  # d's later 2 s epochs are never trained
    b = [r for r in result.reports if r.job == 1]
    assert [r.time for r in b] == pytest.approx([2.4, 2.8, 3.2])  # b starts when d stops
    assert ("finish", "d", "stopped") in method.calls and result.stopped == 1


def test_a_job_with_a_fixed_budget_ends_there() -> None:
    method = Scripted(["a", "b"], epochs={"a": 2})
    result = simulate(method, table_start, max_epochs=3, workers=1, budget=100.0)
    assert [r.epoch for r in result.reports if r.job == 0] == [1, 2]
    i = method.calls.index(("report", "a", "2"))
    assert method.calls[i + 1] == ("finish", "a", "done")  # no stop asked after the last epoch
    assert full_trainings(result, 3)[0][1] == 0.2  # only b was fully trained


def test_the_run_stops_at_the_budget() -> None:
    result = simulate(Scripted([]), table_start, max_epochs=3, workers=3, budget=1.0)
    assert result.reports and max(r.time for r in result.reports) <= 1.0
    assert result.epochs == 3 * 2  # c's epochs end at 0.5 and 1.0 on each worker
    with pytest.raises(ValueError, match="workers"):
        simulate(Scripted([]), table_start, max_epochs=3, workers=0, budget=1.0)


def test_measures_of_a_run() -> None:
    finals = [(1.0, 0.5), (2.0, 0.3), (3.0, 0.4), (4.0, 0.1)]
    assert time_to_target(finals, 0.35) == 2.0
    assert time_to_target(finals, 0.05) == math.inf
    assert best_at(finals, 3.5) == 0.3 and best_at(finals, 0.5) == math.inf
    assert anytime(finals, [0.5, 1.0, 2.5, 10.0]) == [math.inf, 0.5, 0.3, 0.1]
    assert median_iqr([1.0, 2.0, 3.0, 4.0, 5.0]) == (2.0, 3.0, 4.0)
    assert median_iqr([1.0, math.inf, math.inf]) == (math.inf, math.inf, math.inf)
    assert median_iqr([1.0, 2.0, 3.0, math.inf])[1] == 2.5


# ---- real methods on a synthetic space ------------------------------------------------------

SPACE = {"x": FloatDistribution(0.0, 1.0), "y": FloatDistribution(0.0, 1.0)}


def synthetic_start(params: Mapping[str, Any]) -> Step:
    """Curves that fall towards (x - 0.3)^2 + y / 10; epochs cost 0.1 + y seconds."""
    x, y = params["x"], params["y"]
    final = (x - 0.3) ** 2 + y / 10
    epoch = iter(range(1, 100))

    def step() -> tuple[float, float]:
        e = next(epoch)
        return final + 1.0 / e, 0.1 + y

    return step


@pytest.mark.parametrize("name", ["trimtab.asha", "trimtab.bohb", "trimtab.tpe+hyperband"])
def test_a_seeded_two_worker_run_is_reproducible(name: str) -> None:
    def run(seed: int) -> list[Report]:
        method = mf_methods.METHODS[name](SPACE, 9, seed, 2)
        return simulate(method, synthetic_start, max_epochs=9, workers=2, budget=20.0).reports

    first = run(0)
    assert first == run(0)
    assert first != run(1)
    assert sum(r.epoch == 9 for r in first) >= 1


def test_the_script_runs_every_trimtab_method(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    ours = [m for m in mf_methods.METHODS if m.startswith("trimtab.")]
    multifidelity.main(
        [
            "--methods",
            ",".join(ours),
            "--seeds",
            "2",
            "--budget-seconds",
            "0.4",
            "--jobs",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    data = json.loads((tmp_path / "results.json").read_text())
    assert len(data["results"]) == 2 * len(ours)
    assert all("finals" in r and r["epochs"] > 0 for r in data["results"])
    text = (tmp_path / "report.md").read_text()
    assert all(f"| {m} |" in text for m in ours)
    assert (tmp_path / "anytime.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("optuna", ["optuna.sha", "optuna.hyperband", "optuna.tpe+sha"]),
        ("ray.tune", ["ray.asha"]),
        ("dehb", ["dehb"]),
    ],
)
def test_peers_run_where_installed(module: str, names: list[str]) -> None:
    try:
        importlib.import_module(module)
    except ImportError as exc:  # also "installed but a dependency is missing" (ray.tune)
        pytest.skip(f"{module} is not usable here: {exc}")
    for name in names:
        method = mf_methods.METHODS[name](SPACE, 9, 0, 2)
        result = simulate(method, synthetic_start, max_epochs=9, workers=2, budget=10.0)
        assert result.jobs > 2 and full_trainings(result, 9)
