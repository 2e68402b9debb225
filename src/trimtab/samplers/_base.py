"""The sampler contract: how a search strategy proposes parameter values.

A trial's parameters come from two calls. Before the objective runs, the sampler may propose
several parameters jointly (``infer_relative_search_space`` then ``sample_relative``); any
parameter the objective asks for that was not proposed jointly is drawn on its own
(``sample_independent``). Samplers read trial records through the study; they never write
storage themselves, except through the claims the study hands out (``reserve``).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from trimtab.distributions import BaseDistribution
from trimtab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from trimtab.study import Study


class BaseSampler(abc.ABC):
    """Base class of every search strategy."""

    def reserve(self, study: Study) -> dict[str, Any] | None:
        """Called before a new trial is created; returns system attributes to store on it.

        Raise ``trimtab.exceptions.SearchSpaceExhausted`` when there is nothing left to
        propose; no trial is created then, and ``optimize`` stops.
        """
        return None

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:  # noqa: B027
        """Called once the trial exists, before the objective runs."""

    @abc.abstractmethod
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The parameters to propose jointly for ``trial`` (empty: all independent)."""

    @abc.abstractmethod
    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        """Joint proposal for ``search_space``; values must lie in their distributions."""

    @abc.abstractmethod
    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: BaseDistribution
    ) -> Any:
        """A value for one parameter that was not proposed jointly."""

    def after_trial(  # noqa: B027
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        """Called after the trial ends, before its final state is stored."""

    def reseed_rng(self) -> None:  # noqa: B027
        """Give this sampler fresh randomness (worker processes call it after forking)."""
