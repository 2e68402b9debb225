"""What must hold before work goes to worker processes: a valid worker count, and callables
that can travel there (pickled)."""

from __future__ import annotations

import os
import pickle
import pickletools
import sys
from typing import Any


def cpu_count() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def resolve_n_jobs(n_jobs: Any) -> int:
    """The number of worker processes ``n_jobs`` asks for: itself, or every core for -1."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(
            f"n_jobs={n_jobs!r} is not allowed; use 1 to run in this process, an integer "
            f">= 2 for that many worker processes, or -1 for one per CPU core "
            f"({cpu_count()} here)"
        )
    return cpu_count() if n_jobs == -1 else n_jobs


def _names_main(data: bytes) -> bool:
    """Whether a pickle refers to something defined in ``__main__``."""
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("GLOBAL", "INST") and isinstance(arg, str) and arg.startswith("__main__ "):
            return True
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE") and arg == "__main__":
            return True
    return False


def check_picklable(name: str, obj: Any) -> None:
    """Raise ``TypeError`` naming ``name`` unless worker processes can receive ``obj``.

    Workers inherit nothing from this process (they are forked from a clean forkserver, or
    spawned), so they get what they run pickled: functions by module and name, objects by
    value.
    """
    how = (
        "define it with `def` at the top level of a module (not a lambda, nor a function "
        "inside another function), pass extra arguments with functools.partial, or use n_jobs=1"
    )
    try:
        data = pickle.dumps(obj)
    except Exception as exc:
        raise TypeError(
            f"{name}={obj!r} cannot be sent to worker processes ({type(exc).__name__}: {exc}). "
            f"With n_jobs > 1 each worker process receives it pickled; {how}"
        ) from None
    main = sys.modules.get("__main__")
    if main is not None and not hasattr(main, "__file__") and _names_main(data):
        raise TypeError(
            f"{name}={obj!r} is defined in an interactive session (a notebook or the REPL), "
            "which worker processes cannot import; move it into a .py module and import it "
            "from there, or use n_jobs=1"
        )
