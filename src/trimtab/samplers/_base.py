"""The sampler contract: how a search strategy proposes parameter values.

A trial's parameters come from two calls. Before the objective runs, the sampler may propose
several parameters jointly (``infer_relative_search_space`` then ``sample_relative``); any
parameter the objective asks for that was not proposed jointly is drawn on its own
(``sample_independent``). Samplers read trial records through the study; they never write
storage themselves, except through the claims the study hands out (``reserve``).
"""

from __future__ import annotations

import abc
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from trimtab.distributions import BaseDistribution
from trimtab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from trimtab.storages import BaseStorage
    from trimtab.study import Study

V = TypeVar("V")


class StudyCache(Generic[V]):
    """Per-study memo for samplers that keep derived data between trials.

    Entries are keyed by the storage object itself (held weakly, so they go when it goes) and
    the study id: a sampler reused for another study, or a new storage at a recycled address,
    never sees another study's entries.
    """

    def __init__(self, factory: Callable[[], V]) -> None:
        self._factory = factory
        self._by_storage: weakref.WeakKeyDictionary[BaseStorage, dict[int, V]] = (
            weakref.WeakKeyDictionary()
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """A pickled sampler (sent to a worker process) starts with an empty cache."""
        return (StudyCache, (self._factory,))

    def __call__(self, study: Study) -> V:
        per_study = self._by_storage.setdefault(study._storage, {})
        if study._study_id not in per_study:
            per_study[study._study_id] = self._factory()
        return per_study[study._study_id]


@dataclass(frozen=True)
class Reservation:
    """What a sampler sets aside for the next trial before the trial exists.

    ``system_attrs`` are stored on the new trial. ``claim``, if given, is a key the storage
    claims in the same transaction that creates the trial, so it is handed out exactly once
    across processes (e.g. one grid point).
    """

    system_attrs: Mapping[str, Any] = field(default_factory=dict)
    claim: str | None = None


class BaseSampler(abc.ABC):
    """Base class of every search strategy."""

    def reserve(self, study: Study, conflict: bool = False) -> Reservation | None:
        """Called before a new trial is created (not for enqueued trials).

        ``conflict=True`` says the claim of the previous reservation was already taken by
        another worker; reserve something else. Raise
        ``trimtab.exceptions.SearchSpaceExhausted`` when nothing is left to propose; no trial
        is created then, and ``optimize`` stops.
        """
        return None

    def before_trial(self, study: Study, trial: FrozenTrial) -> Mapping[str, Any] | None:
        """Called once the trial exists, before the objective runs.

        May return system attributes to record on the trial (JSON values); the ``trial``
        that ``sample_relative`` and ``sample_independent`` then receive carries them.
        """
        return None

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

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> Mapping[str, Any] | None:
        """Called after the trial ends, before its final state is stored.

        May return system attributes (JSON values) to store with the final state, in the same
        write (e.g. NSGA-II's ``constraints``). If it raises, the trial is stored FAILED
        with the error as its reason, and the error propagates.
        """
        return None

    def reseed_rng(self) -> None:  # noqa: B027
        """Give this sampler fresh randomness (worker processes call it after forking)."""
