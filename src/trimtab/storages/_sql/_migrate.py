"""Schema versioning with Alembic: create new databases, refuse or upgrade old ones."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import sqlalchemy as sa

from trimtab.exceptions import StorageError
from trimtab.storages._sql._schema import SCHEMA_VERSION
from trimtab.storages._sql._url import engine_url

_MIGRATIONS = Path(__file__).with_name("migrations")


# Any fixed key: PostgreSQL processes creating or upgrading one database's schema take turns.
_PG_SCHEMA_LOCK = 0x7472696D74616200  # "trimtab\0"


def _serialise(conn: sa.Connection) -> None:
    """Make schema changes in this transaction wait for any other process's (PostgreSQL;
    SQLite write transactions already exclude each other)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_SCHEMA_LOCK})


def _current_version(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _run_alembic(conn: sa.Connection, target: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, target)


def _known_revisions() -> list[str]:
    return sorted(p.name.split("_", 1)[0] for p in (_MIGRATIONS / "versions").glob("[0-9]*.py"))


Writing = Callable[[], AbstractContextManager[sa.Connection]]


def _version_read(reading: Writing) -> str | None:
    """The schema version by a plain read; None if there is none (or it cannot be read)."""
    try:
        with reading() as conn:
            value = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            conn.rollback()  # a PostgreSQL error or read leaves no transaction open
    except sa.exc.DBAPIError:
        return None
    return None if value is None else str(value)


def ensure_schema(writing: Writing, url: str, reading: Writing | None = None) -> None:
    """Create the schema in an empty database; check the version of an existing one.

    A database already at this version is recognised by one read (no write lock: many
    workers opening one study together do not queue); otherwise the check runs again inside a
    write transaction, so two processes opening the same new database at once create the
    schema exactly once.
    """
    if reading is not None and _version_read(reading) == SCHEMA_VERSION:
        return
    with writing() as conn:
        version = _current_version(conn)
    if version == SCHEMA_VERSION:
        return
    if version is None:
        with writing() as conn:
            _serialise(conn)
            if _current_version(conn) is not None:
                return  # another process created it meanwhile
            if sa.inspect(conn).has_table("studies"):
                raise StorageError(
                    f"storage={url!r} holds a 'studies' table that trimtab did not create "
                    "(no alembic_version); point trimtab at an empty or trimtab database"
                )
            _run_alembic(conn, "head")
        return
    if version in _known_revisions():
        raise StorageError(
            f"storage={url!r} has schema version {version}, older than this trimtab's "
            f"{SCHEMA_VERSION}; back it up, then run: trimtab storage upgrade --storage '{url}'"
        )
    raise StorageError(
        f"storage={url!r} has schema version {version}, written by a newer trimtab than this "
        f"one (which knows up to {SCHEMA_VERSION}); upgrade trimtab to read it"
    )


def upgrade_url(url: str) -> tuple[str | None, str]:
    """Run every pending migration on the database at ``url``; (version before, after)."""
    try:
        engine = sa.create_engine(engine_url(url))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise StorageError(f"storage={url!r} cannot be opened: {exc}") from None
    try:
        with engine.begin() as conn:
            _serialise(conn)
            before = _current_version(conn)
            _run_alembic(conn, "head")
            after = _current_version(conn)
    except sa.exc.DBAPIError as exc:
        raise StorageError(f"storage={url!r} cannot be upgraded: {exc.orig}") from None
    finally:
        engine.dispose()
    return before, after or SCHEMA_VERSION
