"""How many threads the numerical libraries of each local worker process may start.

NumPy's BLAS (OpenBLAS, MKL, Accelerate) and OpenMP runtimes start one thread per core by
default. With ``n`` worker processes on one machine that is ``n`` threads per core, and
BLAS threads that spin while they wait make oversubscription far worse than the sum of the
work: a GP sampler's small matrix products ran 5 to 6 times slower with 2 workers on 2 cores
than with one (docs/benchmarks.md, "Parallel execution"). joblib's loky backend faces the
same problem and settles it the same way: each of ``n`` workers gets
``cpu_count // n`` threads, unless the user has said otherwise in the environment.

The user's word is the environment: if any of ``THREAD_VARIABLES`` is set in the parent
process, the workers get exactly the parent's values of those variables and nothing is
limited. Otherwise each worker sets all of them to its share and, where ``threadpoolctl``
can reach the libraries already loaded (forkserver workers inherit NumPy from the server),
limits those at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity where the platform tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ThreadSettings:
    """What a worker exports (``variables``), and the cap on the thread pools of the
    libraries it has already loaded (``limit``; ``None`` when the user chose)."""

    variables: dict[str, str]
    limit: int | None


def worker_thread_settings(
    n_workers: int, environ: Mapping[str, str] | None = None
) -> ThreadSettings:
    """The thread settings for each of ``n_workers`` local workers of this process."""
    env = os.environ if environ is None else environ
    chosen = {name: env[name] for name in THREAD_VARIABLES if name in env}
    if chosen:
        return ThreadSettings(chosen, None)
    share = max(1, available_cpus() // n_workers)
    return ThreadSettings(dict.fromkeys(THREAD_VARIABLES, str(share)), share)


def apply_thread_settings(settings: ThreadSettings) -> None:
    """In a worker, before any work: export the variables, cap the loaded thread pools."""
    os.environ.update(settings.variables)
    if settings.limit is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=settings.limit)
