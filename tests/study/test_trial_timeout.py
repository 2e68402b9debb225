"""``optimize(trial_timeout=...)``: a trial running too long is stopped and marked FAILED."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

import trimtab
from trimtab import TrialState


def hangs_on_trial_1(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    trial.set_user_attr("pid", os.getpid())
    if trial.number == 1:
        time.sleep(600)  # stopped by trial_timeout
    return x


def hangs_on_even_trials(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    if trial.number % 2 == 0:
        while True:  # busy, holding the GIL: only killing the process stops it
            pass
    return x


@pytest.mark.slow
@pytest.mark.parametrize("where", ["memory", "sqlite"])
def test_a_hanging_trial_is_stopped_and_the_study_goes_on(where: str, tmp_path: Path) -> None:
    url = None if where == "memory" else f"sqlite:///{tmp_path / 'runs.db'}"
    study = trimtab.create_study(storage=url)
    seen: list[tuple[int, TrialState]] = []
    start = time.monotonic()
    study.optimize(
        hangs_on_trial_1,
        n_trials=6,
        n_jobs=2,
        trial_timeout=1.0,
        callbacks=[lambda s, t: seen.append((t.number, t.state))],
    )
    assert time.monotonic() - start < 30
    trials = study.trials
    assert len(trials) == 6
    hung = trials[1]
    assert hung.state == TrialState.FAILED
    assert hung.fail_reason is not None and hung.fail_reason["type"] == "TrialTimeout"
    assert "trial_timeout=1 s" in hung.fail_reason["message"]
    assert hung.duration is not None and 1.0 <= hung.duration.total_seconds() < 5
    assert [t.state for t in trials if t.number != 1] == [TrialState.COMPLETE] * 5
    assert sorted(seen) == [(t.number, t.state) for t in trials]  # callbacks for every trial
    # every trial ran in a worker process, not here; which worker took the fast trials is the
    # scheduler's business (with forked workers one of them can take all five before the
    # hung trial's timeout), so it is not asserted
    assert os.getpid() not in {t.user_attrs["pid"] for t in trials if t.number != 1}


@pytest.mark.slow
def test_with_one_job_trials_run_in_a_worker_process_that_can_be_stopped() -> None:
    study = trimtab.create_study()
    study.optimize(hangs_on_even_trials, n_trials=4, trial_timeout=0.5)
    states = [t.state for t in study.trials]
    assert states == [TrialState.FAILED, TrialState.COMPLETE] * 2
    assert all(
        t.fail_reason is not None and t.fail_reason["type"] == "TrialTimeout"
        for t in study.trials[::2]
    )


@pytest.mark.parametrize("bad", [0, -1, "5", True])
def test_trial_timeout_must_be_positive_seconds(bad: Any) -> None:
    study = trimtab.create_study()
    with pytest.raises(ValueError, match=f"trial_timeout={bad!r} must be a number of seconds"):
        study.optimize(hangs_on_trial_1, n_trials=1, trial_timeout=bad)


def test_an_objective_that_cannot_pickle_is_explained() -> None:
    study = trimtab.create_study()
    with pytest.raises(TypeError, match="trial_timeout=5 runs trials in a worker process"):
        study.optimize(lambda t: 0.0, n_trials=1, trial_timeout=5)
