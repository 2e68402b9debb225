"""``FrozenTrial``: the immutable record of one trial, with no link to any storage."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from trimtab.distributions import BaseDistribution
from trimtab.trial._state import TrialState

_EMPTY: Mapping[Any, Any] = MappingProxyType({})

FIXED_PARAMS_ATTR = "fixed_params"
"""System attribute of an enqueued trial: the parameter values it must use."""

PROPOSAL_ATTR = "proposal"
"""System attribute of a trial whose sampler proposed parameters jointly: the proposal, written
when the trial starts so that other workers see where running trials are (before the objective
has suggested, and so stored, those parameters)."""


def proposed_params(trial: FrozenTrial) -> dict[str, Any]:
    """A trial's parameters, completed by its sampler's proposal while it is still running."""
    proposal = trial._system_attrs.get(PROPOSAL_ATTR)
    if not proposal:
        return dict(trial._params)
    return {**proposal, **trial._params}


class FrozenTrial:
    """What a trial was: its number, state, parameters, values, attributes and timings.

    Instances are immutable and shared (storages hand the same object to every reader), so the
    mapping attributes are read-only views. Build changed copies with :meth:`replace`.

    ``fail_reason`` is set for FAILED trials: a mapping with ``type``, ``message`` and
    ``traceback`` (strings) of what ended the trial.
    """

    __slots__ = (
        "_distributions",
        "_intermediate_values",
        "_params",
        "_system_attrs",
        "_user_attrs",
        "datetime_complete",
        "datetime_start",
        "fail_reason",
        "number",
        "state",
        "trial_id",
        "values",
    )

    def __init__(
        self,
        *,
        number: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, BaseDistribution] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
        intermediate_values: Mapping[int, float] | None = None,
        datetime_start: datetime.datetime | None = None,
        datetime_complete: datetime.datetime | None = None,
        fail_reason: Mapping[str, str] | None = None,
        trial_id: int = -1,
    ) -> None:
        put = object.__setattr__
        put(self, "number", number)
        put(self, "state", state)
        put(self, "values", None if values is None else tuple(values))
        put(self, "_params", dict(params) if params else {})
        put(self, "_distributions", dict(distributions) if distributions else {})
        put(self, "_user_attrs", dict(user_attrs) if user_attrs else {})
        put(self, "_system_attrs", dict(system_attrs) if system_attrs else {})
        put(self, "_intermediate_values", dict(intermediate_values) if intermediate_values else {})
        put(self, "datetime_start", datetime_start)
        put(self, "datetime_complete", datetime_complete)
        put(
            self,
            "fail_reason",
            None if fail_reason is None else MappingProxyType(dict(fail_reason)),
        )
        put(self, "trial_id", trial_id)

    _params: dict[str, Any]
    _distributions: dict[str, BaseDistribution]
    _user_attrs: dict[str, Any]
    _system_attrs: dict[str, Any]
    _intermediate_values: dict[int, float]
    number: int
    state: TrialState
    values: tuple[float, ...] | None
    datetime_start: datetime.datetime | None
    datetime_complete: datetime.datetime | None
    fail_reason: Mapping[str, str] | None
    trial_id: int

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"FrozenTrial is immutable; cannot set {name!r}")

    @property
    def params(self) -> Mapping[str, Any]:
        """Parameter name -> value, in the order the trial suggested them."""
        return MappingProxyType(self._params)

    @property
    def distributions(self) -> Mapping[str, BaseDistribution]:
        """Parameter name -> the distribution it was drawn from."""
        return MappingProxyType(self._distributions)

    @property
    def user_attrs(self) -> Mapping[str, Any]:
        return MappingProxyType(self._user_attrs)

    @property
    def system_attrs(self) -> Mapping[str, Any]:
        return MappingProxyType(self._system_attrs)

    @property
    def intermediate_values(self) -> Mapping[int, float]:
        """Step -> value reported with ``trial.report(value, step)``."""
        return MappingProxyType(self._intermediate_values)

    @property
    def value(self) -> float | None:
        """The objective value of a single-objective trial (``None`` if it has none)."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise RuntimeError(
                f"trial {self.number} has {len(self.values)} objective values; use .values"
            )
        return self.values[0]

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def last_step(self) -> int | None:
        return max(self._intermediate_values) if self._intermediate_values else None

    def replace(self, **changes: Any) -> FrozenTrial:
        """A copy with the given fields changed."""
        fields = self._kwargs()
        fields.update(changes)
        return FrozenTrial(**fields)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support (for worker processes), through the constructor."""
        return (_rebuild, (self._kwargs(),))

    def _kwargs(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "state": self.state,
            "values": self.values,
            "params": self._params,
            "distributions": self._distributions,
            "user_attrs": self._user_attrs,
            "system_attrs": self._system_attrs,
            "intermediate_values": self._intermediate_values,
            "datetime_start": self.datetime_start,
            "datetime_complete": self.datetime_complete,
            "fail_reason": None if self.fail_reason is None else dict(self.fail_reason),
            "trial_id": self.trial_id,
        }

    def _fields(self) -> tuple[Any, ...]:
        return (
            self.number,
            self.state,
            self.values,
            self._params,
            self._distributions,
            self._user_attrs,
            self._system_attrs,
            self._intermediate_values,
            self.datetime_start,
            self.datetime_complete,
            None if self.fail_reason is None else dict(self.fail_reason),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"FrozenTrial(number={self.number}, state={self.state!r}, values={self.values!r}, "
            f"params={self._params!r})"
        )


def _rebuild(kwargs: dict[str, Any]) -> FrozenTrial:
    return FrozenTrial(**kwargs)
