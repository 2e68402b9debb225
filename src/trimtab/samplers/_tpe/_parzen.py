"""Parzen estimators over the unit-cube encoding of a search space.

A weighted mixture with one component per observation plus one prior component (a Gaussian
as wide as the range, at its centre; uniform over the choices). Each component is a product
of per-parameter kernels, in one of two styles:

``"tpe"`` (``TPESampler``): the adaptive Parzen estimator of Bergstra, Bardenet, Bengio &
Kégl, "Algorithms for Hyper-Parameter Optimization" (NeurIPS 2011), section 4.2. Along each
numeric parameter a kernel is a Gaussian truncated to [0, 1] whose width is the larger of
the gaps from its value to the nearest different observed values on either side (0 and 1
bound the outside; the lowest and highest values look inwards only). ``m`` observations of
one value (integers repeat) share that gap, ``gap / m`` each: the local spacing, whatever
order the observations come in, and the more often a value was seen the more sharply it is
modelled. Widths are clipped to ``[max(0.01, (n + 2) ** -2), 1]``: the "magic clip" of
hyperopt with the exponent (2) and the minimum bandwidth factor (0.01) that Watanabe,
"Tree-structured Parzen Estimator: Understanding Its Algorithm Components and Their Roles
for Better Empirical Performance" (arXiv 2304.11127, 2023), studies in his bandwidth ablation;
exponent 1 (Optuna's ``1 / min(100, n + 2)``) keeps the few good observations' kernels wide.
``n`` may be given as an effective sample size below the count (``TPESampler`` passes the
good group's: weighted observations, of which equal objective values count as one).
A categorical kernel puts weight ``1 + p / (n + 1)`` on its observation's choice and
``p / (n + 1)`` on every choice (``p`` the prior weight), normalised.

``"bohb"`` (``BOHBSampler``): the product kernel of Falkner, Klein & Hutter (ICML 2018),
section 4.1 (statsmodels' KDE): one width per numeric parameter by Scott's rule on the
observations' spread (clipped below at ``1 / min(100, n + 1)``), and the Aitchison-Aitken
kernel (Biometrika 63(3), 1976) for categorical parameters.

Integer and stepped parameters (either style): a value's probability is the kernel's mass
over the value's cell of the encoding (each value owns an interval of [0, 1]; for ``log=True``
integers ``[log(v - 1/2), log(v + 1/2)]``), and draws are snapped to the value they fall on,
so l(x) / g(x) compares the probabilities of the values that would actually be tried.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri

from trimtab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
# the minimum bandwidth max(MIN_BANDWIDTH, (n + 2) ** -MAGIC_CLIP_EXPONENT), Watanabe (2023)
MIN_BANDWIDTH = 0.01
MAGIC_CLIP_EXPONENT = 2.0

Style = Literal["tpe", "bohb"]


def log_gauss_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Phi(b) - Phi(a)) elementwise for a <= b, accurate in both tails."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    flip = a > 0  # in the upper tail, the mirror image: no cancellation of values near 1
    lo, hi = np.where(flip, -b, a), np.where(flip, -a, b)
    with np.errstate(divide="ignore"):
        out = np.log(ndtr(hi) - ndtr(lo))
        tiny = out < -600.0  # underflow: in log space, log Phi(hi) + log(1 - Phi(lo) / Phi(hi))
        if tiny.any():
            lh, ll = log_ndtr(hi[tiny]), log_ndtr(lo[tiny])
            out[tiny] = lh + np.log(-np.expm1(ll - lh))
    return np.asarray(out, dtype=float)


def _tail(z: np.ndarray) -> np.ndarray:
    """Phi(-z) for z >= 0, as 0 beyond 8.5 (narrow kernels are mostly far from the bounds)."""
    out = np.zeros_like(z)
    near = z < 8.5
    out[near] = ndtr(-z[near])
    return out


class _Cells:
    """The cells of [0, 1] that a discrete numeric parameter's values own in the encoding
    (``to_unit`` / ``from_unit`` of ``trimtab.distributions``)."""

    def __init__(self, dist: FloatDistribution | IntDistribution) -> None:
        self.k = dist._n + 1
        self.log_int = isinstance(dist, IntDistribution) and dist.log and dist.low != dist.high
        self.low, self.high = float(dist.low), float(dist.high)
        if self.log_int:
            self.origin = math.log(dist.low - 0.5)
            self.span = math.log(dist.high + 0.5) - self.origin

    def snap(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(centre, left edge, right edge) of the cell each point of ``u`` falls in."""
        if self.log_int:
            v = np.clip(np.round(np.exp(self.origin + u * self.span)), self.low, self.high)
            return (
                (np.log(v) - self.origin) / self.span,
                (np.log(v - 0.5) - self.origin) / self.span,
                (np.log(v + 0.5) - self.origin) / self.span,
            )
        i = np.clip(np.floor(u * self.k), 0, self.k - 1)
        return (i + 0.5) / self.k, i / self.k, (i + 1) / self.k


