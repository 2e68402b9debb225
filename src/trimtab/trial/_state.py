"""Trial states."""

from __future__ import annotations

import enum


class TrialState(enum.IntEnum):
    """Where a trial is in its life.

    WAITING (enqueued, not started) -> RUNNING -> one of COMPLETE, PRUNED, FAILED.

    PAUSED is the promotion form of successive halving (``optimize(checkpoint_root=...)``):
    a trial that trained up to its rung budget and saved a checkpoint is RUNNING -> PAUSED;
    when promoted it is PAUSED -> RUNNING again with a larger budget. A PAUSED trial is not
    finished: it keeps its reports, has no value, and can be told PRUNED to close it.
    """

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAILED = 3
    WAITING = 4
    PAUSED = 5

    def __repr__(self) -> str:
        return f"TrialState.{self.name}"

    def is_finished(self) -> bool:
        """COMPLETE, PRUNED and FAILED are final: nothing changes a finished trial."""
        return self in _FINISHED


_FINISHED = frozenset({TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED})
