"""Trial states."""

from __future__ import annotations

import enum


class TrialState(enum.IntEnum):
    """Where a trial is in its life.

    WAITING (enqueued, not started) -> RUNNING -> one of COMPLETE, PRUNED, FAILED.
    """

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAILED = 3
    WAITING = 4

    def __repr__(self) -> str:
        return f"TrialState.{self.name}"

    def is_finished(self) -> bool:
        """COMPLETE, PRUNED and FAILED are final: nothing changes a finished trial."""
        return self in _FINISHED


_FINISHED = frozenset({TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED})
