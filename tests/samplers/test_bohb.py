"""BOHBSampler: TPE fitted at the highest rung with enough observations (Falkner et al. 2018)."""

from __future__ import annotations

import statistics

import pytest

import trimtab
from trimtab import TrialState
from trimtab.exceptions import TrimtabError
from trimtab.pruners import HyperbandPruner, SuccessiveHalvingPruner
from trimtab.samplers import BOHBSampler, RandomSampler


def multi_fidelity(trial: trimtab.Trial) -> float:
    """A quadratic whose value at step s converges to the final value (x, y) -> (.3, -.2)."""
    x, y = trial.suggest_float("x", -1, 1), trial.suggest_float("y", -1, 1)
    final = (x - 0.3) ** 2 + (y + 0.2) ** 2
    value = final
    for step in range(1, 10):
        value = final + 0.5 * (1 / step - 1 / 9)
        trial.report(value, step)
        if trial.should_prune():
            raise trimtab.TrialPruned()
    return value


def run(study: trimtab.Study, last_step: int, state: TrialState, low: float, full: float) -> None:
    """One trial by ask/tell: reports (x - low)^2 below step 9 and (x - full)^2 at step 9."""
    trial = study.ask()
    x = trial.suggest_float("x", -1, 1)
    for step in (1, 3, 9)[: (1, 3, 9).index(last_step) + 1]:
        trial.report((x - (full if step == 9 else low)) ** 2, step)
    study.tell(trial, (x - full) ** 2 if state == TrialState.COMPLETE else None, state=state)


def proposals(study: trimtab.Study, n: int) -> list[float]:
    """What the next ``n`` model-based (not random) trials would get, leaving no trace."""
    sampler = study.sampler
    assert isinstance(sampler, BOHBSampler)
    out = []
    while len(out) < n:
        trial = study.ask()
        x = trial.suggest_float("x", -1, 1)
        if not sampler.is_random(trial.number):
            out.append(x)
        study.tell(trial, state=TrialState.FAILED)  # failed trials are no observations
    return out


def test_the_model_uses_the_highest_rung_with_enough_observations() -> None:
    # one parameter: N_min = 2, so a budget is modelled from 4 observations on. Low budgets
    # favour x = -0.8, the full training x = 0.8 (crossing learning curves)
    sampler = BOHBSampler(seed=0)
    study = trimtab.create_study(
        sampler=sampler, pruner=SuccessiveHalvingPruner(1, 3, max_resource=9)
    )
    assert sampler.model_budget(study) is None
    for _ in range(3):
        run(study, 3, TrialState.PRUNED, -0.8, 0.8)
    assert sampler.model_budget(study) is None  # 3 < 4 at every budget
    for _ in range(9):
        run(study, 3, TrialState.PRUNED, -0.8, 0.8)
    assert sampler.model_budget(study) == 3  # pruned trials' partial results count
    assert statistics.median(proposals(study, 8)) < -0.2
    for _ in range(3):
        run(study, 9, TrialState.COMPLETE, -0.8, 0.8)
    assert sampler.model_budget(study) == 3  # 3 full trainings are not enough yet
    for _ in range(6):
        run(study, 9, TrialState.COMPLETE, -0.8, 0.8)
    assert sampler.model_budget(study) == 9
    assert statistics.median(proposals(study, 8)) > 0.2


def test_a_complete_trial_without_the_last_step_counts_with_its_final_value() -> None:
    sampler = BOHBSampler(seed=0, min_points_in_model=1)
    study = trimtab.create_study(sampler=sampler, pruner=HyperbandPruner(1, "auto", 3))
    for _ in range(3):  # steps 0..8: max_resource "auto" is 9, never reported
        trial = study.ask()
        x = trial.suggest_float("x", -1, 1)
        for step in range(9):
            trial.report(x, step)
        study.tell(trial, x)
    assert study.pruner.rung_resources(study) == [1, 3, 9]
    assert sampler.model_budget(study) == 9


def test_through_optimize_reproducible_with_a_seed() -> None:
    def once(seed: int) -> trimtab.Study:
        study = trimtab.create_study(
            sampler=BOHBSampler(seed=seed), pruner=HyperbandPruner(1, 9, 3)
        )
        study.optimize(multi_fidelity, n_trials=80)
        return study

    a, b, c = once(0), once(0), once(1)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert [t.params for t in a.trials] != [t.params for t in c.trials]
    assert {t.state for t in a.trials} == {TrialState.COMPLETE, TrialState.PRUNED}
    sampler = a.sampler
    assert isinstance(sampler, BOHBSampler)
    assert sampler.model_budget(a) == 9
    # over seeds 0-9, the median best is 0.003 (random search with Hyperband: 0.012)
    assert a.best_value < 0.015


