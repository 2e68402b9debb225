"""HyperbandPruner: bracket budgets and assignment, successive halving within each bracket."""

from __future__ import annotations

from collections import Counter

import pytest

import trimtab
from trimtab import TrialState
from trimtab.pruners import HyperbandPruner, NopPruner

from ._util import decisions, finished


def test_bracket_budgets_follow_the_paper() -> None:
    # Li et al. 2018, Table 1 (R=81, eta=3): n = 81, 34, 15, 8, 5
    assert HyperbandPruner(1, 81, 3).bracket_budgets() == [81, 34, 15, 8, 5]
    assert HyperbandPruner(1, 9, 3).bracket_budgets() == [9, 5, 3]
    assert HyperbandPruner(1, 8, 2).bracket_budgets() == [8, 6, 4, 4]  # s_max=3
    assert HyperbandPruner(5, 12, 3).bracket_budgets() == [1]  # 5 * 3 > 12: one bracket


def test_bracket_assignment_by_hand() -> None:
    # smooth weighted round robin over budgets [9, 5, 3], ties to the lower bracket
    pruner = HyperbandPruner(1, 9, 3)
    assert [pruner.bracket_of(n) for n in range(10)] == [0, 1, 0, 2, 0, 1, 0, 2, 0, 1]
    pruner = HyperbandPruner(1, 8, 2)  # budgets [8, 6, 4, 4]: brackets 2 and 3 tie
    assert [pruner.bracket_of(n) for n in range(10)] == [0, 1, 2, 3, 0, 1, 0, 2, 3, 1]


@pytest.mark.parametrize(("low", "high", "eta"), [(1, 81, 3), (1, 9, 3), (1, 100, 2)])
def test_each_cycle_holds_each_bracket_by_its_budget(low: int, high: int, eta: int) -> None:
    pruner = HyperbandPruner(low, high, eta)
    budgets = pruner.bracket_budgets()
    assert budgets is not None
    cycle = sum(budgets)
    first = [pruner.bracket_of(n) for n in range(cycle)]
    assert Counter(first) == dict(enumerate(budgets))
    assert [pruner.bracket_of(n + 5 * cycle) for n in range(cycle)] == first
    # interleaved: every prefix stays within 2 trials of its share
    seen: Counter[int] = Counter()
    for n, b in enumerate(first, start=1):
        seen[b] += 1
        assert all(abs(seen[i] - n * w / cycle) < 2 for i, w in enumerate(budgets))


def test_assignment_does_not_depend_on_who_asks_or_in_which_order() -> None:
    a, b = HyperbandPruner(1, 81, 3), HyperbandPruner(1, 81, 3)
    numbers = list(range(300))
    forward = [a.bracket_of(n) for n in numbers]
    backward = [b.bracket_of(n) for n in reversed(numbers)][::-1]
    assert forward == backward
    assert len(set(forward)) == 5


def test_bracket_sizes_in_a_study() -> None:
    pruner = HyperbandPruner(1, 9, 3)
    study = trimtab.create_study(pruner=pruner)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=34)  # two cycles of 17
    sizes = Counter(pruner.bracket_of(t.number) for t in study.trials)
    assert sizes == {0: 18, 1: 10, 2: 6}


def test_each_bracket_halves_only_its_own_trials() -> None:
    # brackets of trials 0..5: 0, 1, 0, 2, 0, 1; rungs: bracket 0 at 1 and 3, bracket 1 at 3,
    # bracket 2 none (9 = max_resource is the end of training, never a rung)
    study = trimtab.create_study(pruner=HyperbandPruner(1, 9, 3))
    assert decisions(study, {1: 5.0, 2: 5.0}) == [False, False]  # 0: alone in bracket 0
    assert decisions(study, {1: 1.0, 2: 1.0, 3: 1.0}) == [False, False, False]  # 1: alone
    # 2: bracket 0 at rung 1 holds trial 0 (5.0) only; trial 1's 1.0 is another bracket's
    assert decisions(study, {1: 3.0}) == [False]
    # 3: bracket 2 never stops
    assert decisions(study, {s: 100.0 for s in range(1, 10)}) == [False] * 9
    # 4: bracket 0, rung 1 holds 5.0 and 3.0: n=3, keep 1, 3.0 is better
    assert decisions(study, {1: 4.0}) == [True]
    # 5: bracket 1 has no rung at 1; at rung 3 trial 1's 1.0 is better
    assert decisions(study, {1: 2.0, 2: 2.0, 3: 2.0}) == [False, False, True]


