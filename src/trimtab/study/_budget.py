"""A budget shared by independent workers: the study's total number of trials.

``TotalTrials(n)`` is asked before each new trial (``trimtab worker --n-trials n``). It
counts the study's trials that run or ran (RUNNING, COMPLETE, PRUNED, FAILED; WAITING ones
count once a worker takes them) and lets a worker start one more only while that count is
below ``n``. Counting alone would let two workers that both see ``n - 1`` start one each, so
each start also claims a slot ``total-trials:<k>`` (``BaseStorage.claim``, atomic): at most
``n`` trials are ever started under the budget, whatever the number of workers. A worker
killed between claiming a slot and creating its trial (a few statements) leaves that slot
unused; a later worker with a larger ``--n-trials`` finds the remaining ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from trimtab.trial import TrialState

if TYPE_CHECKING:
    from trimtab.study._study import Study

COUNTED = (TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED)
SLOT_PREFIX = "total-trials:"


@dataclass(frozen=True)
class TotalTrials:
    n_trials: int

    def __call__(self, study: Study) -> bool:
        """Whether this worker may start one more trial (its slot is then claimed)."""
        storage, sid = study.storage, study._study_id
        k = storage.get_n_trials(sid, COUNTED)
        while k < self.n_trials:
            if storage.claim(sid, f"{SLOT_PREFIX}{k}"):
                return True
            k += 1
        return False
