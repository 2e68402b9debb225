"""MedianPruner and PercentilePruner against hand-computed percentiles."""

from __future__ import annotations

import math

import pytest

import trimtab
from trimtab import TrialState
from trimtab.pruners import MedianPruner, PercentilePruner

from ._util import decisions, finished


def _study(pruner: trimtab.pruners.BasePruner, direction: str = "minimize") -> trimtab.Study:
    return trimtab.create_study(pruner=pruner, direction=direction)


def _with_complete(
    pruner: trimtab.pruners.BasePruner, values: list[float], direction: str = "minimize"
) -> trimtab.Study:
    study = _study(pruner, direction)
    for v in values:
        finished(study, [v, v])  # steps 0 and 1
    return study


@pytest.mark.parametrize(("value", "pruned"), [(2.4, False), (2.5, False), (2.6, True)])
def test_median_minimize(value: float, pruned: bool) -> None:
    study = _with_complete(MedianPruner(n_startup_trials=0), [1, 2, 3, 4])  # median 2.5
    assert decisions(study, [value]) == [pruned]


@pytest.mark.parametrize(("value", "pruned"), [(2.4, True), (2.5, False), (2.6, False)])
def test_median_maximize(value: float, pruned: bool) -> None:
    study = _with_complete(MedianPruner(n_startup_trials=0), [1, 2, 3, 4], "maximize")
    assert decisions(study, [value]) == [pruned]


@pytest.mark.parametrize(("value", "pruned"), [(1.7, False), (1.8, True)])
def test_percentile_25_minimize_keeps_the_best_quarter(value: float, pruned: bool) -> None:
    # 25th percentile of [1, 2, 3, 4], linear: position 0.75 -> 1.75
    study = _with_complete(PercentilePruner(25, n_startup_trials=0), [1, 2, 3, 4])
    assert decisions(study, [value]) == [pruned]


@pytest.mark.parametrize(("value", "pruned"), [(3.2, True), (3.3, False)])
def test_percentile_25_maximize_keeps_the_best_quarter(value: float, pruned: bool) -> None:
    # maximising, the bar is the 75th percentile of [1, 2, 3, 4]: position 2.25 -> 3.25
    study = _with_complete(PercentilePruner(25, n_startup_trials=0), [1, 2, 3, 4], "maximize")
    assert decisions(study, [value]) == [pruned]


def test_the_trial_is_judged_by_its_best_value_so_far() -> None:
    study = _with_complete(MedianPruner(n_startup_trials=0), [1, 2, 3, 4])
    # step 1: latest 10.0 is worse than the median 2.5, but the best so far (1.0) is not
    assert decisions(study, [1.0, 10.0]) == [False, False]
    assert decisions(study, [10.0, 2.0]) == [True, False]


def test_only_complete_trials_are_the_reference() -> None:
    study = _with_complete(MedianPruner(n_startup_trials=0), [1, 2, 3])  # median 2
    finished(study, [0.0, 0.0], TrialState.PRUNED)  # counted, the median would be 1.5
    decisions(study, [0.0, 0.0])  # left RUNNING: not counted either
    assert decisions(study, [1.8]) == [False]
    assert decisions(study, [2.1]) == [True]


def test_reference_values_are_taken_at_the_same_step() -> None:
    study = _study(MedianPruner(n_startup_trials=0))
    finished(study, [9.0, 1.0])
    finished(study, [9.0, 2.0])
    # at step 0 the median is 9; at step 1 it is 1.5
    assert decisions(study, [5.0, 5.0]) == [False, True]


def test_n_startup_trials() -> None:
    study = _with_complete(MedianPruner(n_startup_trials=3), [1, 2])
    assert decisions(study, [100.0, 100.0]) == [False, False]
    finished(study, [3, 3])
    assert decisions(study, [100.0, 100.0]) == [True, True]


def test_n_warmup_steps() -> None:
    study = _study(MedianPruner(n_startup_trials=0, n_warmup_steps=2))
    finished(study, [1.0] * 6)
    assert decisions(study, [5.0] * 6) == [False, False, True, True, True, True]


def test_interval_steps_from_the_warmup() -> None:
    study = _study(MedianPruner(n_startup_trials=0, n_warmup_steps=1, interval_steps=3))
    finished(study, [1.0] * 8)
    # checkpoints 1, 4, 7
    assert decisions(study, [5.0] * 8) == [False, True, False, False, True, False, False, True]


def test_a_report_that_jumps_over_a_checkpoint_is_judged() -> None:
    study = _study(MedianPruner(n_startup_trials=0, n_warmup_steps=1, interval_steps=3))
    finished(study, [1.0] * 8)
    # checkpoints 1, 4, 7: step 3 stands for 1, step 5 for 4; step 6 has no new checkpoint
    assert decisions(study, {0: 5.0, 3: 5.0, 5: 5.0, 6: 5.0}) == [False, True, True, False]


def test_n_min_trials_counts_the_trials_at_this_step() -> None:
    study = _study(MedianPruner(n_startup_trials=0, n_min_trials=3))
    finished(study, [1.0, 1.0])
    finished(study, [1.0, 1.0])
    finished(study, [1.0])  # reported step 0 only
    assert decisions(study, [5.0, 5.0]) == [True, False]


def test_nan() -> None:
    study = _with_complete(MedianPruner(n_startup_trials=0), [1.0, math.nan, 3.0])
    # NaN references are ignored: the median of [1, 3] is 2
    assert decisions(study, [1.9]) == [False]
    assert decisions(study, [2.1]) == [True]
    # a trial that reported only NaN is pruned; a NaN after a good value is not held against it
    assert decisions(study, [math.nan]) == [True]
    assert decisions(study, [0.5, math.nan]) == [False, False]


def test_no_reference_at_this_step_means_no_pruning() -> None:
    study = _with_complete(MedianPruner(n_startup_trials=0), [1.0])  # steps 0 and 1 only
    assert decisions(study, [5.0, 5.0, 5.0]) == [True, True, False]


def test_median_pruning_in_optimize_stops_bad_trials_early() -> None:
    def objective(trial: trimtab.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        for step in range(10):
            trial.report(x + 1 / (step + 1), step)
            if trial.should_prune():
                raise trimtab.TrialPruned()
        return x

    study = trimtab.create_study(
        pruner=MedianPruner(n_startup_trials=3),
        sampler=trimtab.samplers.RandomSampler(seed=1),
    )
    study.optimize(objective, n_trials=20)
    states = [t.state for t in study.trials]
    assert states[:3] == [TrialState.COMPLETE] * 3
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert pruned
    assert all(t.last_step is not None and t.last_step < 9 for t in pruned)  # stopped early
    assert study.best_trial.state == TrialState.COMPLETE
