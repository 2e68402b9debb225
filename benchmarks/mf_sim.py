"""Discrete-event simulation of asynchronous workers training learning curves in simulated time.

Problem-agnostic core of ``benchmarks/multifidelity.py``. A problem is ``start(params)``,
returning a function that trains one more epoch and gives ``(validation error, seconds that
epoch took)`` (``MultiFidelityProblem.start``), and ``max_epochs``. A method is anything with
``ask() -> Job`` (``SimMethod``); a ``Job`` carries the configuration and talks to its method
through the method's own ask/tell API: ``report(epoch, error)`` tells the method the epoch's
result, ``should_stop()`` asks whether to stop now, ``finish(error, stopped)`` ends the trial.

The simulation. ``workers`` workers each ask for a job at time 0 (worker 0 first). A worker
that trains epoch ``e`` of its job finishes it at its clock plus the epoch's recorded cost;
the end of every epoch is an event, and events are processed one at a time in simulated-time
order (ties: the event scheduled first goes first). Processing an event reports the epoch's
error to the method, which then decides, so a decision sees exactly the reports that came
before it in simulated time (other workers' epochs that end later have not happened yet). A
job ends when the method says stop (the worker's time for later epochs is never spent), or
when it reaches ``max_epochs`` (or its own fixed number of epochs, for methods such as DEHB
that choose a budget up front; its last epoch is reported, but no stop is asked after it), and
the worker asks for the next job at that same instant. Asking and deciding take no simulated
time: the method's own compute is measured in real seconds (``method_seconds``) but not
charged to the clock. Events after ``budget`` are not processed: the run stops there, with
jobs unfinished.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

Step = Callable[[], tuple[float, float]]
Start = Callable[[Mapping[str, Any]], Step]


class Job(Protocol):
    """One configuration being trained, as the method handed it out."""

    params: Mapping[str, Any]
    epochs: int | None  # a fixed number of epochs chosen up front, or None: until stopped

    def report(self, epoch: int, error: float) -> None:
        """Tell the method the validation error after ``epoch`` (1-based)."""
        ...

    def should_stop(self) -> bool:
        """Whether the method stops the job now (asked after every report but the last)."""
        ...

    def finish(self, error: float, stopped: bool) -> None:
        """End the job: ``stopped`` by the method, or trained to its last epoch."""
        ...


class SimMethod(Protocol):
    def ask(self) -> Job: ...


@dataclass(frozen=True)
class Report:
    """One finished epoch: when (simulated seconds), by whom, and its validation error."""

    time: float
    worker: int
    job: int  # the job's index in order of asking
    epoch: int
    error: float


@dataclass
class SimResult:
    reports: list[Report] = field(default_factory=list)
    jobs: int = 0  # jobs asked for
    stopped: int = 0  # jobs stopped by the method
    method_seconds: float = 0.0  # real seconds spent in ask/report/finish
    budget: float = math.inf

    @property
    def epochs(self) -> int:
        return len(self.reports)


@dataclass
class _Running:
    job: Job
    index: int
    step: Step
    limit: int
    epoch: int = 0


def simulate(
    method: SimMethod, start: Start, max_epochs: int, workers: int, budget: float
) -> SimResult:
    """Run ``method`` with ``workers`` asynchronous workers until simulated time ``budget``."""
    if workers < 1:
        raise ValueError(f"workers={workers!r} must be >= 1")
    result = SimResult(budget=budget)
    order = itertools.count()  # tie-break: first scheduled, first processed
    events: list[tuple[float, int, int, float]] = []  # (time, order, worker, error)
    running: dict[int, _Running] = {}

    def timed(call: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        try:
            return call()
        finally:
            result.method_seconds += time.perf_counter() - t0

    def train_next_epoch(worker: int, now: float) -> None:
        error, cost = running[worker].step()
        if not cost >= 0.0:
            raise ValueError(f"an epoch's cost must be a number >= 0, got {cost!r}")
        heapq.heappush(events, (now + cost, next(order), worker, error))

    def launch(worker: int, now: float) -> None:
        job = timed(method.ask)
        limit = max_epochs if job.epochs is None else min(job.epochs, max_epochs)
        running[worker] = _Running(job, result.jobs, start(job.params), limit)
        result.jobs += 1
        train_next_epoch(worker, now)

    for w in range(workers):
        launch(w, 0.0)
    while events:
        now, _, w, error = heapq.heappop(events)
        if now > budget:
            break
        run = running[w]
        run.epoch += 1
        result.reports.append(Report(now, w, run.index, run.epoch, error))
        timed(lambda run=run, error=error: run.job.report(run.epoch, error))
        if run.epoch >= run.limit:
            timed(lambda run=run, error=error: run.job.finish(error, False))
        elif timed(run.job.should_stop):
            result.stopped += 1
            timed(lambda run=run, error=error: run.job.finish(error, True))
        else:
            train_next_epoch(w, now)
            continue
        launch(w, now)
    return result


# ---- what a run achieved ------------------------------------------------------------------


def full_trainings(result: SimResult, max_epochs: int) -> list[tuple[float, float]]:
    """(time, error) of every job trained to ``max_epochs``, in time order."""
    return [(r.time, r.error) for r in result.reports if r.epoch == max_epochs]


Finals = Sequence[tuple[float, float]]  # (time, error) of full trainings, in time order


def time_to_target(finals: Finals, target: float) -> float:
    """The first simulated time a full training ended with error <= ``target`` (inf: never)."""
    return next((t for t, e in finals if e <= target), math.inf)


def best_at(finals: Finals, at: float) -> float:
    """The best error of the full trainings that ended by time ``at`` (inf: none)."""
    return min((e for t, e in finals if t <= at), default=math.inf)


def anytime(finals: Finals, grid: Sequence[float]) -> list[float]:
    """``best_at`` at every time of ``grid`` (ascending)."""
    out, best, i = [], math.inf, 0
    for g in grid:
        while i < len(finals) and finals[i][0] <= g:
            best = min(best, finals[i][1])
            i += 1
        out.append(best)
    return out


def median_iqr(xs: Iterable[float]) -> tuple[float, float, float]:
    """(25th percentile, median, 75th percentile), linear interpolation; inf counts as large."""
    s = sorted(xs)
    if not s:
        return math.nan, math.nan, math.nan

    def q(p: float) -> float:
        k = (len(s) - 1) * p
        lo, hi = math.floor(k), math.ceil(k)
        if lo == hi or s[lo] == s[hi]:
            return s[lo]
        return s[lo] + (s[hi] - s[lo]) * (k - lo)

    return q(0.25), q(0.5), q(0.75)
