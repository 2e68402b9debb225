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

As many tasks run at once as the executor's ``capacity()``, and ``lookahead()`` more are
kept submitted (the executor's ``prefetch``), queued on the cluster, so that a worker that
finishes a trial starts the next one at once, without a round trip through this driver. A
queued trial has been asked: it is RUNNING in storage (the driver beats for it; samplers see
it as pending), and its task's first act is to claim its run (``run_key``), which also
stamps its ``datetime_start`` again, so its times are those of its run. When the call stops
early (``timeout``, ``study.stop()``, an exception, Ctrl-C), the driver claims the queued
tasks' trials itself: a task that has not started by then never will, and its trial goes
back to WAITING (proposal dropped; an enqueued trial's or grid point's parameters kept), to
be handed out by the next ``ask``. ``n_trials`` is the number of trials asked (exactly), and
no trial starts after ``timeout``. ``catch`` is applied in the task as in one process, and an
exception outside ``catch`` lets running trials finish, then is raised here. A task the
cluster lost (its worker died) marks its trial FAILED with reason ``WorkerLost`` (retried with
``retry_failed``) and the study goes on; a lost task the cluster runs again finds the claim
taken and does not run the objective twice.
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
from trimtab.trial._frozen import PROPOSAL_ATTR

if TYPE_CHECKING:
    from trimtab.study._study import ObjectiveFunc, Study

_logger = get_logger(__name__)

RUN_CLAIM = "executor:run:"
"""Prefix of the claim a task takes before it runs its trial (see ``run_key``)."""


def run_key(token: str, trial_id: int) -> str:
    """The claim on running ``trial_id`` in the optimize call ``token``: taken by the task
    that runs it, or by the driver that gives the trial back unstarted. A second run of the
    same task (a cluster that retries lost tasks) finds it taken; a given-back trial handed
    out again by a later call gets a new key."""
    return f"{RUN_CLAIM}{token}:{trial_id}"


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
    if job.run_once and not study.storage.claim_start(
        study._study_id, run_key(job.token, frozen.trial_id), frozen.trial_id
    ):
        return ("rerun", None)  # run before, or given back by the driver: not ours
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
    ahead = executor.lookahead()
    slots = executor.capacity() + ahead
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
        run_once=executor.retries_lost_tasks or ahead > 0,
    )
    deadline = None if timeout is None else time.monotonic() + timeout
    running: dict[Any, Trial] = {}
    given_back: set[Any] = set()  # queued tasks whose trials went back to WAITING
    asked = 0
    stopping = halted = gave_back = False
    error: BaseException | None = None
    lost: list[str] = []
    try:
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                stopping = halted = True  # no trial starts after the timeout
            while not stopping and len(running) < slots:
                if (n_trials is not None and asked >= n_trials) or (
                    gate is not None and not gate(study)
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
            if halted and not gave_back and job.run_once:
                _give_back(study, job.token, running, given_back)
                gave_back = True
            if not running:
                break
            wait = 1.0 if deadline is None else min(1.0, max(0.0, deadline - time.monotonic()))
            for handle in executor.wait(list(running), wait):
                trial = running.pop(handle)
                if handle in given_back:
                    given_back.discard(handle)
                    _release(executor, handle)
                    continue
                frozen, raised = _ended(study, executor, handle, trial, lost)
                if raised is not None and error is None:
                    error, stopping, halted = raised, True, True
                progress.trial_done(frozen)
                if study._stop_flag:
                    stopping = halted = True
    except KeyboardInterrupt as exc:
        if job.run_once and not gave_back:
            _give_back(study, job.token, running, given_back)
        for handle, trial in running.items():
            executor.cancel(handle)
            if handle not in given_back:
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


def _give_back(study: Study, token: str, running: dict[Any, Trial], given_back: set[Any]) -> None:
    """Put the trials of queued tasks (asked ahead, not started) back to WAITING.

    The driver claims each task's run claim: where it gets the claim first, the task has not
    started and never will (it finds the claim taken and returns); its trial becomes WAITING
    again, with no proposal, so the next ``ask`` anywhere hands it out (an enqueued trial's
    or a grid point's parameters are kept). Where the task got the claim, it runs to its end.
    """
    storage = study.storage
    for handle, trial in running.items():
        if handle in given_back:
            continue
        if not storage.claim(study._study_id, run_key(token, trial._trial_id)):
            continue  # started
        given_back.add(handle)
        if trial._heartbeat is not None:
            trial._heartbeat.stop()
        storage.update_trial(
            trial._trial_id, state=TrialState.WAITING, system_attrs={PROPOSAL_ATTR: {}}
        )


def _release(executor: Executor, handle: Any) -> None:
    """Collect a given-back task's outcome (it returned without running, or was lost)."""
    try:
        executor.result(handle)
    except Exception:
        return


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
