"""``optimize(executor=RayExecutor(...) | DaskExecutor(...))``: trials as tasks on a cluster.

Where each step happens:

- **Ask in the driver** (this process). ``study.ask()`` runs here, one trial at a time, so the
  sampler sees every trial already handed out: each running trial's joint proposal is stored
  as the system attribute ``proposal`` before the next ask (TPE's constant liar and the GP's
  fantasies read it), and grid points and enqueued trials are handed out exactly once.
- **The objective runs in a task**, with a live ``Trial`` built from the asked record and its
  proposal (no second proposal). Its writes (parameters suggested outside the joint
  proposal, ``report``, ``should_prune``, attributes) and the final **tell** go to the study's
  storage from the task: a SQL storage on a file or server is opened there by its URL (for a
  cluster of several machines that is PostgreSQL, or SQLite on a shared disk); any other
  storage (in memory) stays in the driver, which serves it to the tasks over TCP
  (``ObjectServer``; the workers must reach ``executor.driver_host()``).
- **Callbacks, the progress bar and log lines run in the driver**, as trials end.

As many tasks run at once as the executor's ``capacity()``; ``n_trials`` is the number of
trials asked (exactly), ``timeout`` stops asking, ``catch`` is applied in the task as in one
process, and an exception outside ``catch`` lets running trials finish, then is raised here.
A task the cluster lost (its worker died) marks its trial FAILED with reason ``WorkerLost``
(retried with ``retry_failed``) and the study goes on; a lost task the cluster runs again is
recognised by a claim on the trial and does not run the objective twice.
"""

from __future__ import annotations

import gc
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trimtab._logging import get_logger
from trimtab.distributions import BaseDistribution
from trimtab.exceptions import SearchSpaceExhausted
from trimtab.execution import Executor, ObjectServer, RemoteError, TaskLost, remote_caller
from trimtab.execution._worker import _portable
from trimtab.pruners import BasePruner
from trimtab.samplers import BaseSampler
from trimtab.storages import BaseStorage
from trimtab.storages._proxy import ProxyStorage
from trimtab.study._heartbeat import HeartbeatThread, enqueue_retry
from trimtab.study._optimize import Gate, Progress, _run_trial, failure
from trimtab.study._parallel import _mark_failed, shared_url
from trimtab.study._trial import Trial
from trimtab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from trimtab.study._study import ObjectiveFunc, Study

_logger = get_logger(__name__)

RUN_CLAIM = "executor:run:"
"""Claimed by the task that runs a trial (``RUN_CLAIM + trial_id``), when the cluster may run
a lost task again."""


@dataclass(frozen=True)
class _Job:
    """What every task of one ``optimize`` call shares."""

    token: str
    study_name: str
    storage_url: str | None
    server: tuple[tuple[str, int], bytes] | None  # the driver's ObjectServer, if no URL
    func: ObjectiveFunc
    sampler: BaseSampler
    pruner: BasePruner
    catch: tuple[type[BaseException], ...]
    gc_after_trial: bool
    log_level: int
    run_once: bool


@dataclass(frozen=True)
class _Task:
    """One trial, as asked in the driver."""

    frozen: FrozenTrial
    space: dict[str, BaseDistribution]
    proposal: dict[str, Any]


# ---- in the task ------------------------------------------------------------------------

_STUDIES: dict[str, Study] = {}  # by job token: one per optimize call and worker process
_STUDIES_LOCK = threading.Lock()


def _study_for(job: _Job) -> Study:
    from trimtab.storages import get_storage
    from trimtab.study._study import Study

    with _STUDIES_LOCK:
        study = _STUDIES.get(job.token)
        if study is None:
            storage: BaseStorage
            if job.storage_url is not None:
                storage = get_storage(job.storage_url)
            else:
                assert job.server is not None
                storage = ProxyStorage(remote_caller(*job.server))
            if len(_STUDIES) >= 8:  # studies of earlier optimize calls
                _STUDIES.clear()
            study = _STUDIES[job.token] = Study(job.study_name, storage, job.sampler, job.pruner)
        return study


def run_task(job: _Job, task: _Task) -> tuple[str, Any]:
    """Run one trial's objective and tell its result. Returns ``("done", record)``,
    ``("raised", (exception, traceback text))`` for an exception outside ``catch`` (the trial
    is recorded FAILED first), or ``("rerun", None)`` if this trial was already started."""
    logging.getLogger("trimtab").setLevel(job.log_level)
    study = _study_for(job)
    frozen = task.frozen
    if job.run_once and not study.storage.claim(study._study_id, f"{RUN_CLAIM}{frozen.trial_id}"):
        return ("rerun", None)
    beat = study._heartbeat
    heartbeat = (
        None
        if beat is None
        else HeartbeatThread(study.storage, frozen.trial_id, frozen.number, beat.interval)
    )
    trial = Trial(study, frozen, heartbeat, proposal=(task.space, task.proposal))
    try:
        return ("done", _run_trial(study, job.func, trial, job.catch))
    except BaseException as exc:
        if not trial._finished:  # KeyboardInterrupt: not told yet
            study.tell(
                trial, state=TrialState.FAILED, fail_reason=failure(exc), skip_if_finished=True
            )
        return ("raised", _portable(exc))
    finally:
        if heartbeat is not None:
            heartbeat.stop()
        if job.gc_after_trial:
            gc.collect()


