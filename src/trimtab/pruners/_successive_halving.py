"""``SuccessiveHalvingPruner``: asynchronous successive halving (ASHA).

Li, Jamieson, Rostamizadeh, Gonina, Ben-tzur, Hardt, Recht and Talwalkar, "A System for
Massively Parallel Hyperparameter Tuning", MLSys 2020, Algorithm 2 (asynchronous successive
halving), in its stopping form: a trial that is not promoted is stopped, since a trial
cannot be paused, and nobody waits for a rung to fill.

Rungs. Rung ``k`` (k = 0, 1, ...) sits at resource (step) ``r_k = min_resource *
reduction_factor ** (k + min_early_stopping_rate)``; rungs at or above ``max_resource``
(when given) are never judged, since a trial that got there has finished its training.

Rung values, from stored reports only (the pruner writes nothing): a trial *reached* rung
``k`` when it reported at some step ``>= r_k``, and its rung value is the value it reported
at the first such step. Every trial of the study, whatever its state, that reached the rung
counts; a NaN rung value ranks below every number.

The rule. A trial is judged at a rung once, at the report that first reaches the rung (its
latest report when ``should_prune`` is called; call ``should_prune`` after every report).
With ``n`` trials at the rung, itself included, it continues only if it is among the best
``max(1, n // reduction_factor)`` of them, i.e. fewer than that many others are strictly
better (ties favour it; the ``max(1, .)`` lets the best of the first ``reduction_factor - 1``
arrivals go on). It stops if its own rung value is NaN, or if fewer than
``bootstrap_count`` other trials had reached the rung. Several rungs reached by one report
(reports that skip steps) are all judged.

``min_resource="auto"``: ``max(1, (last_step + 1) // 100)`` of the COMPLETE trial (with
reports) that finished first (earliest completion time, then lowest number), i.e. about a
hundredth of a full training's steps. Until a trial completes, nothing is pruned.

The promotion form (``study.optimize(..., checkpoint_root=...)``, Algorithm 2 as written,
see ``_promotion``) needs an integer ``min_resource`` and ``max_resource``: every trial
pauses at ``min_resource * eta**(s + k)`` below ``max_resource``, then runs to
``max_resource``; ``bootstrap_count`` plays no part there (a rung promotes its top
``floor(n / eta)``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from trimtab.pruners._base import BasePruner
from trimtab.pruners._checks import check_int, check_resource, direction_of, first_completed
from trimtab.pruners._promotion import ladder, promotable, rung_value
from trimtab.trial import FrozenTrial, StudyDirection

if TYPE_CHECKING:
    from trimtab.study import Study


def auto_min_resource(trials: Iterable[FrozenTrial]) -> int | None:
    """``min_resource="auto"``: a hundredth of the first completed trial's steps, at least 1."""
    first = first_completed(trials)
    if first is None or first.last_step is None:
        return None
    return max(1, (first.last_step + 1) // 100)


def rungs_reached(
    trial: FrozenTrial, min_resource: int, eta: int, rate: int, max_resource: int | None
) -> list[int]:
    """Resources of the rungs that the trial's latest report is the first to reach."""
    steps = sorted(trial.intermediate_values)
    if not steps:
        return []
    after = steps[-2] if len(steps) > 1 else -1
    out = []
    r = min_resource * eta**rate
    while r <= steps[-1] and (max_resource is None or r < max_resource):
        if r > after:
            out.append(r)
        r *= eta
    return out


def stops_at_rungs(
    trial: FrozenTrial,
    others: Iterable[FrozenTrial],
    rungs: list[int],
    eta: int,
    bootstrap_count: int,
    maximize: bool,
) -> bool:
    """Whether ``trial`` fails the top-``1/eta`` rule at any of ``rungs`` against ``others``."""
    if not rungs:
        return False
    others = [t for t in others if t.number != trial.number]
    for r in rungs:
        own = rung_value(trial, r)
        assert own is not None
        competing = [v for t in others for v in (rung_value(t, r),) if v is not None]
        if len(competing) < bootstrap_count or math.isnan(own):
            return True
        better = sum(
            1 for v in competing if not math.isnan(v) and (v > own if maximize else v < own)
        )
        if better >= max(1, (len(competing) + 1) // eta):
            return True
    return False


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving: keep the top ``1/reduction_factor`` at every rung.

    Args:
        min_resource: the first rung's step, or ``"auto"`` (see the module documentation).
        reduction_factor: ``eta`` >= 2; rungs are ``eta`` times apart and ``1/eta`` of the
            trials at a rung go on.
        min_early_stopping_rate: ``s`` >= 0; the first rung is at ``min_resource * eta**s``.
        bootstrap_count: a trial goes on from a rung only if at least this many other trials
            reached the rung (earlier ones stop).
        max_resource: keyword only; rungs at or above it are not judged, so a trial whose
            last step is ``max_resource`` ends COMPLETE (``None``: every rung is judged).
    """

    def __init__(
        self,
        min_resource: int | Literal["auto"] = "auto",
        reduction_factor: int = 3,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
        *,
        max_resource: int | None = None,
    ) -> None:
        owner = type(self).__name__
        self._min_resource = check_resource(owner, "min_resource", min_resource)
        self._eta = check_int(owner, "reduction_factor", reduction_factor, 2)
        self._rate = check_int(owner, "min_early_stopping_rate", min_early_stopping_rate, 0)
        self._bootstrap_count = check_int(owner, "bootstrap_count", bootstrap_count, 0)
        self._max_resource = (
            None if max_resource is None else check_int(owner, "max_resource", max_resource, 1)
        )

    def rung_resources(self, study: Study) -> list[int]:
        """The rungs, then ``max_resource``; without ``max_resource``, the rungs up to the
        largest step any trial reported. ``[]`` while ``min_resource="auto"`` is unknown."""
        min_resource = self._min_resource
        trials = None
        if min_resource is None:
            trials = study.get_trials()
            min_resource = auto_min_resource(trials)
            if min_resource is None:
                return []
        top = self._max_resource
        if top is None:
            trials = study.get_trials() if trials is None else trials
            top = max((t.last_step or 0 for t in trials), default=0)
        out = []
        r = min_resource * self._eta**self._rate
        while r < top or (self._max_resource is None and r == top):
            out.append(r)
            r *= self._eta
        return out if self._max_resource is None else [*out, self._max_resource]

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        maximize = direction_of(study, self) == StudyDirection.MAXIMIZE
        if not trial.intermediate_values:
            return False
        trials = None
        min_resource = self._min_resource
        if min_resource is None:
            trials = study.get_trials()
            min_resource = auto_min_resource(trials)
            if min_resource is None:
                return False
        rungs = rungs_reached(trial, min_resource, self._eta, self._rate, self._max_resource)
        if not rungs:
            return False
        if trials is None:
            trials = study.get_trials()
        return stops_at_rungs(trial, trials, rungs, self._eta, self._bootstrap_count, maximize)

    def budgets(self, study: Study, trial_number: int) -> list[int]:
        """The promotion form: the rungs below ``max_resource``, then ``max_resource``."""
        owner = type(self).__name__
        if self._min_resource is None:
            raise ValueError(
                f"{owner}: min_resource='auto' has no promotion form (checkpoint_root); "
                "pass an integer min_resource >= 1"
            )
        if self._max_resource is None:
            raise ValueError(
                f"{owner}: max_resource=None has no promotion form (checkpoint_root); pass "
                "max_resource=<the full training's steps>"
            )
        first = self._min_resource * self._eta**self._rate
        return ladder(first, self._eta, self._max_resource)

    def promotions(self, study: Study) -> list[tuple[FrozenTrial, int]]:
        rungs = self.budgets(study, 0)
        maximize = direction_of(study, self) == StudyDirection.MAXIMIZE
        return promotable(study.get_trials(), lambda _: rungs, self._eta, maximize)
