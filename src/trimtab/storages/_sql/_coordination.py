"""Coordination between workers in SQL storage: heartbeats, stale trials and claims.

A mixin of ``SQLStorage`` (``_storage``), on the same connection, statements and change
numbers: a heartbeat is one statement; failing stale trials and taking a claim are each one
write transaction that first bumps the study's change number, so readers see them in order.
A claim is a row under a unique (study, key) constraint: the first writer wins, every later
one gets an integrity error and ``False``.
"""

from __future__ import annotations

import sqlalchemy as sa

from trimtab.storages._base import stale_reason
from trimtab.storages._sql._engine import SQLConnection
from trimtab.storages._sql._reconnect import reconnecting
from trimtab.storages._sql._rows import dumps, now
from trimtab.storages._sql._schema import claims
from trimtab.trial import FrozenTrial


class SQLCoordination(SQLConnection):
    """Heartbeats, stale trials and claims (see ``BaseStorage`` for the contract)."""

    # ---- heartbeats ----------------------------------------------------------------------

    @reconnecting
    def record_heartbeat(self, trial_id: int) -> bool:
        # one statement: on PostgreSQL in autocommit, without BEGIN and COMMIT round trips
        with self._reading() if self._one is not None else self._writing() as conn:
            return bool(conn.execute(self._q.beat, {"tid": trial_id}).rowcount)

    @reconnecting
    def fail_stale_trials(self, study_id: int, timeout: float) -> list[FrozenTrial]:
        timeout = float(timeout)
        with self._reading() as conn:  # cheap check before taking the write lock
            if (
                conn.execute(self._q.any_stale, {"sid": study_id, "timeout": timeout}).first()
                is None
            ):
                return []
        failed = []
        with self._writing() as conn:
            seq, _ = self._bump(conn, study_id)  # serialises this with every writer of the study
            stale = conn.execute(self._q.stale, {"sid": study_id, "timeout": timeout}).all()
            for trial_id, age in stale:
                reason = dumps(stale_reason(float(age), timeout))
                conn.execute(
                    self._q.fail_stale,
                    {"tid": trial_id, "reason": reason, "now": now(), "seq": seq},
                )
                failed.append(conn.execute(self._q.select_one, {"tid": trial_id}).one())
        return [self._rows.frozen(row._mapping) for row in failed]

    # ---- claims --------------------------------------------------------------------------

    @reconnecting
    def claim(self, study_id: int, key: str) -> bool:
        try:
            with self._writing() as conn:
                self._bump(conn, study_id)
                conn.execute(self._q.claim, {"sid": study_id, "key": key, "now": now()})
        except sa.exc.IntegrityError:
            return False
        return True

    @reconnecting
    def claim_start(self, study_id: int, key: str, trial_id: int) -> bool:
        if self._one is not None:
            try:
                with self._reading() as conn:  # autocommit: the statement is the transaction
                    row = conn.execute(
                        self._one.claim_start,
                        {"study_id": study_id, "key": key, "trial_id": trial_id, "now": now()},
                    ).first()
            except sa.exc.IntegrityError:
                return False
            if row is not None:
                self._remember(row._mapping)
            return True
        try:
            with self._writing() as conn:
                seq, _ = self._bump(conn, study_id)
                conn.execute(self._q.claim, {"sid": study_id, "key": key, "now": now()})
                conn.execute(self._q.restart, {"tid": trial_id, "seq": seq, "now": now()})
        except sa.exc.IntegrityError:
            return False
        return True

    @reconnecting
    def get_claims(self, study_id: int, prefix: str = "") -> set[str]:
        with self._reading() as conn:
            keys = (
                conn.execute(
                    sa.select(claims.c.key).where(
                        (claims.c.study_id == study_id)
                        & claims.c.key.startswith(prefix, autoescape=True)
                    )
                )
                .scalars()
                .all()
            )
        return set(keys)