# ---- in the driver ----------------------------------------------------------------------


def run_on_executor(
    study: Study,
    func: ObjectiveFunc,
    n_trials: int | None,
    timeout: float | None,
    catch: tuple[type[BaseException], ...],
    gc_after_trial: bool,
    progress: Progress,
    executor: Executor,
    gate: Gate | None = None,
) -> None:
    if n_trials == 0:
        return
    executor.start()
    slots = executor.capacity()
    url = shared_url(study.storage)
    server = None if url is not None else ObjectServer(study.storage, executor.driver_host())
    job = _Job(
        token=secrets.token_hex(8),
        study_name=study.study_name,
        storage_url=url,
        server=None if server is None else (server.address, server.authkey),
        func=func,
        sampler=study.sampler,
        pruner=study.pruner,
        catch=catch,
        gc_after_trial=gc_after_trial,
        log_level=logging.getLogger("trimtab").getEffectiveLevel(),
        run_once=executor.retries_lost_tasks,
    )
    deadline = None if timeout is None else time.monotonic() + timeout
    running: dict[Any, Trial] = {}
    asked = 0
    stopping = False
    error: BaseException | None = None
    lost: list[str] = []
    try:
        while True:
            while not stopping and len(running) < slots:
                if (
                    (n_trials is not None and asked >= n_trials)
                    or (deadline is not None and time.monotonic() >= deadline)
                    or (gate is not None and not gate(study))
                ):
                    stopping = True
                    break
                try:
                    trial = study.ask()
                except SearchSpaceExhausted as exc:
                    _logger.info("stopping: %s", exc)
                    stopping = True
                    break
                trial.flush()  # attributes the sampler set when the trial began
                task = _Task(trial._make_snapshot(), trial._relative_space, trial._relative)
                running[executor.submit(run_task, job, task)] = trial
                asked += 1
            if not running:
                break
            for handle in executor.wait(list(running), 1.0):
                trial = running.pop(handle)
                frozen, raised = _ended(study, executor, handle, trial, lost)
                if raised is not None and error is None:
                    error, stopping = raised, True
                progress.trial_done(frozen)
                if study._stop_flag:
                    stopping = True
    except KeyboardInterrupt as exc:
        for handle, trial in running.items():
            executor.cancel(handle)
            study.tell(
                trial, state=TrialState.FAILED, fail_reason=failure(exc), skip_if_finished=True
            )
        _logger.warning("interrupted: running trials marked FAILED; every other trial is kept")
        return
    finally:
        if server is not None:
            server.close()
    if lost:
        _logger.warning(
            "the cluster lost the tasks running %s; those trials are marked FAILED",
            ", ".join(lost),
        )
    if error is not None:
        raise error


def _ended(
    study: Study, executor: Executor, handle: Any, trial: Trial, lost: list[str]
) -> tuple[FrozenTrial, BaseException | None]:
    """The record of a trial whose task ended, and the exception to raise, if any."""
    if trial._heartbeat is not None:
        trial._heartbeat.stop()  # the driver beat for it while the task was queued and ran
    storage = study.storage
    try:
        kind, payload = executor.result(handle)
    except TaskLost as exc:
        kind, payload = "lost", f"the cluster lost the task running it ({exc})"
    except Exception as exc:  # the task could not run (e.g. the objective did not unpickle)
        study.tell(trial, state=TrialState.FAILED, fail_reason=failure(exc), skip_if_finished=True)
        return storage.get_trial(trial._trial_id), exc
    if kind == "done":
        done: FrozenTrial = payload
        return done, None
    if kind == "raised":
        raised, text = payload
        raised.__cause__ = RemoteError(f"\n\n(in the task running trial {trial.number})\n{text}")
        return storage.get_trial(trial._trial_id), raised
    if kind == "rerun":
        payload = "its worker died and the cluster started the task again"
    if _mark_failed(storage, trial._trial_id, payload):
        lost.append(f"trial {trial.number}")
        if study._heartbeat is not None and study._heartbeat.retry_failed:
            enqueue_retry(study, storage.get_trial(trial._trial_id), study._heartbeat.retry_failed)
    return storage.get_trial(trial._trial_id), None
