"""``optimize(n_jobs=N)``: trials in N local worker processes sharing the study.

Each worker process runs its own ask / objective / tell loop on the same study:

- A SQL storage on a file or a server is opened again by every worker from its URL; the
  database hands out trial numbers, grid points and enqueued trials exactly once.
- Any other storage (in memory, ``sqlite://`` in memory, a custom one) stays in this process,
  which serves it to the workers through a ``ProxyStorage`` over their pipes.

The workers share the ``n_trials`` budget (the study gets exactly ``n_trials`` trials, not
``n_jobs * n_trials``) and the ``timeout`` (no trial starts after it). Callbacks, the
progress bar and the per-trial log lines run here in the parent, in the order trials finish,
with the parent's ``Study``; ``study.stop()`` in a callback lets every worker finish the trial
it is running, then stop. The objective, sampler and pruner go to the workers pickled.
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trimtab._logging import get_logger
from trimtab.exceptions import SearchSpaceExhausted, TrimtabError, UpdateFinishedTrialError
from trimtab.execution import ProcessPool, WorkerContext, WorkerExit, check_picklable
from trimtab.pruners import BasePruner
from trimtab.samplers import BaseSampler
from trimtab.storages import BaseStorage
from trimtab.storages._proxy import ProxyStorage
from trimtab.study._heartbeat import enqueue_retry
from trimtab.study._optimize import Gate, Progress, _run_trial, failure
from trimtab.study._trial import Trial
from trimtab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from trimtab.study._study import ObjectiveFunc, Study

_logger = get_logger(__name__)


@dataclass(frozen=True)
class _Job:
    """Everything a worker process needs (sent pickled)."""

    study_name: str
    storage_url: str | None  # None: use the parent's storage through the pipe
    func: ObjectiveFunc
    sampler: BaseSampler
    pruner: BasePruner
    catch: tuple[type[BaseException], ...]
    deadline: float | None  # time.time() after which no trial starts
    gc_after_trial: bool
    log_level: int
    gate: Gate | None = None
    checkpoint_root: Path | None = None  # the promotion form (study._resume)


def shared_url(storage: BaseStorage) -> str | None:
    """The URL worker processes open ``storage`` by, or None if they cannot (it lives in this
    process's memory)."""
    from trimtab.storages import SQLStorage  # SQLAlchemy is loaded if this is one anyway

    if type(storage) is not SQLStorage or storage._memory:
        return None
    return storage.url


def run_parallel(
    study: Study,
    func: ObjectiveFunc,
    n_trials: int | None,
    timeout: float | None,
    catch: tuple[type[BaseException], ...],
    gc_after_trial: bool,
    progress: Progress,
    n_workers: int,
    trial_timeout: float | None = None,
    gate: Gate | None = None,
    checkpoint_root: Path | None = None,
) -> None:
    try:
        for name, obj in (("func", func), ("sampler", study.sampler), ("pruner", study.pruner)):
            check_picklable(name, obj)
        check_picklable("catch", catch)
        check_picklable("gate", gate)
    except TypeError as exc:
        if n_workers > 1:
            raise
        raise TypeError(
            f"trial_timeout={trial_timeout!r} runs trials in a worker process, since a running "
            f"thread cannot be stopped safely; {exc}"
        ) from None
    if n_trials == 0:
        return
    url = shared_url(study.storage)
    job = _Job(
        study_name=study.study_name,
        storage_url=url,
        func=func,
        sampler=study.sampler,
        pruner=study.pruner,
        catch=catch,
        deadline=None if timeout is None else time.time() + timeout,
        gc_after_trial=gc_after_trial,
        log_level=logging.getLogger("trimtab").getEffectiveLevel(),
        gate=gate,
        checkpoint_root=checkpoint_root,
    )
    pool = ProcessPool(n_workers, budget=n_trials, preload=_preload())
    running: dict[int, tuple[int, int]] = {}  # worker -> (trial number, trial id)
    started: dict[int, float] = {}  # worker -> when its running trial started (monotonic)
    lost: list[str] = []

    def on_event(index: int, kind: str, payload: Any) -> None:
        if kind == "started":
            running[index] = payload
            started[index] = time.monotonic()
        elif kind == "finished":
            running.pop(index, None)
            progress.trial_done(payload)
            if study._stop_flag:
                pool.stop()

    def on_exit(ended: WorkerExit) -> None:
        # A worker that ends while running a trial has recorded it FAILED itself, unless it
        # was killed or crashed: then the trial is marked FAILED here.
        trial = running.pop(ended.index, None)
        if trial is None:
            return
        reason = f"worker process {ended.index} ended (exit code {ended.exitcode})"
        if _mark_failed(study.storage, trial[1], reason) and not ended.interrupted:
            lost.append(f"trial {trial[0]} ({reason})")
            if study._heartbeat is not None and study._heartbeat.retry_failed:
                retried = study.storage.get_trial(trial[1])
                enqueue_retry(study, retried, study._heartbeat.retry_failed)

    def on_tick() -> None:
        assert trial_timeout is not None
        now = time.monotonic()
        for index, (number, trial_id) in list(running.items()):
            if now - started[index] < trial_timeout:
                continue
            pool.replace(index)  # stops the trial, or whatever its worker does by now
            del running[index]
            stopped = _mark_timed_out(study.storage, trial_id, trial_timeout)
            if stopped is not None:
                _logger.warning(
                    "trial %d ran longer than trial_timeout=%g s: its worker process was "
                    "stopped and a new one started; the trial is marked FAILED",
                    number,
                    trial_timeout,
                )
                progress.trial_done(stopped)

    result = pool.run(
        _work,
        job,
        serve=study.storage if url is None else None,
        on_event=on_event,
        on_exit=on_exit,
        on_tick=None if trial_timeout is None else on_tick,
        tick=0.1 if trial_timeout is None else max(0.01, min(0.1, trial_timeout / 10)),
    )
    if result.interrupted:
        _logger.warning("interrupted: running trials marked FAILED; every other trial is kept")
        return
    errors = [e.error for e in result.exits if e.error is not None]
    if errors:
        raise errors[0]
    broken = [e for e in result.exits if not e.started]
    if broken:
        raise TrimtabError(
            f"{len(broken)} of {n_workers} worker processes failed to start (exit code "
            f"{broken[0].exitcode}; their error is printed above). In a script, call "
            'optimize(n_jobs=...) under `if __name__ == "__main__":`, since each worker '
            "process imports the script's module again"
        )
    if lost:
        _logger.warning(
            "worker processes were lost while running %s; those trials are marked FAILED",
            ", ".join(lost),
        )


def _preload() -> list[str]:
    """What the forkserver imports once for all worker processes (see ``ProcessPool``): it
    is started by the first call in a process and serves every later one, whatever its
    storage, so the SQL storage and both drivers come along (a driver that is not installed
    is skipped)."""
    return [
        __name__,
        "trimtab.samplers",
        "trimtab.pruners",
        "trimtab.storages._sql._storage",
        "sqlalchemy.dialects.sqlite.pysqlite",
        "sqlalchemy.dialects.postgresql.psycopg",
        "psycopg",
    ]


def _mark_failed(storage: BaseStorage, trial_id: int, reason: str) -> bool:
    """Mark a trial FAILED unless it has finished; whether it had to be marked."""
    try:
        storage.update_trial(
            trial_id,
            state=TrialState.FAILED,
            fail_reason={"type": "WorkerLost", "message": reason, "traceback": ""},
        )
    except UpdateFinishedTrialError:
        return False  # the worker recorded it itself
    return True


def _mark_timed_out(storage: BaseStorage, trial_id: int, seconds: float) -> FrozenTrial | None:
    """Mark a trial stopped for running too long FAILED, unless it has just finished."""
    try:
        return storage.update_trial(
            trial_id,
            state=TrialState.FAILED,
            fail_reason={
                "type": "TrialTimeout",
                "message": f"the trial ran longer than trial_timeout={seconds:g} s; its worker "
                "process was stopped",
                "traceback": "",
            },
        )
    except UpdateFinishedTrialError:
        return None


def _work(ctx: WorkerContext, job: _Job) -> None:
    """One worker process: ask, run the objective, tell, until the budget or time is spent."""
    from trimtab.storages import get_storage
    from trimtab.study._study import Study

    logging.getLogger("trimtab").setLevel(job.log_level)
    storage = get_storage(job.storage_url) if job.storage_url else ProxyStorage(ctx.call)
    study = Study(job.study_name, storage, job.sampler, job.pruner)
    trial: Trial | None = None
    try:
        while ctx.take():
            if job.deadline is not None and time.time() >= job.deadline:
                ctx.stop_all()
                break
            if job.gate is not None and not job.gate(study):
                ctx.stop_all()
                break
            try:
                trial = study.ask(checkpoint_root=job.checkpoint_root)
            except SearchSpaceExhausted as exc:
                _logger.info("worker %d stopping: %s", ctx.index, exc)
                break
            ctx.emit("started", (trial.number, trial._frozen.trial_id))
            frozen: FrozenTrial = _run_trial(study, job.func, trial, job.catch)
            trial = None
            ctx.emit("finished", frozen)
            if job.gc_after_trial:
                gc.collect()
    except KeyboardInterrupt as exc:
        if trial is not None and not trial._finished:
            study.tell(
                trial, state=TrialState.FAILED, fail_reason=failure(exc), skip_if_finished=True
            )
    finally:
        storage.remove_session()
