"""``PatientPruner``: tolerate ``patience`` reports without improvement, then ask another pruner.

Patience-based early stopping, one of the stopping criteria studied by Prechelt, "Early
Stopping - But When?", Neural Networks: Tricks of the Trade, 1998 (stop when the validation
error has not improved for a while; here counted in reports, as Keras' ``EarlyStopping(
patience, min_delta)`` does), wrapped around another pruner as Optuna's ``PatientPruner`` is.

Walking the trial's reports in step order, a report *improves* when it is better than the
best value so far by more than ``min_delta`` (the first non-NaN report sets the best; NaN
never improves). The trial is *stale* once its last ``patience`` reports brought no
improvement. Only a stale trial is judged: by the wrapped pruner, or pruned outright when
``wrapped`` is None.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from trimtab.pruners._base import BasePruner
from trimtab.pruners._checks import check_float, check_int, direction_of
from trimtab.trial import FrozenTrial, StudyDirection

if TYPE_CHECKING:
    from trimtab.study import Study


class PatientPruner(BasePruner):
    """Wait ``patience`` reports without improvement before consulting ``wrapped``.

    Args:
        wrapped: the pruner that decides once the trial is stale; ``None`` prunes stale
            trials.
        patience: reports without improvement to tolerate (0: judge at every report).
        min_delta: how much better than the best so far a report must be to count as an
            improvement (>= 0).
    """

    def __init__(self, wrapped: BasePruner | None, patience: int, min_delta: float = 0.0) -> None:
        owner = type(self).__name__
        if wrapped is not None and not isinstance(wrapped, BasePruner):
            raise ValueError(
                f"{owner}: wrapped={wrapped!r} must be a trimtab.pruners pruner or None"
            )
        self._wrapped = wrapped
        self._patience = check_int(owner, "patience", patience, 0)
        self._min_delta = check_float(owner, "min_delta", min_delta, 0.0)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        maximize = direction_of(study, self) == StudyDirection.MAXIMIZE
        values = trial.intermediate_values
        if not values:
            return False
        best = math.nan
        waited = 0
        for step in sorted(values):
            v = values[step]
            if not math.isnan(v) and (
                math.isnan(best)
                or (v > best + self._min_delta if maximize else v < best - self._min_delta)
            ):
                best, waited = v, 0
            else:
                waited += 1
        if waited < self._patience:
            return False
        return True if self._wrapped is None else self._wrapped.prune(study, trial)

    def comparable_trials(
        self, study: Study, trial_number: int, trials: Sequence[FrozenTrial]
    ) -> list[FrozenTrial]:
        """As the wrapped pruner says (all trials when there is none)."""
        if self._wrapped is None:
            return list(trials)
        return self._wrapped.comparable_trials(study, trial_number, trials)

    def rung_resources(self, study: Study) -> list[int] | None:
        """The wrapped pruner's rungs (``None`` when there is none)."""
        return None if self._wrapped is None else self._wrapped.rung_resources(study)
