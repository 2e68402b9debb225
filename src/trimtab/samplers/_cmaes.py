"""CMA-ES: the covariance matrix adaptation evolution strategy (Hansen & Ostermeier,
"Completely Derandomized Self-Adaptation in Evolution Strategies", Evolutionary Computation
9(2), 2001; Hansen, "The CMA Evolution Strategy: A Tutorial", 2016), through the ``cmaes``
package, with IPOP restarts (Auger & Hansen, "A Restart CMA Evolution Strategy With Increasing
Population Size", CEC 2005): when a run stops, a new one starts with twice the population.

The strategy works in the unit-cube encoding of the parameters every finished trial shares
(of its branch, on a conditional space: below).
When they are all continuous floats it is plain CMA-ES. When some are integers, floats on a
step, or categorical, it is CatCMA with Margin (Hamano, Nomura, Saito, Uchida, Shirakawa,
"CatCMA with Margin: Stochastic Optimization for Continuous, Integer, and Categorical
Variables", GECCO 2025, arXiv:2504.07884): a Gaussian over the continuous and integer
coordinates whose integer marginals keep a lower bound on the probability of leaving the
current value (the margin of CMA-ES with Margin, Hamano et al., GECCO 2022), joined with a
categorical distribution for each categorical parameter, all updated together by natural
gradient. Integer-like parameters with more than ``MAX_LEVELS`` values are treated as
continuous and snapped.

On a conditional space each branch gets its own CMA-ES. A shared parameter the history shows
switching others on (``branch`` when ``x0`` exists only for ``branch == 'branin'``, read off
the history as the GP does: ``_search_space.infer_rules``) is not a coordinate of any
optimiser: a single CMA-ES would rank the branches by samples whose branch-only parameters are
random, learn the branch with the best *average* and settle there (on the suite's
``conditional`` problem, median regret 0.60 at 200 trials against 0.32 for Optuna's CMA-ES,
which draws such parameters at random). Each trial first takes its branch: a categorical
switch by MaxUCB, the max k-armed bandit TPE uses (``_branches``: the branch whose best value
so far is best, plus an exploration bonus), an integer switch at random; then the CMA-ES of
that branch proposes the parameters every finished trial of the branch has (the shared ones
included), and the rest are drawn at random. On ``conditional``, 40 seeds, median regret at
100 / 200 trials 0.371 / 0.248 against Optuna's 0.484 / 0.321 (docs/benchmarks.md, "A CMA-ES
per branch"). A space without switches has one CMA-ES, as before.

Nothing is pickled: each trial records its candidate (``cma:x``, per parameter: its
unit-cube value, or a categorical choice's index; in the mixed case also the optimiser's raw
Gaussian sample ``cma:v`` and categorical indices ``cma:c``), its branch (``cma:branch``),
restart and generation in system attributes, and each optimiser's state is rebuilt by
replaying the told generations (cached per study), so any process can take the next step.
Candidates are drawn from a stream reseeded per trial number.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from trimtab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from trimtab.samplers._base import BaseSampler, StudyCache
from trimtab.samplers._branches import Arms
from trimtab.samplers._random import RandomSampler
from trimtab.samplers._search_space import SpaceState, _code, infer_rules, same
from trimtab.trial import FrozenTrial, StudyDirection, TrialState
from trimtab.trial._frozen import FIXED_PARAMS_ATTR

if TYPE_CHECKING:
    from trimtab.study import Study

X, RESTART, GENERATION, NAMES = "cma:x", "cma:restart", "cma:generation", "cma:names"
RAW, CATS, BRANCH = "cma:v", "cma:c", "cma:branch"
MAX_LEVELS = 256
"""Integers and stepped floats with at most this many values are integer variables of the
mixed optimiser; wider ones are continuous coordinates, snapped to the grid."""


def _levels(dist: BaseDistribution) -> int:
    """How many values a numeric distribution has (0: a continuum)."""
    if isinstance(dist, IntDistribution):
        return (dist.high - dist.low) // dist.step + 1
    if isinstance(dist, FloatDistribution) and dist.step is not None:
        return round((dist.high - dist.low) / dist.step) + 1
    return 0


class _Layout:
    """Where each parameter of the shared space lives in the optimiser.

    ``x``: continuous coordinates in [0, 1]; ``z``: integer variables, each with the sorted
    unit-cube values of its grid; ``c``: categorical parameters and their number of choices.
    Parameters with a single value are left out (they need no search).
    """

    def __init__(self, space: Mapping[str, BaseDistribution]) -> None:
        self.x: list[str] = []
        self.z: list[str] = []
        self.z_values: list[list[float]] = []
        self.c: list[str] = []
        self.c_sizes: list[int] = []
        for name, dist in space.items():
            if dist.single():
                continue
            if isinstance(dist, CategoricalDistribution):
                self.c.append(name)
                self.c_sizes.append(len(dist.choices))
                continue
            n = _levels(dist)
            if 0 < n <= MAX_LEVELS:
                assert isinstance(dist, IntDistribution | FloatDistribution)
                grid: list[float] = (
                    [dist.low + k * dist.step for k in range(n)]
                    if isinstance(dist, IntDistribution)
                    else [dist.from_unit((k + 0.5) / n) for k in range(n)]
                )
                self.z.append(name)
                self.z_values.append(sorted(dist.to_unit(v) for v in grid))
            else:
                self.x.append(name)
        self.names = tuple(self.x + self.z + self.c)
        self.mixed = bool(self.z or self.c)


class _SwitchMemo:
    """Per study: the switches found so far, and when the history was last read for them."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.union: set[str] = set()
        self.checked_at = 0
        self.arms = Arms()  # MaxUCB's record of the categorical switches
        # per branch (its JSON key), the parameters every COMPLETE trial of it has so far
        self.inside: dict[str, dict[str, BaseDistribution]] = {}
        self.filed: set[int] = set()  # the trials read into ``inside``
        self.filed_for: list[str] = []  # ... for these switches


