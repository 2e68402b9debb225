"""Variation operators of the genetic samplers, on genes in the unit-cube encoding.

A numeric parameter's gene is its ``to_unit`` code in [0, 1]; a categorical parameter's gene
is its choice index. Numeric genes are recombined by simulated binary crossover (SBX; Deb &
Agrawal, "Simulated Binary Crossover for Continuous Search Space", Complex Systems 9, 1995,
in the bounded form of Deb's NSGA-II code) and mutated by polynomial mutation (Deb & Goyal,
"A Combined Genetic Adaptive Search (GeneAS) for Engineering Design", 1996); categorical genes
are inherited from either parent with equal chance (uniform crossover) and mutated by drawing
another choice. A numeric mutation that would leave a discrete parameter (integer, stepped,
log-integer) on the same value is pushed on to the next value, so mutation always changes it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from trimtab.distributions import BaseDistribution, CategoricalDistribution


def encode(dist: BaseDistribution, value: object) -> float:
    if isinstance(dist, CategoricalDistribution):
        return float(dist.index_of(value))
    return dist.to_unit(value)


def decode(dist: BaseDistribution, gene: float) -> object:
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[int(gene)]
    return dist.from_unit(gene)


def _sbx_pair(x1: float, x2: float, eta: float, rng: random.Random) -> tuple[float, float]:
    """The two SBX children of genes ``x1`` and ``x2`` in [0, 1]."""
    if abs(x1 - x2) <= 1e-14:
        return x1, x2
    y1, y2 = min(x1, x2), max(x1, x2)
    u = rng.random()
    children = []
    for spread in (y1, 1.0 - y2):  # distance to the near bound, for each child
        beta = 1.0 + 2.0 * spread / (y2 - y1)
        alpha = 2.0 - beta ** -(eta + 1.0)
        if u <= 1.0 / alpha:
            betaq = (u * alpha) ** (1.0 / (eta + 1.0))
        else:
            betaq = (1.0 / (2.0 - u * alpha)) ** (1.0 / (eta + 1.0))
        children.append(betaq * (y2 - y1))
    c1 = 0.5 * (y1 + y2) - 0.5 * children[0]
    c2 = 0.5 * (y1 + y2) + 0.5 * children[1]
    return min(max(c1, 0.0), 1.0), min(max(c2, 0.0), 1.0)


def crossover(
    p1: Sequence[float],
    p2: Sequence[float],
    dists: Sequence[BaseDistribution],
    eta: float,
    rng: random.Random,
) -> list[float]:
    """One child of ``p1`` and ``p2``: each gene recombined with probability 1/2."""
    child = []
    for a, b, dist in zip(p1, p2, dists, strict=True):
        if rng.random() >= 0.5:
            child.append(a)
        elif isinstance(dist, CategoricalDistribution):
            child.append(b)
        else:
            c1, c2 = _sbx_pair(a, b, eta, rng)
            child.append(c1 if rng.random() < 0.5 else c2)
    return child


def _polynomial(x: float, eta: float, rng: random.Random) -> float:
    r = rng.random()
    power = 1.0 / (eta + 1.0)
    if r < 0.5:
        val = 2.0 * r + (1.0 - 2.0 * r) * (1.0 - x) ** (eta + 1.0)
        delta = val**power - 1.0
    else:
        val = 2.0 * (1.0 - r) + 2.0 * (r - 0.5) * x ** (eta + 1.0)
        delta = 1.0 - val**power
    return min(max(x + float(delta), 0.0), 1.0)


def mutate_gene(x: float, dist: BaseDistribution, eta: float, rng: random.Random) -> float:
    """A changed gene: another choice, or a polynomial step that changes the value."""
    if isinstance(dist, CategoricalDistribution):
        n = len(dist.choices)
        if n < 2:
            return x
        other = rng.randrange(n - 1)
        return float(other if other < int(x) else other + 1)
    y = _polynomial(x, eta, rng)
    before = dist.from_unit(x)
    if dist.from_unit(y) != before or dist.single():
        return y
    # a discrete parameter stayed on its value: walk on in the step's direction (or back, at
    # a bound) with doubling strides until the value changes
    direction = 1.0 if (y > x or (y == x and rng.random() < 0.5)) else -1.0
    for sign in (direction, -direction):
        stride = 1e-3
        while stride < 2.0:
            z = min(max(x + sign * stride, 0.0), 1.0)
            if dist.from_unit(z) != before:
                return z
            stride *= 2.0
    return y


def mutate(
    genes: Sequence[float],
    dists: Sequence[BaseDistribution],
    prob: float,
    eta: float,
    rng: random.Random,
) -> list[float]:
    """Each gene mutated with probability ``prob``."""
    return [
        mutate_gene(x, d, eta, rng) if rng.random() < prob else x
        for x, d in zip(genes, dists, strict=True)
    ]
