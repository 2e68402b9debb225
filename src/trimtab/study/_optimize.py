"""The ``optimize`` loop: ask, run the objective, tell, call back; until a stop condition."""

from __future__ import annotations

import gc
import os
import time
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from trimtab._logging import get_logger
from trimtab.exceptions import SearchSpaceExhausted, TrialPruned, UpdateFinishedTrialError
from trimtab.study._trial import Trial
from trimtab.trial import FrozenTrial, StudyDirection, TrialState

if TYPE_CHECKING:
    from trimtab.execution import Executor
    from trimtab.study._study import Callback, ObjectiveFunc, Study

_logger = get_logger(__name__)

Gate = Callable[["Study"], bool]


def failure(exc: BaseException) -> dict[str, str]:
    """What a FAILED trial records of the exception that ended it."""
    return {
        "type": type(exc).__qualname__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(exc)),
    }


def _check_args(
    func: Any, n_trials: Any, timeout: Any, catch: Any, callbacks: Any
) -> tuple[tuple[type[BaseException], ...], list[Callback]]:
    if not callable(func):
        raise TypeError(f"func={func!r} must be callable: def objective(trial) -> float")
    if n_trials is not None and (
        isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0
    ):
        raise ValueError(f"n_trials={n_trials!r} must be an integer >= 0, or None for no limit")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0
    ):
        raise ValueError(f"timeout={timeout!r} must be a number of seconds > 0, or None")
    if isinstance(catch, type):
        catch = (catch,)
    catch = tuple(catch)
    for c in catch:
        if not (isinstance(c, type) and issubclass(c, BaseException)):
            raise TypeError(f"catch entry {c!r} must be an exception class")
    cbs = list(callbacks or [])
    for cb in cbs:
        if not callable(cb):
            raise TypeError(f"callback {cb!r} must be callable as callback(study, frozen_trial)")
    return catch, cbs


class _Best:
    """The best value this loop has seen, for log lines (no storage read per trial)."""

    def __init__(self, study: Study) -> None:
        self.single = len(study.directions) == 1
        self.maximize = self.single and study.directions[0] == StudyDirection.MAXIMIZE
        self.number: int | None = None
        self.value = 0.0
        if self.single:
            try:
                best = study.best_trial
            except ValueError:
                return
            self.number, self.value = best.number, float(best.value or 0.0)

    def update(self, t: FrozenTrial) -> None:
        if not self.single or t.state != TrialState.COMPLETE or t.values is None:
            return
        v = t.values[0]
        if self.number is None or (v > self.value if self.maximize else v < self.value):
            self.number, self.value = t.number, v


class Progress:
    """What happens after each trial of an ``optimize`` call: the progress bar or a log line,
    the user's callbacks, garbage collection."""

    def __init__(
        self,
        study: Study,
        n_trials: int | None,
        callbacks: list[Callback],
        gc_after_trial: bool,
        show_progress_bar: bool,
    ) -> None:
        self.study = study
        self.best = _Best(study)
        self.callbacks = callbacks
        self.gc_after_trial = gc_after_trial
        self.bar = None
        if show_progress_bar:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=n_trials if n_trials is not None else None,
                desc="trials",
                unit="trial",
                dynamic_ncols=True,
            )

    def trial_done(self, frozen: FrozenTrial) -> None:
        self.best.update(frozen)
        if self.bar is not None:
            self.bar.update(1)
            if self.best.number is not None:
                self.bar.set_postfix(best=f"{self.best.value:.6g}", trial=self.best.number)
        else:
            _log_trial(frozen, self.best)
        for cb in self.callbacks:
            cb(self.study, frozen)
        if self.gc_after_trial:
            gc.collect()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_optimize(
    study: Study,
    func: ObjectiveFunc,
    n_trials: int | None,
    timeout: float | None,
    catch: Iterable[type[Exception]] | type[Exception],
    callbacks: Iterable[Callback] | None,
    gc_after_trial: bool,
    show_progress_bar: bool,
    n_jobs: int = 1,
    trial_timeout: float | None = None,
    gate: Gate | None = None,
    checkpoint_root: str | os.PathLike[str] | None = None,
    executor: Executor | None = None,
) -> None:
    """``Study.optimize``. ``gate(study)``, if given, is asked before each new trial (in
    whichever process runs it) and stops the loop when it says False."""
    from trimtab.execution import resolve_n_jobs
    from trimtab.study._resume import check_root

    catch_types, cbs = _check_args(func, n_trials, timeout, catch, callbacks)
    if trial_timeout is not None and (
        isinstance(trial_timeout, bool)
        or not isinstance(trial_timeout, int | float)
        or not trial_timeout > 0
    ):
        raise ValueError(
            f"trial_timeout={trial_timeout!r} must be a number of seconds > 0 (how long one "
            "trial may run), or None for no limit"
        )
    root = None if checkpoint_root is None else check_root(study, checkpoint_root)
    n_workers = resolve_n_jobs(n_jobs)
    study._stop_flag = False
    if executor is not None:
        _check_executor(executor, n_jobs, trial_timeout, checkpoint_root)
        from trimtab.study._distributed import run_on_executor

        progress = Progress(study, n_trials, cbs, False, show_progress_bar)
        try:
            run_on_executor(
                study,
                func,
                n_trials,
                timeout,
                catch_types,
                gc_after_trial,
                progress,
                executor,
                gate,
            )
        finally:
            progress.close()
        return
    if n_workers > 1 or trial_timeout is not None:
        from trimtab.study._parallel import run_parallel

        progress = Progress(study, n_trials, cbs, False, show_progress_bar)
        try:
            run_parallel(
                study,
                func,
                n_trials,
                timeout,
                catch_types,
                gc_after_trial,
                progress,
                n_workers,
                trial_timeout,
                gate,
                root,
            )
        finally:
            progress.close()
        return
    start = time.monotonic()
    progress = Progress(study, n_trials, cbs, gc_after_trial, show_progress_bar)
    done = 0
    trial: Trial | None = None
    try:
        while not study._stop_flag:
            if n_trials is not None and done >= n_trials:
                break
            if timeout is not None and time.monotonic() - start >= timeout:
                break
            if gate is not None and not gate(study):
                break
            try:
                trial = study.ask(checkpoint_root=root)
            except SearchSpaceExhausted as exc:
                _logger.info("stopping: %s", exc)
                break
            frozen = _run_trial(study, func, trial, catch_types)
            trial = None  # told: nothing left to mark if an interruption comes now
            done += 1
            progress.trial_done(frozen)
    except KeyboardInterrupt as exc:
        # Ctrl-C ends optimize cleanly: the running trial is recorded FAILED, nothing else
        # changes, and the call returns.
        if trial is not None and not trial._finished:
            study.tell(
                trial, state=TrialState.FAILED, fail_reason=failure(exc), skip_if_finished=True
            )
            _logger.warning(
                "interrupted: trial %d marked FAILED; every other trial is kept", trial.number
            )
        else:
            _logger.warning("interrupted; every trial is kept in the study")
    finally:
        progress.close()


