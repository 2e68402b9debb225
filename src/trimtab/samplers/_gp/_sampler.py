"""Bayesian optimisation with a Gaussian-process surrogate and expected improvement (Jones,
Schonlau & Welch, "Efficient Global Optimization of Expensive Black-Box Functions", J. Global
Optimization 13, 1998; Snoek, Larochelle & Adams, "Practical Bayesian Optimization of Machine
Learning Algorithms", NeurIPS 2012), with the surrogate of ``_model`` and the LogEI acquisition
of ``_acquisition``.

Each trial after the startup ones: the parameters every COMPLETE trial shares are encoded in
the unit cube (log parameters on a log scale, integers and stepped floats as the centres of
their cells, categorical ones as choice indices), the objective is standardised (sign flipped
when minimising), the GP is refitted (warm-started from the previous fit; by default with an
input warping of each log parameter, Snoek et al. 2014, see ``_model``), trials still
running elsewhere are added as fantasies at the posterior mean (kriging believer; Ginsbourger,
Le Riche & Carraro, "Kriging Is Well-Suited to Parallelize Optimization", 2010), and the point
maximising LogEI over the incumbent (the best value observed) is proposed; points already
observed or pending are not proposed again. Failed and pruned trials are not modelled.

Conditional spaces (``_conditional``): a parameter only some trials have joins the model when
the history shows which discrete parameter switches it on; where it is off it is encoded as
one fixed value, in the history and in the candidates, and it is not proposed. Parameters
switched on some other way are drawn at random. The branch itself is chosen by LogEI like any
categorical input, and it tends to stay on the branch it refines first: on the suite's
``conditional`` problem 7 of 10 seeds never reach the best branch in 200 trials. TPE's branch
choice (MaxUCB, ``_branches``) does not have this problem; ``AutoSampler`` hands such spaces to
it at 100 trials (docs/benchmarks.md, "Branch choice by MaxUCB").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np

from trimtab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from trimtab.exceptions import TrimtabError
from trimtab.samplers._base import BaseSampler, Reservation, StudyCache
from trimtab.samplers._gp._acquisition import maximize
from trimtab.samplers._gp._conditional import Rule, activity, infer_rules, off_values
from trimtab.samplers._gp._model import GP, Hyper, fit_hyper
from trimtab.samplers._random import RandomSampler
from trimtab.samplers._search_space import SpaceState
from trimtab.trial import FrozenTrial, StudyDirection, TrialState
from trimtab.trial._frozen import proposed_params

if TYPE_CHECKING:
    from trimtab.study import Study


class _Pending(NamedTuple):
    """A running trial: where it is (its parameters, or its sampler's proposal)."""

    trial_id: int
    params: dict[str, Any]


class _Memo:
    """Per study: encoded rows of finished trials, and the last hyperparameters by space."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, ...], dict[int, np.ndarray]] = {}
        self.hyper: dict[tuple[str, ...], Hyper] = {}
        self.last: Hyper | None = None  # the latest fit, whatever its space
        self.rules: dict[str, Rule] = {}  # conditional parameters' rules, as last inferred


LOG_WARP_MAX_INPUTS = 4
"""``input_warping="log"`` warps only while the GP models at most this many inputs. A warping
whose shape flattens it near a bound, where the history sits, makes that stretch of the input
look flat to the kernel, and the input can stay pinned at the bound; the more inputs, the more
often. On sums of squares in log space (every parameter ``log=True``; 100 trials, seeds 0-9),
seeds where the warped GP ended a quarter or more worse than the unwarped one: optimum inside
the box (targets -1, 0, 1 decades), 0 of 10 with 6 inputs, 2 of 10 with 8, 5 of 5 with 12
and 16; optimum half a decade from the upper bound (targets 0, 1, 1.5), 1 of 10 with 4 inputs
(and 1 of 10 with 2, targets 1.5, -3.5), 4 of 10 with 5, 9 of 10 with 6. The suite's real
tasks, where the warping wins, have 2-4 inputs (docs/benchmarks.md, "The GP warps its log
parameters"). ``input_warping=True`` has no such limit: it is the caller's explicit
choice."""


class GPSampler(BaseSampler):
    """Gaussian-process Bayesian optimisation with LogEI. See the module docstring.

    ``deterministic_objective=True`` fixes the noise at a negligible level (for objectives
    that return the same value for the same parameters); by default the noise level is
    fitted with the other hyperparameters.

    Input warping fits a Kumaraswamy CDF to an input with the kernel's hyperparameters
    (``_model``; Snoek et al., ICML 2014), for objectives whose scale of variation differs
    across a parameter's range (a narrow valley beside a plateau); it costs two more
    hyperparameters per warped input. By default (``input_warping="log"``) it warps the
    parameters declared with ``log=True`` and no other: those spanning orders of magnitude
    (learning rates, regularisation strengths, C and gamma), whose effect is typically flat
    over some decades and steep over others; and only while the GP models at most
    ``LOG_WARP_MAX_INPUTS`` (4) inputs, beyond which a fitted shape pins an input at a bound
    too often (see that constant). On the suite's 13 real tasks that beat the
    unwarped GP on 46 / 48 / 35 seed-task pairs and lost 26 / 20 / 26 at 50 / 100 / 200 trials;
    a space without a log parameter gets the unwarped GP exactly (docs/benchmarks.md, "The GP
    warps its log parameters"). ``input_warping=True`` warps every numeric input (it wins the
    real tasks too but loses some smooth synthetic functions: "Why the GP stalls on
    `svm_diabetes`, and input warping"); ``False`` none.

    The same seed and history give the same proposals on one machine. On another CPU, NumPy's
    BLAS may pick other kernels whose rounding differs in the last bits; a fit or an
    acquisition maximum can then come out slightly different, and over a long study the
    trajectory can diverge (docs/benchmarks.md, "How far a GP run reproduces").
    """

    def __init__(
        self,
        *,
        n_startup_trials: int = 10,
        deterministic_objective: bool = False,
        input_warping: bool | Literal["log"] = "log",
        seed: int | None = None,
    ) -> None:
        if (
            isinstance(n_startup_trials, bool)
            or not isinstance(n_startup_trials, int)
            or n_startup_trials < 1
        ):
            raise ValueError(f"n_startup_trials={n_startup_trials!r} must be an integer >= 1")
        self._n_startup = n_startup_trials
        self._deterministic = bool(deterministic_objective)
        if not (isinstance(input_warping, bool) or input_warping == "log"):
            raise ValueError(f"input_warping={input_warping!r} must be True, False or 'log'")
        self._warping = input_warping
        self._random = RandomSampler(seed=seed)
        self._spaces: StudyCache[SpaceState] = StudyCache(SpaceState)
        self._memo: StudyCache[_Memo] = StudyCache(_Memo)

    def reseed_rng(self) -> None:
        self._random.reseed_rng()

    def noise_variance(self, study: Study) -> float | None:
        """The noise variance of the latest fit in ``study`` (of the objective after warping
        and standardisation, so 1.0 would be all noise), or None before any fit in this
        process."""
        last = self._memo(study).last
        return None if last is None else math.exp(last.log_noise)

    def reserve(self, study: Study, conflict: bool = False) -> Reservation | None:
        if len(study.directions) > 1:
            raise TrimtabError(
                f"GPSampler optimises one objective; this study has {len(study.directions)}. "
                "Use NSGAIISampler or TPESampler for several objectives."
            )
        return None

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The parameters, with identical distributions, of every COMPLETE trial so far, then
        the conditional ones whose switch the history shows (see ``_conditional``)."""
        state = self._spaces(study)
        shared = state.update(study, groups=True)
        memo = self._memo(study)
        if sum(len(g) for g in state.groups) == len(shared):  # flat: nothing conditional
            memo.rules = {}
            return shared
        union = {k: d for g in state.groups for k, d in g.items()}
        memo.rules = infer_rules(study.get_trials((TrialState.COMPLETE,)), union, shared)
        return {**shared, **{k: union[k] for k in memo.rules}}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, name: str, distribution: BaseDistribution
    ) -> Any:
        return self._random.sample_independent(study, trial, name, distribution)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        known = self._spaces(study).seen
        memo = self._memo(study)
        rules = {
            k: r for k, r in memo.rules.items() if k in search_space and r.parent in search_space
        }
        always = [k for k in search_space if k not in rules]
        complete: list[FrozenTrial] = []
        pending: list[_Pending] = []
        # the pruner says which trials are comparable (Hyperband: the same bracket)
        history = study.pruner.comparable_trials(
            study, trial.number, study.get_trials((TrialState.COMPLETE, TrialState.RUNNING))
        )
        for t in history:
            if t.state == TrialState.COMPLETE and t.trial_id in known:
                complete.append(t)
            elif t.state == TrialState.RUNNING and t.number != trial.number:
                params = proposed_params(t)
                if all(k in params for k in always):
                    pending.append(_Pending(t.trial_id, params))
        if len(complete) < self._n_startup:
            return {}
        names = tuple(search_space)
        x = self._encode(memo, names, search_space, complete)
        sign = 1.0 if study.direction == StudyDirection.MAXIMIZE else -1.0
        raw = sign * np.array([(t.values or (math.nan,))[0] for t in complete], dtype=float)
        y = _warp(raw)
        cat_sizes = np.array(
            [
                len(d.choices) if isinstance(d, CategoricalDistribution) else 0
                for d in search_space.values()
            ],
            dtype=float,
        )
        cat = cat_sizes > 0
        warped, warp_cols = bool(self._warping), None
        if self._warping == "log":
            warp_cols = np.array([getattr(d, "log", False) for d in search_space.values()])
            # no log parameter, or too many inputs for the extra shapes: the plain GP, exactly
            warped = bool(warp_cols.any()) and len(names) <= LOG_WARP_MAX_INPUTS
        hyper = fit_hyper(x, y, cat, memo.hyper.get(names), self._deterministic, warped, warp_cols)
        memo.hyper[names] = memo.last = hyper
        gp = GP(x, y, cat, hyper)
        incumbent = float(y.max())
        taken = x
        if pending:
            xp = self._encode(memo, names, search_space, pending)
            gp = gp.condition_on(xp)
            taken = np.vstack([x, xp])
        rng = np.random.default_rng([self._random.seed & (2**63 - 1), trial.number, 0x6770])
        anchors = x[np.argsort(-y)[:1]]
        snap = _snapper(search_space)
        if rules:
            inactive = activity(search_space, rules)
            point = maximize(
                gp, incumbent, cat_sizes, rng, anchors, snap, taken,
                inactive=inactive, off=off_values(search_space),
            )  # fmt: skip
            off = inactive(point[None, :])[0]
        else:
            point = maximize(gp, incumbent, cat_sizes, rng, anchors, snap, taken)
            off = np.zeros(len(point), dtype=bool)
        out: dict[str, Any] = {}
        for u, (name, dist), unused in zip(point, search_space.items(), off, strict=True):
            if unused:  # switched off by another parameter's value: the objective won't ask
                continue
            if isinstance(dist, CategoricalDistribution):
                out[name] = dist.choices[int(u)]
            else:
                out[name] = dist.from_unit(float(u))
        return out

    @staticmethod
    def _encode(
        memo: _Memo,
        names: tuple[str, ...],
        space: Mapping[str, BaseDistribution],
        trials: Sequence[FrozenTrial | _Pending],
    ) -> np.ndarray:
        """Rows of unit-cube codes; those of finished trials are cached (they never change).
        A parameter a trial does not have is encoded as switched off."""
        cache = memo.rows.setdefault(names, {})
        off = off_values(space)
        rows = []
        for t in trials:
            finished = isinstance(t, FrozenTrial)
            row = cache.get(t.trial_id) if finished else None
            if row is None:
                params = t._params if isinstance(t, FrozenTrial) else t.params
                row = np.array(
                    [
                        off[j]
                        if k not in params
                        else float(d.index_of(params[k]))
                        if isinstance(d, CategoricalDistribution)
                        else d.to_unit(params[k])
                        for j, (k, d) in enumerate(space.items())
                    ]
                )
                if finished:
                    cache[t.trial_id] = row
            rows.append(row)
        return np.array(rows, dtype=float).reshape(len(rows), len(names))


def _snapper(space: Mapping[str, BaseDistribution]) -> Callable[[np.ndarray], np.ndarray]:
    """Maps points of the unit cube to the centres of integer and stepped cells (what
    ``to_unit(from_unit(u))`` gives, for a whole matrix at once)."""
    cells: list[tuple[int, float]] = []
    logs: list[tuple[int, float, float, int, int]] = []
    for j, d in enumerate(space.values()):
        if isinstance(d, IntDistribution):
            if d.log:
                lo, hi = math.log(d.low - 0.5), math.log(d.high + 0.5)
                logs.append((j, lo, hi, d.low, d.high))
            else:
                cells.append((j, (d.high - d.low) // d.step + 1))
        elif isinstance(d, FloatDistribution) and d.step is not None:
            cells.append((j, round((d.high - d.low) / d.step) + 1))
    cols = np.array([j for j, _ in cells], dtype=int)
    k = np.array([n for _, n in cells], dtype=float)

    def snap(xs: np.ndarray) -> np.ndarray:
        out = xs.copy()
        if len(cols):
            out[:, cols] = (np.clip(np.floor(out[:, cols] * k), 0, k - 1) + 0.5) / k
        for j, lo, hi, a, b in logs:
            v = np.clip(np.round(np.exp(lo + out[:, j] * (hi - lo))), a, b)
            out[:, j] = (np.log(v) - lo) / (hi - lo)
        return out

    return snap


def _warp(raw: np.ndarray) -> np.ndarray:
    """Objective values (larger is better) made closer to Gaussian, then standardised: a
    Yeo-Johnson power transform with its exponent fitted by maximum likelihood (as HEBO does,
    Cowen-Rivers et al., JAIR 2022), so a few disastrous trials do not flatten the model
    everywhere else."""
    std = float(raw.std())
    if std == 0.0:
        return np.zeros_like(raw)
    from scipy.stats import yeojohnson

    z = (raw - raw.mean()) / std
    with np.errstate(all="ignore"):
        w = np.asarray(yeojohnson(z)[0], dtype=float)
    ws = float(w.std())
    if not np.all(np.isfinite(w)) or ws == 0.0:
        return np.asarray(z)
    return np.asarray((w - w.mean()) / ws)
