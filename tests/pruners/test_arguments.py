"""Bad constructor arguments and multi-objective studies raise errors that say what is wrong."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

import trimtab
from trimtab.pruners import (
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
)

BAD: list[tuple[Callable[[], Any], str]] = [
    (
        lambda: PercentilePruner(101),
        r"PercentilePruner: percentile=101 must be a number in \[0, 100\]",
    ),
    (lambda: PercentilePruner(-1), r"percentile=-1 must be a number in \[0, 100\]"),
    (lambda: PercentilePruner(math.nan), r"percentile=nan must be"),
    (lambda: PercentilePruner("50"), r"percentile='50' must be a number in \[0, 100\], got str"),
    (
        lambda: MedianPruner(n_startup_trials=-1),
        r"MedianPruner: n_startup_trials=-1 must be an integer >= 0",
    ),
    (
        lambda: MedianPruner(n_warmup_steps=1.5),
        r"n_warmup_steps=1.5 must be an integer >= 0, got float",
    ),
    (lambda: MedianPruner(interval_steps=0), r"interval_steps=0 must be an integer >= 1"),
    (lambda: MedianPruner(n_min_trials=0), r"n_min_trials=0 must be an integer >= 1"),
    (
        lambda: MedianPruner(n_min_trials=True),
        r"n_min_trials=True must be an integer >= 1, got bool",
    ),
    (lambda: ThresholdPruner(), r"ThresholdPruner: lower=None and upper=None; give at least one"),
    (lambda: ThresholdPruner(lower=2, upper=1), r"lower=2 must be <= upper=1"),
    (lambda: ThresholdPruner(upper=math.nan), r"upper=nan must be a number or None"),
    (lambda: ThresholdPruner(lower="0"), r"lower='0' must be a number or None"),
    (
        lambda: ThresholdPruner(upper=1, n_warmup_steps=-1),
        r"n_warmup_steps=-1 must be an integer >= 0",
    ),
    (
        lambda: ThresholdPruner(upper=1, interval_steps=0),
        r"interval_steps=0 must be an integer >= 1",
    ),
    (
        lambda: PatientPruner(None, patience=-1),
        r"PatientPruner: patience=-1 must be an integer >= 0",
    ),
    (lambda: PatientPruner(None, 1, min_delta=-0.1), r"min_delta=-0.1 must be a number >= 0"),
    (lambda: PatientPruner(None, 1, min_delta=math.inf), r"min_delta=inf must be a number >= 0"),
    (
        lambda: PatientPruner("median", 1),
        r"wrapped='median' must be a trimtab.pruners pruner or None",
    ),
    (
        lambda: SuccessiveHalvingPruner(0),
        r"SuccessiveHalvingPruner: min_resource=0 must be 'auto' or an integer >= 1",
    ),
    (
        lambda: SuccessiveHalvingPruner("Auto"),
        r"min_resource='Auto' must be 'auto' or an integer >= 1",
    ),
    (
        lambda: SuccessiveHalvingPruner(1, reduction_factor=1),
        r"reduction_factor=1 must be an integer >= 2",
    ),
    (
        lambda: SuccessiveHalvingPruner(1, min_early_stopping_rate=-1),
        r"min_early_stopping_rate=-1 must be an integer >= 0",
    ),
    (
        lambda: SuccessiveHalvingPruner(1, bootstrap_count=-1),
        r"bootstrap_count=-1 must be an integer >= 0",
    ),
    (lambda: SuccessiveHalvingPruner(1, max_resource=0), r"max_resource=0 must be an integer >= 1"),
    (lambda: HyperbandPruner(0), r"HyperbandPruner: min_resource=0 must be an integer >= 1"),
    (lambda: HyperbandPruner("auto"), r"min_resource='auto' must be an integer >= 1, got str"),
    (lambda: HyperbandPruner(1, 0), r"max_resource=0 must be 'auto' or an integer >= 1"),
    (lambda: HyperbandPruner(10, 5), r"max_resource=5 must be >= min_resource=10"),
    (
        lambda: HyperbandPruner(1, 9, reduction_factor=1.5),
        r"reduction_factor=1.5 must be an integer >= 2",
    ),
    (
        lambda: HyperbandPruner(1, 9, bootstrap_count=-2),
        r"bootstrap_count=-2 must be an integer >= 0",
    ),
    (lambda: HyperbandPruner(1, 9).bracket_of(-1), r"trial_number=-1 must be an integer >= 0"),
]


@pytest.mark.parametrize(("make", "message"), BAD)
def test_bad_arguments(make: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


PRUNERS: list[BasePruner] = [
    MedianPruner(),
    PercentilePruner(25),
    ThresholdPruner(upper=1.0),
    PatientPruner(None, 1),
    SuccessiveHalvingPruner(1),
    HyperbandPruner(1, 9),
]


@pytest.mark.parametrize("pruner", PRUNERS, ids=lambda p: type(p).__name__)
def test_multi_objective_studies_are_refused(pruner: BasePruner) -> None:
    study = trimtab.create_study(directions=["minimize", "maximize"], pruner=pruner)
    trial = study.ask()
    with pytest.raises(trimtab.TrimtabError, match="single-objective studies"):
        trial.report(1.0, 0)
    with pytest.raises(
        trimtab.TrimtabError,
        match=f"{type(pruner).__name__} prunes single-objective studies only; "
        "study .* has 2 objectives",
    ):
        trial.should_prune()


def test_the_default_pruner_answers_no_in_a_multi_objective_study() -> None:
    study = trimtab.create_study(directions=["minimize", "maximize"], pruner=NopPruner())
    assert study.ask().should_prune() is False


def test_valid_edges_are_accepted() -> None:
    PercentilePruner(0)
    PercentilePruner(100.0)
    ThresholdPruner(lower=1, upper=1)
    ThresholdPruner(lower=-math.inf)
    PatientPruner(MedianPruner(), patience=0, min_delta=0)
    SuccessiveHalvingPruner("auto", 2, 0, 0, max_resource=1)
    HyperbandPruner(3, 3)