class _Run:
    """One study's replayed optimiser."""

    def __init__(self) -> None:
        self.names: tuple[str, ...] = ()
        self.restart = 0
        self.optimizer: Any = None
        self.seen: set[int] = set()  # COMPLETE trials already filed below
        # per (restart, generation): (trial number, what the optimiser is told, value)
        self.results: dict[tuple[int, int], list[tuple[int, Any, float]]] = {}


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
        self._runs: StudyCache[dict[str, _Run]] = StudyCache(dict)  # by branch
        self._switch_memo: StudyCache[_SwitchMemo] = StudyCache(_SwitchMemo)

    def reseed_rng(self) -> None:
        self._random.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The parameters every COMPLETE trial shares; once some of them switch others on,
        every parameter the study has seen (with one distribution)."""
        state = self._spaces(study)
        space = state.update(study, groups=True)
        if not self._switches(study, state, space):
            return {k: space[k] for k in sorted(space)}
        union = {k: d for g in state.groups for k, d in g.items()}
        return {k: union[k] for k in sorted(union)}

    def _switches(
        self, study: Study, state: SpaceState, shared: Mapping[str, BaseDistribution]
    ) -> set[str]:
        """The shared parameters the history shows switching another one on. Once found, a
        switch stays one (the optimiser's layout, and so its run, stays put); the history is
        read again when a new parameter appears or the trial count has doubled, so the cost
        per trial stays flat."""
        memo = self._switch_memo(study)
        if sum(len(g) for g in state.groups) == len(shared):  # flat: nothing conditional
            return memo.names
        union = {k: d for g in state.groups for k, d in g.items()}
        n = len(state.seen)
        if union.keys() != memo.union or n >= 2 * memo.checked_at:
            rules = infer_rules(study.get_trials((TrialState.COMPLETE,)), union, shared)
            memo.names |= {r.parent for r in rules.values() if r.parent in shared}
            memo.union, memo.checked_at = set(union), n
        return memo.names

    def before_trial(self, study: Study, trial: FrozenTrial) -> Mapping[str, Any] | None:
        if len(study.directions) != 1:
            return None  # one objective only; several objectives are drawn at random
        if FIXED_PARAMS_ATTR in trial.system_attrs:
            return None  # an enqueued trial: its values are not CMA-ES's candidate
        space = self.infer_relative_search_space(study, trial)
        # the space update above has just seen every COMPLETE trial: no second read needed
        switches = self._switch_memo(study).names
        branch: dict[str, int] = {}
        if switches:
            branch, space = self._branch(study, trial, space, switches)
        layout = _Layout(space)
        if not layout.names or len(self._spaces(study).seen) < self._n_startup:
            return {BRANCH: branch} if branch else None
        run = self._replay(study, layout, branch)
        run.optimizer.reseed_rng(int((self._random.seed + 7919 * trial.number) % 2**32))
        attrs: dict[str, Any] = {
            RESTART: run.restart,
            GENERATION: int(run.optimizer.generation),
            NAMES: list(layout.names),
        }
        if branch:
            attrs[BRANCH] = branch
        if not layout.mixed:
            return {X: [float(v) for v in run.optimizer.ask()], **attrs}
        sol = run.optimizer.ask()
        cats = [int(i) for i in np.argmax(sol.c, axis=1)] if layout.c else []
        values = [float(v) for v in (sol.x if layout.x else [])]
        values += [float(v) for v in (sol.z if layout.z else [])]
        values += [float(i) for i in cats]
        raw = None if sol._v_raw is None else [float(v) for v in sol._v_raw]
        return {X: values, RAW: raw, CATS: cats, **attrs}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        attrs = trial.system_attrs
        out: dict[str, Any] = {}
        for name, code in (attrs.get(BRANCH) or {}).items():
            dist = search_space.get(name)
            if dist is None:
                return {}
            out[name] = dist.choices[code] if isinstance(dist, CategoricalDistribution) else code
        x, names = attrs.get(X), attrs.get(NAMES)
        if x is None or names is None or not set(names) <= set(search_space):
            return out
        for name, v in zip(names, x, strict=True):
            dist = search_space[name]
            if isinstance(dist, CategoricalDistribution):
                out[name] = dist.choices[int(v)]
            else:
                out[name] = dist.from_unit(float(v))
        return out

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: BaseDistribution
    ) -> Any:
        return self._random.sample_independent(study, trial, name, distribution)

    def _branch(
        self,
        study: Study,
        trial: FrozenTrial,
        space: Mapping[str, BaseDistribution],
        switches: set[str],
    ) -> tuple[dict[str, int], dict[str, BaseDistribution]]:
        """The branch of ``trial`` (each switch's choice index, or an integer switch's value)
        and the parameters the CMA-ES of that branch searches: those every COMPLETE trial of
        the branch has (none before the branch has one). A categorical switch takes MaxUCB's
        choice (``_branches.Arms``), an integer one a value at random."""
        memo = self._switch_memo(study)
        names = sorted(switches & space.keys())
        categorical: dict[str, CategoricalDistribution] = {}
        for name in names:
            dist = space[name]
            if isinstance(dist, CategoricalDistribution):
                categorical[name] = dist
        picked = memo.arms.choose(study, trial, categorical) if categorical else {}
        rng = np.random.default_rng([self._random.seed & (2**63 - 1), trial.number, 1])
        branch: dict[str, int] = {}
        for name in names:
            dist = space[name]
            if isinstance(dist, CategoricalDistribution):
                arm = picked[name]
                branch[name] = int(rng.integers(len(dist.choices))) if arm is None else arm
            else:
                assert isinstance(dist, IntDistribution)
                branch[name] = int(dist.low + dist.step * rng.integers(_levels(dist)))
        # what every COMPLETE trial of each branch has, kept up to date one trial at a time
        if memo.filed_for != names:
            memo.filed_for, memo.filed, memo.inside = names, set(), {}
        for t in study.get_trials((TrialState.COMPLETE,)):
            if t.trial_id in memo.filed:
                continue
            memo.filed.add(t.trial_id)
            if any(k not in t._params for k in names):
                continue
            which = json.dumps({k: _code(space[k], t._params[k]) for k in names}, sort_keys=True)
            had = memo.inside.get(which)
            memo.inside[which] = (
                dict(t._distributions)
                if had is None
                else {k: d for k, d in had.items() if same(t._distributions.get(k), d)}
            )
        inside = memo.inside.get(json.dumps(branch, sort_keys=True), {})
        return branch, {
            k: d for k, d in space.items() if k not in switches and same(inside.get(k), d)
        }

    def _new_optimizer(self, layout: _Layout, restart: int, branch: str = "") -> Any:
        try:
            import cmaes
        except ImportError:
            raise ImportError(
                'CMAESSampler needs the cmaes package: pip install "trimtab[cmaes]"'
            ) from None
        entropy = [self._random.seed & (2**63 - 1), restart]
        if branch:  # each branch's optimiser its own stream
            entropy.append(zlib.crc32(branch.encode()))
        rng = np.random.default_rng(entropy)
        gaussian = len(layout.x) + len(layout.z)
        mean = np.full(gaussian, 0.5) if restart == 0 else rng.uniform(0.2, 0.8, gaussian)
        base = self._popsize or 4 + math.floor(3 * math.log(len(layout.names)))
        seed = int(rng.integers(2**31))
        if not layout.mixed:
            return cmaes.CMA(
                mean=mean,
                sigma=self._sigma0,
                bounds=np.array([[0.0, 1.0]] * gaussian),
                seed=seed,
                population_size=base * 2**restart,
            )
        return cmaes.CatCMAwM(
            x_space=[[0.0, 1.0]] * len(layout.x) or None,
            z_space=layout.z_values or None,
            c_space=layout.c_sizes or None,
            population_size=base * 2**restart,
            # the same initial spread as the plain CMA-ES: sigma0 in unit-cube coordinates
            # (the package's default covariance would scale it down again by 1/6 and 1/5)
            mean=mean if gaussian else None,
            sigma=self._sigma0 if gaussian else None,
            cov=np.eye(gaussian) if gaussian else None,
            seed=seed,
        )

    @staticmethod
    def _told(layout: _Layout, attrs: Mapping[str, Any]) -> Any:
        """What the optimiser is told for a finished candidate, rebuilt from its attributes."""
        if not layout.mixed:
            return np.array(attrs[X])
        import cmaes

        onehot = None
        if layout.c:
            onehot = np.zeros((len(layout.c), max(layout.c_sizes)), dtype=bool)
            onehot[np.arange(len(layout.c)), attrs[CATS]] = True
        raw = None if attrs.get(RAW) is None else np.array(attrs[RAW])
        return cmaes.CatCMAwM.Solution(c=onehot, _v_raw=raw)

    def _replay(self, study: Study, layout: _Layout, branch: Mapping[str, int]) -> _Run:
        """Bring the optimiser of ``branch`` (``{}``: the study's one) up to date: tell every
        full generation not told yet."""
        which = json.dumps(branch, sort_keys=True) if branch else ""
        run, names = self._runs(study).setdefault(which, _Run()), layout.names
        if run.names != names or run.optimizer is None:
            run.names, run.restart, run.seen, run.results = names, 0, set(), {}
            run.optimizer = self._new_optimizer(layout, 0, which)
        sign = -1.0 if study.directions[0] == StudyDirection.MAXIMIZE else 1.0
        for t in study.get_trials((TrialState.COMPLETE,)):  # file each finished trial once
            if t.trial_id in run.seen:
                continue
            run.seen.add(t.trial_id)
            attrs = t.system_attrs
            if attrs.get(NAMES) != list(names) or X not in attrs or t.values is None:
                continue
            if (attrs.get(BRANCH) or {}) != branch:
                continue
            if layout.mixed and RAW not in attrs:
                continue  # proposed by a plain CMA-ES run of an earlier version: not replayable
            key = (int(attrs[RESTART]), int(attrs[GENERATION]))
            run.results.setdefault(key, []).append(
                (t.number, self._told(layout, attrs), sign * t.values[0])
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
            # (the mixed optimiser has stopping rules for its Gaussian part only)
            gaussian = bool(layout.x or layout.z)
            if self._restart and gaussian and run.optimizer.should_stop():
                run.restart += 1
                run.optimizer = self._new_optimizer(layout, run.restart, which)
