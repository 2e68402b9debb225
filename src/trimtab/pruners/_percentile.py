"""``PercentilePruner`` and ``MedianPruner``: stop a trial that is worse than most others.

The median stopping rule of Golovin et al., "Google Vizier: A Service for Black-Box
Optimization", KDD 2017, section 3.2.1: stop a trial whose best objective value so far is
strictly worse than the median of the completed trials' values at the same step.
``PercentilePruner`` generalises the median to any percentile, as Optuna does.

The rule, at a judged report of trial ``t`` at step ``s`` (see ``n_warmup_steps`` and
``interval_steps``):

- ``best`` is the best value ``t`` reported at any step up to ``s`` (NaN reports ignored;
  a trial that reported only NaN is pruned);
- the reference values are the values that COMPLETE trials reported at exactly step ``s``
  (NaN ignored); with fewer than ``n_min_trials`` of them, or fewer than
  ``n_startup_trials`` COMPLETE trials in the study, nothing is pruned;
- minimising, ``t`` is pruned if ``best`` is strictly greater than the ``percentile``-th
  percentile of the reference values (linear interpolation between order statistics, as
  ``numpy.percentile``); maximising, if ``best`` is strictly less than the
  ``(100 - percentile)``-th percentile. So ``percentile=25`` keeps trials in the best quarter
  in both directions.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from trimtab.pruners._base import BasePruner
from trimtab.pruners._checks import check_float, check_int, direction_of, is_judged_step
from trimtab.trial import FrozenTrial, StudyDirection, TrialState

if TYPE_CHECKING:
    from trimtab.study import Study


def interpolated_percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values``, linear between order statistics."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


class PercentilePruner(BasePruner):
    """Prune a trial whose best value so far is worse than the ``percentile`` of the others.

    Args:
        percentile: in [0, 100]; the share (in percent) of trials to keep, e.g. 25 keeps a
            trial only while it is at least as good as the best quarter of completed trials.
        n_startup_trials: no pruning until this many trials are COMPLETE.
        n_warmup_steps: no pruning at steps below this.
        interval_steps: judge every ``interval_steps`` steps from ``n_warmup_steps`` on (a
            report that jumps over a checkpoint is judged in its place).
        n_min_trials: no pruning at a step that fewer COMPLETE trials reported (non-NaN).
    """

    def __init__(
        self,
        percentile: float,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        owner = type(self).__name__
        self._percentile = check_float(owner, "percentile", percentile, 0.0, 100.0)
        self._n_startup_trials = check_int(owner, "n_startup_trials", n_startup_trials, 0)
        self._n_warmup_steps = check_int(owner, "n_warmup_steps", n_warmup_steps, 0)
        self._interval_steps = check_int(owner, "interval_steps", interval_steps, 1)
        self._n_min_trials = check_int(owner, "n_min_trials", n_min_trials, 1)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        direction = direction_of(study, self)
        if not is_judged_step(trial, self._n_warmup_steps, self._interval_steps):
            return False
        complete = study.get_trials((TrialState.COMPLETE,))
        if len(complete) < self._n_startup_trials:
            return False
        step = max(trial.intermediate_values)
        maximize = direction == StudyDirection.MAXIMIZE
        own = [v for v in trial.intermediate_values.values() if not math.isnan(v)]
        if not own:
            return True  # only NaN so far
        best = max(own) if maximize else min(own)
        reference = [
            v
            for t in complete
            if t.number != trial.number
            for v in (t.intermediate_values.get(step),)
            if v is not None and not math.isnan(v)
        ]
        if not reference or len(reference) < self._n_min_trials:
            return False
        if maximize:
            return best < interpolated_percentile(reference, 100.0 - self._percentile)
        return best > interpolated_percentile(reference, self._percentile)


class MedianPruner(PercentilePruner):
    """``PercentilePruner(50, ...)``: prune a trial worse than the median of completed trials."""

    def __init__(
        self,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials)
