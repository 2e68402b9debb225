"""Riding out a lost database connection (a restarted server, a killed backend).

SQLAlchemy notices when a statement fails because the connection is gone
(``DBAPIError.connection_invalidated``) and then throws away every pooled connection
opened before. ``reconnecting`` runs a storage method again on a fresh connection, a few
times with a short backoff. Each storage method is one transaction, and a database aborts a
transaction whose connection is lost before it commits (a terminated backend, a restarted
server), so running it again applies it once. That also holds for a connection lost while
``COMMIT`` is on its way, the common case (a backend terminated while idle in its
transaction). The one case it cannot tell apart is a server that committed and then lost
the connection before answering (a crash or network cut in that instant): the write is then
applied twice (e.g. a second trial, which heartbeats later fail as lost). Such retries are
logged as possibly applied.

A transaction PostgreSQL aborted to break a deadlock (or a serialization failure) was rolled
back whole, so it is run again the same way. Writers of one study lock its row and a trial's
row, not always in the same order (``_pg``): two such transactions meeting in opposite order
are rare, and one of them is then retried after the other commits.

There is no ``pool_pre_ping``: it would cost a round trip on every call, and the first
statement on a dead connection fails just as cheaply and triggers the same reconnect.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from trimtab._logging import get_logger

_logger = get_logger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
ATTEMPTS = 6
AT_COMMIT = "_trimtab_at_commit"


_ABORTED = ("40P01", "40001")  # SQLSTATE: deadlock detected, serialization failure


def retriable(exc: BaseException, opening: bool = False) -> bool:
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    # psycopg 3 names the SQLSTATE ``sqlstate``, psycopg2 ``pgcode``
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if state in _ABORTED:
        return True
    # a connection lost during its first statements (SQLAlchemy's own set-up queries) is
    # not flagged as invalidated; opening the storage is safe to repeat anyway
    return exc.connection_invalidated or (opening and isinstance(exc, sa.exc.OperationalError))


def reconnecting(method: F, opening: bool = False) -> F:
    """Run ``method`` again (up to ``ATTEMPTS`` times) when its connection was lost; with
    ``opening``, on any ``OperationalError`` (for opening a storage, which is idempotent)."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(ATTEMPTS):
            try:
                return method(*args, **kwargs)
            except sa.exc.DBAPIError as exc:
                if not retriable(exc, opening) or attempt == ATTEMPTS - 1:
                    raise
                if not exc.connection_invalidated and not opening:
                    _logger.info(
                        "the database aborted %s (%s); running it again (attempt %d of %d)",
                        method.__name__,
                        str(exc.orig).strip().splitlines()[0] if exc.orig else exc,
                        attempt + 2,
                        ATTEMPTS,
                    )
                    time.sleep(0.01 * 2**attempt)
                    continue
                _logger.warning(
                    "lost the database connection in %s%s (%s); reconnecting (attempt %d of %d)",
                    method.__name__,
                    " while committing" if getattr(exc, AT_COMMIT, False) else "",
                    str(exc.orig).strip().splitlines()[0] if exc.orig else exc,
                    attempt + 2,
                    ATTEMPTS,
                )
                time.sleep(min(2.0, 0.05 * 2**attempt))
        raise AssertionError("unreachable")

    return wrapper  # type: ignore[return-value]
