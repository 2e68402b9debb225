"""Study-level records shared by storages and studies: directions and summaries."""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trimtab.trial._frozen import FrozenTrial


class StudyDirection(enum.IntEnum):
    """Whether an objective is minimised or maximised."""

    MINIMIZE = 1
    MAXIMIZE = 2

    def __repr__(self) -> str:
        return f"StudyDirection.{self.name}"

    @classmethod
    def parse(cls, value: Any, *, arg: str = "direction") -> StudyDirection:
        """Accept a ``StudyDirection`` or 'minimize'/'maximize' (any case)."""
        if isinstance(value, StudyDirection):
            return value
        if isinstance(value, str) and value.strip().lower() in ("minimize", "maximize"):
            return cls[value.strip().upper()]
        raise ValueError(f"{arg}={value!r} is not a direction; allowed: 'minimize', 'maximize'")


@dataclass(frozen=True)
class StudySummary:
    """What ``get_all_study_summaries`` tells about one study without loading its trials."""

    study_id: int
    study_name: str
    directions: Sequence[StudyDirection]
    n_trials: int
    n_trials_by_state: Mapping[str, int]
    best_trial: FrozenTrial | None
    datetime_created: datetime.datetime | None
    user_attrs: Mapping[str, Any] = field(default_factory=dict)
    system_attrs: Mapping[str, Any] = field(default_factory=dict)
