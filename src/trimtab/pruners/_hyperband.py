"""``HyperbandPruner``: successive halving in several brackets of different aggressiveness.

Li, Jamieson, DeSalvo, Rostamizadeh and Talwalkar, "Hyperband: A Novel Bandit-Based Approach
to Hyperparameter Optimization", JMLR 18(185), 2018, Algorithm 1, run asynchronously: each
bracket is an asynchronous successive halving (see ``SuccessiveHalvingPruner``) over only
the trials of that bracket.

Brackets. With ``R = max_resource``, ``r = min_resource`` and ``eta = reduction_factor``,
``s_max`` is the largest ``s`` with ``r * eta**s <= R`` and there are ``s_max + 1`` brackets.
Bracket ``b`` (0 = most aggressive) has rungs at ``r * eta**(b + k)`` below ``R`` (a trial
that reached ``R`` has finished), so bracket ``s_max`` never stops anything when ``R`` is a
power of ``eta`` times ``r``: plain random search with full training, as in the paper.

Assignment. Bracket ``b`` is bracket ``s = s_max - b`` of the paper, whose budget is
``n_s = ceil((s_max + 1) * eta**s / (s + 1))`` trials. Trial numbers go to brackets in
cycles of ``W = sum(n_s)`` numbers by smooth weighted round robin (each cycle holds exactly
``n_s`` numbers of bracket ``b``, interleaved), so a trial's bracket is a function of its
number alone: the same on every worker, whichever worker asks first.

``max_resource="auto"``: the last step + 1 of the COMPLETE trial (with reports) that
finished first (earliest completion time, then lowest number). Until one completes,
nothing is pruned and ``bracket_of`` returns None.

The promotion form (``study.optimize(..., checkpoint_root=...)``, see ``_promotion``) needs
an integer ``max_resource``: a trial of bracket ``b`` pauses at ``min_resource * eta**(b +
k)`` below ``max_resource``, then runs to ``max_resource``, and is promoted by comparison
with its own bracket only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from trimtab.pruners._base import BasePruner
from trimtab.pruners._checks import check_int, check_resource, direction_of, first_completed
from trimtab.pruners._promotion import ladder, promotable
from trimtab.pruners._successive_halving import rungs_reached, stops_at_rungs
from trimtab.trial import FrozenTrial, StudyDirection

if TYPE_CHECKING:
    from trimtab.study import Study


def bracket_budgets(min_resource: int, max_resource: int, eta: int) -> list[int]:
    """Trials per bracket, most aggressive bracket first (the paper's ``n_s``)."""
    s_max = 0
    while min_resource * eta ** (s_max + 1) <= max_resource:
        s_max += 1
    # integer ceil((s_max + 1) * eta**s / (s + 1)) with s = s_max - b
    return [-(-(s_max + 1) * eta ** (s_max - b) // (s_max - b + 1)) for b in range(s_max + 1)]


def round_robin(weights: list[int]) -> list[int]:
    """One cycle of smooth weighted round robin: ``weights[i]`` entries of each ``i``."""
    total = sum(weights)
    current = [0] * len(weights)
    out = []
    for _ in range(total):
        for i, w in enumerate(weights):
            current[i] += w
        pick = max(range(len(weights)), key=lambda i: (current[i], -i))
        current[pick] -= total
        out.append(pick)
    return out


class HyperbandPruner(BasePruner):
    """Hyperband: brackets of asynchronous successive halving, one per aggressiveness.

    Args:
        min_resource: the most aggressive bracket's first rung (int >= 1).
        max_resource: the full training's steps (int >= ``min_resource``), or ``"auto"``
            (see the module documentation).
        reduction_factor: ``eta`` >= 2; rungs are ``eta`` times apart and ``1/eta`` of a
            bracket's trials at a rung go on.
        bootstrap_count: a trial goes on from a rung only if at least this many other trials
            of its bracket reached the rung.
    """

    def __init__(
        self,
        min_resource: int = 1,
        max_resource: int | Literal["auto"] = "auto",
        reduction_factor: int = 3,
        bootstrap_count: int = 0,
    ) -> None:
        owner = type(self).__name__
        self._min_resource = check_int(owner, "min_resource", min_resource, 1)
        self._max_resource = check_resource(owner, "max_resource", max_resource)
        if self._max_resource is not None and self._max_resource < self._min_resource:
            raise ValueError(
                f"{owner}: max_resource={max_resource!r} must be >= min_resource={min_resource!r}"
            )
        self._eta = check_int(owner, "reduction_factor", reduction_factor, 2)
        self._bootstrap_count = check_int(owner, "bootstrap_count", bootstrap_count, 0)
        self._cycles: dict[int, list[int]] = {}

    def _resolve_max(self, study: Study | None) -> int | None:
        if self._max_resource is not None:
            return self._max_resource
        if study is None:
            raise ValueError(
                "HyperbandPruner(max_resource='auto') needs the study: the number of brackets "
                "and the rungs come from its first completed trial"
            )
        first = first_completed(study.get_trials())
        return None if first is None or first.last_step is None else first.last_step + 1

    def _cycle(self, max_resource: int) -> list[int]:
        cycle = self._cycles.get(max_resource)
        if cycle is None:
            budgets = bracket_budgets(self._min_resource, max_resource, self._eta)
            cycle = self._cycles[max_resource] = round_robin(budgets)
        return cycle

    def bracket_budgets(self, study: Study | None = None) -> list[int] | None:
        """Trials per bracket in each cycle, bracket 0 (most aggressive) first.

        ``None`` while ``max_resource="auto"`` is not known yet (``study`` is needed then).
        """
        max_resource = self._resolve_max(study)
        if max_resource is None:
            return None
        return bracket_budgets(self._min_resource, max_resource, self._eta)

    def bracket_of(self, trial_number: int, study: Study | None = None) -> int | None:
        """The bracket (0 = most aggressive) of trial ``trial_number``.

        ``None`` while ``max_resource="auto"`` is not known yet (``study`` is needed then).
        """
        if isinstance(trial_number, bool) or not isinstance(trial_number, int) or trial_number < 0:
            raise ValueError(f"trial_number={trial_number!r} must be an integer >= 0")
        max_resource = self._resolve_max(study)
        if max_resource is None:
            return None
        cycle = self._cycle(max_resource)
        return cycle[trial_number % len(cycle)]

    def rung_resources(self, study: Study | None = None) -> list[int]:
        """Every bracket's rungs (``min_resource * eta**k`` below ``max_resource``), then
        ``max_resource``. ``[]`` while ``max_resource="auto"`` is not known yet."""
        max_resource = self._resolve_max(study)
        if max_resource is None:
            return []
        out = []
        r = self._min_resource
        while r < max_resource:
            out.append(r)
            r *= self._eta
        return [*out, max_resource]

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        maximize = direction_of(study, self) == StudyDirection.MAXIMIZE
        if not trial.intermediate_values:
            return False
        max_resource = self._resolve_max(study)
        if max_resource is None:
            return False
        cycle = self._cycle(max_resource)
        bracket = cycle[trial.number % len(cycle)]
        rungs = rungs_reached(trial, self._min_resource, self._eta, bracket, max_resource)
        if not rungs:
            return False
        same = [t for t in study.get_trials() if cycle[t.number % len(cycle)] == bracket]
        return stops_at_rungs(trial, same, rungs, self._eta, self._bootstrap_count, maximize)

    def comparable_trials(
        self, study: Study, trial_number: int, trials: Sequence[FrozenTrial]
    ) -> list[FrozenTrial]:
        """The trials of the same bracket as ``trial_number`` (all while it is not known)."""
        max_resource = self._resolve_max(study)
        if max_resource is None:
            return list(trials)
        cycle = self._cycle(max_resource)
        bracket = cycle[trial_number % len(cycle)]
        return [t for t in trials if cycle[t.number % len(cycle)] == bracket]

    def budgets(self, study: Study, trial_number: int) -> list[int]:
        """The promotion form: the rungs of the trial's bracket, then ``max_resource``."""
        if self._max_resource is None:
            raise ValueError(
                "HyperbandPruner: max_resource='auto' has no promotion form (checkpoint_root); "
                "pass max_resource=<the full training's steps>"
            )
        bracket = self.bracket_of(trial_number)
        assert bracket is not None
        return ladder(self._min_resource * self._eta**bracket, self._eta, self._max_resource)

    def promotions(self, study: Study) -> list[tuple[FrozenTrial, int]]:
        maximize = direction_of(study, self) == StudyDirection.MAXIMIZE
        return promotable(study.get_trials(), lambda n: self.budgets(study, n), self._eta, maximize)
