"""A benchmark problem: a search space, an objective on it, and the value to beat."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from trimtab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)


class SuggestsParameters(Protocol):
    """What ``Problem.objective`` needs from a trial (trimtab's and Optuna's both fit)."""

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = ..., log: bool = ...
    ) -> float: ...

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = ..., log: bool = ...
    ) -> int: ...

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...


@dataclass(frozen=True)
class Condition:
    """Parameter ``child`` exists only when ``parent`` takes one of ``values``."""

    parent: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Problem:
    """A minimisation problem with a known optimum (synthetic) or best known value (real).

    ``space`` lists every parameter in suggestion order; ``conditions`` says which exist only
    under a parent's choice. ``optimum_params`` is a point attaining ``optimum`` when known.
    ``resolution`` is the objective's unit when it counts something (a classification task's
    error moves by about ``1 / n_samples`` per misclassified example), else 0: differences
    well under one unit are not differences in what it measures (``quantize``).
    """

    name: str
    kind: str  # "synthetic", "mixed", "conditional" or "real"
    space: Mapping[str, BaseDistribution]
    function: Callable[[Mapping[str, Any]], float]
    optimum: float
    optimum_params: Mapping[str, Any] | None = None
    conditions: Mapping[str, Condition] = field(default_factory=dict)
    description: str = ""
    resolution: float = 0.0

    def active(self, name: str, params: Mapping[str, Any]) -> bool:
        """Whether ``name`` exists given the parent values in ``params``."""
        cond = self.conditions.get(name)
        return cond is None or params.get(cond.parent) in cond.values

    def evaluate(self, params: Mapping[str, Any]) -> float:
        """The objective at ``params`` (inactive parameters are ignored)."""
        return float(self.function({k: v for k, v in params.items() if self.active(k, params)}))

    def objective(self, trial: SuggestsParameters) -> float:
        """Define-by-run objective: suggests the active parameters, then evaluates."""
        params: dict[str, Any] = {}
        for name, dist in self.space.items():
            if self.active(name, params):
                params[name] = suggest(trial, name, dist)
        return self.evaluate(params)

    def regret(self, value: float) -> float:
        """Simple regret: how far ``value`` is above the optimum (never negative)."""
        return max(0.0, value - self.optimum)

    def quantize(self, regret: float) -> float:
        """``regret`` in whole units of ``resolution`` (unchanged when it is 0).

        A cross-validated error is a mean of fold errors, so the same number of misclassified
        examples comes out a little different depending on which folds they fall in (on
        breast_cancer's folds of 190, 190 and 189 examples, 2 errors are 0.003508 or 0.003509):
        rounding to whole examples makes those equal, while one example more or less stays a
        full unit apart."""
        if self.resolution <= 0:
            return regret
        return round(regret / self.resolution) * self.resolution


def suggest(trial: SuggestsParameters, name: str, dist: BaseDistribution) -> Any:
    """Suggest ``dist`` through the suggest_* methods any framework's trial has."""
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, CategoricalDistribution):
        return trial.suggest_categorical(name, list(dist.choices))
    raise TypeError(f"unknown distribution {dist!r}")
