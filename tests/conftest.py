from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

import trimtab
from tests._postgres import fresh_database

# HYPOTHESIS_PROFILE=thorough for a long search before a release; CI uses the default.
settings.register_profile("thorough", max_examples=3000, deadline=None)
settings.register_profile("default", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _quiet_trimtab() -> Iterator[None]:
    logger = logging.getLogger("trimtab")
    old = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(old)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database (skipped without a server, unless it is required)."""
    yield from fresh_database()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def storage(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[trimtab.storages.BaseStorage]:
    """Each storage backend, fresh."""
    if request.param == "memory":
        yield trimtab.storages.InMemoryStorage()
    elif request.param == "sqlite":
        yield trimtab.storages.SQLStorage(f"sqlite:///{tmp_path / 'study.db'}")
    else:
        for url in fresh_database():
            store = trimtab.storages.SQLStorage(url)
            yield store
            store._engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a new, empty database: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runs.db'}"
    else:
        yield from fresh_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.db'}"
