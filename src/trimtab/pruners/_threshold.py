"""``ThresholdPruner``: stop a trial whose latest value leaves a fixed band or is NaN.

A guard rather than a comparison between trials (no paper; the rule of Optuna's
``ThresholdPruner``): divergence (loss above ``upper``, accuracy below ``lower``, NaN) is
caught at once, whatever the other trials did.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from trimtab.pruners._base import BasePruner
from trimtab.pruners._checks import check_int, direction_of, is_judged_step
from trimtab.trial import FrozenTrial

if TYPE_CHECKING:
    from trimtab.study import Study


class ThresholdPruner(BasePruner):
    """Prune when the latest reported value is below ``lower``, above ``upper``, or NaN.

    Args:
        lower: prune values strictly below this (``None``: no lower bound).
        upper: prune values strictly above this (``None``: no upper bound). At least one
            bound is required, and ``lower <= upper``.
        n_warmup_steps: no pruning at steps below this (NaN included).
        interval_steps: judge every ``interval_steps`` steps from ``n_warmup_steps`` on (a
            report that jumps over a checkpoint is judged in its place).
    """

    def __init__(
        self,
        lower: float | None = None,
        upper: float | None = None,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        owner = type(self).__name__
        if lower is None and upper is None:
            raise ValueError(f"{owner}: lower=None and upper=None; give at least one bound")
        self._lower = self._bound(owner, "lower", lower, -math.inf)
        self._upper = self._bound(owner, "upper", upper, math.inf)
        if self._lower > self._upper:
            raise ValueError(
                f"{owner}: lower={lower!r} must be <= upper={upper!r} (no value would survive)"
            )
        self._n_warmup_steps = check_int(owner, "n_warmup_steps", n_warmup_steps, 0)
        self._interval_steps = check_int(owner, "interval_steps", interval_steps, 1)

    @staticmethod
    def _bound(owner: str, arg: str, value: Any, default: float) -> float:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise ValueError(f"{owner}: {arg}={value!r} must be a number or None")
        return float(value)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        direction_of(study, self)
        if not is_judged_step(trial, self._n_warmup_steps, self._interval_steps):
            return False
        latest = trial.intermediate_values[max(trial.intermediate_values)]
        return math.isnan(latest) or latest < self._lower or latest > self._upper
