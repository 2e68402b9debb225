"""Expected improvement in log space and its optimisation.

LogEI follows Ament, Daulton, Eriksson, Balandat & Bakshy, "Unexpected Improvements to
Expected Improvement for Bayesian Optimization" (NeurIPS 2023), eq. 9: with ``z = (mu -
best) / sigma`` and ``h(z) = phi(z) + z Phi(z)``, ``log EI = log h(z) + log sigma``, where
``log h`` is evaluated without cancellation for very negative ``z`` (through ``erfcx``), so
the acquisition keeps a useful gradient far from the incumbent instead of underflowing to 0.

The maximiser scores many random points, then runs a local search from a few starts (the best
random point, the best observed point, and random points drawn with probability proportional
to their EI, so the searches cover several basins), all starts at once. The local search (the
scheme of Optuna's GP sampler, ``optuna/_gp/optim_mixed.py``) alternates L-BFGS-B over the
continuous inputs, in coordinates divided by the length scales, with an exhaustive search over
each discrete input in turn (every choice of a categorical input, every admissible value of an
integer or stepped one, or those nearest when there are many), until no discrete input moves.
Integers are searched on their grid rather than rounded after a continuous search because EI
often peaks between two grid values, where rounding can land on the worse side.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import erfcx, log_ndtr, ndtr

from trimtab.samplers._gp._model import GP

_C1 = 0.5 * math.log(2.0 * math.pi)
_C2 = 0.5 * math.log(math.pi / 2.0)
_INV_SQRT_EPS = 1.0 / math.sqrt(np.finfo(float).eps)
WIDTH = 32  # grid values a discrete input's exhaustive search tries at once


def log_h(z: np.ndarray) -> np.ndarray:
    """``log(phi(z) + z Phi(z))`` accurate for every real ``z``."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu * zu - _C1) + zu * ndtr(zu))
    mid = ~upper & (z > -_INV_SQRT_EPS)
    zm = z[mid]
    a = np.log(erfcx(-zm / math.sqrt(2.0)) * np.abs(zm)) + _C2  # < 0
    log1mexp = np.where(a > -math.log(2.0), np.log(-np.expm1(a)), np.log1p(-np.exp(a)))
    out[mid] = -0.5 * zm * zm - _C1 + log1mexp
    low = ~upper & ~mid
    zl = z[low]
    out[low] = -0.5 * zl * zl - _C1 - 2.0 * np.log(np.abs(zl))
    return out


def log_ei(mean: np.ndarray, var: np.ndarray, best: float) -> np.ndarray:
    sigma = np.sqrt(var)
    return np.asarray(log_h((mean - best) / sigma) + np.log(sigma))


def log_ei_grad(gp: GP, xs: np.ndarray, best: float) -> tuple[np.ndarray, np.ndarray]:
    """LogEI at the rows of ``xs`` and its gradient in the numeric inputs.

    d EI / d mu = Phi(z) and d EI / d sigma = phi(z), so d log EI = (Phi(z) d mu + phi(z)
    d sigma) / EI, with the ratios taken in log space."""
    mean, var, g_mean, g_var = gp.predict_grad(xs)
    sigma = np.sqrt(var)
    z = (mean - best) / sigma
    lh = log_h(z)
    value = lh + np.log(sigma)
    d_mean = np.exp(log_ndtr(z) - lh) / sigma
    d_sigma = np.exp(-0.5 * z * z - _C1 - lh) / sigma
    grad = d_mean[:, None] * g_mean + (d_sigma / (2.0 * sigma))[:, None] * g_var
    return value, grad


@dataclass(frozen=True)
class Domain:
    """Where the acquisition is maximised: numeric inputs in [0, 1], categorical inputs as
    choice indices (``cat_sizes[j]`` choices; 0 for numeric inputs), and the admissible
    values of discrete numeric inputs. ``grids`` maps an input to the sorted unit positions
    of its admissible values (integers, stepped floats) when they are few enough to list;
    ``snap`` maps a matrix of points onto every discrete input's grid. The gradient search
    moves the numeric inputs with more than ``WIDTH`` values as if continuous (then snaps
    them); the grid search tries the ``WIDTH`` values nearest to where they are."""

    cat_sizes: np.ndarray
    grids: Mapping[int, np.ndarray]
    snap: Callable[[np.ndarray], np.ndarray]

    @property
    def continuous(self) -> np.ndarray:
        """The inputs the gradient search moves."""
        out = self.cat_sizes == 0
        out[[j for j, g in self.grids.items() if len(g) <= WIDTH]] = False
        return np.asarray(out)


