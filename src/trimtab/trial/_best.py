"""Which trials are best: the single-objective optimum and the Pareto front.

Constraints: a trial may carry the system attribute ``constraints`` (a list of numbers,
feasible when every one is ``<= 0``; written e.g. by ``NSGAIISampler(constraints_func=...)``).
When any COMPLETE trial carries it, only the best under constrained domination count (Deb et
al., NSGA-II, 2002, sec. V): the feasible trials if there are any (a trial without the
attribute counts as feasible), else those with the smallest total violation (the sum of the
positive values), since nothing is feasible yet.
"""

from __future__ import annotations

from collections.abc import Sequence

from trimtab.trial._frozen import FrozenTrial
from trimtab.trial._state import TrialState
from trimtab.trial._study_record import StudyDirection

CONSTRAINTS_ATTR = "constraints"
"""System attribute: a trial's constraint values (feasible when every one is <= 0)."""


def violation(t: FrozenTrial) -> float:
    """Total constraint violation: the sum of the positive constraint values (0: feasible)."""
    values = t._system_attrs.get(CONSTRAINTS_ATTR)
    if not values:
        return 0.0
    return float(sum(max(0.0, float(v)) for v in values))


def least_violating(trials: Sequence[FrozenTrial]) -> Sequence[FrozenTrial]:
    """The trials that count for "best" under stored constraints (see the module docstring)."""
    if not any(CONSTRAINTS_ATTR in t._system_attrs for t in trials):
        return trials
    totals = [violation(t) for t in trials]
    least = min(totals, default=0.0)
    return [t for t, v in zip(trials, totals, strict=True) if v == least]


def best_single(trials: Sequence[FrozenTrial], direction: StudyDirection) -> FrozenTrial | None:
    """The COMPLETE trial with the best value (the earliest on ties), or ``None``."""
    trials = least_violating(
        [t for t in trials if t.state == TrialState.COMPLETE and t.values is not None]
    )
    best: FrozenTrial | None = None
    best_value = 0.0
    maximize = direction == StudyDirection.MAXIMIZE
    for t in trials:
        if t.state != TrialState.COMPLETE or t.values is None:
            continue
        v = t.values[0]
        if best is None or (v > best_value if maximize else v < best_value):
            best, best_value = t, v
    return best


def pareto_front(
    trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]
) -> list[FrozenTrial]:
    """COMPLETE trials that no other COMPLETE trial dominates, in trial-number order
    (among the least violating under stored constraints).

    Trial ``a`` dominates ``b`` when it is at least as good in every objective and strictly
    better in one. Trials with identical values are all kept.
    """
    done = least_violating(
        [t for t in trials if t.state == TrialState.COMPLETE and t.values is not None]
    )
    signs = [1.0 if d == StudyDirection.MINIMIZE else -1.0 for d in directions]
    # minimise every objective; sorted lexicographically, a trial can only be dominated by
    # one before it, so one pass against the front so far is enough
    losses = sorted(
        (tuple(v * s for v, s in zip(t.values or (), signs, strict=True)), i)
        for i, t in enumerate(done)
    )
    front: list[tuple[float, ...]] = []
    keep: list[int] = []
    for loss, i in losses:
        dominated = any(
            all(f <= x for f, x in zip(other, loss, strict=True)) and other != loss
            for other in front
        )
        if not dominated:
            keep.append(i)
            front.append(loss)
    return sorted((done[i] for i in keep), key=lambda t: t.number)