def at(study: trimtab.Study, x: float, reports: dict[int, float], state: TrialState) -> None:
    """One trial at ``x`` (enqueued) with the given reports, told ``state``."""
    study.enqueue_trial({"x": x})
    trial = study.ask()
    trial.suggest_float("x", -1, 1)
    for step, value in reports.items():
        trial.report(value, step)
    final = reports[max(reports)] if state == TrialState.COMPLETE else None
    study.tell(trial, final, state=state)


@pytest.mark.parametrize("ranking", ["budget", "reached"])
def test_ranking_by_the_budget_reached(ranking: str) -> None:
    # 12 trials at x < -0.6 stopped at rung 1 with the best rung-1 values, 3 trials at
    # x > 0.6 that went on to the full training (9) from worse rung-1 values. The paper's
    # rule fits rung 1 (rungs 3 and 9 have 3 < N_min + 2 = 4 observations) and follows the
    # rung-1 values; ranking="reached" puts the trials that went furthest first.
    sampler = BOHBSampler(seed=0, random_fraction=0.0, ranking=ranking)  # type: ignore[arg-type]
    study = trimtab.create_study(
        sampler=sampler, pruner=SuccessiveHalvingPruner(1, 3, max_resource=9)
    )
    for i in range(12):
        at(study, -1 + 0.03 * i, {1: 0.1 + 0.01 * i}, TrialState.PRUNED)
    assert sampler.model_budget(study) == 1  # a model from N_min + 2 one-step results on
    for x in (0.7, 0.8, 0.9):
        at(study, x, {1: 0.5, 3: 0.4, 9: 0.2}, TrialState.COMPLETE)
    if ranking == "budget":
        assert sampler.model_budget(study) == 1
        assert statistics.median(proposals(study, 8)) < 0.0
    else:
        assert sampler.model_budget(study) == 9
        assert statistics.median(proposals(study, 8)) > 0.2


def test_ranking_reached_reproducible_with_a_seed_and_better_than_random() -> None:
    def once(sampler: trimtab.samplers.BaseSampler) -> trimtab.Study:
        study = trimtab.create_study(
            sampler=sampler, pruner=SuccessiveHalvingPruner(1, 3, max_resource=9)
        )
        study.optimize(multi_fidelity, n_trials=60)
        return study

    a, b, c = (once(BOHBSampler(ranking="reached", seed=s)) for s in (0, 0, 1))
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert [t.params for t in a.trials] != [t.params for t in c.trials]
    best = [once(BOHBSampler(ranking="reached", seed=s)).best_value for s in range(5)]
    random = [once(RandomSampler(seed=s)).best_value for s in range(5)]
    assert statistics.median(best) < statistics.median(random)


def test_through_ask_and_tell() -> None:
    study = trimtab.create_study(
        sampler=BOHBSampler(seed=0), pruner=SuccessiveHalvingPruner(1, 3, max_resource=9)
    )
    for _ in range(40):
        trial = study.ask()
        try:
            study.tell(trial, multi_fidelity(trial))
        except trimtab.TrialPruned:
            study.tell(trial, state=TrialState.PRUNED)
    assert study.best_value < 0.05


def test_random_fraction() -> None:
    sampler = BOHBSampler(seed=0)
    share = sum(sampler.is_random(n) for n in range(3000)) / 3000
    assert abs(share - 1 / 3) < 0.03
    # all random: exactly random search with the same seed
    studies = [
        trimtab.create_study(sampler=s, pruner=HyperbandPruner(1, 9, 3))
        for s in (BOHBSampler(seed=5, random_fraction=1.0), RandomSampler(seed=5))
    ]
    for study in studies:
        study.optimize(multi_fidelity, n_trials=30)
    assert [t.params for t in studies[0].trials] == [t.params for t in studies[1].trials]


def test_needs_a_pruner_with_rungs_and_one_objective() -> None:
    study = trimtab.create_study(sampler=BOHBSampler())
    with pytest.raises(TrimtabError, match="HyperbandPruner or SuccessiveHalvingPruner"):
        study.optimize(multi_fidelity, n_trials=1)
    study = trimtab.create_study(
        sampler=BOHBSampler(seed=0, random_fraction=0.0),
        pruner=HyperbandPruner(1, 9, 3),
        directions=["minimize", "minimize"],
    )
    with pytest.raises(TrimtabError, match="single-objective"):
        study.ask().suggest_float("x", 0, 1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_points_in_model": 0}, "min_points_in_model=0"),
        ({"top_fraction": 0.0}, r"top_fraction=0.0 must be a number in \(0, 1\]"),
        ({"random_fraction": 1.5}, r"random_fraction=1.5 must be a number in \[0, 1\]"),
        ({"bandwidth_factor": 0.5}, "bandwidth_factor=0.5"),
        ({"n_ei_candidates": 0}, "n_ei_candidates=0"),
        ({"ranking": "final"}, "ranking='final' must be 'budget' or 'reached'"),
    ],
)
def test_bad_arguments(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        BOHBSampler(**kwargs)  # type: ignore[arg-type]
