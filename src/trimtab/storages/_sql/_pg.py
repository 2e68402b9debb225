"""PostgreSQL: the hot-path writes as single statements, one round trip each.

A write transaction through a driver costs ``BEGIN``, each statement and ``COMMIT``: four or
five round trips to the server for creating or telling a trial, which is most of the time a
PostgreSQL worker spends outside its objective. PostgreSQL runs a statement that carries its
other writes in data-modifying ``WITH`` clauses atomically, so on an autocommit connection
each of these statements is a whole transaction in one round trip:

- ``create``: bump the study's change counter and trial count, (record a claim,) insert the
  trial numbered from the new count;
- ``update``: lock the trial row only if it still carries the change number this process
  last saw (optimistic: nothing else wrote it since), bump the study's counter, write the
  row. A row someone else changed updates nothing, and the caller falls back to the
  transaction that reads the row first;
- ``claim_start``: bump, record the claim, restart the trial's clock and heartbeat.

Locks are taken in the same order as the multi-statement transactions they replace (trial
row before study row in ``update``, study row first elsewhere; a deadlock between the two
orders is aborted by PostgreSQL and run again, see ``_reconnect``), and the study-row lock is
held to the end of the statement, so change numbers are still handed out in commit order.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from trimtab.storages._sql._schema import trials
from trimtab.storages._sql._statements import COLUMNS, clock

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def _typed(col: str) -> str:
    """A bind parameter cast to its column's type (parameters in a SELECT list have none)."""
    return f"CAST(:{col} AS {trials.c[col].type.compile(dialect=_DIALECT)})"


class OneTrip:
    """The single-statement writes (see the module docstring)."""

    def __init__(self) -> None:
        now = clock("postgresql")
        typed = [trials.c[c] for c in COLUMNS]
        dt = (
            sa.bindparam("datetime_start", type_=sa.DateTime),
            sa.bindparam("datetime_complete", type_=sa.DateTime),
        )
        ins = [c for c in COLUMNS if c != "trial_id"]
        from_b = {"number": "b.n_trials - 1", "seq": "b.seq"}
        values = ", ".join(from_b.get(c) or _typed(c) for c in ins)
        insert = (
            f"INSERT INTO trials ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in ins)}, heartbeat) "
            f"SELECT {values}, CASE WHEN CAST(:state AS VARCHAR(16)) = 'RUNNING' THEN {now} END "
            "FROM b RETURNING trial_id, number, seq"
        )
        bump_new = (
            "b AS (UPDATE studies SET seq = seq + 1, n_trials = n_trials + 1 "
            "WHERE study_id = :study_id RETURNING seq, n_trials)"
        )
        claim = (
            "c AS (INSERT INTO claims (study_id, key, datetime_created) "
            "VALUES (:study_id, :key, :now))"
        )
        self.create = sa.text(f"WITH {bump_new} {insert}").bindparams(*dt)
        self.create_claimed = sa.text(f"WITH {bump_new}, {claim} {insert}").bindparams(
            *dt, sa.bindparam("now", type_=sa.DateTime)
        )
        sets = ", ".join(f'"{c}" = :{c}' for c in COLUMNS[3:] if c != "seq")
        self.update = sa.text(
            "WITH t AS (SELECT study_id FROM trials WHERE trial_id = :trial_id "
            "AND seq = :old_seq FOR UPDATE), "
            "b AS (UPDATE studies SET seq = seq + 1 "
            "WHERE study_id = (SELECT study_id FROM t) RETURNING seq) "
            f'UPDATE trials SET {sets}, "seq" = b.seq, '
            f"heartbeat = CASE WHEN CAST(:beat AS BOOLEAN) THEN {now} ELSE heartbeat END "
            "FROM b WHERE trials.trial_id = :trial_id RETURNING trials.seq"
        ).bindparams(*dt)
        self.claim_start = (
            sa.text(
                "WITH b AS (UPDATE studies SET seq = seq + 1 WHERE study_id = :study_id "
                f"RETURNING seq), {claim} "
                f"UPDATE trials SET datetime_start = :now, seq = b.seq, heartbeat = {now} "
                "FROM b WHERE trials.trial_id = :trial_id AND trials.state = 'RUNNING' "
                f"RETURNING {', '.join(f'trials.{chr(34)}{c}{chr(34)}' for c in COLUMNS)}"
            )
            .bindparams(sa.bindparam("now", type_=sa.DateTime))
            .columns(*typed)
        )
