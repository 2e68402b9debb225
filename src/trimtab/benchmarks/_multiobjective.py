"""Two-objective test problems with known Pareto fronts, and the 2-d hypervolume.

- ZDT1, ZDT2, ZDT3 (Zitzler, Deb & Thiele, "Comparison of Multiobjective Evolutionary
  Algorithms: Empirical Results", Evolutionary Computation 8(2), 2000): ``x`` in [0, 1]^n,
  ``f1 = x1``, ``g = 1 + 9 / (n - 1) * sum(x2..xn)``, ``f2 = g * h(f1, g)`` with
  ``h = 1 - sqrt(f1/g)`` (convex front), ``1 - (f1/g)^2`` (concave) and
  ``1 - sqrt(f1/g) - (f1/g) sin(10 pi f1)`` (five disconnected pieces). The Pareto set is
  ``x2 = ... = xn = 0`` (``g = 1``). Here n = 10 (the paper uses 30), so a few hundred trials
  can approach the front.
- DTLZ2 with two objectives (Deb, Thiele, Laumanns & Zitzler, "Scalable Multi-Objective
  Optimization Test Problems", CEC 2002): ``x`` in [0, 1]^(1 + k), k = 10,
  ``g = sum((x_i - 0.5)^2 for the last k)``, ``f1 = (1 + g) cos(x1 pi / 2)``,
  ``f2 = (1 + g) sin(x1 pi / 2)``; the front is the quarter circle ``f1^2 + f2^2 = 1``.

Quality is the hypervolume (Zitzler & Thiele 1998: the area dominated by the found points and
bounded by a reference point, here (1.1, 1.1) for every problem, larger is better) and the
*hypervolume regret*: the front's hypervolume minus the found points', never negative. The
front's hypervolume is computed from 100,001 points of the analytic front (the non-dominated
ones, for ZDT3), which is exact to about 1e-5.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trimtab.benchmarks._problem import SuggestsParameters, suggest
from trimtab.distributions import BaseDistribution, FloatDistribution

REFERENCE = (1.1, 1.1)


def hypervolume(points: Sequence[Sequence[float]], reference: Sequence[float]) -> float:
    """Area dominated by ``points`` (two objectives, both minimised) within ``reference``.

    Points that do not strictly dominate the reference point add nothing.
    """
    rx, ry = float(reference[0]), float(reference[1])
    inside = [(float(p[0]), float(p[1])) for p in points if p[0] < rx and p[1] < ry]
    # the staircase: sweep the non-dominated points in order of f1
    front = _non_dominated(inside)
    area = 0.0
    for i, (x, y) in enumerate(front):
        right = front[i + 1][0] if i + 1 < len(front) else rx
        area += (right - x) * (ry - y)
    return area


def _non_dominated(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The non-dominated points of ``points`` sorted by f1 (f2 strictly decreasing)."""
    out: list[tuple[float, float]] = []
    for x, y in sorted(points):
        if not out or y < out[-1][1]:
            out.append((x, y))
    return out


@dataclass(frozen=True)
class MultiObjectiveProblem:
    """A problem with two minimised objectives and a known front's hypervolume."""

    name: str
    space: Mapping[str, BaseDistribution]
    function: Callable[[np.ndarray], tuple[float, float]]
    optimal_hypervolume: float
    reference: tuple[float, float] = REFERENCE
    description: str = ""

    def evaluate(self, params: Mapping[str, Any]) -> tuple[float, float]:
        return self.function(np.array([params[n] for n in self.space], dtype=float))

    def objective(self, trial: SuggestsParameters) -> tuple[float, float]:
        """Define-by-run objective for a study with two minimised objectives."""
        return self.evaluate({n: suggest(trial, n, d) for n, d in self.space.items()})

    def hypervolume_regret(self, values: Sequence[Sequence[float]]) -> float:
        """The front's hypervolume minus that of ``values`` (never negative)."""
        return max(0.0, self.optimal_hypervolume - hypervolume(values, self.reference))


def _zdt(h: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[[np.ndarray], Any]:
    def f(x: np.ndarray) -> tuple[float, float]:
        f1 = x[..., 0]
        g = 1.0 + 9.0 * np.sum(x[..., 1:], axis=-1) / (x.shape[-1] - 1)
        return float(f1), float(g * h(f1, g))

    return f


def _zdt1_h(f1: np.ndarray, g: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 - np.sqrt(f1 / g))


def _zdt2_h(f1: np.ndarray, g: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 - (f1 / g) ** 2)


def _zdt3_h(f1: np.ndarray, g: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 - np.sqrt(f1 / g) - (f1 / g) * np.sin(10 * math.pi * f1))


def _dtlz2(x: np.ndarray) -> tuple[float, float]:
    g = float(np.sum((x[1:] - 0.5) ** 2))
    angle = x[0] * math.pi / 2
    return (1 + g) * math.cos(angle), (1 + g) * math.sin(angle)


def _front_hypervolume(f1: np.ndarray, f2: np.ndarray) -> float:
    return hypervolume(np.column_stack([f1, f2]).tolist(), REFERENCE)


@functools.cache
def multiobjective_problems() -> dict[str, MultiObjectiveProblem]:
    n, k = 10, 10
    zdt_space = {f"x{i}": FloatDistribution(0.0, 1.0) for i in range(n)}
    dtlz_space = {f"x{i}": FloatDistribution(0.0, 1.0) for i in range(1 + k)}
    u = np.linspace(0.0, 1.0, 100_001)
    one = np.ones_like(u)
    zdts = (
        ("zdt1", _zdt1_h, "convex front"),
        ("zdt2", _zdt2_h, "concave front"),
        ("zdt3", _zdt3_h, "front in five disconnected pieces"),
    )
    out = [
        MultiObjectiveProblem(
            name,
            zdt_space,
            _zdt(h),
            _front_hypervolume(u, h(u, one)),
            description=f"{name.upper()}, 10-d, {front}",
        )
        for name, h, front in zdts
    ]
    out.append(
        MultiObjectiveProblem(
            "dtlz2",
            dtlz_space,
            _dtlz2,
            _front_hypervolume(np.cos(u * math.pi / 2), np.sin(u * math.pi / 2)),
            description="DTLZ2, two objectives, 11-d, quarter-circle front",
        )
    )
    return {p.name: p for p in out}


def get_multiobjective_problem(name: str) -> MultiObjectiveProblem:
    problems = multiobjective_problems()
    if name not in problems:
        raise ValueError(
            f"multi-objective problem {name!r} is not known; known: {sorted(problems)}"
        )
    return problems[name]
