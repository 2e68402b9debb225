"""SQL storage (SQLAlchemy 2, Alembic migrations)."""

from trimtab.storages._sql._storage import SQLStorage

__all__ = ["SQLStorage"]
