"""Resume rather than restart: optimize(checkpoint_root=...) pauses trials at their rung
budget and promotes them (ASHA, promotion form); a promoted trial resumes from its
checkpoint and its reports go on."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

import trimtab
from trimtab import TrialState
from trimtab.benchmarks import get_multifidelity_problem
from trimtab.pruners import SuccessiveHalvingPruner


def _sh(max_resource: int = 9) -> SuccessiveHalvingPruner:
    return SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, max_resource=max_resource)


def resumable(trial: trimtab.Trial) -> float:
    """Resumes from a JSON checkpoint; logs each run (budget, start step, pid)."""
    x = trial.suggest_float("x", 0, 1)
    assert trial.budget is not None and trial.checkpoint_dir is not None
    state = trial.checkpoint_dir / "state.json"
    start = json.loads(state.read_text())["step"] if state.exists() else 0
    for step in range(start + 1, trial.budget + 1):
        trial.report(x + 1.0 / step, step)
        assert not trial.should_prune()  # the budget stops a run, not the pruner
    with (trial.checkpoint_dir / "runs.jsonl").open("a") as f:
        f.write(json.dumps([trial.budget, start, os.getpid()]) + "\n")
    state.write_text(json.dumps({"step": trial.budget}))
    return x + 1.0 / trial.budget


def _expected_runs(reached: list[int]) -> list[list[int]]:
    """[budget, start step] of each run of a trial that reached ``reached``."""
    return [[b, a] for a, b in zip([0, *reached], reached, strict=False)]


def _runs(root: Path, number: int) -> list[list[int]]:
    lines = (root / f"trial-{number}" / "runs.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_promoted_trials_resume_and_report_on(tmp_path: Path) -> None:
    study = trimtab.create_study(pruner=_sh(), sampler=trimtab.samplers.RandomSampler(seed=1))
    study.optimize(resumable, n_trials=30, checkpoint_root=tmp_path)
    trials = study.trials
    ladder = [1, 3, 9]
    n_runs = 0
    for t in trials:
        budget = t.system_attrs["budget"]
        reached = ladder[: ladder.index(budget) + 1]
        runs = _runs(tmp_path, t.number)
        n_runs += len(runs)
        # one run per rung, each starting where the previous one stopped
        assert [r[:2] for r in runs] == _expected_runs(reached)
        assert sorted(t.intermediate_values) == list(range(1, budget + 1))  # continuous
    assert n_runs == 30  # n_trials counts runs of the objective
    assert len(trials) < 30
    promoted = [t for t in trials if t.system_attrs["budget"] > 1]
    assert promoted
    trained = sum(t.last_step or 0 for t in trials)
    restarted = sum(sum(ladder[: ladder.index(t.system_attrs["budget"]) + 1]) for t in trials)
    assert trained < restarted


def test_final_states(tmp_path: Path) -> None:
    study = trimtab.create_study(pruner=_sh(), sampler=trimtab.samplers.RandomSampler(seed=2))
    study.optimize(resumable, n_trials=6, checkpoint_root=tmp_path)
    assert {t.state for t in study.trials} == {TrialState.PAUSED}
    with pytest.raises(ValueError, match="no COMPLETE trial"):
        study.best_trial  # noqa: B018
    study.optimize(resumable, n_trials=30, checkpoint_root=tmp_path)
    complete = study.get_trials((TrialState.COMPLETE,))
    assert complete and all(t.last_step == 9 for t in complete)
    assert study.best_trial.state == TrialState.COMPLETE
    assert study.best_value == study.best_trial.intermediate_values[9]
    paused = study.get_trials((TrialState.PAUSED,))
    assert paused and all(t.values is None and t.intermediate_values for t in paused)
    df = study.trials_dataframe()
    assert set(df["state"]) == {"COMPLETE", "PAUSED"}
    assert df.loc[df["state"] == "PAUSED", "value"].isna().all()
    # closing the study: a PAUSED trial told PRUNED keeps its last report as its value
    closed = study.tell(paused[0].number, state=TrialState.PRUNED)
    assert closed.state == TrialState.PRUNED
    assert closed.value == paused[0].intermediate_values[paused[0].last_step or 0]
    summary = trimtab.get_all_study_summaries(study.storage)[0]
    assert summary.n_trials_by_state["PAUSED"] == len(paused) - 1


def test_without_checkpoint_root_nothing_changes() -> None:
    study = trimtab.create_study(pruner=_sh())
    trial = study.ask()
    assert trial.budget is None and trial.checkpoint_dir is None
    assert study.tell(trial, 1.0).state == TrialState.COMPLETE


def test_bad_checkpoint_roots(tmp_path: Path) -> None:
    study = trimtab.create_study(pruner=_sh(), study_name="a")
    with pytest.raises(TypeError, match="checkpoint_root=123"):
        study.optimize(resumable, n_trials=1, checkpoint_root=123)  # type: ignore[arg-type]
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match=r"checkpoint_root=.*not a directory"):
        study.ask(checkpoint_root=tmp_path / "file")
    study.optimize(resumable, n_trials=1, checkpoint_root=tmp_path / "a")
    other = trimtab.create_study(pruner=_sh(), study_name="b", storage=study.storage)
    with pytest.raises(ValueError, match="holds the checkpoints of study 'a'"):
        other.optimize(resumable, n_trials=1, checkpoint_root=tmp_path / "a")
    multi = trimtab.create_study(pruner=_sh(), directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match="single-objective"):
        multi.ask(checkpoint_root=tmp_path / "m")
    # a failing value at a rung fails the trial, as without budgets
    bad = trimtab.create_study(pruner=_sh())
    trial = bad.ask(checkpoint_root=tmp_path / "bad")
    assert bad.tell(trial, math.nan).state == TrialState.FAILED


@pytest.mark.slow
def test_exactly_once_promotion_under_two_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    root = tmp_path / "ckpt"
    study = trimtab.create_study(
        study_name="resume", storage=url, pruner=_sh(), sampler=trimtab.samplers.RandomSampler()
    )
    study.optimize(resumable, n_trials=40, n_jobs=2, checkpoint_root=root)
    trials = study.trials
    ladder = [1, 3, 9]
    pids = set()
    promotions = 0
    for t in trials:
        budget = t.system_attrs["budget"]
        reached = ladder[: ladder.index(budget) + 1]
        runs = _runs(root, t.number)
        pids.update(r[2] for r in runs)
        # each rung ran exactly once: no promotion was handed out twice
        assert [r[:2] for r in runs] == _expected_runs(reached)
        assert sorted(t.intermediate_values) == list(range(1, budget + 1))
        promotions += len(runs) - 1
    assert len(pids) >= 1  # on a busy machine one process may take every run
    assert sum(len(_runs(root, t.number)) for t in trials) == 40
    claims = study.storage.get_claims(study._study_id, "promote:")
    assert len(claims) == promotions > 0


def test_numpy_mlp_resumes_exactly(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from trimtab.benchmarks._mlp import learning_curve

    problem = get_multifidelity_problem("mlp_digits")
    study = trimtab.create_study(pruner=_sh(max_resource=3))
    base = {"batch_size": 128, "momentum": 0.9, "width": 16, "depth": 1, "dropout": 0.1}
    for lr in (0.3, 0.1, 0.01):
        study.enqueue_trial({**base, "lr": lr})
    study.optimize(problem.objective, n_trials=4, checkpoint_root=tmp_path)
    (done,) = study.get_trials((TrialState.COMPLETE,))
    assert (tmp_path / f"trial-{done.number}" / "mlp.json").exists()
    assert done.user_attrs["epochs_trained"] == 3  # 1 + 2, not 1 + 3
    # resumed from the checkpoint, the curve is the one of an uninterrupted training
    errors, _ = learning_curve(done.params, 3)
    assert [done.intermediate_values[s] for s in (1, 2, 3)] == errors
    assert done.value == errors[-1]


def test_surrogate_resumes_on_its_curve(tmp_path: Path) -> None:
    problem = get_multifidelity_problem("mlp_digits_surrogate")
    study = trimtab.create_study(
        pruner=_sh(max_resource=27), sampler=trimtab.samplers.RandomSampler(seed=0)
    )
    study.optimize(problem.objective, n_trials=40, checkpoint_root=tmp_path)
    ladder = [1, 3, 9, 27]
    trained = 0
    for t in study.trials:
        last = t.system_attrs["budget"]
        assert t.user_attrs["epochs_trained"] == last == t.last_step
        curve, _ = problem.curve(t.params, last)
        assert [t.intermediate_values[s] for s in range(1, last + 1)] == curve
        trained += last
    restarted = sum(sum(ladder[: ladder.index(t.system_attrs["budget"]) + 1]) for t in study.trials)
    assert trained < restarted
