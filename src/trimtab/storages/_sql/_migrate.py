"""Schema versioning with Alembic: create new databases, refuse or upgrade old ones."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from trimtab.exceptions import StorageError
from trimtab.storages._sql._schema import SCHEMA_VERSION

_MIGRATIONS = Path(__file__).with_name("migrations")


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


def ensure_schema(write_engine: sa.Engine, url: str) -> None:
    """Create the schema in an empty database; check the version of an existing one.

    The check runs inside a write transaction, so two processes opening the same new
    database at once create the schema exactly once.
    """
    with write_engine.connect() as conn:
        version = _current_version(conn)
        conn.rollback()
    if version == SCHEMA_VERSION:
        return
    if version is None:
        with write_engine.begin() as conn:
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


def upgrade_schema(write_engine: sa.Engine) -> tuple[str | None, str]:
    """Run every pending migration; returns (version before, version after)."""
    with write_engine.begin() as conn:
        before = _current_version(conn)
        _run_alembic(conn, "head")
        after = _current_version(conn)
    return before, after or SCHEMA_VERSION
