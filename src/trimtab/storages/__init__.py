"""Where studies and trials are kept: in memory or in a SQL database."""

from trimtab.storages._base import BaseStorage
from trimtab.storages._factory import get_storage
from trimtab.storages._in_memory import InMemoryStorage
from trimtab.storages._sql import SQLStorage

__all__ = ["BaseStorage", "InMemoryStorage", "SQLStorage", "get_storage"]
