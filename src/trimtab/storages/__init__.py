"""Where studies and trials are kept: in memory or in a SQL database.

``SQLStorage`` (and with it SQLAlchemy) is imported on first use, so in-memory studies and
``import trimtab`` stay light.
"""

from typing import TYPE_CHECKING, Any

from trimtab.storages._base import BaseStorage
from trimtab.storages._factory import get_storage
from trimtab.storages._in_memory import InMemoryStorage

if TYPE_CHECKING:
    from trimtab.storages._sql import SQLStorage

__all__ = ["BaseStorage", "InMemoryStorage", "SQLStorage", "get_storage"]


def __getattr__(name: str) -> Any:
    if name == "SQLStorage":
        from trimtab.storages._sql import SQLStorage

        return SQLStorage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
