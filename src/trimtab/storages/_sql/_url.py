"""Database URLs as users write them, turned into the URL SQLAlchemy opens.

PostgreSQL is served by psycopg 3 (``pip install "trimtab[postgres]"``). A URL that names no
driver (``postgresql://user@host/db``, or the short ``postgres://``) gets psycopg 3 when it is
installed, else psycopg2 when that is; a URL that names one (``postgresql+psycopg2://``) keeps
it. Every other URL is used as written.
"""

from __future__ import annotations

import importlib.util

import sqlalchemy as sa

from trimtab.exceptions import StorageError

POSTGRES_EXTRA = 'pip install "trimtab[postgres]"'


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def engine_url(url: str) -> sa.URL:
    """The URL to open for what the user passed as ``storage=url``."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise StorageError(
            f"storage={url!r} is not a database URL; expected e.g. 'sqlite:///runs.db' "
            "or 'postgresql://user@host/db'"
        ) from None
    if parsed.drivername == "postgres":
        parsed = parsed.set(drivername="postgresql")
    if parsed.drivername == "postgresql":
        if _installed("psycopg"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        elif not _installed("psycopg2"):
            raise StorageError(
                f"storage={url!r} needs a PostgreSQL driver; install psycopg 3 with "
                f"{POSTGRES_EXTRA}"
            )
    elif parsed.drivername == "postgresql+psycopg" and not _installed("psycopg"):
        raise StorageError(f"storage={url!r} needs psycopg 3; install it with {POSTGRES_EXTRA}")
    return parsed
