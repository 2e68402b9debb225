"""Objectives and checks shared by the Ray and Dask executor tests (test_ray, test_dask).

The objectives run in the clusters' worker processes, which import this module by name.
"""

from __future__ import annotations

import itertools
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
    in_flight = executor.capacity() + executor.lookahead()  # running and queued
    for t in trials[4 + in_flight :]:  # asked once 4 trials had finished
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
    assert not [t for t in trials if t.state == TrialState.RUNNING]  # nothing left RUNNING
    # trials asked whose tasks had not started (queued, or not yet picked up by a worker)
    # went back to WAITING, untouched
    waiting = [t for t in trials if t.state == TrialState.WAITING]
    assert len(waiting) < executor.capacity() + executor.lookahead()
    assert all(not t.params and not t.system_attrs.get("proposal") for t in waiting)


def check_killed_worker(executor: Executor, storage: str | None) -> None:
    study = trimtab.create_study(storage=storage)
    study.optimize(dies_at_trial_3, n_trials=10, executor=executor)
    trials = study.trials
    assert [t.number for t in trials] == list(range(10))
    assert trials[3].state == TrialState.FAILED and trials[3].fail_reason is not None
    assert trials[3].fail_reason["type"] == "WorkerLost"
    assert all(t.state == TrialState.COMPLETE for t in trials if t.number != 3)


def quick_then_slow(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    time.sleep(0.05 if trial.number == 0 else 1.5)
    return x


def check_queued_trials_given_back_on_stop(executor: Executor, storage: str | None) -> None:
    """2 workers and 3 queued tasks: trial 0 ends first (after 0.05 s) and stops the study.
    The others sleep 1.5 s, so by the time the driver claims the unstarted tasks at most two
    of trials 1-4 have started (one per worker; which ones is the cluster's choice): those
    run to their end, the others go back to WAITING and are run by the next optimize."""
    assert executor.capacity() == 2 and executor.lookahead() == 3
    study = trimtab.create_study(storage=storage)
    study.optimize(
        quick_then_slow, n_trials=10, executor=executor, callbacks=[lambda s, t: s.stop()]
    )
    trials = study.trials
    assert [t.number for t in trials] == [0, 1, 2, 3, 4]
    # usually trial 0 (the quick one) ends first; on a loaded machine the cluster may start
    # two others before it, one of which then ends first and stops the study
    assert any(t.state == TrialState.COMPLETE for t in trials)
    assert all(t.state in (TrialState.COMPLETE, TrialState.WAITING) for t in trials)
    waiting = [t for t in trials if t.state == TrialState.WAITING]
    assert len(waiting) >= 2
    assert all(not t.params and not t.system_attrs.get("proposal") for t in waiting)
    study.optimize(quick_then_slow, n_trials=len(waiting), executor=executor)
    trials = study.trials
    assert [t.number for t in trials] == [0, 1, 2, 3, 4]  # the given-back trials ran
    assert all(t.state == TrialState.COMPLETE for t in trials)


def timed(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    t0 = time.time()
    time.sleep(0.15)
    trial.set_user_attr("span", [t0, time.time()])
    return x


def check_n_workers_below_the_cluster_runs_one_at_a_time(executor: Executor) -> None:
    """``n_workers=1`` on a cluster of 2 slots: by default nothing is queued (a free slot
    would start it at once), so no two trials ever run at the same time."""
    assert executor.n_workers == 1 and executor.slots() == 2
    assert executor.capacity() == 1 and executor.lookahead() == 0
    study = trimtab.create_study()
    study.optimize(timed, n_trials=5, executor=executor)
    spans = sorted(t.user_attrs["span"] for t in study.trials)
    assert len(spans) == 5
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))  # no overlap
