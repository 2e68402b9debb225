"""A pool of local worker processes that the parent serves while they run.

``ProcessPool(n).run(target, payload, serve=obj, on_event=f)`` starts ``n`` fresh processes,
each running ``target(context, payload)``; nothing but the pickled ``payload`` is inherited
from the parent. Where the platform has it (Linux, macOS), a process is forked from
multiprocessing's *forkserver*: one clean, single-threaded server process, started on the
first use and kept for the life of the parent, that has imported ``__main__`` and the
pool's ``preload`` modules once, so a new worker costs a ``fork`` rather than a new
interpreter and its imports. Elsewhere (Windows) workers are started with ``spawn``.

While they run, the parent answers their calls on ``serve`` (one at a time, so ``serve``
needs no locking against them) and hands their events to ``on_event`` in the order they
arrive. Workers share a budget of units of work and a stop
flag (see ``WorkerContext``). ``on_tick`` runs every ``tick`` seconds meanwhile; from it (or
from any callback) ``replace(i)`` kills worker ``i`` and starts a fresh process in its place,
e.g. to stop work that runs too long. Each worker's numerical libraries get a share of
the machine's cores, not all of them (``_threads``). This module knows nothing of what the
work is.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing as mp
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from trimtab.execution._threads import worker_thread_settings
from trimtab.execution._worker import RemoteError, WorkerContext, bootstrap

Target = Callable[[WorkerContext, Any], None]
OnEvent = Callable[[int, str, Any], None]
OnExit = Callable[["WorkerExit"], None]


@dataclass
class WorkerExit:
    """How one worker ended: ``started`` is False if it never got to run (e.g. its process
    failed to start); ``reported`` is False if it died without saying (killed, crashed);
    ``error`` is what its target raised; ``interrupted`` means Ctrl-C ended it."""

    index: int
    exitcode: int | None = None
    started: bool = False
    reported: bool = False
    error: BaseException | None = None
    interrupted: bool = False
    replaced: bool = False
    """Killed by ``ProcessPool.replace``; a new process took its index."""


@dataclass
class PoolResult:
    exits: list[WorkerExit] = field(default_factory=list)
    interrupted: bool = False
    """Ctrl-C reached the parent; the workers were stopped."""


class ProcessPool:
    """``n_workers`` local processes sharing ``budget`` units of work (``None``: no limit).

    ``grace`` is how long, after Ctrl-C, workers get to wrap up before they are terminated.
    """

    def __init__(
        self,
        n_workers: int,
        budget: int | None = None,
        grace: float = 30.0,
        preload: Sequence[str] = (),
    ) -> None:
        if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
            raise ValueError(f"n_workers={n_workers!r} must be an integer >= 1")
        if budget is not None and (isinstance(budget, bool) or budget < 0):
            raise ValueError(f"budget={budget!r} must be an integer >= 0, or None for no limit")
        self._ctx = _context(preload)
        self._n = n_workers
        self._stop = self._ctx.Event()
        self._left = self._ctx.Value("q", -1 if budget is None else budget)
        self._grace = grace
        self._procs: list[BaseProcess] = []
        self._replacing: set[int] = set()
        self._threads = worker_thread_settings(n_workers)

    def stop(self) -> None:
        """Ask the workers to take no more work (each finishes what it is doing)."""
        self._stop.set()

    def replace(self, index: int) -> None:
        """Kill worker ``index`` now (SIGKILL: whatever it was doing is lost) and, unless the
        pool is stopping, start a new worker process with the same index once it has ended.
        Its ``on_exit`` is called as for any worker, with ``replaced`` set."""
        p = self._procs[index]
        if p.is_alive():
            self._replacing.add(index)
            p.kill()

    def _spawn(self, i: int, target: Target, data: bytes) -> tuple[BaseProcess, Connection]:
        parent_end, child_end = self._ctx.Pipe()
        p = self._ctx.Process(
            target=bootstrap,
            args=(target, data, i, child_end, self._stop, self._left, self._threads),
            name=f"trimtab-worker-{i}",
            daemon=True,
        )
        p.start()
        child_end.close()
        return p, parent_end

    def run(
        self,
        target: Target,
        payload: Any,
        *,
        serve: object = None,
        on_event: OnEvent | None = None,
        on_exit: OnExit | None = None,
        on_tick: Callable[[], None] | None = None,
        tick: float = 0.1,
    ) -> PoolResult:
        """Run the workers to the end.

        ``on_event(index, kind, payload)`` gets each worker's events, ``on_exit(exit)`` is
        called as each worker ends. An exception from either stops the pool and is raised
        once every worker has ended; an exception raised by a worker's target stops the pool
        too and is reported in ``PoolResult.exits``. Ctrl-C stops the workers (they get it
        too, once) and returns with ``interrupted`` set. ``on_tick()`` is called about every
        ``tick`` seconds while workers run (an exception from it stops the pool too).
        """
        data = pickle.dumps(payload)
        procs: list[BaseProcess] = []
        self._procs = procs
        conns: dict[int, Connection] = {}
        result = PoolResult(exits=[WorkerExit(i) for i in range(self._n)])
        try:
            for i in range(self._n):
                p, conns[i] = self._spawn(i, target, data)
                procs.append(p)
        except BaseException:
            self._shutdown(procs, 0.0)
            raise
        respawn = functools.partial(self._spawn, target=target, data=data)
        with _DeferredInterrupts() as guard:
            return self._serve_until_done(
                procs, conns, serve, on_event, on_exit, result, guard, on_tick, tick, respawn
            )

    def _serve_until_done(
        self,
        procs: list[BaseProcess],
        conns: dict[int, Connection],
        serve: object,
        on_event: OnEvent | None,
        on_exit: OnExit | None,
        result: PoolResult,
        guard: _DeferredInterrupts,
        on_tick: Callable[[], None] | None,
        tick: float,
        respawn: Callable[[int], tuple[BaseProcess, Connection]],
    ) -> PoolResult:
        live = dict(enumerate(procs))
        self._failure: BaseException | None = None
        deadline: float | None = None
        next_tick = time.monotonic() + tick
        while live:
            try:
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                if on_tick is not None:
                    to_tick = max(0.0, next_tick - time.monotonic())
                    timeout = to_tick if timeout is None else min(timeout, to_tick)
                ready = wait([*conns.values(), *(p.sentinel for p in live.values())], timeout)
                if deadline is not None and time.monotonic() >= deadline:  # grace is over
                    self._shutdown(list(live.values()), 0.0)
                if on_tick is not None and time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + tick
                    with guard.critical():
                        self._guarded(on_tick)
                with guard.critical():  # a message is handled whole, Ctrl-C or not
                    for i in list(conns):
                        if conns[i] in ready or not procs[i].is_alive():
                            self._drain(i, conns, serve, on_event, result)
                    for i, p in list(live.items()):
                        if not p.is_alive() and i not in conns:
                            p.join()
                            result.exits[i].exitcode = p.exitcode
                            del live[i]
                            replaced = i in self._replacing
                            self._replacing.discard(i)
                            result.exits[i].replaced = replaced
                            if on_exit is not None:
                                self._guarded(on_exit, result.exits[i])
                            if replaced and not self._stop.is_set() and deadline is None:
                                procs[i], conns[i] = respawn(i)
                                live[i] = procs[i]
                                result.exits[i] = WorkerExit(i)
            except KeyboardInterrupt:
                if result.interrupted:  # a second Ctrl-C: no more waiting
                    self._shutdown(list(live.values()), 0.0)
                    continue
                result.interrupted = True
                self.stop()
                self._interrupt(list(live.values()))
                deadline = time.monotonic() + self._grace
        if self._failure is not None:
            raise self._failure
        return result

    def _guarded(self, fn: Callable[..., None], *args: Any) -> None:
        """Call the caller's ``fn``; its first exception stops the pool (raised at the end)."""
        if self._failure is not None:
            return
        try:
            fn(*args)
        except BaseException as exc:
            self._failure = exc
            self.stop()

    def _drain(
        self,
        i: int,
        conns: dict[int, Connection],
        serve: object,
        on_event: OnEvent | None,
        result: PoolResult,
    ) -> None:
        """Handle every message worker ``i`` has sent; forget its pipe once it is closed."""
        conn = conns[i]
        while True:
            try:
                if not conn.poll():
                    return
                msg = conn.recv()
            except (EOFError, OSError):
                conn.close()
                del conns[i]
                return
            if msg[0] == "call":
                _, method, args, kwargs = msg
                # a worker that is gone meanwhile: the next poll finds its pipe closed
                with contextlib.suppress(OSError):
                    conn.send(_answer(serve, method, args, kwargs))
            elif msg[0] == "ready":
                result.exits[i].started = True
            elif msg[0] == "event":
                if on_event is not None:
                    self._guarded(on_event, i, msg[1], msg[2])
            else:  # exit
                result.exits[i].reported = True
                result.exits[i].interrupted = msg[2]
                if msg[1] is not None:
                    error, text = msg[1]
                    error.__cause__ = RemoteError(f"\n\n(in worker process {i})\n{text}")
                    result.exits[i].error = error
                if msg[1] is not None:
                    self.stop()

    @staticmethod
    def _interrupt(procs: list[BaseProcess]) -> None:
        """Pass Ctrl-C on (a terminal sends it to every process already; a worker reacts to
        the first one only)."""
        if sys.platform == "win32":
            return
        for p in procs:
            if p.pid is not None and p.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p.pid, signal.SIGINT)

    @staticmethod
    def _shutdown(procs: list[BaseProcess], wait_s: float) -> None:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(wait_s or 5.0)
            if p.is_alive():
                p.kill()
                p.join()


