"""Model-based Hyperband: TPE proposals fitted at the highest rung with enough observations.

Falkner, Klein & Hutter, "BOHB: Robust and Efficient Hyperparameter Optimization at Scale",
ICML 2018, section 4.1 and Algorithm 2, run asynchronously with the study's
``HyperbandPruner`` (or ``SuccessiveHalvingPruner``) deciding the stops:

- Budgets are the pruner's rungs (``pruner.rung_resources(study)``), the last one being the
  full training. A trial's observation at budget ``b`` is its rung value, as for ASHA: the
  value it reported at its first step ``>= b``. Every trial that reached ``b`` counts, in
  whichever bracket and state (COMPLETE, PRUNED, or RUNNING past ``b``), so a pruned trial's
  partial result is used at the rungs it reached. A COMPLETE trial that never reported at the
  full training's step (e.g. steps 0..R-1) counts there with its final value.
- The model is fitted on the observations ``D_b`` of the highest budget with
  ``|D_b| >= N_min + 2`` (``N_min = min_points_in_model``, by default ``d + 1`` for ``d``
  modelled parameters, as in the paper); until a budget has that many, proposals are random.
- The best ``N_l = max(N_min, floor(top_fraction * |D_b|))`` observations form l(x) and the
  rest g(x) (the paper's ``q = 15%``; as in its reference implementation, hpbandster, the two
  groups do not overlap). Both are this package's Parzen estimators (multivariate kernels with
  a prior component, see ``_parzen``, in its "bohb" style: Scott's-rule widths and
  Aitchison-Aitken categorical kernels, as in the paper's statsmodels product KDE).
- ``n_ei_candidates`` (paper: ``N_s = 64``) candidates are drawn from l(x) with bandwidths
  times ``bandwidth_factor`` (paper: ``b_w = 3``), and the one maximising l(x) / g(x) (with
  the unwidened bandwidths) is proposed.
- A fraction ``random_fraction`` (paper: ``rho = 1/3``) of the trials is proposed uniformly at
  random whatever the model says, which keeps BOHB's worst case within a constant factor of
  Hyperband's. Which trials are random follows from the seed and the trial number alone.

With ``ranking="reached"`` the model is fitted on every trial instead of one budget's: each
trial is ranked by the highest budget it reached, then by its value there (a trial stopped at
a lower rung ranks below every trial that went further; ASHA only lets a trial go on from a
rung when it is in the top ``1/eta`` there, Li et al., MLSys 2020, Algorithm 2). This is the
ordering Optuna's ``TPESampler`` has used for pruned trials since optuna/optuna#439 (2019).
l(x) is the best ``max(N_min, floor(top_fraction * n))`` of the ``n`` ranked trials and g(x)
the rest, from ``N_min + 2`` trials on. With ``SuccessiveHalvingPruner`` most trials stop at
the first rung, so this starts modelling after a few dozen one-epoch results and keeps the
trials stopped early in g(x), where the paper's rule fits only the few trials at the highest
budget and forgets the rest.

Unlike ``TPESampler`` with ``HyperbandPruner`` (which learns within a bracket, from final
values), BOHB pools all brackets: observations at the same budget are comparable whichever
bracket made them. The relative search space is the parameters shared by every COMPLETE or
PRUNED trial, since under aggressive pruning few trials complete.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from trimtab.distributions import BaseDistribution
from trimtab.exceptions import TrimtabError
from trimtab.pruners._promotion import rung_value
from trimtab.samplers._base import StudyCache
from trimtab.samplers._rng import mix_seed, uniform
from trimtab.samplers._search_space import same
from trimtab.samplers._tpe._sampler import TPESampler
from trimtab.trial import FrozenTrial, StudyDirection, TrialState

if TYPE_CHECKING:
    from trimtab.study import Study

_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.PAUSED, TrialState.RUNNING)
# per study: budgets -> trial id -> the finished trial's observation at each budget
_Observed = dict[tuple[int, ...], dict[int, tuple[float | None, ...]]]


def _check_number(arg: str, value: Any, low: float, high: float, open_low: bool) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (low < value if open_low else low <= value) and value <= high
    if not ok:
        interval = f"{'(' if open_low else '['}{low:g}, {high:g}]"
        raise ValueError(f"BOHBSampler: {arg}={value!r} must be a number in {interval}")
    return float(value)


class BOHBSampler(TPESampler):
    """Model-based Hyperband (BOHB); use it with ``HyperbandPruner`` or
    ``SuccessiveHalvingPruner``. See the module docstring for the algorithm.

    Args:
        min_points_in_model: ``N_min``; a budget is modelled once it has ``N_min + 2``
            observations. ``None``: the number of modelled parameters + 1.
        top_fraction: the paper's ``q``, the share of a budget's observations in l(x).
        n_ei_candidates: candidates drawn from l(x) per proposal.
        random_fraction: the paper's ``rho``, the share of trials proposed at random.
        bandwidth_factor: the paper's ``b_w`` (>= 1), widening l(x) when drawing candidates.
        prior_weight: weight of the prior component of each Parzen estimator.
        ranking: ``"budget"`` (the paper): fit on the highest budget with enough
            observations; ``"reached"``: rank every trial by the highest budget it reached,
            then by its value there, and fit on all of them.
        seed: makes every proposal reproducible.
    """

    _style = "bohb"  # Scott's-rule product kernels, as in the paper

    def __init__(
        self,
        *,
        min_points_in_model: int | None = None,
        top_fraction: float = 0.15,
        n_ei_candidates: int = 64,
        random_fraction: float = 1 / 3,
        bandwidth_factor: float = 3.0,
        prior_weight: float = 1.0,
        ranking: Literal["budget", "reached"] = "budget",
        seed: int | None = None,
    ) -> None:
        super().__init__(
            n_startup_trials=0,
            n_ei_candidates=n_ei_candidates,
            prior_weight=prior_weight,
            branches="tpe",  # the paper's model alone
            seed=seed,
        )
        if min_points_in_model is not None and (
            isinstance(min_points_in_model, bool)
            or not isinstance(min_points_in_model, int)
            or min_points_in_model < 1
        ):
            raise ValueError(
                f"BOHBSampler: min_points_in_model={min_points_in_model!r} must be None or an "
                "integer >= 1"
            )
        if ranking not in ("budget", "reached"):
            raise ValueError(f"BOHBSampler: ranking={ranking!r} must be 'budget' or 'reached'")
        self._n_min = min_points_in_model
        self._ranking = ranking
        self._top = _check_number("top_fraction", top_fraction, 0.0, 1.0, open_low=True)
        self._rho = _check_number("random_fraction", random_fraction, 0.0, 1.0, open_low=False)
        self._bw = _check_number("bandwidth_factor", bandwidth_factor, 1.0, 100.0, open_low=False)
        self._observed: StudyCache[_Observed] = StudyCache(dict)

    # ---- introspection ------------------------------------------------------------------

    def model_budget(self, study: Study) -> int | None:
        """The budget (resource) whose observations the next joint proposal would be fitted
        on (``ranking="reached"``: the highest budget a trial reached, the top of the
        ranking); ``None`` while there are too few observations (the proposal is random)."""
        space = self._space(study)
        if not space:
            return None
        usable = self._usable(study, None, space, True, study.get_trials(_STATES))
        if self._ranking == "reached":
            return self._rank_reached(study, usable, space)[0]
        return self._choose_budget(study, usable, space)[0]

    def is_random(self, trial_number: int) -> bool:
        """Whether trial ``trial_number`` is one of the ``random_fraction`` drawn at random."""
        return uniform(mix_seed(self._random.seed), trial_number, "bohb:random") < self._rho

    # ---- the search space ---------------------------------------------------------------

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The parameters, with identical distributions, of every COMPLETE or PRUNED trial."""
        return self._space(study)

    def _space(self, study: Study) -> dict[str, BaseDistribution]:
        rungs = study.pruner.rung_resources(study)
        if rungs is None:
            raise TrimtabError(
                f"BOHBSampler needs a pruner that works in rungs (HyperbandPruner or "
                f"SuccessiveHalvingPruner); the study's pruner is {type(study.pruner).__name__}"
                " (for a study without rungs, use TPESampler)"
            )
        state = self._spaces(study)
        for t in study.get_trials((TrialState.COMPLETE, TrialState.PRUNED, TrialState.PAUSED)):
            if t.trial_id in state.seen:
                continue
            state.seen.add(t.trial_id)
            dists = {k: d for k, d in t.distributions.items() if not d.single()}
            if state.space is None:
                state.space = dists
            else:
                state.space = {k: d for k, d in state.space.items() if same(dists.get(k), d)}
        return dict(state.space or {})

    # ---- proposals ----------------------------------------------------------------------

    def _propose(
        self,
        study: Study,
        trial: FrozenTrial,
        space: Mapping[str, BaseDistribution],
        relative: bool,
    ) -> dict[str, Any] | None:
        if len(study.directions) != 1:
            raise TrimtabError(
                f"BOHBSampler is for single-objective studies; study {study.study_name!r} has "
                f"{len(study.directions)} objectives"
            )
        if self.is_random(trial.number):
            return None
        usable = self._usable(study, trial, space, relative, study.get_trials(_STATES))
        if self._ranking == "reached":
            budget, ranked = self._rank_reached(study, usable, space)
        else:
            budget, observed = self._choose_budget(study, usable, space)
            sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
            observed.sort(
                key=lambda tv: (math.inf if math.isnan(tv[1]) else sign * tv[1], tv[0].number)
            )
            ranked = [t for t, _ in observed]  # best first, NaN last
        if budget is None:
            return None
        n_good = min(
            max(self._min_points(space), math.floor(self._top * len(ranked))), len(ranked) - 1
        )
        return self._pick(study, trial, space, relative, ranked[:n_good], ranked[n_good:], self._bw)

    def _min_points(self, space: Mapping[str, BaseDistribution]) -> int:
        return self._n_min or len(space) + 1

    def _usable(
        self,
        study: Study,
        trial: FrozenTrial | None,
        space: Mapping[str, BaseDistribution],
        relative: bool,
        trials: Sequence[FrozenTrial],
    ) -> list[FrozenTrial]:
        number = -1 if trial is None else trial.number
        return [
            t
            for t in trials
            if t.number != number
            and all(same(t._distributions.get(k), d) for k, d in space.items())
        ]

    def _choose_budget(
        self, study: Study, usable: list[FrozenTrial], space: Mapping[str, BaseDistribution]
    ) -> tuple[int | None, list[tuple[FrozenTrial, float]]]:
        """The highest budget with at least ``N_min + 2`` observations, and them."""
        budgets, rows = self._observations(study, usable)
        need = self._min_points(space) + 2
        for i in range(len(budgets) - 1, -1, -1):
            observed = [(t, v) for t, row in rows for v in (row[i],) if v is not None]
            if len(observed) >= need:
                return budgets[i], observed
        return None, []

    def _rank_reached(
        self, study: Study, usable: list[FrozenTrial], space: Mapping[str, BaseDistribution]
    ) -> tuple[int | None, list[FrozenTrial]]:
        """Every trial with an observation, best first: by the highest budget it reached,
        then by its value there (NaN last), then by number; and the top one's budget.
        ``(None, [])`` while fewer than ``N_min + 2`` trials have an observation."""
        budgets, rows = self._observations(study, usable)
        sign = -1.0 if study.direction == StudyDirection.MAXIMIZE else 1.0
        keyed = []
        for t, row in rows:
            top = max((i for i, v in enumerate(row) if v is not None), default=None)
            if top is not None:
                v = row[top]
                assert v is not None
                keyed.append(((-top, math.inf if math.isnan(v) else sign * v, t.number), t))
        if len(keyed) < self._min_points(space) + 2:
            return None, []
        keyed.sort(key=lambda kt: kt[0])
        return budgets[-keyed[0][0][0]], [t for _, t in keyed]

    def _observations(
        self, study: Study, usable: list[FrozenTrial]
    ) -> tuple[tuple[int, ...], list[tuple[FrozenTrial, tuple[float | None, ...]]]]:
        """The budgets, and each usable trial's observation at every budget (None: not
        reached); finished trials' rows are cached, they never change."""
        budgets = tuple(study.pruner.rung_resources(study) or ())
        if not budgets:
            return budgets, []
        cache = self._observed(study).setdefault(budgets, {})
        rows = []
        for t in usable:
            row = cache.get(t.trial_id)
            if row is None:
                row = tuple(rung_value(t, b) for b in budgets)
                if row[-1] is None and t.state == TrialState.COMPLETE and t.values:
                    row = (*row[:-1], t.values[0])  # finished before the full step
                if t.state.is_finished():
                    cache[t.trial_id] = row
            rows.append((t, row))
        return budgets, rows