def _check_executor(executor: Any, n_jobs: Any, trial_timeout: Any, checkpoint_root: Any) -> None:
    from trimtab.execution import Executor

    if not isinstance(executor, Executor):
        raise TypeError(
            f"executor={executor!r} must be a trimtab.execution.RayExecutor or DaskExecutor "
            "(an Executor)"
        )
    if n_jobs != 1:
        raise ValueError(
            f"n_jobs={n_jobs!r} cannot be combined with executor={executor!r}: the executor "
            "decides how many trials run at once (its n_workers=, else the cluster's size)"
        )
    if trial_timeout is not None:
        raise ValueError(
            f"trial_timeout={trial_timeout!r} is not supported with executor={executor!r} yet; "
            "use n_jobs for trials that must be stopped after a time"
        )
    if checkpoint_root is not None:
        raise ValueError(
            f"checkpoint_root={str(checkpoint_root)!r} (the promotion form) is not supported "
            f"with executor={executor!r} yet; use n_jobs, or trimtab worker processes"
        )


TAKEN_OVER = ("WorkerLost", "TrialTimeout")
"""``fail_reason`` types with which another process ends a trial it judged lost or too long."""


def _tell(study: Study, trial: Trial, *args: Any, **kwargs: Any) -> FrozenTrial:
    """``study.tell``; if another worker has meanwhile failed the trial (no heartbeat seen in
    time), the stored record, with a warning, instead of an error."""
    try:
        return study.tell(trial, *args, **kwargs)
    except UpdateFinishedTrialError:
        stored = study.storage.get_trial(trial._trial_id)
        reason = stored.fail_reason or {}
        if stored.state != TrialState.FAILED or reason.get("type") not in TAKEN_OVER:
            raise
        _logger.warning(
            "trial %d was marked FAILED meanwhile (%s); its result is not recorded",
            trial.number,
            reason.get("message"),
        )
        return stored


def _run_trial(
    study: Study, func: ObjectiveFunc, trial: Trial, catch: tuple[type[BaseException], ...]
) -> FrozenTrial:
    try:
        result = func(trial)
    except TrialPruned:
        return _tell(study, trial, state=TrialState.PRUNED)
    except KeyboardInterrupt:
        raise  # handled by the loop
    except BaseException as exc:
        frozen = _tell(study, trial, state=TrialState.FAILED, fail_reason=failure(exc))
        if not isinstance(exc, catch):
            raise
        if frozen.fail_reason is not None and frozen.fail_reason.get("type") in TAKEN_OVER:
            return frozen  # already warned
        _logger.warning("trial %d failed with %s: %s", trial.number, type(exc).__name__, exc)
        return frozen
    return _tell(study, trial, result)


def _log_trial(t: FrozenTrial, best: _Best) -> None:
    if not _logger.isEnabledFor(20):  # logging.INFO
        return
    if t.state == TrialState.COMPLETE:
        shown = t.values[0] if t.values is not None and len(t.values) == 1 else t.values
        tail = (
            f"; best is trial {best.number} with value {best.value!r}"
            if best.number is not None
            else ""
        )
        _logger.info(
            "trial %d finished with value %r and parameters %r%s",
            t.number,
            shown,
            dict(t.params),
            tail,
        )
    elif t.state == TrialState.PRUNED:
        _logger.info("trial %d pruned at step %s", t.number, t.last_step)
    elif t.state == TrialState.PAUSED:
        _logger.info("trial %d paused at step %s", t.number, t.last_step)
