"""SuccessiveHalvingPruner (ASHA): rungs, rung values and the top-1/eta rule, by hand."""

from __future__ import annotations

import math
import time

import pytest

import trimtab
from trimtab import TrialState
from trimtab.pruners import MedianPruner, PatientPruner, SuccessiveHalvingPruner

from ._util import decisions, finished

# Rung-1 values of nine trials arriving one after another (min_resource=1, eta=3), and
# whether each stops: with n trials at the rung (itself included) a trial goes on only if
# fewer than max(1, n // 3) others are strictly better.
ARRIVALS = [
    (5.0, False),  # n=1, keep 1: alone
    (7.0, True),  # n=2, keep 1: 5 is better
    (3.0, False),  # n=3, keep 1: best
    (4.0, True),  # n=4, keep 1: 3 is better
    (6.0, True),  # n=5, keep 1
    (3.5, False),  # n=6, keep 2: only 3 is better
    (4.0, True),  # n=7, keep 2: 3 and 3.5 are better
    (3.5, False),  # n=8, keep 2: only 3 is strictly better (ties favour the newcomer)
    (3.6, True),  # n=9, keep 3: 3, 3.5, 3.5 are better
]


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_top_one_over_eta_at_the_first_rung(direction: str) -> None:
    sign = 1.0 if direction == "minimize" else -1.0
    study = trimtab.create_study(
        pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=3), direction=direction
    )
    got = []
    for value, _ in ARRIVALS:
        # step 0 is below the first rung; step 1 is rung 0
        got.append(decisions(study, [sign * value, sign * value], end=TrialState.PRUNED))
    assert got == [[False, stop] for _, stop in ARRIVALS]


def test_every_state_counts_at_a_rung() -> None:
    study = trimtab.create_study(pruner=SuccessiveHalvingPruner(1, 3))
    finished(study, [1.0, 1.0], TrialState.FAILED)
    assert decisions(study, [2.0, 2.0]) == [False, True]


def test_rung_value_is_the_first_report_at_or_after_the_rung() -> None:
    study = trimtab.create_study(pruner=SuccessiveHalvingPruner(1, 3))  # rungs 1, 3, 9, ...
    # trial 0's rung-1 value is its step-2 report (9.0); its rung-3 value its step-5 one (1.0)
    assert decisions(study, {0: 9.0, 2: 9.0, 5: 1.0}, end=TrialState.COMPLETE) == [
        False,
        False,
        False,
    ]
    # trial 1: rung 1 (step 1) beats 9.0; rung 3 (step 3) loses to 1.0; step 4 reaches no
    # new rung, so it is not judged again
    assert decisions(study, {1: 5.0, 2: 5.0, 3: 5.0, 4: 5.0}) == [False, False, True, False]


def test_a_report_that_skips_rungs_is_judged_at_each() -> None:
    study = trimtab.create_study(pruner=SuccessiveHalvingPruner(1, 3))
    finished(study, {1: 9.0, 3: 1.0})
    finished(study, {1: 5.0, 3: 5.0})
    # step 10 reaches rungs 1, 3 and 9 at once: best at rung 1 (vs 9, 5) and alone at rung 9,
    # but at rung 3 (n=3, keep 1) 1.0 is better
    assert decisions(study, {0: 2.0, 10: 2.0}) == [False, True]
    assert decisions(study, {0: 0.5, 10: 0.5}) == [False, False]


def test_later_rungs_are_eta_times_apart() -> None:
    study = trimtab.create_study(pruner=SuccessiveHalvingPruner(2, 2))  # rungs 2, 4, 8, 16
    finished(study, {s: 10.0 if s < 8 else 1.0 for s in range(17)})
    # better than the leader until step 8, where its 1.0 wins; step 16 judged too
    got = decisions(study, {s: 5.0 for s in range(17)})
    assert [s for s, stop in enumerate(got) if stop] == [8, 16]
    got = decisions(study, {s: 20.0 for s in range(17)})
    assert [s for s, stop in enumerate(got) if stop] == [2, 4, 8, 16]


def test_min_early_stopping_rate_moves_the_first_rung() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, min_early_stopping_rate=1)
    study = trimtab.create_study(pruner=pruner)  # rungs 3, 9, ...
    finished(study, [1.0] * 4)
    assert decisions(study, [5.0] * 4) == [False, False, False, True]


def test_bootstrap_count() -> None:
    study = trimtab.create_study(pruner=SuccessiveHalvingPruner(1, 3, bootstrap_count=2))
    # the first two to reach rung 1 had fewer than 2 others there: they stop, however good
    assert decisions(study, [1.0, 1.0]) == [False, True]
    assert decisions(study, [0.5, 0.5]) == [False, True]
    assert decisions(study, [0.6, 0.6]) == [False, True]  # 0.5 is better (n=3, keep 1)
    assert decisions(study, [0.4, 0.4]) == [False, False]


