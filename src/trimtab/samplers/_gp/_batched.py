"""Several independent L-BFGS-B runs (Byrd, Lu, Nocedal & Zhu, "A Limited Memory Algorithm for
Bound Constrained Optimization", SIAM J. Sci. Comput. 16, 1995; scipy's implementation) whose
function evaluations are made together, one batch per round.

Each start keeps its own line search, curvature memory and stopping test, exactly as if it ran
alone; only the evaluations are pooled: every run pauses at its next evaluation until all runs
still going have asked for one, then one vectorised call answers them all. A posterior
evaluated at ten points costs little more than at one (the triangular solve against the
training points dominates), so ten runs cost about what one costs. Each run is a greenlet (a
coroutine with its own stack, so scipy's loop can be paused inside the objective); they all
run in the calling thread, one at a time, in a fixed order, so results are deterministic.
Without the greenlet package (a dependency of trimtab, but the sampler needs only NumPy and
SciPy) the runs go one after another: the same runs and results, at about twice the cost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.optimize import minimize

try:
    from greenlet import greenlet

    _HAVE_GREENLET = True
except ImportError:  # pragma: no cover - greenlet is a dependency; this is the fallback
    _HAVE_GREENLET = False

BatchFunc = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""(which runs, their current points, one row each) -> (values, gradients), one row each."""


class _Done:
    """What a run's greenlet returns when its L-BFGS-B run ends."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = x


def minimize_batched(
    func: BatchFunc,
    x0s: np.ndarray,
    bounds: Sequence[tuple[float, float]],
    maxiter: int = 200,
) -> np.ndarray:
    """Minimise from each row of ``x0s`` by its own L-BFGS-B run; the end points, row by row.
    ``func(ids, xs)`` evaluates the runs ``ids`` (row numbers of ``x0s``) at the rows of ``xs``."""
    out = np.array(x0s, dtype=float, copy=True)
    options = {"maxiter": maxiter}
    if not _HAVE_GREENLET:
        return one_by_one(func, out, bounds, maxiter)

    def run(x0: np.ndarray) -> _Done:
        def evaluate(x: np.ndarray) -> tuple[float, np.ndarray]:
            # hand the point to the coordinator; it switches back with the value and gradient
            coordinator = greenlet.getcurrent().parent
            assert coordinator is not None  # runs are started by minimize_batched
            answer: tuple[float, np.ndarray] = coordinator.switch(x)
            return answer

        res = minimize(evaluate, x0, jac=True, method="L-BFGS-B", bounds=bounds, options=options)
        return _Done(np.asarray(res.x, dtype=float))

    runs = [greenlet(run) for _ in range(len(out))]
    # first switch starts each run: it comes back with its first point, or done
    asks: dict[int, Any] = {i: g.switch(out[i]) for i, g in enumerate(runs)}
    while True:
        for i, got in list(asks.items()):
            if isinstance(got, _Done):
                out[i] = got.x
                del asks[i]
        if not asks:
            return out
        ids = np.array(sorted(asks))
        values, grads = func(ids, np.array([asks[i] for i in ids], dtype=float))
        for row, i in enumerate(ids):
            asks[int(i)] = runs[i].switch((float(values[row]), np.array(grads[row], dtype=float)))


def one_by_one(
    func: BatchFunc, x0s: np.ndarray, bounds: Sequence[tuple[float, float]], maxiter: int = 200
) -> np.ndarray:
    """The runs of ``minimize_batched`` one after another, each evaluating alone."""
    out = np.array(x0s, dtype=float, copy=True)
    for i in range(len(out)):
        ids = np.array([i])

        def evaluate(x: np.ndarray, ids: np.ndarray = ids) -> tuple[float, np.ndarray]:
            values, grads = func(ids, x[None, :])
            return float(values[0]), np.array(grads[0], dtype=float)

        res = minimize(
            evaluate,
            out[i],
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": maxiter},
        )
        out[i] = res.x
    return out
