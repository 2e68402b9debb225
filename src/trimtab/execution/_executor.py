"""What a cluster executor offers: submit a function as a task, wait for tasks, get results.

``Executor`` is the small contract ``RayExecutor`` and ``DaskExecutor`` fill in. A task's
outcome is its return value, or ``TaskLost`` when the cluster lost it (its worker process
died, its node went away): what the function itself raises is not reported this way, so a
caller that must tell the two apart catches everything inside its function and returns it.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import Any


class TaskLost(Exception):
    """The cluster lost a task: its worker died (killed, out of memory, node gone)."""


class Executor(abc.ABC):
    """Runs functions as tasks on a cluster. ``start()`` connects (or starts a local cluster);
    ``close()`` shuts down only what ``start()`` started. Also a context manager."""

    prefetch: int | None = None
    """Tasks kept submitted beyond ``capacity()`` (see ``lookahead``); None: the default."""

    retries_lost_tasks = False
    """Whether the cluster may run a task again after its worker died (Dask reschedules it up
    to ``distributed.scheduler.allowed-failures`` times): callers that must run a task at most
    once detect the second run themselves."""

    @abc.abstractmethod
    def start(self) -> None:
        """Connect to the cluster, or start a local one; does nothing if already started."""

    n_workers: int | None = None
    """Tasks to run at once; None: as many as the cluster has slots."""

    @abc.abstractmethod
    def slots(self) -> int:
        """How many tasks the cluster runs at once (its CPUs or worker threads)."""

    def capacity(self) -> int:
        """How many tasks should run at once: the executor's ``n_workers``, else the
        cluster's ``slots()``."""
        return self.n_workers if self.n_workers is not None else self.slots()

    @abc.abstractmethod
    def driver_host(self) -> str:
        """The address of this machine that the cluster's workers reach it by."""

    def lookahead(self) -> int:
        """How many tasks to keep submitted beyond ``capacity()``, queued on the cluster, so
        that a worker that finishes one starts the next at once instead of waiting for the
        caller to submit it: the executor's ``prefetch``, else ``capacity()`` (one queued
        task per worker slot: a Dask scheduler hands a worker its next task only if it holds
        one already). By default none when ``n_workers`` is below the cluster's slots: a
        cluster with free slots would start queued tasks at once, running more than
        ``n_workers`` trials."""
        if self.prefetch is not None:
            return self.prefetch
        if self.n_workers is not None and self.n_workers < self.slots():
            return 0
        return self.capacity()

    @abc.abstractmethod
    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Start ``fn(*args)`` as a task; a handle to wait on."""

    @abc.abstractmethod
    def wait(self, handles: Sequence[Any], timeout: float | None) -> list[Any]:
        """The handles among ``handles`` whose tasks have ended, once at least one has or
        ``timeout`` seconds passed (then possibly none)."""

    @abc.abstractmethod
    def result(self, handle: Any) -> Any:
        """An ended task's return value; ``TaskLost`` if the cluster lost it; what the task
        raised otherwise."""

    @abc.abstractmethod
    def cancel(self, handle: Any) -> None:
        """Stop a task if the cluster can (a queued one never starts)."""

    def close(self) -> None:  # noqa: B027 (optional)
        """Shut down what ``start()`` started."""

    def __enter__(self) -> Executor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_prefetch(prefetch: Any) -> int | None:
    if prefetch is not None and (
        isinstance(prefetch, bool) or not isinstance(prefetch, int) or prefetch < 0
    ):
        raise ValueError(
            f"prefetch={prefetch!r} must be an integer >= 0 (tasks queued beyond the running "
            "ones; 0 turns queueing off), or None for as many as n_workers"
        )
    return prefetch


def missing_extra(package: str, extra: str) -> ImportError:
    return ImportError(
        f"{package} is not installed; it runs trials on a {extra.capitalize()} cluster: "
        f'pip install "trimtab[{extra}]"'
    )
