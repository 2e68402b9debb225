"""PatientPruner: waits `patience` reports without improvement, then asks the wrapped pruner."""

from __future__ import annotations

import math

import trimtab
from trimtab.pruners import HyperbandPruner, PatientPruner, ThresholdPruner

from ._util import decisions, finished


def _judge(
    pruner: trimtab.pruners.BasePruner, reports: list[float], direction: str = "minimize"
) -> list[bool]:
    return decisions(trimtab.create_study(pruner=pruner, direction=direction), reports)


def test_patience_counts_reports_without_improvement() -> None:
    pruner = PatientPruner(None, patience=2)
    assert _judge(pruner, [5, 4, 4, 4.5, 3, 3]) == [False, False, False, True, False, False]


def test_patience_maximize() -> None:
    pruner = PatientPruner(None, patience=2)
    assert _judge(pruner, [5, 6, 6, 5.5, 7], "maximize") == [False, False, False, True, False]
    assert _judge(pruner, [5, 4, 3], "maximize") == [False, False, True]


def test_min_delta_is_the_least_improvement_that_counts() -> None:
    pruner = PatientPruner(None, patience=2, min_delta=0.5)
    # best 5 -> 4.6 is no improvement (needs < 4.5) -> 4.2 is -> 4.0, 3.9 are not
    assert _judge(pruner, [5, 4.6, 4.2, 4.0, 3.9]) == [False, False, False, False, True]
    # maximising: 5.4 is no improvement (needs > 5.5), 5.6 is, 5.7 and 5.8 are not
    got = _judge(pruner, [5, 5.4, 5.6, 5.7, 5.8], "maximize")
    assert got == [False, False, False, False, True]


def test_nan_never_improves() -> None:
    pruner = PatientPruner(None, patience=2)
    # two NaN reports are two reports without improvement; the first number sets the best
    assert _judge(pruner, [math.nan, math.nan, 1.0, math.nan, math.nan]) == [
        False,
        True,
        False,
        False,
        True,
    ]


def test_patience_zero_judges_at_every_report() -> None:
    assert _judge(PatientPruner(None, patience=0), [5.0, 4.0]) == [True, True]
    wrapped = ThresholdPruner(upper=1.0)
    assert _judge(PatientPruner(wrapped, patience=0), [0.5, 2.0, 0.5]) == [False, True, False]


def test_the_wrapped_pruner_is_asked_only_when_stale() -> None:
    pruner = PatientPruner(ThresholdPruner(upper=10.0), patience=1)
    # improving above the threshold: not stale, so the threshold is not consulted
    assert _judge(pruner, [30.0, 20.0, 15.0]) == [False, False, False]
    # stale and above the threshold: pruned; stale but below it: kept
    assert _judge(pruner, [20.0, 30.0]) == [False, True]
    assert _judge(pruner, [2.0, 3.0]) == [False, False]


def test_comparable_trials_come_from_the_wrapped_pruner() -> None:
    hyperband = HyperbandPruner(min_resource=1, max_resource=9)
    study = trimtab.create_study(pruner=PatientPruner(hyperband, patience=1))
    for _ in range(6):
        finished(study, [1.0])
    patient = study.pruner
    got = [t.number for t in patient.comparable_trials(study, 2, study.trials)]
    assert got == [t.number for t in hyperband.comparable_trials(study, 2, study.trials)]
    assert got == [0, 2, 4]
    alone = PatientPruner(None, patience=1)
    assert [t.number for t in alone.comparable_trials(study, 2, study.trials)] == list(range(6))
