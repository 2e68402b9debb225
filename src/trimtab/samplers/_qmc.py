"""Quasi-random search: scrambled Sobol (Sobol', 1967; Owen scrambling, Owen 1998) or Halton
(Halton, 1960) points from ``scipy.stats.qmc``, mapped through the unit-cube encoding.

Trial ``n`` takes point ``n`` of the sequence, so workers in several processes take distinct
points and a rerun with the same seed proposes the same ones. The search space is that of the
first finished trial (earlier trials, and parameters outside it, are drawn at random).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trimtab.distributions import BaseDistribution
from trimtab.samplers._base import BaseSampler, StudyCache
from trimtab.samplers._random import RandomSampler
from trimtab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from trimtab.study import Study

QMC_TYPES = ("sobol", "halton")


class QMCSampler(BaseSampler):
    """Low-discrepancy search. ``qmc_type`` is 'sobol' (default) or 'halton'."""

    def __init__(
        self, *, qmc_type: str = "sobol", scramble: bool = True, seed: int | None = None
    ) -> None:
        if qmc_type not in QMC_TYPES:
            raise ValueError(f"qmc_type={qmc_type!r} is not known; allowed: {QMC_TYPES}")
        self._type = qmc_type
        self._scramble = bool(scramble)
        self._random = RandomSampler(seed=seed)
        self._spaces: StudyCache[dict[str, BaseDistribution]] = StudyCache(dict)

    def reseed_rng(self) -> None:
        self._random.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space = self._spaces(study)
        if not space:
            finished = study.get_trials((TrialState.COMPLETE,))
            if not finished:
                return {}
            first = finished[0].distributions
            space.update({k: first[k] for k in sorted(first) if not first[k].single()})
        return dict(space)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        from scipy.stats import qmc

        names = list(search_space)
        seed = self._random.seed & (2**63 - 1)
        engine: Any
        if self._type == "sobol":
            engine = qmc.Sobol(d=len(names), scramble=self._scramble, seed=seed)
        else:
            engine = qmc.Halton(d=len(names), scramble=self._scramble, seed=seed)
        if trial.number:
            engine.fast_forward(trial.number)
        point = engine.random(1)[0]
        return {n: search_space[n].from_unit(float(u)) for n, u in zip(names, point, strict=True)}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: BaseDistribution
    ) -> Any:
        return self._random.sample_independent(study, trial, name, distribution)
