"""Tree-structured Parzen estimator (Bergstra, Bardenet, Bengio & Kégl, "Algorithms for
Hyper-Parameter Optimization", NeurIPS 2011), with the modern choices of Watanabe,
"Tree-structured Parzen Estimator: Understanding Its Algorithm Components and Their Roles for
Better Empirical Performance" (arXiv 2304.11127, 2023):

- multivariate kernels over the parameters that every finished trial shares;
- the top ``gamma(n) = min(ceil(0.1 n), 25)`` of the ``n`` ranked trials form the "good" group
  l(x), the rest (and with ``constant_liar`` running ones) the "bad" group g(x). Ranked are
  the COMPLETE trials by value, then (one objective) the trials stopped early, PRUNED or
  PAUSED, by the last step they reported (later first) and their value there: under ASHA
  few trials complete, and those that went furthest are the best evidence there is (the
  order Optuna's TPE gives pruned trials). Both count towards ``n_startup_trials``;
- the good observations are weighted by their improvement over the split, ``y* - y_i``
  (``y*`` the best value of the bad group), and the prior by the mean of those weights: the
  "EI" weighting of Watanabe's study, which pulls l(x) towards the best observations
  (uniform weights for several objectives, where there is no scalar improvement, and when
  the good group holds a trial stopped early, whose value is not a final one);
- adaptive Parzen estimators (see ``_parzen``): per-kernel widths from the gaps to the
  neighbouring observations, clipped below at ``max(0.01, (n + 2) ** -2)``; for the good
  group ``n`` is its effective sample size (Kish, "Survey Sampling", 1965: ``(sum w)^2 /
  sum w^2``), trials with equal values pooled, so a group whose weight sits on a few
  trials, or on one plateau of a piecewise-constant objective measured many times over,
  keeps kernels as wide as a sample of that size would (trimtab's choice; measured in
  docs/benchmarks.md). ``AutoSampler``'s TPE, which takes over a history of 100 GP trials,
  pools equal values but leaves the weights out (``_floor_from_weights = False``): the GP's
  refined best points carry most of the EI weight there, and widening the kernels to their
  small effective size sent the search out of the region the GP had refined (worse on 8 of
  10 seeds of ``mlp_diabetes`` at 200 trials; docs/benchmarks.md). A prior component;
  integer and stepped parameters as probabilities of their values;
- the proposal is, of ``n_ei_candidates`` draws from l(x), the one that maximises
  l(x) / g(x).

Parameters outside the shared (relative) space, e.g. those of a conditional branch, are
proposed one at a time from the trials that have them.

A categorical parameter that the history shows switching others on (a model choice) takes its
value from the max k-armed bandit MaxUCB (``_branches``), which ranks branches by their best
values, not l(x) / g(x), which ranks them by their typical ones and gives up a branch that
looks poor at random even when its optimum is the best; the candidates are drawn with it fixed
(``branches="tpe"``: l(x) / g(x) alone). On the suite's ``conditional`` problem, median regret
0.40 / 0.26 / 0.003 at 50 / 100 / 200 trials against 0.60 at each (docs/benchmarks.md).

The history of trial ``n`` is what the study's pruner calls comparable:
``study.pruner.comparable_trials(study, n, trials)``. Most pruners keep every trial; with
``HyperbandPruner`` TPE learns only from the trials of ``n``'s bracket, whose values were
measured under the same early-stopping schedule (Li et al. 2018 run each bracket on its own),
and each bracket has its own ``n_startup_trials`` random start. (``BOHBSampler`` instead pools
the brackets through their values at common rungs.)
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from trimtab.distributions import BaseDistribution, CategoricalDistribution
from trimtab.samplers._base import BaseSampler, StudyCache
from trimtab.samplers._branches import Switches, study_branches
from trimtab.samplers._random import RandomSampler
from trimtab.samplers._search_space import SpaceState, same
from trimtab.samplers._tpe._parzen import ParzenEstimator, Style
from trimtab.trial import FrozenTrial, StudyDirection, TrialState
from trimtab.trial._best import pareto_front
from trimtab.trial._frozen import proposed_params

if TYPE_CHECKING:
    from trimtab.study import Study


def _reached_key(loss: Callable[[float], float]) -> Callable[[FrozenTrial], tuple[int, float, int]]:
    """Sort key of trials stopped early: the last step reported (later first), then the
    value reported there (``loss``: smaller is better), then the number."""

    def key(t: FrozenTrial) -> tuple[int, float, int]:
        step = max(t.intermediate_values)
        return (-step, loss(t.intermediate_values[step]), t.number)

    return key


class _Rows:
    """The unit-cube codes of finished trials for one tuple of parameter names: one row per
    trial in a matrix that grows by doubling, and each trial id's row number."""

    def __init__(self, d: int) -> None:
        self.index: dict[int, int] = {}
        self.matrix = np.empty((64, d))
        self.n = 0

    def add(self, trial_id: int, row: Sequence[float]) -> int:
        if self.n == len(self.matrix):
            self.matrix = np.vstack([self.matrix, np.empty_like(self.matrix)])
        self.matrix[self.n] = row
        self.index[trial_id] = self.n
        self.n += 1
        return self.n - 1