def test_nan() -> None:
    study = trimtab.create_study(pruner=SuccessiveHalvingPruner(1, 3))
    finished(study, [math.nan, math.nan])
    assert decisions(study, [5.0, 5.0]) == [False, False]  # NaN ranks below every number
    assert decisions(study, [math.nan, math.nan]) == [False, True]


def test_max_resource_spares_finished_trainings() -> None:
    bounded = trimtab.create_study(pruner=SuccessiveHalvingPruner(1, 3, max_resource=9))
    unbounded = trimtab.create_study(pruner=SuccessiveHalvingPruner(1, 3))
    for study in (bounded, unbounded):
        finished(study, [1.0] * 10)
    assert decisions(bounded, {0: 5.0, 9: 5.0}) == [False, True]  # rungs 1 and 3, not 9
    assert decisions(bounded, {0: 0.5, 3: 0.5, 9: 5.0}) == [False, False, False]
    assert decisions(unbounded, {0: 0.5, 3: 0.5, 9: 5.0}) == [False, False, True]


def test_min_resource_auto_is_a_hundredth_of_the_first_completed_training() -> None:
    study = trimtab.create_study(pruner=SuccessiveHalvingPruner())  # "auto" by default
    leader = study.ask()
    for step in range(10):
        leader.report(1.0, step)
    # no trial completed yet: nothing is pruned
    assert decisions(study, [5.0] * 10, end=TrialState.PRUNED) == [False] * 10
    finished(study, [1.0] * 500)  # steps 0..499: 500 steps -> min_resource 5, rungs 5, 15
    got = decisions(study, [5.0] * 16, end=TrialState.PRUNED)
    assert [s for s, stop in enumerate(got) if stop] == [5, 15]
    time.sleep(0.01)
    study.tell(leader, 1.0)  # trial 0 (steps 0..9) completes later: the first one still counts
    finished(study, [1.0] * 3000)
    got = decisions(study, [5.0] * 16, end=TrialState.PRUNED)
    assert [s for s, stop in enumerate(got) if stop] == [5, 15]


def test_a_pruned_trial_is_never_the_best_trial() -> None:
    study = trimtab.create_study(pruner=SuccessiveHalvingPruner(1, 3))
    finished(study, [5.0, 5.0])
    assert decisions(study, [6.0, 6.0, 0.1], end=TrialState.PRUNED) == [False, True, False]
    pruned = study.trials[1]
    assert pruned.state == TrialState.PRUNED and pruned.value == 0.1
    assert study.best_trial.number == 0 and study.best_value == 5.0


def test_optimize_with_asha() -> None:
    def objective(trial: trimtab.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        for step in range(1, 10):
            trial.report(x + 1 / step, step)
            if trial.should_prune():
                raise trimtab.TrialPruned()
        return x + 1 / 9

    study = trimtab.create_study(
        pruner=SuccessiveHalvingPruner(1, 3, max_resource=9),
        sampler=trimtab.samplers.RandomSampler(seed=3),
    )
    study.optimize(objective, n_trials=30)
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert pruned and complete
    assert {t.last_step for t in pruned} <= {1, 3}  # stopped at rungs only
    assert all(t.last_step == 9 for t in complete)
    assert study.best_trial.state == TrialState.COMPLETE
    assert len(complete) < len(study.trials) / 2


def test_rung_resources() -> None:
    study = trimtab.create_study()
    assert SuccessiveHalvingPruner(1, 3, max_resource=27).rung_resources(study) == [1, 3, 9, 27]
    assert SuccessiveHalvingPruner(2, 2, 1, max_resource=20).rung_resources(study) == [4, 8, 16, 20]
    # without max_resource: the rungs up to the largest step reported so far
    pruner = SuccessiveHalvingPruner(1, 3)
    assert pruner.rung_resources(study) == []
    finished(study, {1: 1.0, 9: 1.0})
    assert pruner.rung_resources(study) == [1, 3, 9]
    auto = SuccessiveHalvingPruner("auto", 3, max_resource=300)
    assert auto.rung_resources(trimtab.create_study()) == []
    assert auto.rung_resources(study) == [1, 3, 9, 27, 81, 243, 300]  # 10 steps -> 1


def test_patient_and_other_pruners_name_their_rungs() -> None:
    study = trimtab.create_study()
    wrapped = SuccessiveHalvingPruner(1, 3, max_resource=9)
    assert PatientPruner(wrapped, 2).rung_resources(study) == [1, 3, 9]
    assert PatientPruner(None, 2).rung_resources(study) is None
    assert MedianPruner().rung_resources(study) is None
