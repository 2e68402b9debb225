"""A fresh PostgreSQL database per test, or a skip when no server is reachable.

The server is ``TRIMTAB_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); its user must be allowed to create
databases. Each test gets its own database, named after the process and a random suffix (so
pytest-xdist workers never meet), dropped afterwards. With ``TRIMTAB_REQUIRE_POSTGRES=1`` (set
by ``.ci/run``) a missing server or driver fails the test instead of skipping it.
"""

from __future__ import annotations

import functools
import gc
import os
import uuid
import warnings
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def server_url() -> sa.URL:
    return sa.engine.make_url(os.environ.get("TRIMTAB_TEST_POSTGRES_URL", DEFAULT_URL))


def required() -> bool:
    return os.environ.get("TRIMTAB_REQUIRE_POSTGRES", "") == "1"


@functools.cache
def _admin() -> sa.Engine | str:
    """An engine on the server's own database, or why there is none."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        return f"psycopg 3 is not installed ({exc}); pip install 'trimtab[postgres]'"
    url = server_url()
    engine = sa.create_engine(
        url,
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
        connect_args={"connect_timeout": 5},
    )
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as exc:
        return f"PostgreSQL at {url.render_as_string()} is not reachable: {exc.orig}"
    return engine


def _admin_or_skip() -> sa.Engine:
    admin = _admin()
    if isinstance(admin, str):
        if required():
            pytest.fail(f"{admin} (TRIMTAB_REQUIRE_POSTGRES=1 makes PostgreSQL required)")
        pytest.skip(admin)
    return admin


def fresh_database() -> Iterator[str]:
    """Yield the URL of a new, empty database; drop it afterwards."""
    admin = _admin_or_skip()
    name = f"trimtab_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url().set(database=name).render_as_string(hide_password=False)
    finally:
        # Storages the test left behind still pool open connections; close them now (psycopg
        # would warn when a later test's garbage collection finds them).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
