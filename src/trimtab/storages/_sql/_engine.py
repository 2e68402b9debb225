"""The database side of ``SQLStorage``: opening the engine (SQLite checks, PostgreSQL through
psycopg 3, the schema migrated on open), one write transaction per call and autocommit reads,
and the per-study change counter every write bumps first (see ``_storage``)."""

from __future__ import annotations

import collections
import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from trimtab.exceptions import StorageError, StudyNotFoundError
from trimtab.storages._sql import _migrate
from trimtab.storages._sql._pg import OneTrip
from trimtab.storages._sql._reconnect import AT_COMMIT, reconnecting
from trimtab.storages._sql._rows import RowCodec
from trimtab.storages._sql._sqlite import configure_sqlite
from trimtab.storages._sql._statements import Statements
from trimtab.storages._sql._url import engine_url
from trimtab.trial import FrozenTrial

_MINE_MAX = 4096  # rows kept for one-round-trip updates (trials in flight in this process)


class StudyCache:
    """What one process has read of one study: the change number it has seen, and its trials."""

    __slots__ = ("seq", "study_seq", "trials")

    def __init__(self) -> None:
        self.seq = -1
        self.study_seq = -1
        self.trials: list[FrozenTrial | None] = []


class SQLConnection:
    """The engine of a SQL storage and its transactions: what ``SQLStorage`` builds on."""

    def __init__(self, url: str, *, engine_kwargs: Mapping[str, Any] | None = None) -> None:
        parsed = engine_url(url)
        self.url = url
        kwargs = dict(engine_kwargs or {})
        is_sqlite = parsed.get_backend_name() == "sqlite"
        if is_sqlite:
            if sqlite3.sqlite_version_info < (3, 35):
                raise StorageError(
                    f"storage={url!r} needs SQLite >= 3.35 (for RETURNING); this Python has "
                    f"{sqlite3.sqlite_version}"
                )
            db = parsed.database
            if not db or db == ":memory:":  # one shared in-process database, any thread
                kwargs.setdefault("poolclass", sa.pool.StaticPool)
                kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
            elif not db.startswith("file:"):
                parent = Path(db).expanduser().resolve().parent
                if not parent.is_dir():
                    raise StorageError(
                        f"storage={url!r} cannot be opened: directory {str(parent)!r} does not "
                        "exist; create it first or choose another path"
                    )
            kwargs.setdefault("connect_args", {}).setdefault("timeout", 60.0)
        try:
            self._engine = sa.create_engine(parsed, **kwargs)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
            raise StorageError(f"storage={url!r} cannot be opened: {exc}") from None
        if is_sqlite:
            configure_sqlite(self._engine)
            self._read_engine = self._engine  # the driver begins no transaction of its own
        else:
            self._read_engine = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        self._sqlite = is_sqlite
        # An in-memory SQLite database is one connection shared by every thread: its write
        # transactions must not overlap. Elsewhere each thread has its own connection.
        shared = is_sqlite and (not parsed.database or parsed.database == ":memory:")
        self._memory = shared  # a database only this process can see
        # Its reads too: returning the shared connection to the pool rolls back whatever
        # transaction another thread has open on it.
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if shared else contextlib.nullcontext()
        )
        try:
            reconnecting(_migrate.ensure_schema, opening=True)(self._writing, url, self._reading)
        except sa.exc.DBAPIError as exc:
            raise StorageError(f"storage={url!r} cannot be opened: {exc.orig}") from None
        self._q = Statements(self._engine.dialect.name)
        # PostgreSQL: single-statement writes, and the rows this process wrote last (with
        # their change numbers), for updating them without reading them first (see _pg)
        self._one = OneTrip() if self._engine.dialect.name == "postgresql" else None
        self._mine: collections.OrderedDict[int, dict[str, Any]] = collections.OrderedDict()
        self._mine_lock = threading.Lock()  # not _lock: that one is held through reads
        self._lock = threading.RLock()
        self._caches: dict[int, StudyCache] = {}
        self._rows = RowCodec()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """One write transaction: commits on success, rolls back on error."""
        with self._write_lock, self._engine.connect() as conn:
            if self._sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            try:
                conn.commit()
            except sa.exc.DBAPIError as exc:
                setattr(exc, AT_COMMIT, True)  # for the log: see _reconnect
                raise

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        """A connection for reads. On a database server it runs in autocommit: each read is
        one statement, one round trip, with no BEGIN before it nor ROLLBACK after (at READ
        COMMITTED, PostgreSQL's default, each statement sees what was committed when it
        began, in a transaction or not)."""
        with self._write_lock, self._read_engine.connect() as conn:
            yield conn

    def _remember(self, row: Mapping[str, Any] | sa.RowMapping) -> None:
        """Keep a trial's row as this process wrote or started it (PostgreSQL only); a
        finished trial is never written again."""
        if self._one is None:
            return
        tid = int(row["trial_id"])
        with self._mine_lock:
            if row["state"] in ("COMPLETE", "PRUNED", "FAILED"):
                self._mine.pop(tid, None)
                return
            self._mine[tid] = dict(row)
            self._mine.move_to_end(tid)
            while len(self._mine) > _MINE_MAX:
                self._mine.popitem(last=False)

    def remove_session(self) -> None:
        self._engine.dispose(close=False)

    # ---- rows ----------------------------------------------------------------------------

    def _bump(self, conn: sa.Connection, study_id: int, new_trial: bool = False) -> tuple[int, int]:
        stmt = self._q.bump_new if new_trial else self._q.bump
        row = conn.execute(stmt, {"sid": study_id}).first()
        if row is None:
            raise StudyNotFoundError(f"no study with study_id={study_id}")
        return int(row[0]), int(row[1])
