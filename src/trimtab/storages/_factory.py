"""Turn what users pass as ``storage=`` into a storage object."""

from __future__ import annotations

from trimtab.exceptions import StorageError
from trimtab.storages._base import BaseStorage
from trimtab.storages._in_memory import InMemoryStorage


def get_storage(storage: str | BaseStorage | None) -> BaseStorage:
    """``None`` -> in memory; a URL string -> SQL storage; a storage object as it is."""
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        if "://" not in storage:
            raise StorageError(
                f"storage={storage!r} is not a database URL; expected e.g. "
                f"'sqlite:///{storage}' for a SQLite file, or None for memory"
            )
        from trimtab.storages._sql import SQLStorage

        return SQLStorage(storage)
    raise StorageError(
        f"storage={storage!r} has type {type(storage).__name__}; allowed: None (memory), a "
        "database URL string such as 'sqlite:///runs.db', or a storage object"
    )
