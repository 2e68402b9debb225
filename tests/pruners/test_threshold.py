"""ThresholdPruner: the latest value against fixed bounds; NaN is always out."""

from __future__ import annotations

import math

import pytest

import trimtab
from trimtab.pruners import ThresholdPruner

from ._util import decisions


def _judge(pruner: ThresholdPruner, reports: list[float] | dict[int, float]) -> list[bool]:
    return decisions(trimtab.create_study(pruner=pruner), reports)


@pytest.mark.parametrize(
    ("value", "pruned"), [(0.5, False), (1.0, False), (1.5, True), (math.nan, True)]
)
def test_upper(value: float, pruned: bool) -> None:
    assert _judge(ThresholdPruner(upper=1.0), [value]) == [pruned]


@pytest.mark.parametrize(
    ("value", "pruned"), [(0.0, False), (-0.1, True), (5.0, False), (math.nan, True)]
)
def test_lower(value: float, pruned: bool) -> None:
    assert _judge(ThresholdPruner(lower=0.0), [value]) == [pruned]


def test_band() -> None:
    assert _judge(ThresholdPruner(lower=0.0, upper=1.0), [0.5, -1.0, 2.0, 1.0]) == [
        False,
        True,
        True,
        False,
    ]


def test_the_latest_value_counts_not_the_best() -> None:
    assert _judge(ThresholdPruner(upper=1.0), [0.5, 2.0, 0.9]) == [False, True, False]


def test_direction_does_not_matter() -> None:
    study = trimtab.create_study(pruner=ThresholdPruner(upper=1.0), direction="maximize")
    assert decisions(study, [0.5, 2.0]) == [False, True]


def test_warmup_and_interval() -> None:
    pruner = ThresholdPruner(upper=1.0, n_warmup_steps=2, interval_steps=2)
    assert _judge(pruner, [math.nan, 5.0, 5.0, 5.0, 5.0, 5.0]) == [
        False,
        False,
        True,
        False,
        True,
        False,
    ]


def test_is_judged_without_other_trials_or_startup() -> None:
    study = trimtab.create_study(pruner=ThresholdPruner(upper=1.0))
    assert study.trials == []
    assert decisions(study, [3.0]) == [True]
