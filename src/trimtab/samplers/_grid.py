"""Grid search: every combination of the listed values, each handed out exactly once.

Grid points are numbered in mixed radix over the parameter names in sorted order (so workers
listing the parameters in another order agree) and never materialised, so large grids cost no
memory. The storage *claims* a point (a unique ``grid:<fingerprint>:<index>`` key) in the same
transaction that creates its trial, so workers in several processes sharing one study never
receive the same point, and no point is lost if a worker dies between the two. When every point has
been claimed the sampler raises ``SearchSpaceExhausted`` and ``optimize`` stops by itself.
A point whose trial failed counts as visited.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from trimtab.distributions import BaseDistribution, CategoricalDistribution
from trimtab.distributions._distributions import InvalidDistributionError
from trimtab.exceptions import SearchSpaceExhausted
from trimtab.samplers._base import BaseSampler, Reservation
from trimtab.samplers._rng import resolve_seed, trial_rng
from trimtab.trial import FrozenTrial

if TYPE_CHECKING:
    from trimtab.study import Study

GRID_ID_ATTR = "grid_id"


class GridSampler(BaseSampler):
    """Visit every point of ``search_space`` (name -> list of values) once, in random order.

    ``seed`` fixes the order. Parameters the objective suggests must be in the grid, and each
    grid value must lie in the distribution the objective suggests it with.
    """

    def __init__(self, search_space: Mapping[str, Sequence[Any]], seed: int | None = None) -> None:
        if not isinstance(search_space, Mapping) or not search_space:
            raise ValueError(
                f"search_space={search_space!r} must be a non-empty mapping of parameter name "
                "-> list of values"
            )
        space: dict[str, tuple[Any, ...]] = {}
        for name, values in search_space.items():
            if not isinstance(name, str):
                raise ValueError(f"search_space key {name!r} must be a parameter name (str)")
            try:
                dist = CategoricalDistribution(values)  # same rules: JSON scalars, no repeats
            except InvalidDistributionError as exc:
                raise ValueError(f"search_space[{name!r}]: {exc}") from None
            space[name] = dist.choices
        self._space = space
        self._names = list(space)
        self._radix = sorted(space)
        self._sizes = [len(space[n]) for n in self._radix]
        self._n = math.prod(self._sizes)
        blob = json.dumps({k: list(v) for k, v in space.items()}, sort_keys=True)
        self._prefix = f"grid:{hashlib.sha1(blob.encode()).hexdigest()[:12]}:"
        self._seed = resolve_seed(seed)
        self._rng = random.Random(self._seed)
        self._claimed: set[int] = set()

    @property
    def n_points(self) -> int:
        """How many points the grid has."""
        return self._n

    def point(self, index: int) -> dict[str, Any]:
        """The parameter values of grid point ``index`` (0 <= index < n_points)."""
        if not 0 <= index < self._n:
            raise ValueError(f"index={index} must be in [0, {self._n})")
        out: dict[str, Any] = {}
        for name, size in zip(reversed(self._radix), reversed(self._sizes), strict=True):
            index, r = divmod(index, size)
            out[name] = self._space[name][r]
        return {name: out[name] for name in self._names}

    def _sync(self, study: Study) -> None:
        n = len(self._prefix)
        keys = study._storage.get_claims(study._study_id, self._prefix)
        self._claimed = {int(k[n:]) for k in keys}

    def is_exhausted(self, study: Study) -> bool:
        """Whether every grid point has been handed out in ``study``."""
        self._sync(study)
        return len(self._claimed) >= self._n

    def _candidate(self) -> int | None:
        remaining = self._n - len(self._claimed)
        if remaining <= 0:
            return None
        if len(self._claimed) * 2 <= self._n:  # mostly free: rejection sampling is cheap
            while True:
                i = self._rng.randrange(self._n)
                if i not in self._claimed:
                    return i
        free = [i for i in range(self._n) if i not in self._claimed]
        return free[self._rng.randrange(len(free))]

    def reserve(self, study: Study, conflict: bool = False) -> Reservation | None:
        synced = conflict
        if conflict:  # another worker took our last pick: learn what else is gone
            self._sync(study)
        while True:
            i = self._candidate()
            if i is not None:
                self._claimed.add(i)
                return Reservation({GRID_ID_ATTR: i}, claim=f"{self._prefix}{i}")
            if synced:
                raise SearchSpaceExhausted(
                    f"every one of the {self._n} grid points has been handed out"
                )
            self._sync(study)
            synced = True

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
        if name not in self._space:
            raise ValueError(
                f"parameter {name!r} is not in the grid; the grid has {self._names!r}. Add it "
                "to GridSampler's search_space"
            )
        grid_id = trial.system_attrs.get(GRID_ID_ATTR)
        if grid_id is None:  # an enqueued trial: pick any listed value for what it lacks
            values = self._space[name]
            value = values[trial_rng(self._seed, trial.number, name).randrange(len(values))]
        else:
            value = self.point(int(grid_id))[name]
        if not distribution.contains(value):
            raise ValueError(
                f"grid value {value!r} for parameter {name!r} is not in the distribution the "
                f"objective suggests it with ({distribution.describe()})"
            )
        return value
