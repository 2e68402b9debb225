"""The pruner contract: when to stop a trial early.

A pruner decides from stored records only (the trial's reported intermediate values and the
study's other trials), so the decision is the same on whichever machine it is taken.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from trimtab.trial import FrozenTrial

if TYPE_CHECKING:
    from trimtab.study import Study


class BasePruner(abc.ABC):
    """Base class of every early-stopping rule."""

    @abc.abstractmethod
    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether ``trial`` (RUNNING, with its reports so far) should stop now."""


class NopPruner(BasePruner):
    """Never prunes. The default until a pruner is chosen."""

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        return False
