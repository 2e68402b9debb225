"""LearningCurvePruner: extrapolated learning curves on hand-made cases."""

from __future__ import annotations

import math
import random

import pytest

import trimtab
from trimtab.pruners import LearningCurvePruner

from ._util import decisions, finished


def curve(final: float, start: float = 1.0, rate: float = 0.3, steps: int = 30) -> list[float]:
    """An error falling from ``start`` to ``final`` like ``exp(-rate * step)``."""
    return [final + (start - final) * math.exp(-rate * s) for s in range(1, steps + 1)]


def study_with_best(best: float, maximize: bool = False) -> trimtab.Study:
    study = trimtab.create_study(
        pruner=LearningCurvePruner(30, min_reports=5),
        direction="maximize" if maximize else "minimize",
    )
    values = curve(best) if not maximize else [1 - v for v in curve(1 - best)]
    finished(study, dict(zip(range(1, 31), values, strict=True)))
    return study


def steps(values: list[float]) -> dict[int, float]:
    return dict(zip(range(1, len(values) + 1), values, strict=False))


def test_a_clearly_bad_curve_is_pruned_soon_after_min_reports() -> None:
    study = study_with_best(0.05)
    out = decisions(study, steps(curve(0.4)[:10]))
    assert out[:4] == [False] * 4  # fewer than min_reports
    assert any(out[4:8])


def test_a_good_curve_is_kept_to_the_end() -> None:
    study = study_with_best(0.05)
    assert not any(decisions(study, steps(curve(0.03))))
    # a slower one heading below the best is kept too
    assert not any(decisions(study, steps(curve(0.02, rate=0.1))))


def test_a_noisy_early_curve_is_not_pruned_before_min_reports() -> None:
    rng = random.Random(0)
    study = trimtab.create_study(pruner=LearningCurvePruner(30, min_reports=8))
    finished(study, steps(curve(0.05)))
    noisy = [v + rng.gauss(0, 0.2) for v in curve(0.5)]
    assert decisions(study, steps(noisy[:7])) == [False] * 7


def test_nothing_is_pruned_before_a_trial_completes_or_at_the_last_step() -> None:
    study = trimtab.create_study(pruner=LearningCurvePruner(30))
    assert not any(decisions(study, steps(curve(0.9))))
    study = study_with_best(0.05)
    assert decisions(study, {30: 0.9}) == [False]


def test_maximize_direction() -> None:
    study = study_with_best(0.95, maximize=True)  # accuracy rising to 0.95
    assert any(decisions(study, steps([1 - v for v in curve(1 - 0.6)][:10])))
    assert not any(decisions(study, steps([1 - v for v in curve(1 - 0.97)])))


def test_best_possible_bounds_the_asymptote() -> None:
    # a slow learner recorded on mlp_digits_surrogate (final error 0.134): unbounded, both
    # families can extrapolate its steep fall below zero error, and it is never stopped
    slow = [0.881, 0.846, 0.807, 0.738, 0.655, 0.557, 0.466, 0.421, 0.377, 0.349, 0.321, 0.291]
    slow += [0.267, 0.249, 0.232, 0.223, 0.215, 0.204, 0.197, 0.191, 0.182, 0.161, 0.158, 0.15]
    slow += [0.139, 0.135, 0.134]
    out = {}
    for bound in (None, 0.0):
        study = trimtab.create_study(pruner=LearningCurvePruner(27, best_possible=bound))
        finished(study, steps(curve(0.02, steps=27)))
        out[bound] = decisions(study, steps(slow))
    assert not any(out[None])
    assert any(out[0.0][:20])


def test_auto_max_resource_and_through_optimize() -> None:
    def objective(trial: trimtab.Trial) -> float:
        final = trial.suggest_float("final", 0.0, 0.5)
        for step, value in enumerate(curve(final), start=1):
            trial.report(value, step)
            if trial.should_prune():
                raise trimtab.TrialPruned()
        return value

    study = trimtab.create_study(
        sampler=trimtab.samplers.RandomSampler(seed=0), pruner=LearningCurvePruner()
    )
    study.optimize(objective, n_trials=20)
    pruned = [t for t in study.trials if t.state == trimtab.TrialState.PRUNED]
    assert pruned and all(t.params["final"] > study.best_value for t in pruned)
    assert study.best_trial.params["final"] == min(
        t.params["final"] for t in study.trials
    )  # the best is never pruned here


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_resource": 0}, "max_resource=0"),
        ({"min_reports": 3}, "min_reports=3 must be an integer >= 4"),
        ({"confidence": 0.5}, r"confidence=0.5 must be a number in \(0.5, 1\)"),
        ({"confidence": 1.0}, r"confidence=1.0 must be a number in \(0.5, 1\)"),
        ({"interval_steps": 0}, "interval_steps=0"),
        ({"best_possible": math.nan}, "best_possible=nan"),
    ],
)
def test_bad_arguments(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        LearningCurvePruner(**kwargs)  # type: ignore[arg-type]
