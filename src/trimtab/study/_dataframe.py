"""``Study.trials_dataframe``: the trials as a pandas table, one row per trial."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from trimtab.study._study import Study

DEFAULT_ATTRS = (
    "number",
    "value",
    "datetime_start",
    "datetime_complete",
    "duration",
    "params",
    "user_attrs",
    "system_attrs",
    "state",
    "fail_reason",
)
_ALLOWED = (*DEFAULT_ATTRS, "intermediate_values")


def trial_rows(study: Study, attrs: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Flat rows: ``params_<name>``, ``user_attrs_<key>``, ``value`` or ``values_<i>``..."""
    attrs = tuple(attrs or DEFAULT_ATTRS)
    for a in attrs:
        if a not in _ALLOWED:
            raise ValueError(f"attrs entry {a!r} is not a trial field; allowed: {_ALLOWED!r}")
    multi = len(study.directions) > 1
    rows = []
    for t in study.get_trials():
        row: dict[str, Any] = {}
        for a in attrs:
            if a == "number":
                row["number"] = t.number
            elif a == "value":
                if multi:
                    for i in range(len(study.directions)):
                        row[f"values_{i}"] = None if t.values is None else t.values[i]
                else:
                    row["value"] = None if t.values is None else t.values[0]
            elif a == "state":
                row["state"] = t.state.name
            elif a in ("params", "user_attrs", "system_attrs", "intermediate_values"):
                for k, v in getattr(t, a).items():
                    row[f"{a}_{k}"] = v
            elif a == "fail_reason":
                row["fail_reason"] = (
                    None
                    if t.fail_reason is None
                    else (f"{t.fail_reason.get('type')}: {t.fail_reason.get('message')}")
                )
            else:
                row[a] = getattr(t, a)
        rows.append(row)
    return rows


def trials_dataframe(study: Study, attrs: Sequence[str] | None, multi_index: bool) -> pd.DataFrame:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError('trials_dataframe needs pandas: pip install "trimtab[pandas]"') from None
    rows = trial_rows(study, attrs)
    df = pd.DataFrame(rows)
    if multi_index and len(df.columns):
        prefixes = ("params_", "user_attrs_", "system_attrs_", "intermediate_values_", "values_")
        tuples = []
        for c in df.columns:
            for p in prefixes:
                if c.startswith(p):
                    tuples.append((p[:-1], c[len(p) :]))
                    break
            else:
                tuples.append((c, ""))
        df.columns = pd.MultiIndex.from_tuples(tuples)
    return df
