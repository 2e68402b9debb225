from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

import trimtab


@pytest.fixture(autouse=True)
def _quiet_trimtab() -> Iterator[None]:
    logger = logging.getLogger("trimtab")
    old = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(old)


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> trimtab.storages.BaseStorage:
    """Each storage backend, fresh."""
    if request.param == "memory":
        return trimtab.storages.InMemoryStorage()
    return trimtab.storages.SQLStorage(f"sqlite:///{tmp_path / 'study.db'}")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.db'}"