def _effective_size(trials: Sequence[FrozenTrial], weights: np.ndarray | None) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` of the good group, the trials
    that finished with equal values pooled into one observation of their summed weight: a
    plateau of the objective measured twenty times is one piece of evidence, not twenty, and
    a group whose weight sits on a few trials is as uncertain as a sample of that size.
    ``weights=None``: every trial weighs one (only the pooling of equal values counts)."""
    w = np.ones(len(trials)) if weights is None else np.asarray(weights, dtype=float)
    pooled: dict[object, float] = {}
    for t, wt in zip(trials, w, strict=True):
        key = tuple(t.values) if t.state is TrialState.COMPLETE and t.values else t.number
        pooled[key] = pooled.get(key, 0.0) + float(wt)
    mass = np.fromiter(pooled.values(), dtype=float, count=len(pooled))
    squares = float((mass * mass).sum())
    return float(mass.sum() ** 2 / squares) if squares > 0 else float(len(trials))


def default_gamma(n: int) -> int:
    return min(math.ceil(0.1 * n), 25)


class TPESampler(BaseSampler):
    """Tree-structured Parzen estimator. See the module docstring for the algorithm."""

    _style: Style = "tpe"  # the kernels of ``_parzen``
    # the good group's minimum width from the EI weights' effective size (False: from the
    # pooled counts alone; AutoSampler's choice, see the module docstring)
    _floor_from_weights: bool = True

    def __init__(
        self,
        *,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        multivariate: bool = True,
        group: bool = False,
        gamma: Callable[[int], int] = default_gamma,
        prior_weight: float = 1.0,
        constant_liar: bool = False,
        branches: Literal["maxucb", "tpe"] = "maxucb",
        seed: int | None = None,
    ) -> None:
        for arg, value, low in (
            ("n_startup_trials", n_startup_trials, 0),
            ("n_ei_candidates", n_ei_candidates, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{arg}={value!r} must be an integer >= {low}")
        if group and not multivariate:
            raise ValueError("group=True needs multivariate=True (groups are modelled jointly)")
        if not (isinstance(prior_weight, int | float) and prior_weight > 0):
            raise ValueError(f"prior_weight={prior_weight!r} must be a number > 0")
        if branches not in ("maxucb", "tpe"):
            raise ValueError(f"branches={branches!r} must be 'maxucb' or 'tpe'")
        self._n_startup = n_startup_trials
        self._n_candidates = n_ei_candidates
        self._multivariate = multivariate
        self._group = group
        self._gamma = gamma
        self._prior_weight = float(prior_weight)
        self._liar = constant_liar
        self._branches = branches
        self._random = RandomSampler(seed=seed)  # startup trials and fallbacks
        # per study: encoded rows of finished trials (by parameter names, then trial id), and
        # the incrementally kept relative search space (trial ids seen, the space)
        self._rows: StudyCache[dict[tuple[str, ...], _Rows]] = StudyCache(dict)
        self._spaces: StudyCache[SpaceState] = StudyCache(SpaceState)
        self._switches: StudyCache[Switches] = StudyCache(Switches)

    def reseed_rng(self) -> None:
        self._random.reseed_rng()

    # ---- the search space ---------------------------------------------------------------

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The parameters, with identical distributions, of every COMPLETE trial so far
        (kept incrementally: each finished trial is looked at once)."""
        if not self._multivariate:
            return {}
        state = self._spaces(study)
        space = state.update(study, groups=self._group)
        if self._group:
            return {k: d for g in state.groups for k, d in g.items()}
        return space

    # ---- proposals ----------------------------------------------------------------------

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        if not self._group:
            return self._propose(study, trial, search_space, relative=True) or {}
        out: dict[str, Any] = {}
        for g in self._spaces(study).groups:  # each group from the trials that have it all
            space = {k: d for k, d in g.items() if same(search_space.get(k), d)}
            if space:
                out.update(self._propose(study, trial, space, relative=False) or {})
        return out

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: BaseDistribution
    ) -> Any:
        proposed = self._propose(study, trial, {name: distribution}, relative=False)
        if proposed is None:
            return self._random.sample_independent(study, trial, name, distribution)
        return proposed[name]

    def _propose(
        self,
        study: Study,
        trial: FrozenTrial,
        space: Mapping[str, BaseDistribution],
        relative: bool,
    ) -> dict[str, Any] | None:
        states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.PAUSED) + (
            (TrialState.RUNNING,) if self._liar else ()
        )
        # the pruner says which trials are comparable (Hyperband: the same bracket)
        history = study.pruner.comparable_trials(study, trial.number, study.get_trials(states))
        usable = self._usable(study, trial, space, relative, history)
        # COMPLETE trials, trials stopped early with reports (one objective: ranked after the
        # complete ones) and the others (running, for the liar: in the bad group)
        complete: list[FrozenTrial] = []
        stopped: list[FrozenTrial] = []
        others: list[FrozenTrial] = []
        ranks_stopped = len(study.directions) == 1
        for t in usable:
            state = t.state
            if state is TrialState.COMPLETE:
                complete.append(t)
            elif (
                ranks_stopped
                and (state is TrialState.PRUNED or state is TrialState.PAUSED)
                and t.intermediate_values
            ):
                stopped.append(t)
            else:
                others.append(t)
        if len(complete) + len(stopped) < max(self._n_startup, 2):
            return None
        below, above, weights = self._split(study.directions, complete, stopped, others)
        return self._pick(
            study, trial, space, relative, below, above, below_weights=weights,
            branches=self._branch_choices(study, trial, space),
        )  # fmt: skip

    def _branch_choices(
        self, study: Study, trial: FrozenTrial, space: Mapping[str, BaseDistribution]
    ) -> dict[str, int] | None:
        """MaxUCB's choice for each parameter of ``space`` that switches others on."""
        if self._branches != "maxucb" or (self._multivariate and self._spaces(study).flat):
            return None  # (the space was read this trial: no branches)
        return study_branches(study, trial, space, self._switches(study))

    def _usable(
        self,
        study: Study,
        trial: FrozenTrial,
        space: Mapping[str, BaseDistribution],
        relative: bool,
        trials: Sequence[FrozenTrial],
    ) -> list[FrozenTrial]:
        """The trials of ``trials`` (other than ``trial``) that hold every parameter of
        ``space`` with the same distribution."""
        # COMPLETE trials that shaped the relative space hold all of it (it only shrinks)
        known = self._spaces(study).seen
        out = []
        for t in trials:
            if t.number == trial.number:
                continue
            if (relative and t.trial_id in known) or all(
                same(t._distributions.get(k), d) for k, d in space.items()
            ):
                out.append(t)
            elif relative and t.state == TrialState.RUNNING:
                # a running trial whose objective has not stored its parameters yet: where
                # its sampler sent it (the liar needs to know where the workers are)
                params = proposed_params(t)
                if all(k in params and d.contains(params[k]) for k, d in space.items()):
                    out.append(t)
        return out

    def _pick(
        self,
        study: Study,
        trial: FrozenTrial,
        space: Mapping[str, BaseDistribution],
        relative: bool,
        below: list[FrozenTrial],
        above: list[FrozenTrial],
        bandwidth_factor: float = 1.0,
        below_weights: np.ndarray | None = None,
        branches: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """The candidate, drawn from the density of ``below`` (its observations weighted by
        ``below_weights``, bandwidths times ``bandwidth_factor``), that maximises
        l(x) / g(x); ``branches`` fixes categorical parameters (to a choice index) in every
        candidate."""
        prior = self._prior_weight
        if below_weights is not None:  # the prior weighs as much as an average observation
            prior *= float(np.mean(below_weights))
        good = ParzenEstimator(
            self._observe(study, below, space),
            space,
            prior,
            weights=below_weights,
            style=self._style,
            # the BOHB style's widths come from Scott's rule and take no effective size
            effective_n=(
                _effective_size(below, below_weights if self._floor_from_weights else None)
                if self._style == "tpe"
                else None
            ),
        )
        bad = ParzenEstimator(
            self._observe(study, above, space), space, self._prior_weight, style=self._style
        )
        salt = zlib.crc32("|".join(space).encode()) if not relative else 0
        rng = np.random.default_rng([self._random.seed & (2**63 - 1), trial.number, salt])
        candidates = good.sample(rng, self._n_candidates, bandwidth_factor)
        for name, index in (branches or {}).items():
            candidates[name] = np.full_like(candidates[name], index)
        score = good.log_pdf(candidates) - bad.log_pdf(candidates)
        best = int(np.argmax(score))
        out: dict[str, Any] = {}
        for name, dist in space.items():
            x = candidates[name][best]
            if isinstance(dist, CategoricalDistribution):
                out[name] = dist.choices[int(x)]
            else:
                out[name] = dist.from_unit(float(x))
        return out

    def _split(
        self,
        directions: Sequence[StudyDirection],
        complete: list[FrozenTrial],
        stopped: list[FrozenTrial],
        others: list[FrozenTrial],
    ) -> tuple[list[FrozenTrial], list[FrozenTrial], np.ndarray | None]:
        """The good and the bad trials, and the good ones' weights (``None``: uniform).

        ``stopped`` (one objective only): trials stopped early (PRUNED, or PAUSED awaiting
        promotion), ranked after every COMPLETE trial by the last step they reported (later
        first), then their value there."""
        ranked_n = len(complete) + len(stopped)
        n_below = max(1, min(self._gamma(ranked_n), ranked_n - 1))
        weights = None
        if len(directions) == 1:
            sign = -1.0 if directions[0] == StudyDirection.MAXIMIZE else 1.0

            def loss(v: float) -> float:
                return math.inf if math.isnan(v) else sign * v

            # complete trials by (loss, number): one argsort instead of a keyed Python sort
            losses = sign * np.array(
                [t.values[0] if t.values else math.nan for t in complete], dtype=float
            )
            losses[np.isnan(losses)] = math.inf
            order = np.lexsort((np.array([t.number for t in complete]), losses))
            ranked = [complete[i] for i in order]
            ranked += sorted(stopped, key=_reached_key(loss))
            if n_below < len(complete):  # EI weights need comparable values: finals only
                top = losses[order[: n_below + 1]]
                gains = top[-1] - top[:-1]  # improvement over the best of the bad group
                if np.isfinite(gains).all() and gains.max() > 0:
                    weights = np.maximum(gains, 1e-12 * gains.max())
        else:  # several objectives: peel Pareto fronts
            ranked, rest = [], list(complete)
            while rest and len(ranked) < n_below:
                front = pareto_front(rest, directions)
                ranked += front
                numbers = {t.number for t in front}
                rest = [t for t in rest if t.number not in numbers]
            ranked += rest  # (stopped is empty: several objectives have no step order)
        return ranked[:n_below], ranked[n_below:] + others, weights

    def _observe(
        self, study: Study, trials: list[FrozenTrial], space: Mapping[str, BaseDistribution]
    ) -> dict[str, np.ndarray]:
        """Each trial's value of each parameter in unit coordinates (choice index for
        categorical); finished trials' codes are cached, they never change."""
        names = tuple(space)
        rows = self._rows(study)
        store = rows.get(names)
        if store is None:
            store = rows[names] = _Rows(len(names))
        index = store.index
        idx = [index.get(t.trial_id, -1) for t in trials]
        fresh: list[tuple[int, list[float]]] = []  # unfinished trials' rows: not cached
        if -1 in idx:
            for i, t in enumerate(trials):
                if idx[i] < 0:
                    codes = self._encode(t, space)
                    row = [codes[name] for name in names]
                    if t.state.is_finished():  # finished trials never change
                        idx[i] = store.add(t.trial_id, row)
                    else:
                        idx[i] = 0
                        fresh.append((i, row))
        matrix = store.matrix[np.array(idx, dtype=np.intp)].reshape(len(trials), len(names))
        for i, row in fresh:
            matrix[i] = row
        return {name: matrix[:, j] for j, name in enumerate(names)}

    @staticmethod
    def _encode(t: FrozenTrial, space: Mapping[str, BaseDistribution]) -> dict[str, float]:
        codes = {}
        params = proposed_params(t) if t.state == TrialState.RUNNING else t._params
        for name, value in params.items():
            dist = t._distributions.get(name) or space.get(name)
            if dist is None:
                continue
            if isinstance(dist, CategoricalDistribution):
                codes[name] = float(dist.index_of(value))
            else:
                codes[name] = dist.to_unit(value)
        return codes
