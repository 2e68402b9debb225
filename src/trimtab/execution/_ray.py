"""``RayExecutor``: tasks on a Ray cluster (``pip install "trimtab[ray]"``; Ray loads lazily).

Ray: Moritz et al., "Ray: A Distributed Framework for Emerging AI Applications", OSDI 2018.
Tasks are submitted with ``max_retries=0``: a task whose worker died is reported lost
(``TaskLost``) rather than run again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from trimtab.execution._executor import Executor, TaskLost, check_prefetch, missing_extra


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise missing_extra("ray", "ray") from None
    return ray


class RayExecutor(Executor):
    """Run trials as Ray tasks.

    Args:
        address: the cluster to join: ``"ray://head:10001"`` (Ray Client), ``"auto"`` or
            ``"head:6379"``. ``None``: if this process has already called ``ray.init``, that
            runtime; otherwise ``ray.init()``, which joins the cluster ``RAY_ADDRESS`` names
            or else starts a local Ray runtime on this machine's cores (stopped by
            ``close()``; a runtime this executor did not start is left running).
        n_workers: trials running at once; default the cluster's CPUs / ``num_cpus``.
        num_cpus: CPUs Ray reserves for each trial's task (``num_gpus`` likewise).
        driver_host: the address of this machine that Ray's workers reach it by, for an
            in-memory study (the workers call its storage here); default Ray's address of
            this node.
        init_kwargs: more arguments for ``ray.init`` (e.g. ``runtime_env``).
        prefetch: trials asked and submitted beyond the ``n_workers`` running, queued in
            Ray, so a worker that finishes a trial starts the next without waiting for the
            driver; default ``n_workers`` (one queued per worker), 0 for none, and none by
            default when ``n_workers`` is below the cluster's slots (a free CPU would start a
            queued trial at once: more than ``n_workers`` would run). See
            ``Study.optimize`` for what a queued trial looks like.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        n_workers: int | None = None,
        num_cpus: float = 1.0,
        num_gpus: float = 0.0,
        driver_host: str | None = None,
        init_kwargs: dict[str, Any] | None = None,
        prefetch: int | None = None,
    ) -> None:
        if n_workers is not None and (
            isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1
        ):
            raise ValueError(f"n_workers={n_workers!r} must be an integer >= 1, or None")
        if not num_cpus >= 0 or not num_gpus >= 0:
            raise ValueError(f"num_cpus={num_cpus!r} and num_gpus={num_gpus!r} must be >= 0")
        self.prefetch = check_prefetch(prefetch)
        self.address = address
        self.n_workers = n_workers
        self.num_cpus = num_cpus
        self.num_gpus = num_gpus
        self._driver_host = driver_host
        self._init_kwargs = dict(init_kwargs or {})
        self._started = False
        self._remotes: dict[Callable[..., Any], Any] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        ray = _ray()
        with self._lock:
            if not ray.is_initialized():
                ray.init(address=self.address, **self._init_kwargs)
                self._started = True

    def slots(self) -> int:
        cpus = float(_ray().cluster_resources().get("CPU", 1.0))
        return max(1, int(cpus // self.num_cpus) if self.num_cpus > 0 else int(cpus))

    def driver_host(self) -> str:
        if self._driver_host is not None:
            return self._driver_host
        ray = _ray()
        if self._started and self.address is None:
            return "127.0.0.1"
        return str(ray.util.get_node_ip_address())

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        remote = self._remotes.get(fn)
        if remote is None:
            remote = _ray().remote(num_cpus=self.num_cpus, num_gpus=self.num_gpus, max_retries=0)(
                fn
            )
            self._remotes[fn] = remote
        return remote.remote(*args)

    def wait(self, handles: Sequence[Any], timeout: float | None) -> list[Any]:
        ray = _ray()
        ready, _ = ray.wait(list(handles), num_returns=1, timeout=timeout)
        if not ready:
            return []
        ready, _ = ray.wait(list(handles), num_returns=len(handles), timeout=0)
        return list(ready)

    def result(self, handle: Any) -> Any:
        ray = _ray()
        try:
            return ray.get(handle)
        except ray.exceptions.RayTaskError as exc:  # the function raised
            raise exc.as_instanceof_cause() from None
        except ray.exceptions.RayError as exc:  # worker crashed, node died, object lost
            raise TaskLost(f"{type(exc).__name__}: {exc}") from None

    def cancel(self, handle: Any) -> None:
        ray = _ray()
        try:
            ray.cancel(handle, force=True)
        except Exception:  # already finished, or the runtime is going away
            return

    def close(self) -> None:
        with self._lock:
            if self._started:
                _ray().shutdown()
                self._started = False
            self._remotes.clear()

    def __repr__(self) -> str:
        return f"RayExecutor(address={self.address!r}, n_workers={self.n_workers!r})"
