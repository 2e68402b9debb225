"""Checking what an objective returned before it becomes a trial's values."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any


def check_values(result: Any, n_objectives: int) -> tuple[list[float] | None, str | None]:
    """``(values, None)`` if ``result`` is a valid outcome, else ``(None, reason)``."""
    if type(result) is float and n_objectives == 1 and math.isfinite(result):
        return [result], None  # the common case, checked first
    if result is None:
        return None, "the objective returned None; return a float (or one per objective)"
    items: Sequence[Any]
    if isinstance(result, numbers.Real) and not isinstance(result, bool):
        items = [result]
    elif isinstance(result, Sequence) and not isinstance(result, str | bytes):
        items = result
    elif hasattr(result, "tolist") and not isinstance(result, bool):  # numpy scalar/array
        converted = result.tolist()
        items = converted if isinstance(converted, list) else [converted]
    else:
        return None, (
            f"the objective returned {result!r} of type {type(result).__name__}; "
            "return a float (or a sequence of floats, one per objective)"
        )
    if len(items) != n_objectives:
        return None, (
            f"the objective returned {len(items)} value(s) {list(items)!r} but the study has "
            f"{n_objectives} objective(s)"
        )
    values = []
    for v in items:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            return None, f"the objective returned {v!r}, which is not a real number"
        f = float(v)
        if not math.isfinite(f):
            return None, f"the objective returned {f!r}; values must be finite"
        values.append(f)
    return values, None
