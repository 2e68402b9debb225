"""The pruner contract: when to stop a trial early.

A pruner decides from stored records only (the trial's reported intermediate values and the
study's other trials), so the decision is the same on whichever machine it is taken. Pruners
read records; they never write storage.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING

from trimtab.trial import FrozenTrial

if TYPE_CHECKING:
    from trimtab.study import Study


class BasePruner(abc.ABC):
    """Base class of every early-stopping rule."""

    @abc.abstractmethod
    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether ``trial`` (RUNNING, with its reports so far) should stop now."""

    def comparable_trials(
        self, study: Study, trial_number: int, trials: Sequence[FrozenTrial]
    ) -> list[FrozenTrial]:
        """The trials of ``trials`` that a sampler should learn from for trial ``trial_number``.

        Most pruners treat every trial alike and return ``trials`` unchanged (as a new list).
        ``HyperbandPruner`` keeps only the trials of the same bracket as ``trial_number``, whose
        values were measured under the same early-stopping schedule.
        """
        return list(trials)

    def rung_resources(self, study: Study) -> list[int] | None:
        """The resources (steps) at which this pruner compares trials, ascending, ending with
        the full training's ``max_resource`` when it is known.

        ``None`` (the default): the pruner does not work in rungs. ``[]``: it does, but the
        rungs are not known yet (``"auto"`` resources before a trial completes). Model-based
        Hyperband (``trimtab.samplers.BOHBSampler``) fits its model at one of these.
        """
        return None

    def budgets(self, study: Study, trial_number: int) -> list[int] | None:
        """The promotion form (``study.optimize(..., checkpoint_root=...)``): the budgets
        trial ``trial_number`` trains up to, one run each, ending with ``max_resource``.

        ``None`` (the default): this pruner has no promotion form. Pruners that have one
        raise ``ValueError`` naming the argument it needs (e.g. an integer ``max_resource``).
        """
        return None

    def promotions(self, study: Study) -> list[tuple[FrozenTrial, int]]:
        """The PAUSED trials to promote now, first choice first, with their next budget.

        Read from stored records only; the study hands each promotion out exactly once.
        """
        return []


class NopPruner(BasePruner):
    """Never prunes. The default until a pruner is chosen."""

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        return False
