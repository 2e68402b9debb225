"""The hot-path SQL statements, built once as plain text with typed columns."""

from __future__ import annotations

import sqlalchemy as sa

from trimtab.storages._sql._schema import trials

COLUMNS = (
    "trial_id",
    "study_id",
    "number",
    "state",
    "seq",
    "values",
    "params",
    "distributions",
    "user_attrs",
    "system_attrs",
    "intermediate_values",
    "fail_reason",
    "datetime_start",
    "datetime_complete",
)


def clock(dialect: str) -> str:
    """SQL for the database's current time in seconds since the epoch (float).

    PostgreSQL: the server's clock (``clock_timestamp()``, not the transaction's start), so
    every machine's workers are measured by one clock. SQLite: the clock of the machine
    holding the file, in milliseconds, which is every worker's clock anyway.
    """
    if dialect == "postgresql":
        return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"
    return "((julianday('now') - 2440587.5) * 86400.0)"


class Statements:
    """The hot-path statements, built once as plain SQL with typed columns.

    Building SQLAlchemy expression objects on every call costs more than the database work
    itself; these texts are valid on SQLite (>= 3.35, for RETURNING) and PostgreSQL.
    """

    def __init__(self, dialect: str) -> None:
        cols = ", ".join(f'"{c}"' for c in COLUMNS)
        typed = [trials.c[c] for c in COLUMNS]
        dt = (
            sa.bindparam("datetime_start", type_=sa.DateTime),
            sa.bindparam("datetime_complete", type_=sa.DateTime),
        )
        lock = " FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""
        self.bump = sa.text(
            "UPDATE studies SET seq = seq + 1 WHERE study_id = :sid RETURNING seq, n_trials"
        )
        self.bump_new = sa.text(
            "UPDATE studies SET seq = seq + 1, n_trials = n_trials + 1 WHERE study_id = :sid "
            "RETURNING seq, n_trials"
        )
        now = clock(dialect)
        ins = [c for c in COLUMNS if c != "trial_id"]
        self.insert = sa.text(
            f"INSERT INTO trials ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in ins)}, heartbeat) "
            f"VALUES ({', '.join(':' + c for c in ins)}, "
            f"CASE WHEN CAST(:state AS VARCHAR(16)) = 'RUNNING' THEN {now} END) RETURNING trial_id"
        ).bindparams(*dt)
        sets = ", ".join(f'"{c}" = :{c}' for c in COLUMNS[3:])
        self.update = sa.text(f"UPDATE trials SET {sets} WHERE trial_id = :trial_id").bindparams(
            *dt
        )
        self.select_one = sa.text(f"SELECT {cols} FROM trials WHERE trial_id = :tid").columns(
            *typed
        )
        self.select_for_update = sa.text(
            f"SELECT {cols} FROM trials WHERE trial_id = :tid{lock.replace(' SKIP LOCKED', '')}"
        ).columns(*typed)
        self.study_seq = sa.text("SELECT seq FROM studies WHERE study_id = :sid")
        self.claim = sa.text(
            "INSERT INTO claims (study_id, key, datetime_created) VALUES (:sid, :key, :now)"
        ).bindparams(sa.bindparam("now", type_=sa.DateTime))
        self.changed = sa.text(
            f"SELECT {cols} FROM trials WHERE study_id = :sid AND seq > :seq ORDER BY seq"
        ).columns(*typed)
        self.any_waiting = sa.text(
            "SELECT 1 FROM trials WHERE study_id = :sid AND state = 'WAITING' LIMIT 1"
        )
        self.oldest_waiting = sa.text(
            "SELECT trial_id FROM trials WHERE study_id = :sid AND state = 'WAITING' "
            f"ORDER BY number LIMIT 1{lock}"
        )
        self.start_waiting = sa.text(
            "UPDATE trials SET state = 'RUNNING', datetime_start = :now, seq = :seq, "
            f"heartbeat = {now} WHERE trial_id = :tid"
        ).bindparams(sa.bindparam("now", type_=sa.DateTime))
        self.restart = sa.text(
            f"UPDATE trials SET datetime_start = :now, seq = :seq, heartbeat = {now} "
            "WHERE trial_id = :tid AND state = 'RUNNING'"
        ).bindparams(sa.bindparam("now", type_=sa.DateTime))
        # heartbeats: stamped without bumping seq (they are not part of a trial's record)
        self.beat = sa.text(
            f"UPDATE trials SET heartbeat = {now} WHERE trial_id = :tid AND state = 'RUNNING'"
        )
        stale = (
            "FROM trials WHERE study_id = :sid AND state = 'RUNNING' "
            f"AND heartbeat < {now} - :timeout"
        )
        self.any_stale = sa.text(f"SELECT 1 {stale} LIMIT 1")
        self.stale = sa.text(
            f"SELECT trial_id, {now} - heartbeat AS age {stale} "
            f"ORDER BY number{lock.replace(' SKIP LOCKED', '')}"
        )
        self.fail_stale = sa.text(
            "UPDATE trials SET state = 'FAILED', fail_reason = :reason, "
            "datetime_complete = :now, seq = :seq, heartbeat = NULL WHERE trial_id = :tid"
        ).bindparams(sa.bindparam("now", type_=sa.DateTime))
