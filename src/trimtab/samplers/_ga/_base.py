"""The machinery the genetic samplers share: generations kept in storage, parents from the
previous generation's population, one child per trial.

Bookkeeping, all derived from stored trials so any process can take the next step and a new
sampler continues an existing study (nothing is pickled):

- ``before_trial`` tags each new trial with its generation (``ga:generation``). The current
  generation is the highest tag in the study; a new trial starts the next generation once
  the current one has ``population_size`` COMPLETE trials. Failed and pruned trials do not
  count (the generation goes on until enough have finished) and never become parents.
  Trials without a tag (enqueued before, or run by another sampler) count as generation 0.
- The population ``P_g`` that breeds generation ``g + 1`` is chosen by the subclass's
  survivor selection from ``P_{g-1}`` and the COMPLETE trials of generation ``g``; a trial
  that finishes after its generation's population was formed joins the next selection.
- A child is two parents from binary tournaments, crossover, mutation, and duplicate
  elimination: a child whose values repeat a finished trial is changed again, up to ten
  times (five mutation steps of one gene each, then one gene redrawn at random each time).
  It is recorded as ``ga:child`` (parameter values) with ``ga:parents`` (trial numbers),
  and ``sample_relative`` hands it out. Generation 0 is random.

Parameters outside the space every COMPLETE trial shares (conditional branches) are drawn at
random. Randomness comes from a stream keyed by (seed, trial number), so a seeded sequential
run is reproducible.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from trimtab.distributions import BaseDistribution
from trimtab.samplers._base import BaseSampler, StudyCache
from trimtab.samplers._ga._operators import crossover, decode, encode, mutate, mutate_gene
from trimtab.samplers._random import RandomSampler
from trimtab.samplers._rng import trial_rng
from trimtab.samplers._search_space import SpaceState
from trimtab.trial import FrozenTrial, StudyDirection, TrialState

if TYPE_CHECKING:
    import random

    from trimtab.study import Study

GENERATION, CHILD, PARENTS = "ga:generation", "ga:child", "ga:parents"
_RETRIES = 10
Key = tuple[float, ...]


class _Lineage:
    """One study's generations as this process has seen them."""

    def __init__(self) -> None:
        self.done: set[int] = set()  # trial ids of finished trials already filed
        self.top = 0  # highest generation tag seen
        self.complete: dict[int, int] = {}  # generation -> COMPLETE trials in it
        self.pending: dict[int, list[FrozenTrial]] = {}  # COMPLETE, not yet in a selection
        self.formed = -1  # the generation whose population is below
        self.population: list[FrozenTrial] = []
        self.keys: list[Key] = []  # tournament keys of the population (smaller wins)
        self.finished: list[FrozenTrial] = []  # every finished trial, for duplicates
        self.seen: dict[tuple[str, ...], tuple[int, set[tuple[Any, ...]]]] = {}

    def seen_values(self, names: tuple[str, ...]) -> set[tuple[Any, ...]]:
        """The parameter values (in ``names``) of every finished trial, kept incrementally."""
        upto, values = self.seen.get(names, (0, set()))
        for t in self.finished[upto:]:
            values.add(tuple(t.params.get(k) for k in names))
        self.seen[names] = (len(self.finished), values)
        return values


def generation_of(t: FrozenTrial) -> int:
    return int(t.system_attrs.get(GENERATION, 0))


