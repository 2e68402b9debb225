"""SQLite connection settings: WAL, foreign keys, explicit transactions."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event


def configure_sqlite(engine: sa.Engine) -> None:
    """WAL and foreign keys; the driver's own transaction handling is switched off so that
    ``SQLStorage._writing`` can begin write transactions with BEGIN IMMEDIATE (writers then
    queue on the database lock instead of failing to upgrade a read lock)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions are begun explicitly
        cur = dbapi_conn.cursor()
        try:
            # Switching a new file to WAL takes an exclusive lock that the busy timeout does
            # not wait for, so processes opening a new database together retry here.
            for attempt in range(200):
                try:
                    if cur.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                        cur.execute("PRAGMA journal_mode=WAL")
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or attempt == 199:
                        raise
                    time.sleep(0.01 + 0.002 * attempt)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
        finally:
            cur.close()
