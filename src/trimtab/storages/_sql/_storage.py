"""SQL storage through SQLAlchemy 2: SQLite (>= 3.35) embedded, PostgreSQL for many machines.

Reads are incremental: per study, the storage remembers the highest change number (``seq``) it
has seen and fetches only rows stamped above it. Every write is one transaction that first
bumps ``studies.seq``; that statement also serialises writers of one study (SQLite takes the
database write lock with ``BEGIN IMMEDIATE``; other databases lock the study row), so change
numbers are handed out in commit order and a reader never skips a committed change.

PostgreSQL is opened with psycopg 3 when the URL names no driver (see ``_url``); its
statements lock rows (``FOR UPDATE``, ``SKIP LOCKED`` for handing out enqueued trials).
There, creating a trial, updating one this process wrote last and starting a claimed run are
each one statement, one round trip (see ``_pg``).

SQLite runs in WAL mode with ``synchronous=NORMAL``: a killed process loses nothing it
committed (a power cut may lose the last commits). WAL needs a local file system.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Container, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from trimtab.distributions import BaseDistribution
from trimtab.exceptions import (
    DuplicatedStudyError,
    StudyNotFoundError,
    UpdateFinishedTrialError,
)
from trimtab.storages._base import (
    BaseStorage,
    ClaimTaken,
    check_json,
)
from trimtab.storages._sql._coordination import SQLCoordination
from trimtab.storages._sql._engine import StudyCache
from trimtab.storages._sql._reconnect import reconnecting
from trimtab.storages._sql._rows import TrialChanges as _Changes
from trimtab.storages._sql._rows import aware, dumps, now
from trimtab.storages._sql._schema import claims, studies, trials
from trimtab.trial import FrozenTrial, StudyDirection, StudySummary, TrialState
from trimtab.trial._best import best_single

_FINISHED = ("COMPLETE", "PRUNED", "FAILED")


class SQLStorage(SQLCoordination, BaseStorage):
    """Studies in a SQL database, e.g. ``SQLStorage("sqlite:///runs.db")``."""

    # ---- studies -------------------------------------------------------------------------

    @reconnecting
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        name = study_name or f"no-name-{uuid.uuid4()}"
        try:
            with self._writing() as conn:
                return int(
                    conn.execute(
                        sa.insert(studies)
                        .values(
                            study_name=name,
                            directions=dumps([d.name for d in directions]),
                            user_attrs="{}",
                            system_attrs="{}",
                            seq=0,
                            n_trials=0,
                            datetime_created=now(),
                        )
                        .returning(studies.c.study_id)
                    ).scalar_one()
                )
        except sa.exc.IntegrityError:
            raise DuplicatedStudyError(
                f"study_name={name!r} already exists in {self.url!r}; pass "
                "load_if_exists=True to load it, or choose another name"
            ) from None

    @reconnecting
    def delete_study(self, study_id: int) -> None:
        with self._writing() as conn:
            self._bump(conn, study_id)
            conn.execute(sa.delete(claims).where(claims.c.study_id == study_id))
            conn.execute(sa.delete(trials).where(trials.c.study_id == study_id))
            conn.execute(sa.delete(studies).where(studies.c.study_id == study_id))
        with self._lock:
            self._caches.pop(study_id, None)

    def _study_row(self, study_id: int) -> sa.Row[Any]:
        with self._reading() as conn:
            row = conn.execute(sa.select(studies).where(studies.c.study_id == study_id)).first()
        if row is None:
            raise StudyNotFoundError(f"no study with study_id={study_id}")
        return row

    @reconnecting
    def get_study_id_from_name(self, study_name: str) -> int:
        with self._reading() as conn:
            sid = conn.execute(
                sa.select(studies.c.study_id).where(studies.c.study_name == study_name)
            ).scalar()
            if sid is None:
                known = (
                    conn.execute(
                        sa.select(studies.c.study_name).order_by(studies.c.study_id).limit(10)
                    )
                    .scalars()
                    .all()
                )
                raise StudyNotFoundError(
                    f"study_name={study_name!r} does not exist in {self.url!r}; existing "
                    f"studies: {list(known)!r}"
                )
        return int(sid)

    @reconnecting
    def get_study_name_from_id(self, study_id: int) -> str:
        return str(self._study_row(study_id).study_name)

    @reconnecting
    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        names = json.loads(self._study_row(study_id).directions)
        return [StudyDirection[n] for n in names]

    @reconnecting
    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return dict(json.loads(self._study_row(study_id).user_attrs))

    @reconnecting
    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return dict(json.loads(self._study_row(study_id).system_attrs))

    def _set_study_attr(self, column: str, study_id: int, key: str, value: Any) -> None:
        with self._writing() as conn:
            self._bump(conn, study_id)
            col = studies.c[column]
            current = json.loads(
                conn.execute(sa.select(col).where(studies.c.study_id == study_id)).scalar_one()
            )
            current[key] = value
            conn.execute(
                sa.update(studies)
                .where(studies.c.study_id == study_id)
                .values({column: dumps(current)})
            )

    @reconnecting
    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        check_json("user attribute", key, value)
        self._set_study_attr("user_attrs", study_id, key, value)

    @reconnecting
    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        check_json("system attribute", key, value)
        self._set_study_attr("system_attrs", study_id, key, value)

    @reconnecting
    def get_all_studies(self) -> list[StudySummary]:
        with self._reading() as conn:
            rows = conn.execute(sa.select(studies).order_by(studies.c.study_id)).all()
        out = []
        for row in rows:
            sid = int(row.study_id)
            ts = self.get_all_trials(sid)
            directions = [StudyDirection[n] for n in json.loads(row.directions)]
            counts: dict[str, int] = {}
            for t in ts:
                counts[t.state.name] = counts.get(t.state.name, 0) + 1
            out.append(
                StudySummary(
                    study_id=sid,
                    study_name=row.study_name,
                    directions=directions,
                    n_trials=len(ts),
                    n_trials_by_state=counts,
                    best_trial=best_single(ts, directions[0]),
                    datetime_created=aware(row.datetime_created),
                    user_attrs=json.loads(row.user_attrs),
                    system_attrs=json.loads(row.system_attrs),
                )
            )
        return out

    # ---- trials --------------------------------------------------------------------------

    @reconnecting
    def create_new_trial(
        self, study_id: int, template: FrozenTrial | None = None, *, claim: str | None = None
    ) -> FrozenTrial:
        row = self._rows.from_template(study_id, template)
        if self._one is not None:
            return self._create_one_trip(study_id, row, claim)
        try:
            with self._writing() as conn:
                seq, n = self._bump(conn, study_id, new_trial=True)
                if claim is not None:
                    conn.execute(self._q.claim, {"sid": study_id, "key": claim, "now": now()})
                row.update(number=n - 1, seq=seq)
                row["trial_id"] = conn.execute(self._q.insert, row).scalar_one()
        except sa.exc.IntegrityError:
            if claim is None:
                raise
            raise ClaimTaken(claim) from None
        return self._rows.frozen(row)

    def _create_one_trip(
        self, study_id: int, row: dict[str, Any], claim: str | None
    ) -> FrozenTrial:
        assert self._one is not None
        params = dict(row)
        if claim is not None:
            params.update(key=claim, now=now())
        try:
            with self._reading() as conn:  # autocommit: the statement is the transaction
                found = conn.execute(
                    self._one.create if claim is None else self._one.create_claimed, params
                ).first()
        except sa.exc.IntegrityError:
            if claim is None:
                raise
            raise ClaimTaken(claim) from None
        if found is None:
            raise StudyNotFoundError(f"no study with study_id={study_id}")
        row.update(trial_id=int(found[0]), number=int(found[1]), seq=int(found[2]))
        self._remember(row)
        return self._rows.frozen(row)

    @reconnecting
    def pop_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        with self._reading() as conn:  # cheap check before taking the write lock
            if conn.execute(self._q.any_waiting, {"sid": study_id}).first() is None:
                return None
        with self._writing() as conn:
            trial_id = conn.execute(self._q.oldest_waiting, {"sid": study_id}).scalar()
            if trial_id is None:
                return None
            seq, _ = self._bump(conn, study_id)
            conn.execute(self._q.start_waiting, {"tid": trial_id, "seq": seq, "now": now()})
            row = conn.execute(self._q.select_one, {"tid": trial_id}).one()
        self._remember(row._mapping)
        return self._rows.frozen(row._mapping)

    @reconnecting
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
        for k, v in (user_attrs or {}).items():
            check_json("user attribute", k, v)
        for k, v in (system_attrs or {}).items():
            check_json("system attribute", k, v)
        changes = _Changes(
            state=state,
            values=values,
            params=params,
            distributions=distributions,
            intermediate_values=intermediate_values,
            user_attrs=user_attrs,
            system_attrs=system_attrs,
            fail_reason=fail_reason,
        )
        mine = self._mine.get(trial_id) if self._one is not None else None
        if mine is not None:  # one round trip, if nobody else wrote the row since
            new, beat = changes.applied_to(mine)
            with self._reading() as conn:  # autocommit: the statement is the transaction
                seq = conn.execute(
                    self._one.update,  # type: ignore[union-attr]
                    {**new, "old_seq": mine["seq"], "beat": beat},
                ).scalar()
            if seq is not None:
                new["seq"] = int(seq)
                self._remember(new)
                return self._rows.frozen(new)
        with self._writing() as conn:
            found = conn.execute(self._q.select_for_update, {"tid": trial_id}).first()
            if found is None:
                raise KeyError(f"no trial with trial_id={trial_id}")
            old = found._mapping
            if old["state"] in _FINISHED:
                self._remember(old)  # forgets it
                raise UpdateFinishedTrialError(
                    f"trial {old['number']} is already {old['state']}; a finished trial "
                    "cannot be changed"
                )
            seq, _ = self._bump(conn, old["study_id"])
            new, beat = changes.applied_to(old)
            new["seq"] = seq
            conn.execute(self._q.update, new)
            if beat:
                conn.execute(self._q.beat, {"tid": trial_id})
        self._remember(new)
        return self._rows.frozen(new)

    @reconnecting
    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._reading() as conn:
            row = conn.execute(self._q.select_one, {"tid": trial_id}).first()
        if row is None:
            raise KeyError(f"no trial with trial_id={trial_id}")
        return self._rows.frozen(row._mapping)

    @reconnecting
    def get_all_trials(
        self, study_id: int, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock, self._reading() as conn:
            # The study's change counter first: unchanged, nothing to read; gone, an error.
            study_seq = conn.execute(self._q.study_seq, {"sid": study_id}).scalar()
            if study_seq is None:
                self._caches.pop(study_id, None)
                raise StudyNotFoundError(f"no study with study_id={study_id} (deleted?)")
            cache = self._caches.get(study_id)
            if cache is None:
                cache = self._caches[study_id] = StudyCache()
            rows: Sequence[sa.Row[Any]] = ()
            if study_seq != cache.study_seq:
                rows = conn.execute(self._q.changed, {"sid": study_id, "seq": cache.seq}).all()
                cache.study_seq = int(study_seq)
            cached = cache.trials
            for row in rows:
                t = self._rows.frozen(row._mapping)
                if t.number >= len(cached):
                    cached.extend([None] * (t.number + 1 - len(cached)))
                cached[t.number] = t
                cache.seq = max(cache.seq, int(row.seq))
            if states is None:
                return [t for t in cached if t is not None]
            return [t for t in cached if t is not None and t.state in states]
