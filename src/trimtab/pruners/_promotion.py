"""The promotion form of asynchronous successive halving, for objectives that checkpoint.

Li, Jamieson, Rostamizadeh, Gonina, Ben-tzur, Hardt, Recht and Talwalkar, "A System for
Massively Parallel Hyperparameter Tuning", MLSys 2020, Algorithm 2 (``get_job``): when a
worker asks for work, look at the rungs from the top down; at rung ``k``, the candidates are
the trials among the top ``floor(n_k / eta)`` of the ``n_k`` trials that reached the rung
which are not promoted yet. Promote the first candidate found (it goes on to rung ``k + 1``);
if there is none at any rung, start a new trial at the bottom rung.

Here a trial's *ladder* is the list of budgets it pauses at, ending with ``max_resource``
(successive halving: one ladder for every trial; Hyperband: one per bracket, and trials are
only compared with trials of the same ladder). A trial reached rung ``k`` when it reported at
a step ``>= ladder[k]``; its rung value is its first report at such a step (the same rung
values as the stopping form); NaN ranks last, ties go to the lower trial number. A trial
waits at rung ``k`` when it is PAUSED with system attribute ``budget == ladder[k]``.

This module only reads records. Handing a promotion out exactly once is the study's job
(``trimtab.study``: a storage claim per trial and rung).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from trimtab.trial import FrozenTrial, TrialState

BUDGET_ATTR = "budget"
"""System attribute: the budget (steps to train up to) of the trial's current run."""


def rung_value(trial: FrozenTrial, resource: int) -> float | None:
    """The value at the trial's first report at a step >= ``resource`` (None: not reached)."""
    reached = [s for s in trial.intermediate_values if s >= resource]
    return trial.intermediate_values[min(reached)] if reached else None


def ladder(first: int, eta: int, max_resource: int) -> list[int]:
    """``first * eta**i`` below ``max_resource``, then ``max_resource``."""
    out = []
    r = first
    while r < max_resource:
        out.append(r)
        r *= eta
    return [*out, max_resource]


def promotable(
    trials: Iterable[FrozenTrial],
    ladder_of: Callable[[int], Sequence[int]],
    eta: int,
    maximize: bool,
) -> list[tuple[FrozenTrial, int]]:
    """The PAUSED trials that ASHA promotes now, first choice first, each with its next
    budget: higher rungs first, then better rung values, then lower numbers."""
    groups: dict[tuple[int, ...], list[FrozenTrial]] = {}
    for t in trials:
        if t.intermediate_values and t.state != TrialState.WAITING:
            groups.setdefault(tuple(ladder_of(t.number)), []).append(t)
    found: list[tuple[int, float, int, FrozenTrial, int]] = []
    for rungs, members in groups.items():
        for k in range(len(rungs) - 1):
            reached = []
            for t in members:
                v = rung_value(t, rungs[k])
                if v is not None:
                    reached.append((_key(v, maximize), t.number, t))
            reached.sort(key=lambda e: (e[0], e[1]))
            for key, number, t in reached[: len(reached) // eta]:
                if t.state == TrialState.PAUSED and t.system_attrs.get(BUDGET_ATTR) == rungs[k]:
                    found.append((-k, key, number, t, rungs[k + 1]))
    found.sort(key=lambda e: (e[0], e[1], e[2]))
    return [(e[3], e[4]) for e in found]


def _key(value: float, maximize: bool) -> float:
    """Sort key, smaller is better; NaN last."""
    if math.isnan(value):
        return math.inf
    return -value if maximize else value
