"""A genetic algorithm for one objective on mixed spaces (Holland, "Adaptation in Natural and
Artificial Systems", 1975; Goldberg, "Genetic Algorithms in Search, Optimization and Machine
Learning", 1989), in the real-coded form of Deb & Agrawal (SBX crossover, 1995) and Deb &
Goyal (polynomial mutation, 1996), with binary tournament selection.

Survivors: the ``population_size`` best of the previous population and the new generation's
COMPLETE trials ((mu + lambda) selection, elitist: the best trial so far is never lost),
filtered by clearing (Pétrowski, "A Clearing Procedure as a Niching Method for Genetic
Algorithms", ICEC 1996) with capacity one: going down the ranking, a trial closer than
``niche_radius`` to a better survivor is set aside and only fills the population when there
are not enough others. Without it an elitist GA fills its population with near-copies of the
best trial within a few generations and stops exploring; with it the population keeps one
representative per niche (the best of each), while selection pressure is unchanged
(tournaments compare objective values). Children that repeat a finished trial are mutated
again (see ``_base``). Distances are root-mean-square over genes in unit coordinates, a
differing categorical gene counting 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from trimtab.distributions import CategoricalDistribution
from trimtab.samplers._ga._base import GeneticBase, Key, signed_values
from trimtab.samplers._ga._operators import encode
from trimtab.trial import FrozenTrial

if TYPE_CHECKING:
    from trimtab.study import Study


class GeneticSampler(GeneticBase):
    """A genetic algorithm for one objective. See the module docstring for the algorithm.

    ``population_size`` trials per generation (the first generation is random);
    ``crossover_prob`` of breeding by crossover (else a copy of the first parent, mutated);
    ``mutation_prob`` per gene (default ``1 / number of parameters``); ``crossover_eta`` and
    ``mutation_eta`` the distribution indices of SBX and polynomial mutation (larger: children
    closer to their parents); ``niche_radius`` the clearing radius in unit coordinates (0
    turns clearing off).
    """

    def __init__(
        self,
        *,
        population_size: int = 50,
        crossover_prob: float = 0.9,
        mutation_prob: float | None = None,
        crossover_eta: float = 20.0,
        mutation_eta: float = 20.0,
        niche_radius: float = 0.05,
        seed: int | None = None,
    ) -> None:
        super().__init__(
            population_size=population_size,
            crossover_prob=crossover_prob,
            mutation_prob=mutation_prob,
            crossover_eta=crossover_eta,
            mutation_eta=mutation_eta,
            seed=seed,
        )
        if (
            isinstance(niche_radius, bool)
            or not isinstance(niche_radius, int | float)
            or not 0 <= niche_radius <= 1
        ):
            raise ValueError(f"niche_radius={niche_radius!r} must be a number in [0, 1]")
        self._radius = float(niche_radius)

    def check_study(self, study: Study) -> None:
        if len(study.directions) != 1:
            raise ValueError(
                f"GeneticSampler optimises one objective; study {study.study_name!r} has "
                f"{len(study.directions)}: use NSGAIISampler"
            )

    def select(
        self, study: Study, pool: list[FrozenTrial], names: Sequence[str]
    ) -> tuple[list[FrozenTrial], list[Key]]:
        ranked = sorted(pool, key=lambda t: (signed_values(study, t), t.number))
        if self._radius > 0 and names and ranked:
            ranked = self._clear(ranked, names)
        survivors = ranked[: self.population_size]
        return survivors, [signed_values(study, t) for t in survivors]

    def _clear(self, ranked: list[FrozenTrial], names: Sequence[str]) -> list[FrozenTrial]:
        """Niche winners in rank order, then the cleared trials in rank order."""
        dists = [ranked[0].distributions[k] for k in names]
        cats = [isinstance(d, CategoricalDistribution) for d in dists]
        limit = self._radius**2 * len(names)  # squared distance, summed over genes
        winners: list[FrozenTrial] = []
        kept: list[list[float]] = []
        cleared: list[FrozenTrial] = []
        for t in ranked:
            if len(winners) >= self.population_size:
                cleared.append(t)
                continue
            genes = [encode(d, t.params[k]) for k, d in zip(names, dists, strict=True)]
            if any(_sq_distance(genes, other, cats) < limit for other in kept):
                cleared.append(t)
            else:
                winners.append(t)
                kept.append(genes)
        return winners + cleared


def _sq_distance(a: Sequence[float], b: Sequence[float], cats: Sequence[bool]) -> float:
    total = 0.0
    for x, y, cat in zip(a, b, cats, strict=True):
        total += (x != y) if cat else (x - y) ** 2
    return total
