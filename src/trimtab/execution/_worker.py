"""The worker side of a process pool: what runs inside each worker process.

A worker talks to its parent through one duplex pipe: events (fire and forget), calls on the
object the parent serves (request, then reply), and one final exit message. Ctrl-C reaches
a worker once: the first SIGINT raises ``KeyboardInterrupt`` (after the call in flight, if
any, so the pipe never holds half a message), later ones are ignored while it cleans up.
"""

from __future__ import annotations

import pickle
import signal
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Protocol

from trimtab.execution._threads import ThreadSettings, apply_thread_settings


class _Flag(Protocol):
    def is_set(self) -> bool: ...

    def set(self) -> None: ...


class RemoteError(Exception):
    """The traceback of an exception raised in a worker process (attached as ``__cause__``)."""


class _Interrupts:
    def __init__(self) -> None:
        self.in_call = False
        self.pending = False
        self.seen = False

    def handler(self, signum: int, frame: Any) -> None:
        if self.seen:
            return
        self.seen = True
        if self.in_call:
            self.pending = True
            return
        raise KeyboardInterrupt

    def after_call(self) -> None:
        self.in_call = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt


class WorkerContext:
    """What a worker's target receives: its index, the shared budget and stop flag, events to
    the parent and calls on the object the parent serves."""

    def __init__(
        self, index: int, conn: Connection, stop: _Flag, left: Any, interrupts: _Interrupts
    ) -> None:
        self.index = index
        self._conn = conn
        self._stop = stop
        self._left = left
        self._interrupts = interrupts
        self._pipe = threading.Lock()  # calls from other threads (heartbeats) take turns

    def take(self) -> bool:
        """Take one unit of the pool's budget; ``False`` when it is spent or the pool stops."""
        if self._stop.is_set():
            return False
        with self._left.get_lock():
            if self._left.value == 0:
                return False
            if self._left.value > 0:
                self._left.value -= 1
            return True

    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop_all(self) -> None:
        """Ask every worker of the pool to stop taking work."""
        self._stop.set()

    def emit(self, kind: str, payload: Any = None) -> None:
        """Send an event to the parent (its ``on_event(index, kind, payload)``)."""
        self._exchange(("event", kind, payload), reply=False)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``method`` on the object the parent serves and return its result (or raise
        what it raised). Any thread may call."""
        ok, result = self._exchange(("call", method, args, kwargs), reply=True)
        if ok:
            return result
        raise result

    def _exchange(self, msg: tuple[Any, ...], reply: bool) -> Any:
        """Send ``msg`` (and receive the reply) whole: other threads wait their turn, and in
        the main thread Ctrl-C waits until the exchange is over."""
        main = threading.current_thread() is threading.main_thread()
        if main:
            self._interrupts.in_call = True
        try:
            with self._pipe:
                self._conn.send(msg)
                return self._conn.recv() if reply else None
        finally:
            if main:
                self._interrupts.after_call()


def _portable(exc: BaseException) -> tuple[BaseException, str]:
    """``exc`` (or a stand-in if it does not pickle) and its traceback as text."""
    text = "".join(traceback.format_exception(exc))
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        exc = RuntimeError(f"{type(exc).__qualname__}: {exc}")
    exc.__traceback__ = None
    exc.__cause__ = exc.__context__ = None
    return exc, text


def bootstrap(
    target: Callable[[WorkerContext, Any], None],
    payload: bytes,
    index: int,
    conn: Connection,
    stop: _Flag,
    left: Any,
    threads: ThreadSettings,
) -> None:
    """The entry point of every worker process."""
    apply_thread_settings(threads)
    interrupts = _Interrupts()
    signal.signal(signal.SIGINT, interrupts.handler)
    error: tuple[BaseException, str] | None = None
    interrupted = False
    try:
        conn.send(("ready",))
        target(WorkerContext(index, conn, stop, left, interrupts), pickle.loads(payload))
    except KeyboardInterrupt:
        interrupted = True
    except BaseException as exc:
        error = _portable(exc)
    try:
        conn.send(("exit", error, interrupted))
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        conn.close()
