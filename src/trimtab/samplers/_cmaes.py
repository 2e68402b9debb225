"""CMA-ES: the covariance matrix adaptation evolution strategy (Hansen & Ostermeier,
"Completely Derandomized Self-Adaptation in Evolution Strategies", Evolutionary Computation
9(2), 2001; Hansen, "The CMA Evolution Strategy: A Tutorial", 2016), through the ``cmaes``
package, with IPOP restarts (Auger & Hansen, "A Restart CMA Evolution Strategy With Increasing
Population Size", CEC 2005): when a run stops, a new one starts with twice the population.

The strategy works in the unit-cube encoding of the numeric parameters every finished trial
shares; categorical and other parameters are drawn at random. Nothing is pickled: each trial
records its candidate (``cma:x``), restart and generation in system attributes, and the
optimiser state is rebuilt by replaying the told generations (cached per study), so any
process can take the next step. Candidates are drawn from a stream reseeded per trial number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from trimtab.distributions import BaseDistribution, CategoricalDistribution
from trimtab.samplers._base import BaseSampler, StudyCache
from trimtab.samplers._random import RandomSampler
from trimtab.samplers._search_space import SpaceState
from trimtab.trial import FrozenTrial, StudyDirection, TrialState
from trimtab.trial._frozen import FIXED_PARAMS_ATTR

if TYPE_CHECKING:
    from trimtab.study import Study

X, RESTART, GENERATION, NAMES = "cma:x", "cma:restart", "cma:generation", "cma:names"


class _Run:
    """One study's replayed optimiser."""

    def __init__(self) -> None:
        self.names: tuple[str, ...] = ()
        self.restart = 0
        self.optimizer: Any = None
        self.seen: set[int] = set()  # COMPLETE trials already filed below
        self.results: dict[tuple[int, int], list[tuple[int, np.ndarray, float]]] = {}


class CMAESSampler(BaseSampler):
    """CMA-ES with IPOP restarts. ``sigma0`` is the initial step in unit-cube coordinates."""

    def __init__(
        self,
        *,
        sigma0: float = 1 / 6,
        n_startup_trials: int = 1,
        popsize: int | None = None,
        restart: bool = True,
        seed: int | None = None,
    ) -> None:
        if not (isinstance(sigma0, int | float) and 0 < sigma0 <= 1):
            raise ValueError(f"sigma0={sigma0!r} must be a number in (0, 1]")
        if (
            isinstance(n_startup_trials, bool)
            or not isinstance(n_startup_trials, int)
            or (n_startup_trials < 0)
        ):
            raise ValueError(f"n_startup_trials={n_startup_trials!r} must be an integer >= 0")
        if popsize is not None and (
            isinstance(popsize, bool) or not isinstance(popsize, int) or popsize < 2
        ):
            raise ValueError(f"popsize={popsize!r} must be an integer >= 2, or None")
        self._sigma0 = float(sigma0)
        self._n_startup = n_startup_trials
        self._popsize = popsize
        self._restart = restart
        self._random = RandomSampler(seed=seed)
        self._spaces: StudyCache[SpaceState] = StudyCache(SpaceState)
        self._runs: StudyCache[_Run] = StudyCache(_Run)

    def reseed_rng(self) -> None:
        self._random.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space = self._spaces(study).update(study)
        return {
            k: space[k] for k in sorted(space) if not isinstance(space[k], CategoricalDistribution)
        }

    def before_trial(self, study: Study, trial: FrozenTrial) -> Mapping[str, Any] | None:
        if len(study.directions) != 1:
            return None  # one objective only; several objectives are drawn at random
        if FIXED_PARAMS_ATTR in trial.system_attrs:
            return None  # an enqueued trial: its values are not CMA-ES's candidate
        space = self.infer_relative_search_space(study, trial)
        # the space update above has just seen every COMPLETE trial: no second read needed
        if not space or len(self._spaces(study).seen) < self._n_startup:
            return None
        run = self._replay(study, tuple(space))
        run.optimizer.reseed_rng(int((self._random.seed + 7919 * trial.number) % 2**32))
        x = run.optimizer.ask()
        return {
            X: [float(v) for v in x],
            RESTART: run.restart,
            GENERATION: int(run.optimizer.generation),
            NAMES: list(space),
        }

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        x, names = trial.system_attrs.get(X), trial.system_attrs.get(NAMES)
        if x is None or names is None or set(names) != set(search_space):
            return {}
        return {n: search_space[n].from_unit(float(v)) for n, v in zip(names, x, strict=True)}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: BaseDistribution
    ) -> Any:
        return self._random.sample_independent(study, trial, name, distribution)

    def _new_optimizer(self, dim: int, restart: int) -> Any:
        try:
            import cmaes
        except ImportError:
            raise ImportError(
                'CMAESSampler needs the cmaes package: pip install "trimtab[cmaes]"'
            ) from None
        rng = np.random.default_rng([self._random.seed & (2**63 - 1), restart])
        mean = np.full(dim, 0.5) if restart == 0 else rng.uniform(0.2, 0.8, dim)
        base = self._popsize or 4 + math.floor(3 * math.log(dim))
        return cmaes.CMA(
            mean=mean,
            sigma=self._sigma0,
            bounds=np.array([[0.0, 1.0]] * dim),
            seed=int(rng.integers(2**31)),
            population_size=base * 2**restart,
        )

    def _replay(self, study: Study, names: tuple[str, ...]) -> _Run:
        """Bring the study's optimiser up to date: tell every full generation not told yet."""
        run = self._runs(study)
        if run.names != names or run.optimizer is None:
            run.names, run.restart, run.seen, run.results = names, 0, set(), {}
            run.optimizer = self._new_optimizer(len(names), 0)
        sign = -1.0 if study.directions[0] == StudyDirection.MAXIMIZE else 1.0
        for t in study.get_trials((TrialState.COMPLETE,)):  # file each finished trial once
            if t.trial_id in run.seen:
                continue
            run.seen.add(t.trial_id)
            attrs = t.system_attrs
            if attrs.get(NAMES) != list(names) or X not in attrs or t.values is None:
                continue
            key = (int(attrs[RESTART]), int(attrs[GENERATION]))
            run.results.setdefault(key, []).append(
                (t.number, np.array(attrs[X]), sign * t.values[0])
            )
        while True:
            key = (run.restart, int(run.optimizer.generation))
            told = run.results.get(key, [])
            if len(told) < run.optimizer.population_size:
                return run
            # the first population_size finished candidates of the generation, by trial number
            first = sorted(told, key=lambda r: r[0])[: run.optimizer.population_size]
            run.optimizer.tell([(x, value) for _, x, value in first])
            del run.results[key]
            if self._restart and run.optimizer.should_stop():
                run.restart += 1
                run.optimizer = self._new_optimizer(len(names), run.restart)
