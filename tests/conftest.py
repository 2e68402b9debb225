from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

import trimtab

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


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> trimtab.storages.BaseStorage:
    """Each storage backend, fresh."""
    if request.param == "memory":
        return trimtab.storages.InMemoryStorage()
    return trimtab.storages.SQLStorage(f"sqlite:///{tmp_path / 'study.db'}")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.db'}"