def _cells(dist: BaseDistribution) -> _Cells | None:
    if isinstance(dist, IntDistribution) or (
        isinstance(dist, FloatDistribution) and dist.step is not None
    ):
        return _Cells(dist)
    return None


def neighbor_bandwidths(obs: np.ndarray) -> np.ndarray:
    """(d, n) widths for (d, n) observations: per parameter, the larger gap from a value to
    the nearest different observed values (0 and 1 bound the outside; the lowest and the
    highest value look inwards only, when there are two or more different values), shared
    by the observations of that value: ``m`` equal values get ``gap / m`` each."""
    d, n = obs.shape
    order = np.argsort(obs, axis=1)  # ties get equal widths: any order will do
    ext = np.empty((d, n + 2))  # sorted, between the bounds
    ext[:, 0], ext[:, -1] = 0.0, 1.0
    ext[:, 1:-1] = np.take_along_axis(obs, order, axis=1)
    gaps = np.diff(ext, axis=1)  # (d, n + 1): gaps[:, i] is ext[:, i + 1] - ext[:, i]
    width = np.maximum(gaps[:, :-1], gaps[:, 1:])
    if n >= 2:
        width[:, 0], width[:, -1] = gaps[:, 1], gaps[:, -2]
    tied = np.flatnonzero((gaps[:, 1:-1] == 0).any(axis=1))
    if tied.size:  # rows with equal values: measure from the ends of each run of them
        width[tied] = _run_widths(ext[tied], gaps[tied])
    out: np.ndarray = np.empty_like(width)
    np.put_along_axis(out, order, width, axis=1)
    return out


