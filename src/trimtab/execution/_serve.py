"""Serve calls on an object of this process to tasks on other processes or machines, over TCP.

``ObjectServer(obj, host)`` listens on ``host`` (a free port) in background threads and
answers ``(method, args, kwargs)`` requests on ``obj``, one at a time; ``remote_caller(
address, authkey)`` is the client side, a ``call(method, *args, **kwargs)`` function that
tasks use wherever they run. Connections authenticate with a random key (HMAC challenge, as
``multiprocessing.connection`` does), and messages are pickled: serve only on networks you
trust. Each process keeps one connection per server and reuses it across tasks.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
from collections.abc import Callable
from multiprocessing.connection import Client, Connection, Listener
from typing import Any

Address = tuple[str, int]


def _answer(serve: object, method: str, args: Any, kwargs: Any) -> tuple[bool, Any]:
    if method.startswith("_") or not callable(getattr(serve, method, None)):
        return False, AttributeError(f"the driver process does not serve {method!r}")
    try:
        return True, getattr(serve, method)(*args, **kwargs)
    except Exception as exc:
        return False, exc


class ObjectServer:
    """Answers calls on ``obj`` from other processes until ``close()`` (or ``with``)."""

    def __init__(self, obj: object, host: str = "127.0.0.1") -> None:
        self._obj = obj
        self.authkey = secrets.token_bytes(32)
        self._listener = Listener((host, 0), authkey=self.authkey)
        bound = self._listener.address
        self.address: Address = (str(bound[0]), int(bound[1]))
        self._lock = threading.Lock()  # the served object sees one call at a time
        self._closed = threading.Event()
        self._conns: list[Connection] = []
        self._thread = threading.Thread(target=self._accept, name="trimtab-serve", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn = self._listener.accept()
            except Exception:  # a failed handshake, or the listener closed
                if self._closed.is_set():
                    return
                continue
            if self._closed.is_set():
                conn.close()
                return
            self._conns.append(conn)
            threading.Thread(
                target=self._handle, args=(conn,), name="trimtab-serve-conn", daemon=True
            ).start()

    def _handle(self, conn: Connection) -> None:
        with contextlib.suppress(EOFError, OSError):
            while not self._closed.is_set():
                method, args, kwargs = conn.recv()
                with self._lock:
                    reply = _answer(self._obj, method, args, kwargs)
                conn.send(reply)
        conn.close()

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        # Wake the accepting thread: a bare connection (no handshake, so this never waits
        # for a thread that may have ended already) makes its accept fail and see the flag.
        with contextlib.suppress(OSError), socket.create_connection(self.address, timeout=5):
            pass
        self._listener.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()

    def __enter__(self) -> ObjectServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Caller:
    def __init__(self, address: Address, authkey: bytes) -> None:
        self._address = address
        self._authkey = authkey
        self._conn: Connection | None = None
        self._lock = threading.Lock()  # threads of one process take turns on the connection

    def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            if self._conn is None:
                self._conn = Client(self._address, authkey=self._authkey)
            try:
                self._conn.send((method, args, kwargs))
                ok, result = self._conn.recv()
            except BaseException:
                conn, self._conn = self._conn, None  # half a message may be in flight
                with contextlib.suppress(OSError):
                    conn.close()
                raise
        if ok:
            return result
        raise result


_CALLERS: dict[tuple[Address, bytes], _Caller] = {}
_CALLERS_LOCK = threading.Lock()


def remote_caller(address: Address, authkey: bytes) -> Callable[..., Any]:
    """``call(method, *args, **kwargs)`` on the object an ``ObjectServer`` at ``address``
    serves; one connection per server and process, shared by its threads."""
    where: Address = (str(address[0]), int(address[1]))
    with _CALLERS_LOCK:
        caller = _CALLERS.get((where, authkey))
        if caller is None:
            caller = _CALLERS[(where, authkey)] = _Caller(where, authkey)
        return caller