def test_comparable_trials_are_those_of_the_same_bracket() -> None:
    pruner = HyperbandPruner(1, 9, 3)
    study = trimtab.create_study(pruner=pruner)
    for _ in range(8):
        finished(study, [1.0])
    numbers = [
        [t.number for t in pruner.comparable_trials(study, n, study.trials)] for n in (2, 5, 7)
    ]
    assert numbers == [[0, 2, 4, 6], [1, 5], [3, 7]]
    # the default (every pruner but Hyperband) keeps them all
    assert len(NopPruner().comparable_trials(study, 2, study.trials)) == 8


def test_max_resource_auto() -> None:
    pruner = HyperbandPruner(min_resource=1, reduction_factor=3)  # max_resource="auto"
    study = trimtab.create_study(pruner=pruner)
    finished(study, {1: 1.0, 2: 1.0}, TrialState.PRUNED)
    assert pruner.bracket_of(0, study) is None and pruner.bracket_budgets(study) is None
    assert len(pruner.comparable_trials(study, 0, study.trials)) == 1
    assert decisions(study, {1: 9.0}) == [False]  # nothing known yet: no pruning
    with pytest.raises(ValueError, match="needs the study"):
        pruner.bracket_of(0)
    finished(study, {s: 1.0 for s in range(9)})  # last step 8: max_resource 9
    assert pruner.bracket_budgets(study) == [9, 5, 3]
    assert [pruner.bracket_of(n, study) for n in range(4)] == [0, 1, 0, 2]
    assert decisions(study, {1: 9.0}) == [False]  # trial 3, bracket 2: never stops
    assert decisions(study, {1: 9.0}) == [True]  # trial 4, bracket 0 with trials 0 and 2


def test_a_hyperband_study_end_to_end() -> None:
    def objective(trial: trimtab.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        for step in range(1, 28):
            trial.report(x + 1 / step, step)
            if trial.should_prune():
                raise trimtab.TrialPruned()
        return x + 1 / 27

    pruner = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    study = trimtab.create_study(pruner=pruner, sampler=trimtab.samplers.RandomSampler(seed=5))
    study.optimize(objective, n_trials=40)
    rungs = {0: {1, 3, 9}, 1: {3, 9}, 2: {9}, 3: set()}
    for t in study.trials:
        bracket = pruner.bracket_of(t.number)
        assert bracket is not None
        if t.state == TrialState.PRUNED:
            assert t.last_step in rungs[bracket]
        else:
            assert t.state == TrialState.COMPLETE and t.last_step == 27
    assert any(t.state == TrialState.PRUNED for t in study.trials)
    assert study.best_trial.state == TrialState.COMPLETE


def test_rung_resources_are_every_brackets_rungs_then_the_full_training() -> None:
    assert HyperbandPruner(1, 27, 3).rung_resources() == [1, 3, 9, 27]
    assert HyperbandPruner(2, 20, 3).rung_resources() == [2, 6, 18, 20]
    study = trimtab.create_study(pruner=HyperbandPruner(1, "auto", 3))
    assert study.pruner.rung_resources(study) == []  # not known before a trial completes
    finished(study, list(range(9)))  # steps 0..8: max_resource 9
    assert study.pruner.rung_resources(study) == [1, 3, 9]