def _run_widths(ext: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    d, n = ext.shape[0], ext.shape[1] - 2
    idx = np.broadcast_to(np.arange(n + 2), (d, n + 2))
    # the first and last position of each run of equal values (the bounds are runs of their own)
    opens = np.ones((d, n + 2), dtype=bool)
    opens[:, 2:-1] = gaps[:, 1:-1] != 0
    start = np.maximum.accumulate(np.where(opens, idx, 0), axis=1)[:, 1:-1]
    closes = np.ones((d, n + 2), dtype=bool)
    closes[:, 1:-2] = gaps[:, 1:-1] != 0
    flipped = np.where(closes, idx, n + 1)[:, ::-1]
    end = np.minimum.accumulate(flipped, axis=1)[:, ::-1][:, 1:-1]
    left = np.take_along_axis(gaps, start - 1, axis=1)
    right = np.take_along_axis(gaps, end, axis=1)
    width = np.maximum(left, right)
    several = end[:, :1] < n  # at least two different values
    width = np.where(several & (start == 1), right, width)
    width = np.where(several & (end == n), left, width)
    return np.asarray(width / (end - start + 1), dtype=float)  # the gap shared by the run


def _scott_bandwidths(obs: np.ndarray, d_num: int) -> np.ndarray:
    """(d,) widths by Scott's rule, the spread being min(std, IQR / 1.34)."""
    n = obs.shape[1]
    if n < 2:
        return np.full(obs.shape[0], 0.5)
    std = obs.std(axis=1)
    ordered = np.sort(obs, axis=1)
    iqr = ordered[:, (3 * (n - 1)) // 4] - ordered[:, (n - 1) // 4]
    spread = np.where(iqr > 0, np.minimum(std, iqr / 1.34), std)
    return np.asarray(1.059 * spread * n ** (-1.0 / (4 + d_num)), dtype=float)


def _categorical_table(
    obs: np.ndarray, k: int, n: int, prior_weight: float, style: Style
) -> np.ndarray:
    """(n + 1, k) kernel probabilities, the prior (uniform) last."""
    table = np.full((n + 1, k), 1.0 / k)
    if n == 0 or k == 1:
        return table
    rows = np.arange(n)
    if style == "tpe":
        table[:n] = prior_weight / (n + 1)
        table[rows, obs.astype(int)] += 1.0
        table[:n] /= table[:n].sum(axis=1, keepdims=True)
    else:  # Aitchison-Aitken, with a smoothing that shrinks as evidence grows
        b = min(0.5, 1.0 / (1.0 + math.sqrt(n)))
        table[:n] = b / (k - 1)
        table[rows, obs.astype(int)] = 1.0 - b
    return table


class ParzenEstimator:
    """``observations``: name -> array (unit coordinates, or choice indices for categorical);
    ``weights``: one non-negative weight per observation (default: all 1); the prior
    component weighs ``prior_weight`` against them. ``effective_n`` (style ``"tpe"``): the
    sample size the minimum width is computed from, when the observations are worth fewer
    than their number (default: their number)."""

    def __init__(
        self,
        observations: Mapping[str, np.ndarray],
        space: Mapping[str, BaseDistribution],
        prior_weight: float = 1.0,
        *,
        weights: np.ndarray | None = None,
        style: Style = "tpe",
        effective_n: float | None = None,
    ) -> None:
        self.space = dict(space)
        n = len(next(iter(observations.values()))) if observations else 0
        self.n = n
        w = np.append(np.ones(n) if weights is None else np.asarray(weights, float), prior_weight)
        self.p = w / w.sum()
        with np.errstate(divide="ignore"):
            self.log_weights = np.log(self.p)
        self.log_probs = {  # categorical: (n + 1, k) log kernel tables
            name: np.log(
                _categorical_table(
                    np.asarray(observations[name]), len(dist.choices), n, prior_weight, style
                )
            )
            for name, dist in space.items()
            if isinstance(dist, CategoricalDistribution)
        }
        numeric = [k for k, d in space.items() if not isinstance(d, CategoricalDistribution)]
        self.numeric = numeric
        self.cells = [_cells(space[k]) for k in numeric]
        # numeric parameters as matrices: (d, n + 1) centres and bandwidths, prior last
        obs = np.array([np.asarray(observations[k], dtype=float) for k in numeric]).reshape(
            len(numeric), n
        )
        if style == "tpe":
            size = n if effective_n is None else min(float(n), effective_n)
            floor = max(MIN_BANDWIDTH, (size + 2.0) ** -MAGIC_CLIP_EXPONENT)
            bw = neighbor_bandwidths(obs)
        else:
            floor = 1.0 / min(100.0, n + 1.0)
            bw = np.repeat(_scott_bandwidths(obs, max(len(numeric), 1))[:, None], n, axis=1)
        self.mu = np.hstack([obs, np.full((len(numeric), 1), 0.5)])
        self.sigma = np.hstack([np.clip(bw, floor, 1.0), np.ones((len(numeric), 1))])
        self.inv_sigma = 1.0 / self.sigma
        # discrete parameters: the distinct (centre, width) kernels (few: values repeat, and
        # equal values have equal widths) and which one each component uses
        self.kernels: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for j, cells in enumerate(self.cells):
            if cells is not None:
                pairs, which = np.unique(self.mu[j] + 1j * self.sigma[j], return_inverse=True)
                self.kernels[j] = (pairs.real, 1.0 / pairs.imag, which)
        # per component, the log of its mass on [0, 1] summed over the parameters, plus the
        # log(sigma sqrt(2 pi)) of the continuous ones
        # 1 - (mass below 0) - (mass above 1); a kernel's centre lies in [0, 1], so the mass
        # is at least a quarter, and a tail beyond 8.5 sigmas (< 1e-17) is left out
        log_mass = np.log1p(
            -(_tail(self.mu * self.inv_sigma) + _tail((1.0 - self.mu) * self.inv_sigma))
        )
        continuous = np.array([c is None for c in self.cells], dtype=bool)
        self.continuous = continuous
        inv2 = self.inv_sigma[continuous] ** 2  # (d_continuous, n + 1)
        self.quad, self.lin = inv2, self.mu[continuous] * inv2
        self.const = (self.mu[continuous] * self.lin).sum(axis=0)
        self.log_norm = log_mass.sum(axis=0) + (np.log(self.sigma[continuous]) + _LOG_SQRT_2PI).sum(
            axis=0
        )

    def sample(
        self, rng: np.random.Generator, size: int, bandwidth_factor: float = 1.0
    ) -> dict[str, np.ndarray]:
        """``size`` draws; numeric bandwidths are multiplied by ``bandwidth_factor`` (BOHB's
        wider sampling, Falkner et al. 2018, section 4.1), categorical kernels are not."""
        comps = rng.choice(self.n + 1, size=size, p=self.p)
        out: dict[str, np.ndarray] = {}
        for name, table in self.log_probs.items():
            cum = np.exp(table[comps]).cumsum(axis=1)
            u = rng.random(size)[:, None] * cum[:, -1:]
            out[name] = (u > cum).sum(axis=1)
        if self.numeric:
            mu, sigma = self.mu[:, comps], self.sigma[:, comps] * bandwidth_factor  # (d, size)
            # by the inverse CDF of each truncated Gaussian
            lo, hi = ndtr(-mu / sigma), ndtr((1.0 - mu) / sigma)
            x = mu + sigma * ndtri(lo + rng.random(mu.shape) * (hi - lo))
            x = np.clip(np.nan_to_num(x, nan=0.5), 0.0, 1.0)
            for j, name in enumerate(self.numeric):
                cells = self.cells[j]
                out[name] = x[j] if cells is None else cells.snap(x[j])[0]
        return out

    def log_pdf(self, xs: Mapping[str, np.ndarray]) -> np.ndarray:
        """Log density (probability, along discrete parameters) of each sample."""
        size = len(next(iter(xs.values())))
        total = np.zeros((size, self.n + 1))
        if self.numeric:
            if self.continuous.any():
                # sum_j ((x_j - mu_jk) / sigma_jk)^2, expanded into two matrix products
                x = np.array(
                    [xs[name] for name, c in zip(self.numeric, self.continuous, strict=True) if c]
                )
                x = x.reshape(-1, size).T
                total -= 0.5 * ((x * x) @ self.quad - 2.0 * x @ self.lin + self.const[None, :])
            for j, name in enumerate(self.numeric):
                cells = self.cells[j]
                if cells is not None:
                    _, left, right = cells.snap(np.asarray(xs[name], dtype=float))
                    centre, inv_width, which = self.kernels[j]
                    mass = log_gauss_mass(
                        (left[:, None] - centre) * inv_width, (right[:, None] - centre) * inv_width
                    )
                    total += mass[:, which]
            total -= self.log_norm[None, :]
        for name, table in self.log_probs.items():
            total += table[:, np.asarray(xs[name]).astype(int)].T
        joint = total + self.log_weights[None, :]
        peak = joint.max(axis=1, keepdims=True)
        peak[~np.isfinite(peak)] = 0.0
        with np.errstate(divide="ignore"):
            lse = peak + np.log(np.exp(joint - peak).sum(axis=1, keepdims=True))
        return np.asarray(lse[:, 0], dtype=float)
