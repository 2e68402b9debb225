"""How trials become SQL rows and back: strict JSON text columns, naive UTC times."""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from trimtab.distributions import BaseDistribution, distribution_from_json
from trimtab.storages._base import check_json, encode_float
from trimtab.trial import FrozenTrial, TrialState

_UTC = datetime.timezone.utc


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def now() -> datetime.datetime:
    return datetime.datetime.now(_UTC).replace(tzinfo=None)


def aware(dt: datetime.datetime | None) -> datetime.datetime | None:
    return None if dt is None else dt.replace(tzinfo=_UTC)


def merge(stored: str, changes: Mapping[str, Any]) -> str:
    merged = json.loads(stored)
    merged.update(changes)
    return dumps(merged)


class RowCodec:
    """Builds ``FrozenTrial`` records from rows (caching parsed distributions) and rows from
    templates."""

    def __init__(self) -> None:
        self._dist_cache: dict[str, dict[str, BaseDistribution]] = {}

    def distributions(self, text: str) -> dict[str, BaseDistribution]:
        dists = self._dist_cache.get(text)
        if dists is None:
            dists = {k: distribution_from_json(v) for k, v in json.loads(text).items()}
            if len(self._dist_cache) < 10_000:
                self._dist_cache[text] = dists
        return dists

    def frozen(self, m: Mapping[str, Any] | sa.RowMapping) -> FrozenTrial:
        values = m["values"]
        fail = m["fail_reason"]
        return FrozenTrial(
            number=m["number"],
            state=TrialState[m["state"]],
            values=None if values is None else [float(v) for v in json.loads(values)],
            params=json.loads(m["params"]),
            distributions=self.distributions(m["distributions"]),
            user_attrs=json.loads(m["user_attrs"]),
            system_attrs=json.loads(m["system_attrs"]),
            intermediate_values={
                int(k): float(v) for k, v in json.loads(m["intermediate_values"]).items()
            },
            datetime_start=aware(m["datetime_start"]),
            datetime_complete=aware(m["datetime_complete"]),
            fail_reason=None if fail is None else json.loads(fail),
            trial_id=m["trial_id"],
        )

    def from_template(self, study_id: int, template: FrozenTrial | None) -> dict[str, Any]:
        """The column values of a new trial: RUNNING and started now, or copied from
        ``template``."""
        t = template
        row: dict[str, Any] = {"study_id": study_id}
        if t is None:
            row.update(
                state="RUNNING",
                values=None,
                params="{}",
                distributions="{}",
                user_attrs="{}",
                system_attrs="{}",
                intermediate_values="{}",
                fail_reason=None,
                datetime_start=now(),
                datetime_complete=None,
            )
        else:
            for k, v in t.user_attrs.items():
                check_json("user attribute", k, v)
            for k, v in t.system_attrs.items():
                check_json("system attribute", k, v)
            row.update(
                state=t.state.name,
                values=None if t.values is None else dumps([encode_float(v) for v in t.values]),
                params=dumps(dict(t.params)),
                distributions=dumps({k: d.to_json() for k, d in t.distributions.items()}),
                user_attrs=dumps(dict(t.user_attrs)),
                system_attrs=dumps(dict(t.system_attrs)),
                intermediate_values=dumps(
                    {str(s): encode_float(v) for s, v in t.intermediate_values.items()}
                ),
                fail_reason=None if t.fail_reason is None else dumps(dict(t.fail_reason)),
                datetime_start=None
                if t.datetime_start is None
                else t.datetime_start.astimezone(_UTC).replace(tzinfo=None),
                datetime_complete=None
                if t.datetime_complete is None
                else t.datetime_complete.astimezone(_UTC).replace(tzinfo=None),
            )
        return row


@dataclasses.dataclass(frozen=True, slots=True)
class TrialChanges:
    """What one ``update_trial`` call changes, to be applied to the row as stored."""

    state: TrialState | None
    values: Sequence[float] | None
    params: Mapping[str, Any] | None
    distributions: Mapping[str, BaseDistribution] | None
    intermediate_values: Mapping[int, float] | None
    user_attrs: Mapping[str, Any] | None
    system_attrs: Mapping[str, Any] | None
    fail_reason: Mapping[str, str] | None

    def applied_to(self, old: Mapping[str, Any] | sa.RowMapping) -> tuple[dict[str, Any], bool]:
        """The new column values, and whether the trial starts now (its heartbeat too)."""
        new = dict(old)
        starts = False
        if self.state is not None:
            new["state"] = self.state.name
            if self.state.is_finished():
                new["datetime_complete"] = now()
            if old["state"] == "WAITING" and self.state == TrialState.RUNNING:
                new["datetime_start"] = now()
                starts = True
        if self.values is not None:
            new["values"] = dumps([encode_float(v) for v in self.values])
        if self.params:
            new["params"] = merge(old["params"], self.params)
        if self.distributions:
            new["distributions"] = merge(
                old["distributions"], {k: d.to_json() for k, d in self.distributions.items()}
            )
        if self.intermediate_values:
            new["intermediate_values"] = merge(
                old["intermediate_values"],
                {str(s): encode_float(v) for s, v in self.intermediate_values.items()},
            )
        if self.user_attrs:
            new["user_attrs"] = merge(old["user_attrs"], self.user_attrs)
        if self.system_attrs:
            new["system_attrs"] = merge(old["system_attrs"], self.system_attrs)
        if self.fail_reason is not None:
            new["fail_reason"] = dumps(dict(self.fail_reason))
        return new, starts
