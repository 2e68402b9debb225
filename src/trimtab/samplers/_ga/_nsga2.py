"""NSGA-II (Deb, Pratap, Agarwal & Meyarivan, "A Fast and Elitist Multiobjective Genetic
Algorithm: NSGA-II", IEEE Transactions on Evolutionary Computation 6(2), 2002).

Survivors: the previous population and the new generation's COMPLETE trials are sorted into
non-dominated fronts (fast non-dominated sorting, sec. III-A); fronts fill the population in
order and the front that does not fit is cut by crowding distance (sec. III-B), largest first,
so the ends and the sparse parts of each front survive (the crowding distance is NSGA-II's
diversity mechanism). Parents come from binary tournaments on (rank, crowding distance)
(the crowded-comparison operator, sec. III-C); children from SBX and polynomial mutation as
in the paper (sec. IV), on the shared machinery of ``_base``.

Constraints (sec. V): ``constraints_func(trial)`` returns values that are feasible when
``<= 0``; they are computed when a COMPLETE trial is told and stored on it as the system
attribute ``constraints``. Trial ``a`` constrained-dominates ``b`` if ``a`` is feasible and
``b`` is not, if both are infeasible and ``a``'s total violation (the sum of the positive
values) is smaller, or if both are feasible and ``a`` dominates ``b``. ``study.best_trials``
honours the stored constraints (see ``trimtab.trial._best``).

With one objective the fronts are the trials ordered by value (ties share a front), so the
sampler is an elitist GA with crowding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from trimtab.samplers._ga._base import GeneticBase, Key, signed_values
from trimtab.trial import FrozenTrial, TrialState
from trimtab.trial._best import CONSTRAINTS_ATTR, violation

if TYPE_CHECKING:
    from trimtab.study import Study

Point = tuple[float, tuple[float, ...]]  # (total violation, losses)


def constrained_dominates(a: Point, b: Point) -> bool:
    if a[0] != b[0]:
        return a[0] < b[0]  # feasible (0) before infeasible; less violation first
    return all(x <= y for x, y in zip(a[1], b[1], strict=True)) and a[1] != b[1]


def fronts(points: Sequence[Point]) -> list[list[int]]:
    """Fast non-dominated sorting: indices of ``points`` front by front."""
    n = len(points)
    dominated_by: list[list[int]] = [[] for _ in range(n)]  # whom i dominates
    count = [0] * n  # how many dominate i
    for i in range(n):
        for j in range(i + 1, n):
            if constrained_dominates(points[i], points[j]):
                dominated_by[i].append(j)
                count[j] += 1
            elif constrained_dominates(points[j], points[i]):
                dominated_by[j].append(i)
                count[i] += 1
    out: list[list[int]] = []
    current = [i for i in range(n) if count[i] == 0]
    while current:
        out.append(current)
        following = []
        for i in current:
            for j in dominated_by[i]:
                count[j] -= 1
                if count[j] == 0:
                    following.append(j)
        current = sorted(following)
    return out


def crowding(losses: Sequence[tuple[float, ...]]) -> list[float]:
    """Crowding distance of each point of one front (infinite at the ends)."""
    n = len(losses)
    distance = [0.0] * n
    if n == 0:
        return distance
    for m in range(len(losses[0])):
        order = sorted(range(n), key=lambda i: losses[i][m])
        lo, hi = losses[order[0]][m], losses[order[-1]][m]
        distance[order[0]] = distance[order[-1]] = math.inf
        if hi == lo:
            continue
        for k in range(1, n - 1):
            gap = losses[order[k + 1]][m] - losses[order[k - 1]][m]
            distance[order[k]] += gap / (hi - lo)
    return distance


class NSGAIISampler(GeneticBase):
    """NSGA-II for one or several objectives. See the module docstring for the algorithm.

    ``population_size`` trials per generation (the first generation is random);
    ``crossover_prob``, ``mutation_prob`` (per gene, default ``1 / number of parameters``),
    ``crossover_eta`` and ``mutation_eta`` as in the paper (20 and 20);
    ``constraints_func(trial) -> Sequence[float]`` (feasible when every value is ``<= 0``).
    """

    def __init__(
        self,
        *,
        population_size: int = 50,
        crossover_prob: float = 0.9,
        mutation_prob: float | None = None,
        crossover_eta: float = 20.0,
        mutation_eta: float = 20.0,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(
            population_size=population_size,
            crossover_prob=crossover_prob,
            mutation_prob=mutation_prob,
            crossover_eta=crossover_eta,
            mutation_eta=mutation_eta,
            seed=seed,
        )
        if constraints_func is not None and not callable(constraints_func):
            raise ValueError(
                f"constraints_func={constraints_func!r} must be a callable (trial -> "
                "sequence of floats, feasible when <= 0) or None"
            )
        self._constraints = constraints_func

    def select(
        self, study: Study, pool: list[FrozenTrial], names: Sequence[str]
    ) -> tuple[list[FrozenTrial], list[Key]]:
        pool = sorted(pool, key=lambda t: t.number)
        points = [(violation(t), signed_values(study, t)) for t in pool]
        survivors: list[FrozenTrial] = []
        keys: list[Key] = []
        for rank, front in enumerate(fronts(points)):
            distance = crowding([points[i][1] for i in front])
            order = sorted(range(len(front)), key=lambda k: -distance[k])
            room = self.population_size - len(survivors)
            for k in order[:room]:
                survivors.append(pool[front[k]])
                keys.append((float(rank), -distance[k]))
            if len(survivors) >= self.population_size:
                break
        return survivors, keys

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> Mapping[str, Any] | None:
        if self._constraints is None or state != TrialState.COMPLETE:
            return None
        raw = self._constraints(trial.replace(state=state, values=values))
        try:
            constraints = [float(c) for c in raw]
        except (TypeError, ValueError):
            raise ValueError(
                f"constraints_func returned {raw!r} for trial {trial.number}; it must return "
                "a sequence of floats (feasible when <= 0)"
            ) from None
        if any(math.isnan(c) for c in constraints):
            raise ValueError(
                f"constraints_func returned {raw!r} for trial {trial.number}; NaN is not "
                "allowed (feasible when <= 0)"
            )
        return {CONSTRAINTS_ATTR: constraints}