class GeneticBase(BaseSampler):
    """Generations, tournaments and variation; subclasses choose the survivors."""

    def __init__(
        self,
        *,
        population_size: int,
        crossover_prob: float,
        mutation_prob: float | None,
        crossover_eta: float,
        mutation_eta: float,
        seed: int | None,
    ) -> None:
        if isinstance(population_size, bool) or not isinstance(population_size, int):
            raise ValueError(f"population_size={population_size!r} must be an integer >= 2")
        if population_size < 2:
            raise ValueError(f"population_size={population_size!r} must be an integer >= 2")
        for arg, value in (("crossover_prob", crossover_prob), ("mutation_prob", mutation_prob)):
            if arg == "mutation_prob" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                allowed = "a number in [0, 1]" + (" or None" if arg == "mutation_prob" else "")
                raise ValueError(f"{arg}={value!r} must be {allowed}")
        for arg, eta in (("crossover_eta", crossover_eta), ("mutation_eta", mutation_eta)):
            if isinstance(eta, bool) or not isinstance(eta, int | float) or not eta >= 0:
                raise ValueError(f"{arg}={eta!r} must be a number >= 0")
        self._mu = population_size
        self._pc = float(crossover_prob)
        self._pm = None if mutation_prob is None else float(mutation_prob)
        self._eta_c = float(crossover_eta)
        self._eta_m = float(mutation_eta)
        self._random = RandomSampler(seed=seed)
        self._spaces: StudyCache[SpaceState] = StudyCache(SpaceState)
        self._lineages: StudyCache[_Lineage] = StudyCache(_Lineage)

    @property
    def population_size(self) -> int:
        return self._mu

    def reseed_rng(self) -> None:
        self._random.reseed_rng()

    # ---- what subclasses decide ---------------------------------------------------------

    @abc.abstractmethod
    def select(
        self, study: Study, pool: list[FrozenTrial], names: Sequence[str]
    ) -> tuple[list[FrozenTrial], list[Key]]:
        """Survivors (at most ``population_size``) of ``pool`` and their tournament keys."""

    def check_study(self, study: Study) -> None:
        """Raise if this sampler cannot serve ``study``."""

    # ---- the population -----------------------------------------------------------------

    def population(self, study: Study) -> list[FrozenTrial]:
        """The current parents: the population that breeds the newest generation."""
        lineage = self._update(study)
        self._form(study, lineage, self._generation(lineage) - 1)
        return list(lineage.population)

    def _update(self, study: Study) -> _Lineage:
        lineage = self._lineages(study)
        for t in study.get_trials():
            if t.trial_id in lineage.done:
                continue
            g = generation_of(t)
            if g > lineage.top:
                lineage.top = g
            if not t.state.is_finished():
                continue
            lineage.done.add(t.trial_id)
            lineage.finished.append(t)
            if t.state == TrialState.COMPLETE and t.values is not None:
                lineage.complete[g] = lineage.complete.get(g, 0) + 1
                lineage.pending.setdefault(g, []).append(t)
        return lineage

    def _generation(self, lineage: _Lineage) -> int:
        """The generation of the next new trial."""
        full = lineage.complete.get(lineage.top, 0) >= self._mu
        return lineage.top + 1 if full else lineage.top

    def _form(self, study: Study, lineage: _Lineage, upto: int) -> None:
        """Form the populations up to generation ``upto`` (each from the one before)."""
        names = tuple(self._spaces(study).update(study))
        while lineage.formed < upto:
            g = lineage.formed + 1
            pool = list(lineage.population)
            for h in sorted(k for k in lineage.pending if k <= g):
                pool += lineage.pending.pop(h)
            lineage.population, lineage.keys = self.select(study, pool, names)
            lineage.formed = g

    # ---- the sampler contract -----------------------------------------------------------

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space = self._spaces(study).update(study)
        return {k: space[k] for k in sorted(space)}

    def before_trial(self, study: Study, trial: FrozenTrial) -> Mapping[str, Any] | None:
        self.check_study(study)
        lineage = self._update(study)
        g = self._generation(lineage)
        attrs: dict[str, Any] = {GENERATION: g}
        if g == 0:
            return attrs
        self._form(study, lineage, g - 1)
        space = self.infer_relative_search_space(study, trial)
        if not space or not lineage.population:
            return attrs
        rng = trial_rng(self._random.seed, trial.number, "ga")
        child, parents = self._breed(lineage, space, rng)
        attrs[CHILD] = child
        attrs[PARENTS] = parents
        return attrs

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        child = trial.system_attrs.get(CHILD)
        if not isinstance(child, dict):
            return {}
        return {k: child[k] for k, d in search_space.items() if k in child and d.contains(child[k])}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: BaseDistribution
    ) -> Any:
        return self._random.sample_independent(study, trial, name, distribution)

    # ---- breeding -----------------------------------------------------------------------

    def _tournament(self, lineage: _Lineage, rng: random.Random) -> int:
        n = len(lineage.population)
        if n == 1:
            return 0
        a, b = rng.sample(range(n), 2)
        return a if lineage.keys[a] <= lineage.keys[b] else b

    def _breed(
        self, lineage: _Lineage, space: Mapping[str, BaseDistribution], rng: random.Random
    ) -> tuple[dict[str, Any], list[int]]:
        names = tuple(space)
        dists = [space[k] for k in names]
        i, j = self._tournament(lineage, rng), self._tournament(lineage, rng)
        p1, p2 = lineage.population[i], lineage.population[j]
        g1 = [encode(d, p1.params[k]) for k, d in zip(names, dists, strict=True)]
        g2 = [encode(d, p2.params[k]) for k, d in zip(names, dists, strict=True)]
        genes = crossover(g1, g2, dists, self._eta_c, rng) if rng.random() < self._pc else g1
        prob = self._pm if self._pm is not None else 1.0 / len(names)
        genes = mutate(genes, dists, prob, self._eta_m, rng)
        seen = lineage.seen_values(names)
        values = [decode(d, x) for d, x in zip(dists, genes, strict=True)]
        for attempt in range(_RETRIES):  # duplicate elimination: change the child until new
            if tuple(values) not in seen:
                break
            at = rng.randrange(len(names))
            if attempt < _RETRIES // 2:  # a step away first, then a random value
                genes[at] = mutate_gene(genes[at], dists[at], self._eta_m, rng)
            else:
                genes[at] = encode(dists[at], dists[at].from_unit(rng.random()))
            values[at] = decode(dists[at], genes[at])
        return dict(zip(names, values, strict=True)), [p1.number, p2.number]


def signed_values(study: Study, t: FrozenTrial) -> tuple[float, ...]:
    """The trial's values as losses (every objective minimised)."""
    return tuple(
        -v if d == StudyDirection.MAXIMIZE else v
        for v, d in zip(t.values or (), study.directions, strict=True)
    )
