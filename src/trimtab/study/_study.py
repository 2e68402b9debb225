"""``Study``: a named optimisation kept in a storage, driven by ask/tell or ``optimize``."""

from __future__ import annotations

import datetime
import os
import traceback
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from trimtab._logging import get_logger
from trimtab.exceptions import TrimtabError, UpdateFinishedTrialError
from trimtab.pruners import BasePruner, NopPruner
from trimtab.samplers import AutoSampler, BaseSampler
from trimtab.storages import BaseStorage
from trimtab.storages._base import ClaimTaken, check_json
from trimtab.study._adding import check_addable, enqueue
from trimtab.study._heartbeat import HeartbeatThread, reap_stale_trials, settings_from_attrs
from trimtab.study._optimize import run_optimize
from trimtab.study._resume import attach, check_root, pause, resume_promoted
from trimtab.study._trial import Trial
from trimtab.study._values import check_values
from trimtab.trial import FrozenTrial, StudyDirection, TrialState
from trimtab.trial._best import best_single, pareto_front

if TYPE_CHECKING:
    import pandas as pd

    from trimtab.execution import Executor

_logger = get_logger(__name__)

ObjectiveFunc = Callable[[Trial], Any]
Callback = Callable[["Study", FrozenTrial], None]


class Study:
    """A study: its trials live in ``storage``; ``sampler`` proposes, ``pruner`` stops early.

    Build one with ``trimtab.create_study`` or ``trimtab.load_study``.
    """

    def __init__(
        self,
        study_name: str,
        storage: BaseStorage,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
    ) -> None:
        self.study_name = study_name
        self._storage = storage
        self._study_id = storage.get_study_id_from_name(study_name)
        self._directions = storage.get_study_directions(self._study_id)
        self._heartbeat = settings_from_attrs(storage.get_study_system_attrs(self._study_id))
        self._next_sweep = 0.0  # monotonic time of the next sweep for missing retries
        self.sampler: BaseSampler = sampler if sampler is not None else AutoSampler()
        self.pruner: BasePruner = pruner if pruner is not None else NopPruner()
        self._stop_flag = False

    # ---- what the study knows ------------------------------------------------------------

    @property
    def storage(self) -> BaseStorage:
        return self._storage

    @property
    def directions(self) -> list[StudyDirection]:
        return list(self._directions)

    @property
    def direction(self) -> StudyDirection:
        if len(self._directions) > 1:
            raise TrimtabError(
                f"study {self.study_name!r} has {len(self._directions)} objectives; use "
                "study.directions"
            )
        return self._directions[0]

    @property
    def trials(self) -> list[FrozenTrial]:
        """Every trial, in number order."""
        return self.get_trials()

    def get_trials(self, states: Container[TrialState] | None = None) -> list[FrozenTrial]:
        """Trials in number order, optionally only those whose state is in ``states``."""
        return self._storage.get_all_trials(self._study_id, states)

    @property
    def best_trial(self) -> FrozenTrial:
        """The COMPLETE trial with the best value (single-objective studies)."""
        best = best_single(self.get_trials((TrialState.COMPLETE,)), self.direction)
        if best is None:
            raise ValueError(
                f"study {self.study_name!r} has no COMPLETE trial yet, so no best trial"
            )
        return best

    @property
    def best_value(self) -> float:
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front: COMPLETE trials no other COMPLETE trial dominates."""
        return pareto_front(self.get_trials((TrialState.COMPLETE,)), self._directions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_user_attrs(self._study_id)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_system_attrs(self._study_id)

    def set_user_attr(self, key: str, value: Any) -> None:
        self._storage.set_study_user_attr(self._study_id, key, value)

    def set_system_attr(self, key: str, value: Any) -> None:
        self._storage.set_study_system_attr(self._study_id, key, value)

    # ---- ask / tell ----------------------------------------------------------------------

    def ask(
        self,
        fixed_distributions: Mapping[str, Any] | None = None,
        *,
        checkpoint_root: str | os.PathLike[str] | None = None,
    ) -> Trial:
        """Start a trial: an enqueued one if any is waiting, else a new one.

        ``fixed_distributions`` (name -> distribution) are suggested right away, so the
        trial's ``params`` hold them. Raises ``SearchSpaceExhausted`` when the sampler has
        nothing left to propose (e.g. a finished grid).

        In a study with heartbeats (``create_study(heartbeat_interval=...)``), asking first
        fails the trials whose workers went silent (and enqueues their retries), and the
        returned trial beats from a background thread of this process until it is told.

        With ``checkpoint_root`` (the promotion form, see ``optimize``), a PAUSED trial that
        the pruner promotes comes first, and the trial has ``budget`` and ``checkpoint_dir``.
        """
        beat = self._heartbeat
        if beat is not None:
            reap_stale_trials(self, beat)
        root = None
        if checkpoint_root is not None:
            root = check_root(self, checkpoint_root)
            resumed = resume_promoted(self, root, beat, fixed_distributions)
            if resumed is not None:
                return resumed
        frozen = self._storage.pop_waiting_trial(self._study_id)
        conflict = False
        while frozen is None:
            reservation = self.sampler.reserve(self, conflict=conflict)
            template = None
            if reservation is not None and reservation.system_attrs:
                template = FrozenTrial(
                    number=-1,
                    state=TrialState.RUNNING,
                    system_attrs=reservation.system_attrs,
                    datetime_start=datetime.datetime.now(datetime.timezone.utc),
                )
            claim = reservation.claim if reservation is not None else None
            try:
                frozen = self._storage.create_new_trial(self._study_id, template, claim=claim)
            except ClaimTaken:
                conflict = True
        heartbeat = None
        if beat is not None:
            heartbeat = HeartbeatThread(
                self._storage, frozen.trial_id, frozen.number, beat.interval
            )
        try:
            attrs = self.sampler.before_trial(self, frozen)
            if attrs:
                frozen = frozen.replace(system_attrs={**frozen.system_attrs, **attrs})
            trial = Trial(self, frozen, heartbeat)
        except BaseException:
            if heartbeat is not None:
                heartbeat.stop()
            raise
        for key, value in (attrs or {}).items():
            trial.set_system_attr(key, value)  # written with the trial's next flush
        if root is not None:
            attach(trial, root)
        for name, dist in (fixed_distributions or {}).items():
            trial.suggest(name, dist)
        return trial

    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | None = None,
        state: TrialState | None = None,
        skip_if_finished: bool = False,
        *,
        fail_reason: Mapping[str, str] | None = None,
    ) -> FrozenTrial:
        """End a trial with its value(s), or with ``state`` PRUNED or FAILED.

        A run with a budget below the pruner's ``max_resource`` (``trial.budget``, see
        ``optimize``'s ``checkpoint_root``) told its value without ``state`` is paused
        instead: PAUSED, waiting for a promotion. A PAUSED trial told by number with
        ``state=TrialState.PRUNED`` is closed with its last report as value.

        Values that are not finite numbers, or not one per objective, end the trial FAILED
        with the reason stored (and a warning). Returns the stored record.
        """
        live = trial if isinstance(trial, Trial) else None
        frozen = self._resolve(trial)
        if live is not None and live._finished:
            frozen = self._storage.get_trial(frozen.trial_id)
        if frozen.state.is_finished():
            if skip_if_finished:
                return frozen
            raise UpdateFinishedTrialError(
                f"trial {frozen.number} is already {frozen.state.name}; it cannot be told "
                "again (pass skip_if_finished=True to ignore)"
            )
        if state is None and live is not None and live._below_max_budget():
            return pause(self, live, values)
        if state is None:
            state = TrialState.COMPLETE
        if not isinstance(state, TrialState) or not state.is_finished():
            raise ValueError(
                f"state={state!r} cannot end a trial; allowed: TrialState.COMPLETE, "
                "TrialState.PRUNED, TrialState.FAILED"
            )
        final_values: list[float] | None = None
        reason = dict(fail_reason) if fail_reason is not None else None
        if state == TrialState.COMPLETE:
            final_values, problem = check_values(values, len(self._directions))
            if problem is not None:
                state = TrialState.FAILED
                reason = {"type": "InvalidObjectiveValue", "message": problem, "traceback": ""}
                _logger.warning("trial %d failed: %s", frozen.number, problem)
        elif state == TrialState.PRUNED and len(self._directions) == 1:
            iv = live._intermediate if live is not None else frozen.intermediate_values
            if iv:
                final_values = [iv[max(iv)]]
        elif state == TrialState.FAILED and reason is None:
            reason = {"type": "Failed", "message": "told FAILED", "traceback": ""}
        extra: Mapping[str, Any] | None = None
        error: Exception | None = None
        if type(self.sampler).after_trial is not BaseSampler.after_trial:
            record = live._make_snapshot() if live is not None else frozen
            try:
                extra = self.sampler.after_trial(self, record, state, final_values)
                for key, value in (extra or {}).items():
                    check_json("system attribute", key, value)
            except Exception as exc:  # stored FAILED below, then raised
                error, extra = exc, None
                state, final_values = TrialState.FAILED, None
                reason = {
                    "type": type(exc).__name__,
                    "message": f"sampler.after_trial: {exc}",
                    "traceback": traceback.format_exc(),
                }
        final: dict[str, Any] = {"state": state, "values": final_values, "fail_reason": reason}
        try:
            if live is not None:
                for key, value in (extra or {}).items():
                    live.set_system_attr(key, value)  # written with the final state
                stored = live._finish(**final)
            else:
                if extra:
                    final["system_attrs"] = dict(extra)
                stored = self._storage.update_trial(frozen.trial_id, **final)
        except UpdateFinishedTrialError:
            if skip_if_finished:  # finished meanwhile (another process, or an interruption)
                return self._storage.get_trial(frozen.trial_id)
            raise
        if error is not None:
            raise error
        return stored

    def _resolve(self, trial: Trial | int) -> FrozenTrial:
        if isinstance(trial, Trial):
            if trial.study.study_name != self.study_name:
                raise ValueError(
                    f"trial {trial.number} belongs to study {trial.study.study_name!r}, "
                    f"not {self.study_name!r}"
                )
            return trial._frozen
        if isinstance(trial, bool) or not isinstance(trial, int):
            raise TypeError(f"trial={trial!r} must be a Trial or a trial number (int)")
        for t in self.get_trials():
            if t.number == trial:
                return t
        raise ValueError(f"trial number {trial} does not exist in study {self.study_name!r}")

    # ---- adding trials -------------------------------------------------------------------

    def enqueue_trial(
        self,
        params: Mapping[str, Any],
        user_attrs: Mapping[str, Any] | None = None,
        skip_if_exists: bool = False,
    ) -> None:
        """Queue a trial with these parameter values; the next ``ask`` takes it first.

        Parameters the objective suggests that are not listed here come from the sampler.
        """
        enqueue(self, params, user_attrs, skip_if_exists)

    def add_trial(self, trial: FrozenTrial) -> None:
        """Add a finished trial from elsewhere (e.g. an earlier study), after checking it."""
        check_addable(trial, len(self._directions))
        self._storage.create_new_trial(self._study_id, trial)

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        for t in trials:
            self.add_trial(t)

    # ---- running -------------------------------------------------------------------------

    def optimize(
        self,
        func: ObjectiveFunc,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (Exception,),
        callbacks: Iterable[Callback] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
        trial_timeout: float | None = None,
        *,
        checkpoint_root: str | os.PathLike[str] | None = None,
        executor: Executor | None = None,
    ) -> None:
        """Run ``func`` on new trials until ``n_trials`` ran, ``timeout`` seconds passed,
        the sampler ran out of points, or ``study.stop()`` was called.

        An exception in ``func`` whose type is in ``catch`` (by default every ``Exception``)
        ends the trial FAILED with the reason stored, and the study goes on; any other
        exception ends the trial FAILED and is raised. ``KeyboardInterrupt`` ends the trial
        FAILED and returns.

        ``n_jobs=N`` runs trials in N worker processes (``-1``: one per CPU core) that share
        ``n_trials`` and ``timeout``; ``func``, the sampler and the pruner must pickle (define
        the objective with ``def`` at a module's top level). Callbacks run in this process as
        trials finish. An exception outside ``catch`` stops every worker after its running
        trial and is raised here; Ctrl-C marks the running trials FAILED and returns.

        ``trial_timeout``: seconds one trial may run. A trial still running then is stopped
        by killing its worker process (a new one takes its place) and is marked FAILED with
        reason type ``TrialTimeout``. A running thread cannot be stopped safely, so with
        ``trial_timeout`` trials always run in worker processes, also with ``n_jobs=1`` (one
        worker process): ``func``, the sampler and the pruner must then pickle, as above.

        ``checkpoint_root`` (a directory, one per study) turns on the promotion form of the
        pruner's successive halving (``SuccessiveHalvingPruner`` or ``HyperbandPruner`` with
        an integer ``max_resource``): each run of ``func`` gets ``trial.budget`` (train up to
        that step, report, save to ``trial.checkpoint_dir``, return the value) and a trial
        below ``max_resource`` is PAUSED, to be promoted, i.e. run again with the next
        budget, resuming from its checkpoint. ``n_trials`` then counts runs of ``func``
        (a promotion is a run). See ``trimtab.study._resume`` for the whole contract.

        ``executor=trimtab.execution.RayExecutor(...)`` or ``DaskExecutor(...)`` runs the
        objectives as tasks on that cluster; trials are asked here, so the sampler sees every
        running trial (``trimtab.study._distributed``). Besides the running trials, the
        executor's ``prefetch`` more (default: as many) are asked and queued on the cluster,
        so a worker starts its next trial without waiting for this process: such a trial is
        RUNNING from its ask, and its ``datetime_start`` is stamped again when its task
        starts. Queued trials not started when the call stops early (``timeout``,
        ``study.stop()``, an exception, Ctrl-C) go back to WAITING and are handed out by the
        next ``ask``. Not with ``n_jobs``, ``trial_timeout`` or ``checkpoint_root``.
        """
        run_optimize(
            self,
            func,
            n_trials,
            timeout,
            catch,
            callbacks,
            gc_after_trial,
            show_progress_bar,
            n_jobs,
            trial_timeout,
            checkpoint_root=checkpoint_root,
            executor=executor,
        )

    def stop(self) -> None:
        """Ask ``optimize`` to stop after the running trial (e.g. from a callback)."""
        self._stop_flag = True

    def trials_dataframe(
        self, attrs: Sequence[str] | None = None, multi_index: bool = False
    ) -> pd.DataFrame:
        """One row per trial: number, state, value(s), params_*, user_attrs_*, times..."""
        from trimtab.study._dataframe import trials_dataframe

        return trials_dataframe(self, attrs, multi_index)

    def __repr__(self) -> str:
        return f"Study(study_name={self.study_name!r}, directions={self._directions!r})"
