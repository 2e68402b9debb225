"""Where callables run: here, or in a pool of local worker processes.

This layer runs work and knows nothing of studies: ``ProcessPool`` starts worker processes,
shares a budget and a stop flag among them, serves calls on an object of the parent's and
passes their events back. ``trimtab.study`` builds ``optimize(n_jobs=...)`` on it.
"""

from trimtab.execution._checks import check_picklable, cpu_count, resolve_n_jobs
from trimtab.execution._pool import PoolResult, ProcessPool, WorkerExit
from trimtab.execution._worker import RemoteError, WorkerContext

__all__ = [
    "PoolResult",
    "ProcessPool",
    "RemoteError",
    "WorkerContext",
    "WorkerExit",
    "check_picklable",
    "cpu_count",
    "resolve_n_jobs",
]
