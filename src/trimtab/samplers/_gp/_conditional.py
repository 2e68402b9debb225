"""Conditional parameters for the GP: which parameter switches each one on, read off the
history, and the encoding of a parameter that is off.

A parameter that only some trials have (``x0`` only when ``branch == 'branin'``) is modelled
when the history shows a rule for it: a discrete parameter ``q`` (categorical or integer) such
that the parameter appears exactly in the trials where ``q`` appears with one of a set of
values. Rules nest (``gamma`` on ``kernel == 'rbf'``, ``kernel`` on ``model == 'svm'``). An
inactive input is pinned to one value in the history and in every candidate alike (0.5 for a
numeric input, the extra category -1 for a categorical one), so two trials that differ only in
parameters they do not have are the same point to the kernel, and the acquisition never spends
a proposal on the value of a parameter that would not be used. Lévesque, Durand, Gagné &
Sabourin, "Bayesian Optimization for Conditional Hyperparameter Spaces" (IJCNN 2017) show
that such an imputation of inactive hyperparameters matters for a GP on conditional spaces;
here which inputs are inactive is inferred from the trials instead of declared. A parameter
without such a rule (switched on by a float, say) is left out of the model and drawn at
random.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from trimtab.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
from trimtab.samplers._search_space import Rule, infer_rules

__all__ = ["Rule", "activity", "infer_rules", "off_values"]

NUMERIC_OFF = 0.5
CATEGORICAL_OFF = -1.0


def _integers(d: IntDistribution, u: np.ndarray) -> np.ndarray:
    """``d.from_unit`` of each element of ``u``."""
    if d.log and d.low != d.high:
        lo, hi = math.log(d.low - 0.5), math.log(d.high + 0.5)
        return np.clip(np.round(np.exp(lo + u * (hi - lo))), d.low, d.high)
    k = np.clip(np.floor(u * (d._n + 1)), 0, d._n)
    return np.asarray(d.low + k * d.step, dtype=float)


def off_values(space: Mapping[str, BaseDistribution]) -> np.ndarray:
    """Each input's value when its parameter is inactive."""
    return np.array(
        [
            CATEGORICAL_OFF if isinstance(d, CategoricalDistribution) else NUMERIC_OFF
            for d in space.values()
        ]
    )


def activity(
    space: Mapping[str, BaseDistribution], rules: Mapping[str, Rule]
) -> Callable[[np.ndarray], np.ndarray]:
    """A function of a matrix of encoded points (rows) giving which inputs are inactive."""
    names = list(space)
    col = {k: j for j, k in enumerate(names)}
    steps = []
    for k, rule in rules.items():
        d = space[rule.parent]
        assert isinstance(d, (CategoricalDistribution, IntDistribution))
        values = np.array(sorted(rule.values), dtype=float)
        steps.append((col[k], col[rule.parent], d, values))

    def inactive(xs: np.ndarray) -> np.ndarray:
        off = np.zeros(xs.shape, dtype=bool)
        for j, jp, d, values in steps:
            u = xs[:, jp]
            v = u if isinstance(d, CategoricalDistribution) else _integers(d, u)
            off[:, j] = off[:, jp] | ~np.isin(v, values)
        return off

    return inactive
