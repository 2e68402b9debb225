"""In-memory storage: the default when ``storage=None``. Fast, thread-safe, gone at exit.

Heartbeats are stamped with ``time.monotonic()``: only this process (and worker processes
served through ``ProxyStorage``, whose calls run here) reads and writes them, so one clock
that never jumps serves everyone.
"""

from __future__ import annotations

import copy
import datetime
import threading
import time
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trimtab.distributions import BaseDistribution
from trimtab.exceptions import DuplicatedStudyError, StudyNotFoundError, UpdateFinishedTrialError
from trimtab.storages._base import BaseStorage, ClaimTaken, check_json, stale_reason
from trimtab.trial import FrozenTrial, StudyDirection, StudySummary, TrialState
from trimtab.trial._best import best_single

DEFAULT_STUDY_NAME_PREFIX = "no-name-"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


@dataclass
class _Study:
    name: str
    directions: list[StudyDirection]
    created: datetime.datetime
    trials: list[FrozenTrial] = field(default_factory=list)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    claims: set[str] = field(default_factory=set)
    n_waiting: int = 0


class InMemoryStorage(BaseStorage):
    """Keeps everything in this process's memory."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _Study] = {}
        self._names: dict[str, int] = {}
        self._trial_owner: dict[int, tuple[int, int]] = {}  # trial_id -> (study_id, number)
        self._next_study_id = 0
        self._next_trial_id = 0
        self._beats: dict[int, float] = {}  # RUNNING trial_id -> last heartbeat (monotonic)

    def _study(self, study_id: int) -> _Study:
        try:
            return self._studies[study_id]
        except KeyError:
            raise StudyNotFoundError(f"no study with study_id={study_id}") from None

    # ---- studies -------------------------------------------------------------------------

    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        with self._lock:
            study_id = self._next_study_id
            name = study_name or f"{DEFAULT_STUDY_NAME_PREFIX}{study_id:08d}"
            if name in self._names:
                raise DuplicatedStudyError(
                    f"study_name={name!r} already exists in this storage; pass "
                    "load_if_exists=True to load it, or choose another name"
                )
            self._next_study_id += 1
            self._studies[study_id] = _Study(name, list(directions), _now())
            self._names[name] = study_id
            return study_id

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            study = self._study(study_id)
            for t in study.trials:
                self._trial_owner.pop(t.trial_id, None)
                self._beats.pop(t.trial_id, None)
            del self._names[study.name]
            del self._studies[study_id]

    def get_study_id_from_name(self, study_name: str) -> int:
        try:
            return self._names[study_name]
        except KeyError:
            known = sorted(self._names)[:10]
            raise StudyNotFoundError(
                f"study_name={study_name!r} does not exist in this storage; "
                f"existing studies: {known!r}"
            ) from None

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._study(study_id).name

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return list(self._study(study_id).directions)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return copy.deepcopy(self._study(study_id).user_attrs)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return copy.deepcopy(self._study(study_id).system_attrs)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        check_json("user attribute", key, value)
        with self._lock:
            self._study(study_id).user_attrs[key] = copy.deepcopy(value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        check_json("system attribute", key, value)
        with self._lock:
            self._study(study_id).system_attrs[key] = copy.deepcopy(value)

    def get_all_studies(self) -> list[StudySummary]:
        with self._lock:
            out = []
            for sid, s in self._studies.items():
                counts: dict[str, int] = {}
                for t in s.trials:
                    counts[t.state.name] = counts.get(t.state.name, 0) + 1
                out.append(
                    StudySummary(
                        study_id=sid,
                        study_name=s.name,
                        directions=list(s.directions),
                        n_trials=len(s.trials),
                        n_trials_by_state=counts,
                        best_trial=best_single(s.trials, s.directions[0]),
                        datetime_created=s.created,
                        user_attrs=dict(s.user_attrs),
                        system_attrs=dict(s.system_attrs),
                    )
                )
            return out

    # ---- trials --------------------------------------------------------------------------

    def create_new_trial(
        self, study_id: int, template: FrozenTrial | None = None, *, claim: str | None = None
    ) -> FrozenTrial:
        with self._lock:
            study = self._study(study_id)
            if claim is not None:
                if claim in study.claims:
                    raise ClaimTaken(claim)
                study.claims.add(claim)
            trial_id = self._next_trial_id
            self._next_trial_id += 1
            number = len(study.trials)
            if template is None:
                trial = FrozenTrial(
                    number=number,
                    state=TrialState.RUNNING,
                    datetime_start=_now(),
                    trial_id=trial_id,
                )
            else:
                trial = template.replace(number=number, trial_id=trial_id)
                if trial.state == TrialState.WAITING:
                    study.n_waiting += 1
            study.trials.append(trial)
            self._trial_owner[trial_id] = (study_id, number)
            if trial.state == TrialState.RUNNING:
                self._beats[trial_id] = time.monotonic()
            return trial

    def pop_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        with self._lock:
            study = self._study(study_id)
            if study.n_waiting == 0:
                return None
            for i, t in enumerate(study.trials):
                if t.state == TrialState.WAITING:
                    popped = t.replace(state=TrialState.RUNNING, datetime_start=_now())
                    study.trials[i] = popped
                    study.n_waiting -= 1
                    self._beats[popped.trial_id] = time.monotonic()
                    return popped
            return None

    def update_trial(
        self,
        trial_id: int,
        *,
        state: TrialState | None = None,
        values: Sequence[float] | None = None,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, BaseDistribution] | None = None,
        intermediate_values: Mapping[int, float] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
        fail_reason: Mapping[str, str] | None = None,
    ) -> FrozenTrial:
        with self._lock:
            try:
                study_id, number = self._trial_owner[trial_id]
            except KeyError:
                raise KeyError(f"no trial with trial_id={trial_id}") from None
            trials = self._studies[study_id].trials
            old = trials[number]
            if old.state.is_finished():
                raise UpdateFinishedTrialError(
                    f"trial {old.number} is already {old.state.name}; a finished trial "
                    "cannot be changed"
                )
            changes: dict[str, Any] = {}
            if state is not None:
                changes["state"] = state
                if state.is_finished():
                    changes["datetime_complete"] = _now()
                    self._beats.pop(trial_id, None)
                if state == TrialState.WAITING and old.state != TrialState.WAITING:
                    self._studies[study_id].n_waiting += 1  # given back: handed out again
                    self._beats.pop(trial_id, None)
                elif old.state == TrialState.WAITING and state != TrialState.WAITING:
                    self._studies[study_id].n_waiting -= 1
                    if state == TrialState.RUNNING:
                        changes["datetime_start"] = _now()
                        self._beats[trial_id] = time.monotonic()
            if values is not None:
                changes["values"] = tuple(values)
            if params:
                changes["params"] = {**old.params, **params}
            if distributions:
                changes["distributions"] = {**old.distributions, **distributions}
            if intermediate_values:
                changes["intermediate_values"] = {**old.intermediate_values, **intermediate_values}
            if user_attrs:
                for k, v in user_attrs.items():
                    check_json("user attribute", k, v)
                changes["user_attrs"] = {**old.user_attrs, **copy.deepcopy(dict(user_attrs))}
            if system_attrs:
                for k, v in system_attrs.items():
                    check_json("system attribute", k, v)
                changes["system_attrs"] = {**old.system_attrs, **copy.deepcopy(dict(system_attrs))}
            if fail_reason is not None:
                changes["fail_reason"] = fail_reason
            new = old.replace(**changes)
            trials[number] = new
            return new

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            try:
                study_id, number = self._trial_owner[trial_id]
            except KeyError:
                raise KeyError(f"no trial with trial_id={trial_id}") from None
            return self._studies[study_id].trials[number]

    def get_all_trials(
        self, study_id: int, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock:
            trials = self._study(study_id).trials
            if states is None:
                return list(trials)
            return [t for t in trials if t.state in states]

    # ---- heartbeats ----------------------------------------------------------------------

    def record_heartbeat(self, trial_id: int) -> bool:
        with self._lock:
            if trial_id not in self._beats:  # finished (or never RUNNING)
                return False
            self._beats[trial_id] = time.monotonic()
            return True

    def fail_stale_trials(self, study_id: int, timeout: float) -> list[FrozenTrial]:
        with self._lock:
            study = self._study(study_id)
            now = time.monotonic()
            failed = []
            for i, t in enumerate(study.trials):
                beat = self._beats.get(t.trial_id)
                if t.state != TrialState.RUNNING or beat is None or now - beat <= timeout:
                    continue
                new = t.replace(
                    state=TrialState.FAILED,
                    datetime_complete=_now(),
                    fail_reason=stale_reason(now - beat, timeout),
                )
                study.trials[i] = new
                del self._beats[t.trial_id]
                failed.append(new)
            return failed

    # ---- claims --------------------------------------------------------------------------

    def claim(self, study_id: int, key: str) -> bool:
        with self._lock:
            claims = self._study(study_id).claims
            if key in claims:
                return False
            claims.add(key)
            return True

    def claim_start(self, study_id: int, key: str, trial_id: int) -> bool:
        with self._lock:
            study = self._study(study_id)
            if key in study.claims:
                return False
            study.claims.add(key)
            owner = self._trial_owner.get(trial_id)
            if owner is not None and owner[0] == study_id:
                old = study.trials[owner[1]]
                if old.state == TrialState.RUNNING:
                    study.trials[owner[1]] = old.replace(datetime_start=_now())
                    self._beats[trial_id] = time.monotonic()
            return True

    def get_claims(self, study_id: int, prefix: str = "") -> set[str]:
        with self._lock:
            return {k for k in self._study(study_id).claims if k.startswith(prefix)}
