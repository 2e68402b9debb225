"""Which branch of a conditional space to try next: a max k-armed bandit over the choices of
each categorical parameter that switches others on (a model choice, say).

A density model of the whole space (TPE's l(x) / g(x)) ranks a choice by how its *typical*
trials compare, but in model selection what counts is the *best* trial each choice can reach:
a branch whose random points look poor and whose optimum is the best (an SVM next to a
forest that is good at any setting) loses its share of the good group early and is never
tried again. On the suite's ``conditional`` problem TPE stays on the easy branch on 18 of 20
seeds (docs/benchmarks.md, "Branch lock-in on conditional spaces").

The choice is MaxUCB (Balef et al., "Pull in CASH with Bandits: Max K-Armed Bandit for the
CASH Problem in Automated Machine Learning", the title as the authors' repository
amirbalef/CASH_with_Bandits gives it), a bandit for the best value rather than the mean:
each finished value is turned into a reward (the loss flipped, then min-max scaled over
every finished trial that has the switch into [0.01, 0.99]); a choice scores its best reward
plus ``(alpha ln t / n)^2``, ``t`` the trials that have the switch and ``n`` those that took
that choice; the highest score wins, a choice not tried yet first, ties to the first choice.
``alpha = 1``, where the authors' code uses 0.5: of 0.5, 1 and 2 on the four conditional objectives
of ``benchmarks/conditional_spaces.py`` (20 seeds, 50 / 100 / 200 trials), 1 is the best or
near it on each, and 0.5 leaves ``model_choice`` (a branch whose random points score far
worse than the rest's and whose optimum is narrow) at the easy branch's 1.0 on most seeds,
worse than random search (docs/benchmarks.md, "Branch choice by MaxUCB"). The bonus falls as
``1 / n^2``, not ``1 / sqrt(n)``: the paper's analysis for bounded, light-tailed rewards,
where a choice's maximum settles fast. Every trial that took a choice counts towards its
``n``, failed, pruned or still running (so parallel workers spread over the choices); only
COMPLETE ones give rewards.

Which parameters are switches is read off the history (``infer_rules``): a categorical
parameter whose values decide whether another parameter appears. The sampler then proposes
the rest of the trial inside the chosen branch, from its own model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from trimtab.distributions import BaseDistribution, CategoricalDistribution
from trimtab.samplers._search_space import SpaceState, infer_rules, same
from trimtab.trial import FrozenTrial, StudyDirection, TrialState
from trimtab.trial._frozen import proposed_params

if TYPE_CHECKING:
    from trimtab.study import Study

ALPHA = 1.0


class Switches:
    """Per study: the categorical parameters the history shows switching others on, kept
    incrementally. The search space is ``SpaceState``'s (each COMPLETE trial read once); the
    rules are inferred again (``infer_rules``, over the whole history) only when a new
    parameter appears or the trial count has doubled, and never while every trial has every
    parameter."""

    def __init__(self) -> None:
        self.state = SpaceState()
        self.names: set[str] = set()
        self.checked_union: set[str] = set()
        self.checked_at = 0
        self.arms = Arms()

    def update(self, study: Study) -> set[str]:
        shared = self.state.update(study, groups=True)
        n = len(self.state.seen)
        if n < 2 or self.state.flat:
            return self.names
        union = {k: d for g in self.state.groups for k, d in g.items()}
        if union.keys() != self.checked_union or n >= 2 * self.checked_at:
            rules = infer_rules(study.get_trials((TrialState.COMPLETE,)), union, shared)
            self.names |= {
                r.parent
                for r in rules.values()
                if isinstance(union.get(r.parent), CategoricalDistribution)
            }
            self.checked_union, self.checked_at = set(union), n
        return self.names


class Tally:
    """One switch's record: how many trials took each choice, the best loss each reached, and
    the range of the losses of every trial that has the switch."""

    __slots__ = ("best", "dist", "hi", "lo", "pulls")

    def __init__(self, dist: CategoricalDistribution) -> None:
        self.dist = dist
        self.pulls = np.zeros(len(dist.choices), dtype=np.int64)
        self.best = np.full(len(dist.choices), math.inf)
        self.lo, self.hi = math.inf, -math.inf

    def add(self, name: str, t: FrozenTrial, sign: float) -> None:
        """Count ``t`` if it has the switch ``name`` with this distribution."""
        params = proposed_params(t) if t.state is TrialState.RUNNING else t._params
        if name not in params:
            return
        stored = t._distributions.get(name)
        if stored is not None and not same(stored, self.dist):
            return
        value = params[name]
        if not self.dist.contains(value):
            return
        i = self.dist.index_of(value)
        self.pulls[i] += 1
        if t.state is TrialState.COMPLETE and t.values:
            loss = sign * t.values[0]
            if math.isfinite(loss):
                self.best[i] = min(self.best[i], loss)
                self.lo, self.hi = min(self.lo, loss), max(self.hi, loss)

    def copy(self) -> Tally:
        out = Tally.__new__(Tally)
        out.dist, out.pulls, out.best = self.dist, self.pulls.copy(), self.best.copy()
        out.lo, out.hi = self.lo, self.hi
        return out

    def pick(self, alpha: float | None = None) -> int | None:
        """MaxUCB's choice; ``None`` when no trial that has the switch has a value."""
        alpha = ALPHA if alpha is None else alpha
        untried = np.flatnonzero(self.pulls == 0)
        if untried.size:
            return int(untried[0])
        if not math.isfinite(self.lo):
            return None
        span = self.hi - self.lo if self.hi > self.lo else 1.0
        best = self.best
        reward = np.where(np.isfinite(best), 0.99 - 0.98 * (best - self.lo) / span, 0.0)
        score = reward + (alpha * math.log(int(self.pulls.sum())) / self.pulls) ** 2
        return int(np.argmax(score))


