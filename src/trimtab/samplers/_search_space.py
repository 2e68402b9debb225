"""What a study's finished trials say about its search space, kept up to date incrementally:
the parameters every COMPLETE trial shares (with identical distributions), and the partition
of all parameters into groups that always appear together; and which discrete parameter
switches each conditional one on (``infer_rules``, read by the GP and the CMA-ES)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from trimtab.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
from trimtab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from trimtab.study import Study


class SpaceState:
    """What a study's finished trials say about its space, updated one trial at a time."""

    __slots__ = ("conflicts", "groups", "names", "seen", "space")

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.space: dict[str, BaseDistribution] | None = None  # shared by every trial
        self.groups: list[dict[str, BaseDistribution]] = []  # parameters seen together
        self.conflicts: set[str] = set()  # names suggested with different distributions
        self.names: set[str] = set()  # every parameter of every trial

    def update(self, study: Study, groups: bool = False) -> dict[str, BaseDistribution]:
        """Take in the COMPLETE trials not seen yet; return the shared space."""
        for t in study.get_trials((TrialState.COMPLETE,)):
            if t.trial_id in self.seen:
                continue
            self.seen.add(t.trial_id)
            dists = {k: d for k, d in t.distributions.items() if not d.single()}
            self.names.update(dists)
            if self.space is None:
                self.space = dict(dists)
            else:
                self.space = {k: d for k, d in self.space.items() if same(dists.get(k), d)}
            if groups:
                self.add_to_groups(dists)
        return dict(self.space or {})

    @property
    def flat(self) -> bool:
        """Every trial seen has every parameter, with the same distribution."""
        return self.space is not None and self.names <= self.space.keys()

    def add_to_groups(self, dists: Mapping[str, BaseDistribution]) -> None:
        """Refine the partition so each group's parameters always appear together."""
        for g in self.groups:
            for k, d in list(g.items()):
                if k in dists and not same(dists[k], d):
                    self.conflicts.add(k)
                    del g[k]
        keys = [k for k in dists if k not in self.conflicts]
        refined: list[dict[str, BaseDistribution]] = []
        for g in self.groups:
            inside = {k: d for k, d in g.items() if k in dists}
            outside = {k: d for k, d in g.items() if k not in dists}
            refined += [part for part in (inside, outside) if part]
            keys = [k for k in keys if k not in inside]
        if keys:
            refined.append({k: dists[k] for k in keys})
        self.groups = refined


def same(a: BaseDistribution | None, b: BaseDistribution) -> bool:
    return a is b or a == b


class Rule(NamedTuple):
    """``name`` is active where ``parent`` is active and takes one of ``values`` (its choice
    indices, or its integers)."""

    parent: str
    values: frozenset[int]


def infer_rules(
    trials: Sequence[FrozenTrial],
    union: Mapping[str, BaseDistribution],
    shared: Mapping[str, BaseDistribution],
) -> dict[str, Rule]:
    """A rule for each parameter of ``union`` not in ``shared`` that has one, parents first.

    ``union`` holds every parameter the trials have with one distribution throughout (a
    parameter present with another distribution in some trial must not be in it)."""
    optional = [k for k in union if k not in shared]
    if not optional or not trials:
        return {}
    names = list(union)
    col = {k: j for j, k in enumerate(names)}
    discrete = [
        k for k in names if isinstance(union[k], (CategoricalDistribution, IntDistribution))
    ]
    present = np.zeros((len(trials), len(names)), dtype=bool)
    codes = np.full((len(trials), len(discrete)), np.iinfo(np.int64).min, dtype=np.int64)
    for i, t in enumerate(trials):
        params = t._params
        for k in names:
            if k in params:
                present[i, col[k]] = True
        for j, k in enumerate(discrete):
            if k in params:
                codes[i, j] = _code(union[k], params[k])
    count = present.sum(0)
    rules: dict[str, Rule] = {}
    for p in optional:
        on = present[:, col[p]]
        best: tuple[int, str, frozenset[int]] | None = None
        for j, q in enumerate(discrete):
            if q == p or count[col[q]] <= count[col[p]]:
                continue  # a parent is in strictly more trials (so rules never form a cycle)
            q_on = present[:, col[q]]
            if np.any(on & ~q_on):
                continue
            with_p = np.unique(codes[on, j])
            without_p = np.unique(codes[q_on & ~on, j])
            if np.intersect1d(with_p, without_p).size:
                continue
            if best is None or count[col[q]] < best[0]:  # the most specific parent
                best = (int(count[col[q]]), q, frozenset(int(v) for v in with_p))
        if best is not None:
            rules[p] = Rule(best[1], best[2])
    # a parent without a rule of its own must be shared, or its children are unreliable
    order: dict[str, Rule] = {}
    pending = dict(rules)
    while pending:
        ready = {k: r for k, r in pending.items() if r.parent in shared or r.parent in order}
        if not ready:
            break
        for k in sorted(ready, key=lambda k: -count[col[k]]):
            order[k] = pending.pop(k)
    return order


def _code(dist: BaseDistribution, value: Any) -> int:
    if isinstance(dist, CategoricalDistribution):
        return int(dist.index_of(value))
    return int(value)
