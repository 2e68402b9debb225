"""Random search (Bergstra & Bengio, "Random Search for Hyper-Parameter Optimization",
JMLR 13, 2012): every parameter drawn uniformly on its own scale (log-uniform for ``log=True``,
every integer and categorical choice equally likely)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trimtab.distributions import BaseDistribution
from trimtab.samplers._base import BaseSampler
from trimtab.samplers._rng import mix_seed, resolve_seed, uniform
from trimtab.trial import FrozenTrial

if TYPE_CHECKING:
    from trimtab.study import Study


class RandomSampler(BaseSampler):
    """Uniform random search. ``seed`` makes every proposal reproducible."""

    def __init__(self, seed: int | None = None) -> None:
        self._seed = resolve_seed(seed)
        self._mixed = mix_seed(self._seed)
        self._fixed_seed = seed is not None

    @property
    def seed(self) -> int:
        """The seed in use (drawn at random when none was given)."""
        return self._seed

    def reseed_rng(self) -> None:
        if not self._fixed_seed:
            self._seed = resolve_seed(None)
            self._mixed = mix_seed(self._seed)

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: BaseDistribution
    ) -> Any:
        return distribution.from_unit(uniform(self._mixed, trial.number, name))
