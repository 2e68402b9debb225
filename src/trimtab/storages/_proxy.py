"""A storage that forwards every call to another storage, e.g. one in the parent process.

``ProxyStorage(call)`` turns each method call into ``call(method_name, *args, **kwargs)``.
Worker processes of an in-memory study use it: the study's only copy stays in the process that
created it, and the workers read and write it through their pipe (see ``trimtab.execution``).
The storage at the other end does the locking, so the contract holds as it does there.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence
from typing import Any

from trimtab.distributions import BaseDistribution
from trimtab.storages._base import BaseStorage
from trimtab.trial import FrozenTrial, StudyDirection, StudySummary, TrialState

Call = Callable[..., Any]


class ProxyStorage(BaseStorage):
    """Forwards the ``BaseStorage`` methods through ``call(method, *args, **kwargs)``."""

    def __init__(self, call: Call) -> None:
        self._call = call

    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        return int(self._call("create_new_study", list(directions), study_name))

    def delete_study(self, study_id: int) -> None:
        self._call("delete_study", study_id)

    def get_study_id_from_name(self, study_name: str) -> int:
        return int(self._call("get_study_id_from_name", study_name))

    def get_study_name_from_id(self, study_id: int) -> str:
        return str(self._call("get_study_name_from_id", study_id))

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return list(self._call("get_study_directions", study_id))

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return dict(self._call("get_study_user_attrs", study_id))

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return dict(self._call("get_study_system_attrs", study_id))

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._call("set_study_user_attr", study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._call("set_study_system_attr", study_id, key, value)

    def get_all_studies(self) -> list[StudySummary]:
        return list(self._call("get_all_studies"))

    def create_new_trial(
        self, study_id: int, template: FrozenTrial | None = None, *, claim: str | None = None
    ) -> FrozenTrial:
        trial: FrozenTrial = self._call("create_new_trial", study_id, template, claim=claim)
        return trial

    def pop_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        trial: FrozenTrial | None = self._call("pop_waiting_trial", study_id)
        return trial

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
        changes = {
            "state": state,
            "values": None if values is None else list(values),
            "params": params,
            "distributions": distributions,
            "intermediate_values": intermediate_values,
            "user_attrs": user_attrs,
            "system_attrs": system_attrs,
            "fail_reason": fail_reason,
        }
        sent = {k: dict(v) if isinstance(v, Mapping) else v for k, v in changes.items()}
        trial: FrozenTrial = self._call(
            "update_trial", trial_id, **{k: v for k, v in sent.items() if v is not None}
        )
        return trial

    def get_trial(self, trial_id: int) -> FrozenTrial:
        trial: FrozenTrial = self._call("get_trial", trial_id)
        return trial

    def get_all_trials(
        self, study_id: int, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        wanted = None if states is None else [s for s in TrialState if s in states]
        return list(self._call("get_all_trials", study_id, wanted))

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        wanted = None if states is None else [s for s in TrialState if s in states]
        return int(self._call("get_n_trials", study_id, wanted))

    def claim(self, study_id: int, key: str) -> bool:
        return bool(self._call("claim", study_id, key))

    def claim_start(self, study_id: int, key: str, trial_id: int) -> bool:
        return bool(self._call("claim_start", study_id, key, trial_id))

    def get_claims(self, study_id: int, prefix: str = "") -> set[str]:
        return set(self._call("get_claims", study_id, prefix))

    def record_heartbeat(self, trial_id: int) -> bool:
        return bool(self._call("record_heartbeat", trial_id))

    def fail_stale_trials(self, study_id: int, timeout: float) -> list[FrozenTrial]:
        return list(self._call("fail_stale_trials", study_id, timeout))
