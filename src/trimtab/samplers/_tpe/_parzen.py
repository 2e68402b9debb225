"""Parzen estimators over the unit-cube encoding of a search space.

A mixture with one component per observation plus one prior component; each component is a
product of per-parameter kernels: a Gaussian truncated to [0, 1] for numeric parameters
(bandwidth by Scott's rule, clipped below at 1 / min(100, n + 1) as in Watanabe, "Tree-
structured Parzen Estimator: Understanding Its Algorithm Components and Their Roles for
Better Empirical Performance", 2023, section 3.3) and an Aitchison-Aitken kernel for
categorical parameters (Aitchison & Aitken, Biometrika 63(3), 1976). The prior component is a
wide Gaussian (sigma 1) at the centre, and uniform over the choices.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from trimtab.distributions import BaseDistribution, CategoricalDistribution

_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), vectorised."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return np.asarray(sign * (1.0 - poly * np.exp(-a * a)), dtype=float)


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _erf(z / _SQRT2))


class ParzenEstimator:
    """``observations``: name -> array (unit coordinates, or choice indices for categorical)."""

    def __init__(
        self,
        observations: Mapping[str, np.ndarray],
        space: Mapping[str, BaseDistribution],
        prior_weight: float = 1.0,
    ) -> None:
        self.space = dict(space)
        n = len(next(iter(observations.values()))) if observations else 0
        self.n = n
        weights = np.ones(n + 1)
        weights[-1] = prior_weight
        self.log_weights = np.log(weights / weights.sum())
        numeric = [k for k, d in space.items() if not isinstance(d, CategoricalDistribution)]
        self.numeric = numeric
        self.log_probs: dict[str, np.ndarray] = {}  # categorical: (n + 1, k) log kernel table
        d_num = max(len(numeric), 1)
        floor = 1.0 / min(100.0, n + 1.0)
        for name, dist in space.items():
            if isinstance(dist, CategoricalDistribution):
                obs = np.asarray(observations[name])
                k = len(dist.choices)
                table = np.full((n + 1, k), 1.0 / k)
                if k > 1 and n > 0:
                    b = min(0.5, 1.0 / (1.0 + math.sqrt(n)))  # shrinks as evidence grows
                    table[:n] = b / (k - 1)
                    table[np.arange(n), obs.astype(int)] = 1.0 - b
                self.log_probs[name] = np.log(table)
        # numeric parameters as matrices: (d, n + 1) centres and bandwidths, prior last
        obs_num = np.array([np.asarray(observations[k], dtype=float) for k in numeric]).reshape(
            len(numeric), n
        )
        if n > 1:
            std = obs_num.std(axis=1)
            ordered = np.sort(obs_num, axis=1)
            iqr = ordered[:, (3 * (n - 1)) // 4] - ordered[:, (n - 1) // 4]
            spread = np.where(iqr > 0, np.minimum(std, iqr / 1.34), std)
            bw = 1.059 * spread * n ** (-1.0 / (4 + d_num))
        else:
            bw = np.full(len(numeric), 0.5)
        self.mu = np.hstack([obs_num, np.full((len(numeric), 1), 0.5)])
        self.sigma = np.hstack(
            [
                np.repeat(np.clip(bw, floor, 1.0)[:, None], n, axis=1),
                np.ones((len(numeric), 1)),
            ]
        )
        self.inv_sigma = 1.0 / self.sigma
        mass = _normal_cdf((1.0 - self.mu) * self.inv_sigma) - _normal_cdf(
            -self.mu * self.inv_sigma
        )
        # per component, the sum over parameters of log(normaliser * sigma * sqrt(2 pi))
        self.log_norm = (np.log(np.maximum(mass, 1e-300)) + np.log(self.sigma) + _LOG_SQRT_2PI).sum(
            axis=0
        )

    def sample(
        self, rng: np.random.Generator, size: int, bandwidth_factor: float = 1.0
    ) -> dict[str, np.ndarray]:
        """``size`` draws; numeric bandwidths are multiplied by ``bandwidth_factor`` (BOHB's
        wider sampling, Falkner et al. 2018, section 4.1), categorical kernels are not."""
        comps = rng.choice(self.n + 1, size=size, p=np.exp(self.log_weights))
        out: dict[str, np.ndarray] = {}
        for name, table in self.log_probs.items():
            cum = np.exp(table[comps]).cumsum(axis=1)
            u = rng.random(size)[:, None] * cum[:, -1:]
            out[name] = (u > cum).sum(axis=1)
        if self.numeric:
            mu, sigma = self.mu[:, comps], self.sigma[:, comps] * bandwidth_factor  # (d, size)
            x = rng.normal(mu, sigma)
            bad = (x < 0.0) | (x > 1.0)
            for _ in range(100):  # rejection: a truncated Gaussian
                if not bad.any():
                    break
                x[bad] = rng.normal(mu[bad], sigma[bad])
                bad = (x < 0.0) | (x > 1.0)
            x = np.clip(x, 0.0, 1.0)
            for j, name in enumerate(self.numeric):
                out[name] = x[j]
        return out

    def log_pdf(self, xs: Mapping[str, np.ndarray]) -> np.ndarray:
        """Log density of each sample (rows) under the mixture."""
        size = len(next(iter(xs.values())))
        total = np.zeros((size, self.n + 1))
        if self.numeric:
            squares = np.zeros((size, self.n + 1))
            for j, name in enumerate(self.numeric):  # a loop of 2-d arrays beats one 3-d array
                z = (np.asarray(xs[name], dtype=float)[:, None] - self.mu[j][None, :]) * (
                    self.inv_sigma[j][None, :]
                )
                squares += z * z
            total -= 0.5 * squares + self.log_norm[None, :]
        for name, table in self.log_probs.items():
            total += table[:, np.asarray(xs[name]).astype(int)].T
        joint = total + self.log_weights[None, :]
        peak = joint.max(axis=1, keepdims=True)
        lse = peak + np.log(np.exp(joint - peak).sum(axis=1, keepdims=True))
        return np.asarray(lse[:, 0], dtype=float)
