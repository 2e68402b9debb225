"""What a study's finished trials say about its search space, kept up to date incrementally:
the parameters every COMPLETE trial shares (with identical distributions), and the partition
of all parameters into groups that always appear together."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from trimtab.distributions import BaseDistribution
from trimtab.trial import TrialState

if TYPE_CHECKING:
    from trimtab.study import Study


class SpaceState:
    """What a study's finished trials say about its space, updated one trial at a time."""

    __slots__ = ("conflicts", "groups", "seen", "space")

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.space: dict[str, BaseDistribution] | None = None  # shared by every trial
        self.groups: list[dict[str, BaseDistribution]] = []  # parameters seen together
        self.conflicts: set[str] = set()  # names suggested with different distributions

    def update(self, study: Study, groups: bool = False) -> dict[str, BaseDistribution]:
        """Take in the COMPLETE trials not seen yet; return the shared space."""
        for t in study.get_trials((TrialState.COMPLETE,)):
            if t.trial_id in self.seen:
                continue
            self.seen.add(t.trial_id)
            dists = {k: d for k, d in t.distributions.items() if not d.single()}
            if self.space is None:
                self.space = dict(dists)
            else:
                self.space = {k: d for k, d in self.space.items() if same(dists.get(k), d)}
            if groups:
                self.add_to_groups(dists)
        return dict(self.space or {})

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
