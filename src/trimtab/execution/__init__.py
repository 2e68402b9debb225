"""Where callables run: here, in a pool of local worker processes, or on a Ray or Dask cluster.

This layer runs work and knows nothing of studies: ``ProcessPool`` starts worker processes,
shares a budget and a stop flag among them, serves calls on an object of the parent's and
passes their events back; ``RayExecutor`` and ``DaskExecutor`` (the ``Executor`` contract)
submit functions as tasks to a cluster and report lost tasks as ``TaskLost``; an
``ObjectServer`` serves calls on an object of this process to tasks anywhere
(``remote_caller``). ``trimtab.study`` builds ``optimize(n_jobs=..., executor=...)`` on them.
Ray and Dask are imported only when an executor starts.
"""

from trimtab.execution._checks import check_picklable, cpu_count, resolve_n_jobs
from trimtab.execution._dask import DaskExecutor
from trimtab.execution._executor import Executor, TaskLost
from trimtab.execution._pool import PoolResult, ProcessPool, WorkerExit
from trimtab.execution._ray import RayExecutor
from trimtab.execution._serve import ObjectServer, remote_caller
from trimtab.execution._worker import RemoteError, WorkerContext

__all__ = [
    "DaskExecutor",
    "Executor",
    "ObjectServer",
    "PoolResult",
    "ProcessPool",
    "RayExecutor",
    "RemoteError",
    "TaskLost",
    "WorkerContext",
    "WorkerExit",
    "check_picklable",
    "cpu_count",
    "remote_caller",
    "resolve_n_jobs",
]