def choose(
    name: str,
    dist: CategoricalDistribution,
    trials: Sequence[FrozenTrial],
    sign: float,
    alpha: float | None = None,
) -> int | None:
    """MaxUCB's choice (an index into ``dist.choices``) for the switch ``name`` from the
    ``trials`` that have it; ``sign`` turns a value into a loss (-1 when maximising);
    ``alpha`` by default ``ALPHA``. ``None`` when no trial that has it has finished with a
    value."""
    tally = Tally(dist)
    for t in trials:
        tally.add(name, t, sign)
    return tally.pick(alpha)


FINISHED = frozenset((TrialState.COMPLETE, TrialState.FAILED, TrialState.PRUNED))


class Arms:
    """Per study: MaxUCB's record of each categorical parameter, kept incrementally: a
    finished trial (COMPLETE, FAILED or PRUNED: it never changes again) is read once, the
    others at each choice, so a choice costs a pass over the trials' states, not over their
    parameters. The same choices as ``choose`` over the same trials."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.tallies: dict[str, Tally] = {}
        self.sign = 0.0

    def choose(
        self,
        study: Study,
        trial: FrozenTrial,
        switches: Mapping[str, CategoricalDistribution],
        alpha: float | None = None,
    ) -> dict[str, int | None]:
        """``choose`` for each of ``switches`` from the trials the study's pruner calls
        comparable to ``trial`` (when it keeps a subset, from those alone, read in full)."""
        others = [t for t in study.get_trials() if t.number != trial.number]
        trials = study.pruner.comparable_trials(study, trial.number, others)
        sign = -1.0 if study.directions[0] == StudyDirection.MAXIMIZE else 1.0
        if len(trials) < len(others):
            return {k: choose(k, d, trials, sign, alpha) for k, d in switches.items()}
        if sign != self.sign:  # (the study's direction: set once)
            self.seen, self.tallies, self.sign = set(), {}, sign
        running = []
        for t in trials:
            if t.state not in FINISHED:
                running.append(t)
            elif t.trial_id not in self.seen:
                self.seen.add(t.trial_id)
                for k, d in t._distributions.items():
                    if isinstance(d, CategoricalDistribution):
                        self.tallies.setdefault(k, Tally(d)).add(k, t, sign)
        out: dict[str, int | None] = {}
        for name, dist in switches.items():
            kept = self.tallies.get(name)
            if kept is not None and not same(kept.dist, dist):
                out[name] = choose(name, dist, trials, sign, alpha)
                continue
            tally = Tally(dist) if kept is None else kept.copy()
            for t in running:
                tally.add(name, t, sign)
            out[name] = tally.pick(alpha)
        return out


def study_branches(
    study: Study, trial: FrozenTrial, space: Mapping[str, BaseDistribution], memo: Switches
) -> dict[str, int] | None:
    """For each switch in ``space``, the choice index MaxUCB picks for ``trial`` from the
    trials the study's pruner calls comparable (``memo``: the study's ``Switches``). ``None``
    when ``space`` holds no switch, or with several objectives."""
    if len(study.directions) != 1:
        return None
    if not any(isinstance(d, CategoricalDistribution) for d in space.values()):
        return None
    switches = memo.update(study)
    if not any(name in switches for name in space):
        return None
    picked = memo.arms.choose(
        study,
        trial,
        {
            k: d
            for k, d in space.items()
            if k in switches and isinstance(d, CategoricalDistribution)
        },
    )
    return {k: arm for k, arm in picked.items() if arm is not None} or None
