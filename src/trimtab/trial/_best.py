"""Which trials are best: the single-objective optimum and the Pareto front."""

from __future__ import annotations

from collections.abc import Sequence

from trimtab.trial._frozen import FrozenTrial
from trimtab.trial._state import TrialState
from trimtab.trial._study_record import StudyDirection


def best_single(trials: Sequence[FrozenTrial], direction: StudyDirection) -> FrozenTrial | None:
    """The COMPLETE trial with the best value (the earliest on ties), or ``None``."""
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
    """COMPLETE trials that no other COMPLETE trial dominates, in trial-number order.

    Trial ``a`` dominates ``b`` when it is at least as good in every objective and strictly
    better in one. Trials with identical values are all kept.
    """
    done = [t for t in trials if t.state == TrialState.COMPLETE and t.values is not None]
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