def _context(preload: Sequence[str]) -> Any:
    """The forkserver context where there is one, else spawn. ``preload`` is imported by the
    forkserver when it starts (it takes effect only if this call starts it)."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__", *preload])
    return ctx


class _DeferredInterrupts:
    """While the pool runs (``with``), Ctrl-C in a ``critical()`` block waits until the block
    is left, so a worker's message is never half handled. Main thread only."""

    def __init__(self) -> None:
        self._critical = False
        self._pending = False
        self._old: Any = None

    def _handler(self, signum: int, frame: Any) -> None:
        if self._critical:
            self._pending = True
        else:
            raise KeyboardInterrupt

    def __enter__(self) -> _DeferredInterrupts:
        if threading.current_thread() is threading.main_thread():
            old = signal.getsignal(signal.SIGINT)
            if old is signal.default_int_handler:
                self._old = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
            self._old = None

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        self._critical = True
        try:
            yield
        finally:
            self._critical = False
        if self._pending:
            self._pending = False
            raise KeyboardInterrupt


def _answer(serve: object, method: str, args: Any, kwargs: Any) -> tuple[bool, Any]:
    if serve is None or method.startswith("_") or not callable(getattr(serve, method, None)):
        return False, AttributeError(f"the parent process does not serve {method!r}")
    try:
        return True, getattr(serve, method)(*args, **kwargs)
    except Exception as exc:
        return False, exc
