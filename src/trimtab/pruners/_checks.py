"""Shared by the pruners: argument checks, the study's one direction, when a step is judged."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from trimtab.exceptions import TrimtabError
from trimtab.trial import FrozenTrial, StudyDirection, TrialState

if TYPE_CHECKING:
    from trimtab.study import Study


def check_int(owner: str, arg: str, value: Any, low: int) -> int:
    """``value`` as an int >= ``low``, or a ValueError naming ``owner(arg=value)``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{owner}: {arg}={value!r} must be an integer >= {low}, got {type(value).__name__}"
        )
    if value < low:
        raise ValueError(f"{owner}: {arg}={value!r} must be an integer >= {low}")
    return int(value)


def check_float(
    owner: str, arg: str, value: Any, low: float = -math.inf, high: float = math.inf
) -> float:
    """``value`` as a finite float in ``[low, high]``, or a ValueError naming the argument."""
    allowed = (
        "a finite number"
        if math.isinf(low) and math.isinf(high)
        else f"a number >= {low:g}"
        if math.isinf(high)
        else f"a number in [{low:g}, {high:g}]"
    )
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{owner}: {arg}={value!r} must be {allowed}, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v) or not low <= v <= high:
        raise ValueError(f"{owner}: {arg}={value!r} must be {allowed}")
    return v


def check_resource(owner: str, arg: str, value: Any) -> int | None:
    """An ``int >= 1`` resource, or ``None`` for ``"auto"``."""
    if isinstance(value, str):
        if value == "auto":
            return None
        raise ValueError(f"{owner}: {arg}={value!r} must be 'auto' or an integer >= 1")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{owner}: {arg}={value!r} must be 'auto' or an integer >= 1")
    return int(value)


def direction_of(study: Study, pruner: object) -> StudyDirection:
    """The study's direction; a TrimtabError for a study with several objectives."""
    directions = study.directions
    if len(directions) != 1:
        raise TrimtabError(
            f"{type(pruner).__name__} prunes single-objective studies only; study "
            f"{study.study_name!r} has {len(directions)} objectives (trial.report is for "
            "single-objective studies too)"
        )
    return directions[0]


def is_judged_step(trial: FrozenTrial, n_warmup_steps: int, interval_steps: int) -> bool:
    """Whether the trial's latest report is one the pruner judges.

    Judged steps are the checkpoints ``n_warmup_steps + j * interval_steps`` (j = 0, 1, ...).
    A report is judged when a checkpoint lies after the previous report's step and at or
    before this one, so reports that skip steps still meet every interval once.
    """
    steps = sorted(trial.intermediate_values)
    if not steps or steps[-1] < n_warmup_steps:
        return False
    step = steps[-1]
    after = steps[-2] + 1 if len(steps) > 1 else 0  # the first step not judged before
    # the first checkpoint at or after ``after``
    checkpoint = n_warmup_steps + -(-max(0, after - n_warmup_steps) // interval_steps) * (
        interval_steps
    )
    return checkpoint <= step


def first_completed(trials: Iterable[FrozenTrial]) -> FrozenTrial | None:
    """The COMPLETE trial with reports that finished first (earliest completion, then number)."""
    done = [
        t
        for t in trials
        if t.state == TrialState.COMPLETE and t.intermediate_values and t.datetime_complete
    ]
    if not done:
        return None
    return min(done, key=lambda t: (t.datetime_complete, t.number))
