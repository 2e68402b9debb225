"""Objectives and checks shared by the Ray and Dask executor tests (test_ray, test_dask).

The objectives run in the clusters' worker processes, which import this module by name.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

import trimtab
from trimtab import TrialState
from trimtab.execution import Executor
from trimtab.samplers import TPESampler


def require(module: str, extra: str, env: str) -> Any:
    """``module``, or a skip when it is not installed (a failure when ``env`` is set to 1)."""
    try:
        return pytest.importorskip(module)
    except pytest.skip.Exception:
        if os.environ.get(env, "") == "1":
            pytest.fail(
                f'{module} is not installed ({env}=1 requires it): pip install "trimtab[{extra}]"'
            )
        raise


def quadratic(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", -1, 1)
    y = trial.suggest_int("y", 0, 3)
    trial.set_user_attr("pid", os.getpid())
    trial.report(x, 0)
    time.sleep(0.02)
    return x * x + y


def fails_on_odd_numbers(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    if trial.number % 2:
        raise ValueError(f"odd trial {trial.number}")
    return x


def dies_at_trial_3(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    if trial.number == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.02)
    return x


def check_exact_n_trials(executor: Executor, storage: str | None) -> None:
    sampler = TPESampler(seed=0, n_startup_trials=4, constant_liar=True)
    study = trimtab.create_study(storage=storage, sampler=sampler)
    seen: list[tuple[int, int]] = []
    study.optimize(
        quadratic,
        n_trials=16,
        executor=executor,
        callbacks=[lambda s, t: seen.append((t.number, os.getpid()))],
    )
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(16))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert all(t.intermediate_values == {0: t.params["x"]} for t in trials)  # reports written
    pids = {t.user_attrs["pid"] for t in trials}
    assert os.getpid() not in pids  # the objectives ran in the cluster's workers
    assert sorted(seen) == [(n, os.getpid()) for n in range(16)]  # callbacks ran here, once
    # The driver proposed jointly after the start-up trials and stored each proposal before
    # the next ask; the task used that proposal, not a second one.
    for t in trials[6:]:  # asked once 4 trials had finished (2 run at once)
        proposal = t.system_attrs["proposal"]
        assert proposal == {k: t.params[k] for k in proposal}
    # a second optimize on the same study and executor goes on from there
    study.optimize(quadratic, n_trials=3, executor=executor)
    assert sorted(t.number for t in study.trials) == list(range(19))


def check_errors_recorded(executor: Executor, storage: str | None) -> None:
    study = trimtab.create_study(storage=storage)
    study.optimize(fails_on_odd_numbers, n_trials=8, executor=executor)
    trials = study.trials
    assert len(trials) == 8
    for t in trials:
        if t.number % 2:
            assert t.state == TrialState.FAILED and t.fail_reason is not None
            assert t.fail_reason["type"] == "ValueError"
            assert f"odd trial {t.number}" in t.fail_reason["message"]
            assert "Traceback" in t.fail_reason["traceback"]
        else:
            assert t.state == TrialState.COMPLETE


def check_uncaught_error_raised(executor: Executor, storage: str | None) -> None:
    study = trimtab.create_study(storage=storage)
    with pytest.raises(ValueError, match="odd trial") as info:
        study.optimize(fails_on_odd_numbers, n_trials=30, executor=executor, catch=())
    assert "in the task running trial" in str(info.value.__cause__)
    trials = study.trials
    assert len(trials) < 30
    assert all(t.state.is_finished() for t in trials)  # nothing left RUNNING


def check_killed_worker(executor: Executor, storage: str | None) -> None:
    study = trimtab.create_study(storage=storage)
    study.optimize(dies_at_trial_3, n_trials=10, executor=executor)
    trials = study.trials
    assert [t.number for t in trials] == list(range(10))
    assert trials[3].state == TrialState.FAILED and trials[3].fail_reason is not None
    assert trials[3].fail_reason["type"] == "WorkerLost"
    assert all(t.state == TrialState.COMPLETE for t in trials if t.number != 3)
