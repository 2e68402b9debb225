"""The promotion form of ASHA (Li et al. 2020, Algorithm 2): rung budgets and which paused
trial is promoted, checked against hand-computed cases through ask/tell."""

from __future__ import annotations

from pathlib import Path

import pytest

import trimtab
from trimtab import TrialState
from trimtab.pruners import HyperbandPruner, SuccessiveHalvingPruner


def _study(pruner: trimtab.pruners.BasePruner, direction: str = "minimize") -> trimtab.Study:
    return trimtab.create_study(
        pruner=pruner, sampler=trimtab.samplers.RandomSampler(seed=0), direction=direction
    )


def _run(study: trimtab.Study, root: Path, value: float | None = None) -> trimtab.FrozenTrial:
    """One ask/tell run: report ``value`` (default: the trial's x) at the budget."""
    trial = study.ask(checkpoint_root=root)
    v = trial.suggest_float("x", 0, 1) if value is None else value
    assert trial.budget is not None
    trial.report(v, trial.budget)
    return study.tell(trial, v)


def test_rung_budgets() -> None:
    study = _study(SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, max_resource=9))
    assert study.pruner.budgets(study, 0) == [1, 3, 9]
    sh = SuccessiveHalvingPruner(2, 2, min_early_stopping_rate=1, max_resource=20)
    assert sh.budgets(study, 5) == [4, 8, 16, 20]
    hb = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    ladders = {0: [1, 3, 9], 1: [3, 9], 2: [9]}
    for n in range(20):
        assert hb.budgets(study, n) == ladders[hb.bracket_of(n)]  # type: ignore[index]


def test_promotes_the_top_third_once(tmp_path: Path) -> None:
    study = _study(SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, max_resource=9))
    for x in (0.5, 0.2, 0.9, 0.1, 0.8, 0.7):
        study.enqueue_trial({"x": x})
    # three trials reach rung 1 before anything is promoted: floor(n / 3) = 0 for n < 3
    for expected in (0, 1, 2):
        t = _run(study, tmp_path)
        assert (t.number, t.state, t.system_attrs["budget"]) == (expected, TrialState.PAUSED, 1)
    # rung 1 holds 0.5, 0.2, 0.9: its top third is trial 1, promoted to budget 3
    assert [(t.number, b) for t, b in study.pruner.promotions(study)] == [(1, 3)]
    t = _run(study, tmp_path)
    assert (t.number, t.system_attrs["budget"], t.state) == (1, 3, TrialState.PAUSED)
    assert t.intermediate_values == {1: 0.2, 3: 0.2}  # the reports go on across runs
    # trial 1 was promoted already; rung 3 has one trial: a new trial starts at the bottom
    assert study.pruner.promotions(study) == []
    assert _run(study, tmp_path).number == 3  # x = 0.1
    # rung 1 now holds 4 trials: its top floor(4/3) = 1 is trial 3, which beat trial 1
    assert [(t.number, b) for t, b in study.pruner.promotions(study)] == [(3, 3)]
    assert _run(study, tmp_path).number == 3
    assert _run(study, tmp_path).number == 4  # x = 0.8
    assert _run(study, tmp_path).number == 5  # x = 0.7
    # rung 1's top floor(6/3) = 2 are trials 3 and 1, both promoted; rung 3 holds trials 1
    # and 3 (floor(2/3) = 0): nothing to promote
    assert study.pruner.promotions(study) == []
    states = [t.state for t in study.trials]
    assert states == [TrialState.PAUSED] * 6
    assert [t.system_attrs["budget"] for t in study.trials] == [1, 3, 1, 3, 1, 1]


def test_higher_rungs_first_and_maximize(tmp_path: Path) -> None:
    study = _study(
        SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, max_resource=4), "maximize"
    )
    for x in (0.1, 0.9, 0.5, 0.7):
        study.enqueue_trial({"x": x})
    _run(study, tmp_path)  # trial 0 at rung 1
    _run(study, tmp_path)  # trial 1: rung 1 has 2 -> top 1 is trial 1 (maximize)
    assert [(t.number, b) for t, b in study.pruner.promotions(study)] == [(1, 2)]
    assert _run(study, tmp_path).number == 1  # promoted to 2
    _run(study, tmp_path)  # trial 2 at rung 1 (0.5); top 1 of 3 is trial 1
    _run(study, tmp_path)  # trial 3 at rung 1 (0.7); top 2 of 4: trials 1 and 3
    assert [(t.number, b) for t, b in study.pruner.promotions(study)] == [(3, 2)]
    assert _run(study, tmp_path).number == 3  # now rung 2 has trials 1 and 3
    # rung 2's top half is trial 1, promoted to max_resource before anything at rung 1
    assert [(t.number, b) for t, b in study.pruner.promotions(study)] == [(1, 4)]
    done = _run(study, tmp_path)
    assert (done.number, done.state, done.value) == (1, TrialState.COMPLETE, 0.9)
    assert study.best_trial.number == 1


def test_hyperband_promotes_within_a_bracket(tmp_path: Path) -> None:
    hb = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    study = _study(hb)
    runs = [_run(study, tmp_path) for _ in range(30)]
    for t in study.trials:
        ladder = hb.budgets(study, t.number)
        assert t.system_attrs["budget"] in ladder
        assert t.state == (
            TrialState.COMPLETE if t.system_attrs["budget"] == 9 else TrialState.PAUSED
        )
    # the least aggressive bracket trains to max_resource in one run
    assert any(r.state == TrialState.COMPLETE and len(r.intermediate_values) == 1 for r in runs)
    # each trial ran its own bracket's ladder, one report per rung, no step twice
    for t in study.trials:
        ladder = hb.budgets(study, t.number)
        reached = ladder[: ladder.index(t.system_attrs["budget"]) + 1]
        assert sorted(t.intermediate_values) == reached


@pytest.mark.parametrize(
    ("pruner", "needle"),
    [
        (trimtab.pruners.MedianPruner(), "checkpoint_root"),
        (SuccessiveHalvingPruner(min_resource=1), "max_resource"),
        (SuccessiveHalvingPruner(max_resource=9), "min_resource"),
        (HyperbandPruner(min_resource=1), "max_resource"),
    ],
)
def test_pruners_without_a_promotion_form(
    tmp_path: Path, pruner: trimtab.pruners.BasePruner, needle: str
) -> None:
    study = _study(pruner)
    with pytest.raises(ValueError, match=needle):
        study.optimize(lambda t: 0.0, n_trials=1, checkpoint_root=tmp_path)
    with pytest.raises(ValueError, match=needle):
        study.ask(checkpoint_root=tmp_path)
    assert study.trials == []