def maximize(
    gp: GP,
    best: float,
    domain: Domain,
    rng: np.random.Generator,
    anchors: np.ndarray,
    taken: np.ndarray,
    n_raw: int = 1024,
    n_starts: int = 10,
) -> np.ndarray:
    """The admissible point (integer and stepped inputs on their grid) with the largest
    LogEI that is not a row of ``taken`` (points observed or pending) while another
    candidate is left."""
    cat_sizes = domain.cat_sizes
    raw = domain.snap(np.vstack([_uniform(rng, n_raw, cat_sizes), anchors]))
    score = log_ei(*gp.predict(raw), best)
    order = np.argsort(-score)
    # starts: the best candidate, the best observed points, and others drawn with probability
    # proportional to their EI, so the local searches cover several basins, not one
    chosen = [int(order[0]), *range(n_raw, len(raw))]
    weights = np.exp(score - score[order[0]])
    weights[chosen] = 0.0
    n_more = min(n_starts - len(chosen), int(np.count_nonzero(weights > 0)))
    if n_more > 0:
        chosen += list(rng.choice(len(raw), size=n_more, replace=False, p=weights / weights.sum()))
    local, local_scores = _local_search(gp, best, domain, raw[chosen], score[chosen])
    pool = np.vstack([local, raw[order[:64]]])
    scores = np.concatenate([local_scores, score[order[:64]]])
    # a point already observed (or pending) would teach nothing new: the best other one
    scores[_taken(pool, taken)] = -np.inf
    if not np.isfinite(scores).any():
        pool, scores = raw, np.where(_taken(raw, taken), -np.inf, score)
        if not np.isfinite(scores).any():  # every candidate was seen: the best of them
            return np.asarray(raw[order[0]])
    return np.asarray(pool[int(np.argmax(scores))])


def _local_search(
    gp: GP, best: float, domain: Domain, xs: np.ndarray, values: np.ndarray, rounds: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """Alternates a gradient search over the continuous inputs (discrete ones held fixed) with
    an exhaustive search over each discrete input in turn (every choice of a categorical
    input; every grid value of a numeric one, or the ``WIDTH`` nearest), for all
    starts at once, until no discrete input changes. Searching the grid itself, rather than
    rounding a continuous optimum, matters because EI often peaks between two grid values."""
    xs, values = xs.copy(), values.copy()
    cont = domain.continuous
    discrete = [*np.flatnonzero(domain.cat_sizes > 0), *domain.grids]
    active = np.ones(len(xs), dtype=bool)
    for _ in range(rounds):
        if cont.any():
            xs[active], values[active] = _gradient_search(
                gp, best, domain, xs[active], values[active]
            )
        moved = np.zeros(len(xs), dtype=bool)
        for j in discrete:
            idx = np.flatnonzero(active)
            if domain.cat_sizes[j] > 0:
                choices = np.tile(np.arange(domain.cat_sizes[j]), (len(idx), 1))
            else:
                choices = _nearest_cells(domain.grids[j], xs[idx, j])
            k = choices.shape[1]
            options = np.repeat(xs[idx], k, axis=0)
            options[:, j] = choices.ravel()
            s = log_ei(*gp.predict(options), best).reshape(len(idx), k)
            pick = np.argmax(s, axis=1)
            gain = s[np.arange(len(idx)), pick]
            choice = choices[np.arange(len(idx)), pick]
            better = (gain > values[idx] + 1e-12) & (choice != xs[idx, j])
            rows = idx[better]
            xs[rows, j] = choice[better]
            values[rows] = gain[better]
            moved[rows] = True
        active &= moved
        if not active.any():
            break
    return xs, values


def _nearest_cells(grid: np.ndarray, at: np.ndarray, width: int = WIDTH) -> np.ndarray:
    """For each value of ``at``, ``min(width, len(grid))`` consecutive grid values around it."""
    if len(grid) <= width:
        return np.tile(grid, (len(at), 1))
    lo = np.clip(np.searchsorted(grid, at) - width // 2, 0, len(grid) - width)
    return np.asarray(grid[lo[:, None] + np.arange(width)[None, :]])


def _gradient_search(
    gp: GP, best: float, domain: Domain, starts: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """L-BFGS-B over the continuous inputs of every start at once (their LogEI sum is
    separable), in coordinates scaled by the length scales (``x / l``, as Optuna's GP sampler
    does: every direction then has the same curvature scale, which L-BFGS-B converges on
    faster). Starts the search did not improve are kept as they were."""
    num = domain.continuous
    scale = np.exp(gp.h.log_l[num])
    fixed = starts.copy()

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        xs = fixed.copy()
        xs[:, num] = flat.reshape(len(fixed), -1) * scale
        value, grad = log_ei_grad(gp, xs, best)
        return -float(value.sum()), -(grad[:, num] * scale).ravel()

    res = minimize(
        objective,
        (starts[:, num] / scale).ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0 / s) for s in scale] * len(starts),
        options={"maxiter": 200},
    )
    polished = fixed.copy()
    polished[:, num] = np.clip(res.x.reshape(len(fixed), -1) * scale, 0.0, 1.0)
    polished = domain.snap(polished)  # discrete inputs too many to list were relaxed
    new = log_ei(*gp.predict(polished), best)
    keep = new > values
    return np.where(keep[:, None], polished, starts), np.where(keep, new, values)


def _taken(xs: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """Which rows of ``xs`` equal a row of ``taken``."""
    if not len(taken):
        return np.zeros(len(xs), dtype=bool)
    close = np.abs(xs[:, None, :] - taken[None, :, :]) < 1e-9
    return np.asarray(close.all(-1).any(1))


def _uniform(rng: np.random.Generator, n: int, cat_sizes: np.ndarray) -> np.ndarray:
    """Uniform points: numeric inputs in [0, 1], categorical inputs as choice indices."""
    xs = rng.random((n, len(cat_sizes)))
    for j in np.flatnonzero(cat_sizes > 0):
        xs[:, j] = np.minimum(np.floor(xs[:, j] * cat_sizes[j]), cat_sizes[j] - 1)
    return xs
