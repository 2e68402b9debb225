"""The storage contract every backend implements.

A storage keeps studies and their trials. Everything it keeps is JSON-serialisable (no
pickles), so a database can be read from any language and loading a study never runs code.

Trials are written by their owner only (the worker running them); one call to
:meth:`BaseStorage.update_trial` is one transaction. Readers get immutable ``FrozenTrial``
objects; ``get_all_trials`` may serve them from a cache kept current incrementally.
"""

from __future__ import annotations

import abc
import json
import math
from collections.abc import Container, Mapping, Sequence
from typing import Any

from trimtab.distributions import BaseDistribution
from trimtab.exceptions import TrimtabError
from trimtab.trial import FrozenTrial, StudyDirection, StudySummary, TrialState


def check_json(kind: str, key: str, value: Any) -> None:
    """Raise ``ValueError`` unless ``value`` can be stored as strict JSON."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{kind} {key!r}={value!r} cannot be stored: values must be JSON-serialisable "
            f"(None, bool, finite int/float, str, and lists/dicts of them); {exc}"
        ) from None


def encode_float(x: float) -> float | str:
    """Floats as strict JSON: non-finite numbers become the strings 'NaN', 'Infinity'..."""
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def decode_float(x: float | str) -> float:
    return float(x)


STALE_MESSAGE = "worker lost: no heartbeat for"
"""How the ``fail_reason`` message of a trial failed for want of heartbeats begins."""


def stale_reason(age: float, timeout: float) -> dict[str, str]:
    """The ``fail_reason`` of a RUNNING trial failed for want of heartbeats."""
    return {
        "type": "WorkerLost",
        "message": f"{STALE_MESSAGE} {age:.1f} s (heartbeat_timeout={timeout:g} s)",
        "traceback": "",
    }


class ClaimTaken(TrimtabError):
    """``create_new_trial(claim=key)``: another trial already holds ``key``; nothing was made."""


class BaseStorage(abc.ABC):
    """Where studies and trials live. See the module docstring for the contract."""

    # ---- studies -------------------------------------------------------------------------

    @abc.abstractmethod
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        """Create a study and return its id; ``DuplicatedStudyError`` if the name is taken."""

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study and all its trials."""

    @abc.abstractmethod
    def get_study_id_from_name(self, study_name: str) -> int:
        """``StudyNotFoundError`` if there is no such study."""

    @abc.abstractmethod
    def get_study_name_from_id(self, study_id: int) -> str: ...

    @abc.abstractmethod
    def get_study_directions(self, study_id: int) -> list[StudyDirection]: ...

    @abc.abstractmethod
    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]: ...

    @abc.abstractmethod
    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]: ...

    @abc.abstractmethod
    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None: ...

    @abc.abstractmethod
    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None: ...

    @abc.abstractmethod
    def get_all_studies(self) -> list[StudySummary]:
        """One summary per study: counts by state and the best trial (first objective)."""

    # ---- trials --------------------------------------------------------------------------

    @abc.abstractmethod
    def create_new_trial(
        self, study_id: int, template: FrozenTrial | None = None, *, claim: str | None = None
    ) -> FrozenTrial:
        """Add a trial numbered after every other trial of the study.

        Without a template the trial is RUNNING and started now. With one, its state, params,
        values, attributes and times are copied (for enqueued WAITING trials and
        ``add_trial``). With ``claim``, the key is claimed (see ``claim``) in the same
        transaction; if it is already taken nothing is created and ``ClaimTaken`` is raised.
        Returns the stored record.
        """

    @abc.abstractmethod
    def pop_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        """Atomically turn the oldest WAITING trial into RUNNING and return it.

        Hands out every WAITING trial exactly once, also across processes.
        """

    @abc.abstractmethod
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
        """Merge the given fields into an unfinished trial, in one transaction.

        Mappings are merged key by key into what is stored. Setting a finished ``state``
        stamps ``datetime_complete``; setting WAITING on a RUNNING trial gives it back (the
        next ``pop_waiting_trial`` hands it out again). Raises ``UpdateFinishedTrialError``
        if the trial has already finished, ``KeyError`` if it does not exist.
        """

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial: ...

    @abc.abstractmethod
    def get_all_trials(
        self, study_id: int, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """Every trial of the study in number order, optionally only those in ``states``."""

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        return len(self.get_all_trials(study_id, states))

    # ---- claims --------------------------------------------------------------------------

    @abc.abstractmethod
    def claim(self, study_id: int, key: str) -> bool:
        """Atomically reserve ``key`` within the study; ``False`` if it was already taken.

        Samplers use claims to hand something out exactly once across processes (a grid
        point, a retry).
        """

    def claim_start(self, study_id: int, key: str, trial_id: int) -> bool:
        """``claim(study_id, key)``; if this call got the key and the trial is RUNNING, the
        trial starts now: its ``datetime_start`` and heartbeat are stamped again, in the same
        transaction where the storage can.

        For a trial asked ahead of time and started later (a task queued on a cluster): its
        runner and the process that may give it back both claim ``key``; the one that gets it
        decides, and the trial's times tell when it really ran.
        """
        return self.claim(study_id, key)

    @abc.abstractmethod
    def get_claims(self, study_id: int, prefix: str = "") -> set[str]:
        """Every claimed key of the study that starts with ``prefix``."""

    # ---- heartbeats ----------------------------------------------------------------------

    @abc.abstractmethod
    def record_heartbeat(self, trial_id: int) -> bool:
        """Stamp a RUNNING trial's heartbeat with the storage's clock.

        Returns ``False``, and writes nothing, if the trial is no longer RUNNING. A trial's
        heartbeat is also stamped when it becomes RUNNING (created, or popped from WAITING).
        """

    @abc.abstractmethod
    def fail_stale_trials(self, study_id: int, timeout: float) -> list[FrozenTrial]:
        """Mark FAILED every RUNNING trial whose heartbeat is older than ``timeout`` seconds.

        Ages are measured on the storage's clock (the database server's for SQL), the same
        clock ``record_heartbeat`` stamps with, so workers' clocks never matter. The reason
        stored is ``stale_reason``. Atomic: when several callers race, each stale trial is
        failed, and returned, by exactly one of them. Returns the trials this call failed.
        """

    def remove_session(self) -> None:  # noqa: B027 - optional hook
        """Release connections (called before a process forks or exits)."""
