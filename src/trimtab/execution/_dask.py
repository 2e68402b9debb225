"""``DaskExecutor``: tasks on a Dask distributed cluster (``pip install "trimtab[dask]"``;
Dask loads lazily).

Dask: Rocklin, "Dask: Parallel Computation with Blocked algorithms and Task Scheduling",
SciPy 2015; ``distributed`` is its multi-machine scheduler. A task whose worker died may be
rescheduled by the scheduler (``distributed.scheduler.allowed-failures``, 3 by default), so
``retries_lost_tasks`` is set; the local cluster this executor starts itself allows none.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from trimtab.execution._checks import cpu_count
from trimtab.execution._executor import Executor, TaskLost, check_prefetch, missing_extra


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise missing_extra("dask.distributed", "dask") from None
    return distributed


class DaskExecutor(Executor):
    """Run trials as Dask tasks.

    Args:
        client: a ``distributed.Client`` (used as is, left open), a scheduler address
            (``"tcp://scheduler:8786"``: a client is opened, and closed by ``close()``), or
            ``None``: a ``LocalCluster`` on this machine with one single-threaded worker
            process per core (objectives hold the GIL), stopped by ``close()``.
        n_workers: trials running at once; default the cluster's worker threads.
        driver_host: the address of this machine that Dask's workers reach it by, for an
            in-memory study (the workers call its storage here); default the address this
            machine reaches the scheduler from.
        prefetch: trials asked and submitted beyond the ``n_workers`` running, queued by
            the scheduler, so a worker that finishes a trial starts the next without waiting
            for the driver; default ``n_workers`` (one queued per worker), 0 for none, and
            none by default when ``n_workers`` is below the cluster's worker threads (a free
            thread would start a queued trial at once: more than ``n_workers`` would run).
            See ``Study.optimize`` for what a queued trial looks like.
    """

    retries_lost_tasks = True

    def __init__(
        self,
        client: Any = None,
        *,
        n_workers: int | None = None,
        driver_host: str | None = None,
        prefetch: int | None = None,
    ) -> None:
        if n_workers is not None and (
            isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1
        ):
            raise ValueError(f"n_workers={n_workers!r} must be an integer >= 1, or None")
        if client is not None and not isinstance(client, str) and not hasattr(client, "submit"):
            raise TypeError(
                f"client={client!r} must be a distributed.Client, a scheduler address such as "
                "'tcp://scheduler:8786', or None for a local cluster"
            )
        self.prefetch = check_prefetch(prefetch)
        self._given = client
        self.n_workers = n_workers
        self._driver_host = driver_host
        self._client: Any = client if client is not None and not isinstance(client, str) else None
        self._cluster: Any = None
        self._opened = False
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` tasks go through (after ``start()``)."""
        self.start()
        return self._client

    def start(self) -> None:
        distributed = _distributed()
        with self._lock:
            if self._client is not None:
                return
            if isinstance(self._given, str):
                self._client = distributed.Client(self._given)
            else:
                import dask

                with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                    self._cluster = distributed.LocalCluster(
                        n_workers=cpu_count(), threads_per_worker=1, processes=True
                    )
                self._client = distributed.Client(self._cluster)
            self._opened = True

    def slots(self) -> int:
        return max(1, int(sum(self.client.nthreads().values())))

    def driver_host(self) -> str:
        if self._driver_host is not None:
            return self._driver_host
        if self._cluster is not None:
            return "127.0.0.1"
        distributed = _distributed()
        from distributed.comm.addressing import get_address_host

        scheduler = self.client.scheduler.address
        return str(distributed.utils.get_ip(get_address_host(scheduler)))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False, retries=0)

    def wait(self, handles: Sequence[Any], timeout: float | None) -> list[Any]:
        distributed = _distributed()
        try:
            done, _ = distributed.wait(
                list(handles), timeout=timeout, return_when="FIRST_COMPLETED"
            )
        except TimeoutError:
            return []
        return [h for h in handles if h in done]

    def result(self, handle: Any) -> Any:
        from distributed.scheduler import KilledWorker

        if handle.status == "error":
            exc = handle.exception()
            if isinstance(exc, KilledWorker):
                raise TaskLost(f"{type(exc).__name__}: {exc}")
            raise exc
        if handle.status == "cancelled":
            raise TaskLost("the task was cancelled (its scheduler or client went away)")
        try:
            return handle.result()
        finally:
            handle.release()  # the cluster may forget it (else it keeps, or recomputes, it)

    def cancel(self, handle: Any) -> None:
        try:
            handle.cancel()
        except Exception:
            return

    def close(self) -> None:
        with self._lock:
            if not self._opened:
                return
            self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._client = self._cluster = None
            self._opened = False

    def __repr__(self) -> str:
        return f"DaskExecutor(client={self._given!r}, n_workers={self.n_workers!r})"
