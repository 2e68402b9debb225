"""Synthetic test functions with known global minima.

Definitions, domains and optima follow Surjanovic & Bingham, "Virtual Library of Simulation
Experiments: Test Functions and Datasets" (Simon Fraser University, 2013), and for Hartmann
Dixon & Szegö, "The Global Optimization Problem: an Introduction" (1978). Styblinski-Tang's
minimum is -39.16616570377142 per dimension at x_i = -2.903534027771178.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from trimtab.benchmarks._problem import Problem
from trimtab.distributions import FloatDistribution

Vector = Callable[[np.ndarray], float]


def branin(x: np.ndarray) -> float:
    x1, x2 = float(x[0]), float(x[1])
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann3(x: np.ndarray) -> float:
    return float(-np.sum(_H_ALPHA * np.exp(-np.sum(_H3_A * (x - _H3_P) ** 2, axis=1))))


def hartmann6(x: np.ndarray) -> float:
    return float(-np.sum(_H_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def ackley(x: np.ndarray) -> float:
    d = len(x)
    return float(
        -20 * np.exp(-0.2 * np.sqrt(np.sum(x**2) / d))
        - np.exp(np.sum(np.cos(2 * np.pi * x)) / d)
        + 20
        + math.e
    )


def rosenbrock(x: np.ndarray) -> float:
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def levy(x: np.ndarray) -> float:
    w = 1 + (x - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + mid + tail)


def styblinski_tang(x: np.ndarray) -> float:
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


ST_ARGMIN = -2.903534027771178
ST_MIN_PER_DIM = -39.16616570377142


def vector_problem(
    name: str,
    func: Vector,
    bounds: list[tuple[float, float]],
    optimum: float,
    argmin: list[float],
    description: str,
) -> Problem:
    """A continuous problem over parameters x0, x1, ... with the given box bounds."""
    names = [f"x{i}" for i in range(len(bounds))]
    space = {n: FloatDistribution(lo, hi) for n, (lo, hi) in zip(names, bounds, strict=True)}

    def function(params: Mapping[str, Any]) -> float:
        return func(np.array([params[n] for n in names], dtype=float))

    return Problem(
        name=name,
        kind="synthetic",
        space=space,
        function=function,
        optimum=optimum,
        optimum_params=dict(zip(names, argmin, strict=True)),
        description=description,
    )


def synthetic_problems() -> list[Problem]:
    return [
        vector_problem(
            "branin",
            branin,
            [(-5, 10), (0, 15)],
            0.39788735772973816,
            [math.pi, 2.275],
            "Branin-Hoo, 2-d, three global minima",
        ),
        vector_problem(
            "hartmann3",
            hartmann3,
            [(0, 1)] * 3,
            -3.862779787332663,
            [0.114614, 0.555649, 0.852547],
            "Hartmann, 3-d, four local minima",
        ),
        vector_problem(
            "hartmann6",
            hartmann6,
            [(0, 1)] * 6,
            -3.3223680114155147,
            [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573],
            "Hartmann, 6-d, six local minima",
        ),
        vector_problem(
            "ackley5",
            ackley,
            [(-32.768, 32.768)] * 5,
            0.0,
            [0.0] * 5,
            "Ackley, 5-d, many local minima around one deep basin",
        ),
        vector_problem(
            "ackley10", ackley, [(-32.768, 32.768)] * 10, 0.0, [0.0] * 10, "Ackley, 10-d"
        ),
        vector_problem(
            "rosenbrock4",
            rosenbrock,
            [(-5, 10)] * 4,
            0.0,
            [1.0] * 4,
            "Rosenbrock, 4-d, a long curved valley",
        ),
        vector_problem("levy10", levy, [(-10, 10)] * 10, 0.0, [1.0] * 10, "Levy, 10-d"),
        vector_problem(
            "styblinski_tang8",
            styblinski_tang,
            [(-5, 5)] * 8,
            8 * ST_MIN_PER_DIM,
            [ST_ARGMIN] * 8,
            "Styblinski-Tang, 8-d",
        ),
    ]
