"""``LearningCurvePruner``: stop a trial whose extrapolated learning curve is, with high
probability, worse than the best finished trial.

After Domhan, Springenberg & Hutter, "Speeding up Automatic Hyperparameter Optimization of
Deep Neural Networks by Extrapolation of Learning Curves", IJCAI 2015 (predict the final
value from the curve so far and stop when ``P(final better than the best so far)`` is small),
with a much smaller model: two parametric families fitted by nonlinear least squares instead
of a Bayesian ensemble of eleven sampled by MCMC. Freeze-thaw Bayesian optimisation
(Swersky, Snoek & Adams, "Freeze-Thaw Bayesian Optimization", 2014) models curves as
exponential decays too, pooled through a Gaussian process; this pruner looks at one curve.

The rule, at a judged report (every ``interval_steps`` steps) of a trial whose curve has at
least ``min_reports`` finite reports, before ``max_resource``:

1. ``best`` is the best final value of the COMPLETE trials (nothing is pruned before
   ``n_startup_trials`` of them). A trial whose latest value is already at least as good as
   ``best`` is kept without fitting.
2. With ``x = step + 1``, two families with an asymptote are fitted by least squares
   (``scipy.optimize.least_squares``, started from the best of a grid over the rate ``c``, for
   which the model is linear in ``a`` and ``b``): a power law ``a + b * x**(-c)`` and an
   exponential saturation ``a + b * exp(-c * x / x_last)``. With ``best_possible`` (e.g. 0 for
   an error rate) the asymptote ``a`` may not pass it (Domhan et al. bound their curves to
   the metric's range in the same way).
3. For each family, the final value ``f(max_resource + 1)`` is predicted as a normal with
   variance ``J C J^T + s^2``: the parameter covariance ``C = s^2 (J^T J)^{-1}`` by the delta
   method, ``s^2`` the residual variance (``RSS / (n - 3)``), which also stands for the final
   report's own noise.
4. The trial is pruned if, for BOTH families, ``P(final worse than best) >= confidence``. The
   power law tends to extrapolate further improvement and the saturation an early plateau, so
   asking both to agree is the cautious choice: a slow starter survives if one family says
   it may still win. A fit that fails keeps the trial.

SciPy is imported when the first curve is fitted, so ``import trimtab`` stays light.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from trimtab.pruners._base import BasePruner
from trimtab.pruners._checks import (
    check_float,
    check_int,
    check_resource,
    direction_of,
    first_completed,
    is_judged_step,
)
from trimtab.trial import FrozenTrial, StudyDirection, TrialState

if TYPE_CHECKING:
    import numpy as np

    from trimtab.study import Study

    # basis(x, c, scale) -> (phi, d phi / d log c)
    Basis = Callable[[np.ndarray, float, float], tuple[np.ndarray, np.ndarray]]


def _power(x: np.ndarray, c: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    phi = x ** (-c)
    return phi, -c * np.log(x) * phi


def _saturation(x: np.ndarray, c: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    u = x / scale  # rates in units of the curve's length so far
    phi = np.exp(-c * u)
    return phi, -c * u * phi


def extrapolate(
    steps: list[int], values: list[float], target: int, floor: float = -math.inf
) -> list[tuple[float, float]]:
    """For each family (power law, exponential saturation), the predicted value at step
    ``target`` and its standard deviation, with the asymptote ``a >= floor``; a family whose
    fit fails is left out."""
    import numpy as np
    from scipy.optimize import least_squares

    x = np.asarray(steps, dtype=float) + 1.0
    y = np.asarray(values, dtype=float)
    n, scale = len(y), float(x[-1])
    out = []
    for basis, grid in (
        (_power, np.geomspace(0.05, 5.0, 25)),
        (_saturation, np.geomspace(0.1, 30.0, 25)),
    ):
        best: tuple[float, float, float, float] | None = None
        for c in grid:  # for a fixed rate the model is linear in (a, b)
            phi, _ = basis(x, c, scale)
            design = np.column_stack([np.ones(n), phi])
            (a, b), *_ = np.linalg.lstsq(design, y, rcond=None)
            rss = float(np.sum((design @ (a, b) - y) ** 2))
            if best is None or rss < best[0]:
                best = (rss, float(a), float(b), float(math.log(c)))
        assert best is not None

        def residuals(p: np.ndarray, basis: Basis = basis) -> np.ndarray:
            return np.asarray(p[0] + p[1] * basis(x, math.exp(p[2]), scale)[0] - y)

        def jacobian(p: np.ndarray, basis: Basis = basis) -> np.ndarray:
            phi, dphi = basis(x, math.exp(p[2]), scale)
            return np.column_stack([np.ones(n), phi, p[1] * dphi])

        lo, hi = math.log(grid[0]) - 1.0, math.log(grid[-1]) + 1.0
        a0 = best[1] if best[1] > floor else floor + 1e-9 * (1.0 + abs(floor))
        start = np.array([a0, best[2], min(max(best[3], lo + 1e-9), hi - 1e-9)])
        try:
            fit = least_squares(
                residuals,
                start,
                jac=jacobian,
                bounds=([floor, -np.inf, lo], [np.inf, np.inf, hi]),
            )
        except (ValueError, np.linalg.LinAlgError):
            continue
        a, b, g = (float(v) for v in fit.x)
        s2 = float(np.sum(fit.fun**2)) / (n - 3)
        j = fit.jac
        cov = s2 * np.linalg.pinv(j.T @ j)
        phi_t, dphi_t = basis(np.array([target + 1.0]), math.exp(g), scale)
        grad = np.array([1.0, phi_t[0], b * dphi_t[0]])
        mean = max(a + b * float(phi_t[0]), floor)
        var = float(grad @ cov @ grad) + s2
        if math.isfinite(mean) and math.isfinite(var):
            out.append((mean, math.sqrt(max(var, 0.0))))
    return out


class LearningCurvePruner(BasePruner):
    """Prune a trial whose extrapolated final value is worse than the best one with
    probability at least ``confidence``. See the module documentation for the rule.

    Args:
        max_resource: the step of the final report (e.g. the last epoch), or ``"auto"``:
            the last step of the COMPLETE trial that finished first.
        min_reports: finite reports needed before a curve is fitted (>= 4: three parameters
            and a residual).
        confidence: in (0.5, 1); how sure both families must be that the trial ends worse.
        interval_steps: judge every ``interval_steps`` steps (fits cost about a millisecond).
        n_startup_trials: no pruning until this many trials are COMPLETE.
        best_possible: the best value the objective can take (e.g. ``0.0`` for an error
            rate, ``1.0`` for an accuracy one maximises), or ``None``: no bound. The fitted
            asymptote may not pass it; without it, a curve still falling steeply can be
            extrapolated to impossible values.
    """

    def __init__(
        self,
        max_resource: int | Literal["auto"] = "auto",
        min_reports: int = 5,
        confidence: float = 0.95,
        interval_steps: int = 1,
        n_startup_trials: int = 1,
        best_possible: float | None = None,
    ) -> None:
        owner = type(self).__name__
        self._max_resource = check_resource(owner, "max_resource", max_resource)
        self._min_reports = check_int(owner, "min_reports", min_reports, 4)
        self._confidence = check_float(owner, "confidence", confidence, 0.5, 1.0)
        if not 0.5 < self._confidence < 1.0:
            raise ValueError(f"{owner}: confidence={confidence!r} must be a number in (0.5, 1)")
        self._interval = check_int(owner, "interval_steps", interval_steps, 1)
        self._n_startup = check_int(owner, "n_startup_trials", n_startup_trials, 1)
        self._best_possible = (
            None if best_possible is None else check_float(owner, "best_possible", best_possible)
        )

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        maximize = direction_of(study, self) == StudyDirection.MAXIMIZE
        if not is_judged_step(trial, 0, self._interval):
            return False
        curve = sorted((s, v) for s, v in trial.intermediate_values.items() if not math.isnan(v))
        if len(curve) < self._min_reports:
            return False
        complete = study.get_trials((TrialState.COMPLETE,))
        finals = [t.values[0] for t in complete if t.values and not math.isnan(t.values[0])]
        if len(finals) < self._n_startup:
            return False
        target = self._max_resource
        if target is None:
            first = first_completed(complete)
            if first is None or first.last_step is None:
                return False
            target = first.last_step
        sign = -1.0 if maximize else 1.0  # minimise sign * value
        best = min(sign * v for v in finals)
        if curve[-1][0] >= target or sign * curve[-1][1] <= best:
            return False
        floor = -math.inf if self._best_possible is None else sign * self._best_possible
        fits = extrapolate([s for s, _ in curve], [sign * v for _, v in curve], target, floor)
        if len(fits) < 2:
            return False
        return all(self._p_worse(mean, sd, best) >= self._confidence for mean, sd in fits)

    @staticmethod
    def _p_worse(mean: float, sd: float, best: float) -> float:
        """``P(final > best)`` for a normal prediction (minimising)."""
        if sd <= 0.0:
            return 1.0 if mean > best else 0.0
        return 0.5 * math.erfc((best - mean) / (sd * math.sqrt(2.0)))
