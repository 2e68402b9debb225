"""``optimize(n_jobs=N)`` with real worker processes, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import trimtab
from trimtab import TrialState
from trimtab.samplers import GridSampler


def quadratic(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", -1, 1)
    trial.set_user_attr("pid", os.getpid())
    deadline = time.monotonic() + 60
    while trial.number == 0 and time.monotonic() < deadline:  # until another worker starts
        if len(trial.study.trials) >= 2:
            break
        time.sleep(0.01)
    return x * x


def fails_on_odd_numbers(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    if trial.number % 2:
        raise ValueError(f"odd trial {trial.number}")
    return x


def slow(trial: trimtab.Trial) -> float:
    time.sleep(0.05)
    return trial.suggest_float("x", 0, 1)


def dies_at_trial_3(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    if trial.number == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.02)
    return x


def noisy_quadratic(trial: trimtab.Trial) -> float:
    import random

    x, y = trial.suggest_float("x", -5, 5), trial.suggest_float("y", -5, 5)
    trial.set_user_attr("pid", os.getpid())
    return (x - 1.5) ** 2 + (y + 0.5) ** 2 + random.Random(trial.number).gauss(0.0, 2.0)


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def reports_its_threads(trial: trimtab.Trial) -> float:
    import numpy  # noqa: F401  (its BLAS, loaded now if the worker had not yet)
    from threadpoolctl import threadpool_info

    blas = {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
    trial.set_user_attr("blas_threads", sorted(blas))
    trial.set_user_attr("env", {name: os.environ.get(name) for name in THREAD_VARIABLES})
    return trial.suggest_float("x", 0, 1)


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return None if request.param == "memory" else f"sqlite:///{tmp_path / 'runs.db'}"


def test_two_workers_share_n_trials_exactly(url: Any) -> None:
    study = trimtab.create_study(storage=url)
    seen: list[int] = []
    study.optimize(quadratic, n_trials=30, n_jobs=2, callbacks=[lambda s, t: seen.append(t.number)])
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(30))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert len({t.user_attrs["pid"] for t in trials}) == 2  # really two processes
    assert os.getpid() not in {t.user_attrs["pid"] for t in trials}
    assert sorted(seen) == list(range(30))  # callbacks ran here, once per trial


def test_objective_errors_are_recorded_as_in_one_process(url: Any) -> None:
    study = trimtab.create_study(storage=url)
    study.optimize(fails_on_odd_numbers, n_trials=10, n_jobs=2)
    trials = study.trials
    assert len(trials) == 10
    for t in trials:
        if t.number % 2:
            assert t.state == TrialState.FAILED and t.fail_reason is not None
            assert t.fail_reason["type"] == "ValueError"
            assert f"odd trial {t.number}" in t.fail_reason["message"]
            assert "Traceback" in t.fail_reason["traceback"]
        else:
            assert t.state == TrialState.COMPLETE


def test_an_exception_outside_catch_stops_the_workers_and_is_raised(url: Any) -> None:
    study = trimtab.create_study(storage=url)
    with pytest.raises(ValueError, match="odd trial") as info:
        study.optimize(fails_on_odd_numbers, n_trials=40, n_jobs=2, catch=())
    assert "in worker process" in str(info.value.__cause__)
    trials = study.trials
    assert len(trials) < 40
    assert all(t.state.is_finished() for t in trials)  # nothing left RUNNING
    assert any(t.state == TrialState.FAILED for t in trials)


def test_a_killed_worker_fails_its_trial_and_the_others_finish_the_budget(url: Any) -> None:
    study = trimtab.create_study(storage=url)
    study.optimize(dies_at_trial_3, n_trials=20, n_jobs=3)
    trials = study.trials
    assert [t.number for t in trials] == list(range(20))
    assert trials[3].state == TrialState.FAILED and trials[3].fail_reason is not None
    assert trials[3].fail_reason["type"] == "WorkerLost"
    assert "exit code -9" in trials[3].fail_reason["message"]
    assert all(t.state == TrialState.COMPLETE for t in trials if t.number != 3)


def test_stop_from_a_callback_stops_every_worker(url: Any) -> None:
    study = trimtab.create_study(storage=url)

    def stop_after_five(s: trimtab.Study, t: trimtab.FrozenTrial) -> None:
        if len(s.get_trials((TrialState.COMPLETE,))) >= 5:
            s.stop()

    study.optimize(slow, n_trials=200, n_jobs=2, callbacks=[stop_after_five])
    assert 5 <= len(study.trials) < 20
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_timeout_is_shared(url: Any) -> None:
    import datetime

    study = trimtab.create_study(storage=url)
    start = time.monotonic()
    # the timeout, and a margin for an ask under way at that moment (on a busy machine)
    deadline = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=7)
    study.optimize(slow, timeout=2, n_jobs=2)  # worker start-up counts against the timeout
    assert time.monotonic() - start < 30
    trials = study.trials
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert all(t.datetime_start is not None and t.datetime_start <= deadline for t in trials)


def test_grid_and_enqueued_trials_are_handed_out_once(url: Any) -> None:
    grid = GridSampler({"x": [0.0, 0.25, 0.5, 0.75, 1.0]})
    study = trimtab.create_study(storage=url, sampler=grid)
    study.enqueue_trial({"x": 0.5})
    study.optimize(slow, n_jobs=2)  # no n_trials: until the grid is exhausted
    xs = sorted(t.params["x"] for t in study.trials)
    assert xs == [0.0, 0.25, 0.5, 0.5, 0.75, 1.0]  # the enqueued 0.5, then every grid point


def test_n_jobs_minus_one_uses_every_core() -> None:
    study = trimtab.create_study()
    study.optimize(quadratic, n_trials=6, n_jobs=-1)
    assert len(study.trials) == 6
    pids = {t.user_attrs["pid"] for t in study.trials}
    assert len(pids) <= trimtab.execution.cpu_count() and os.getpid() not in pids


@pytest.mark.parametrize("n_jobs", [0, -2, 1.5, "2", True, None])
def test_bad_n_jobs_is_refused(n_jobs: Any) -> None:
    study = trimtab.create_study()
    with pytest.raises(ValueError, match=rf"n_jobs={n_jobs!r} is not allowed; use 1 .* -1 for"):
        study.optimize(quadratic, n_trials=1, n_jobs=n_jobs)
    assert study.trials == []


def test_an_unpicklable_objective_gets_a_clear_error() -> None:
    study = trimtab.create_study()
    with pytest.raises(TypeError, match=r"func=<function .*<lambda>.* cannot be sent to worker"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, n_jobs=2)
    with pytest.raises(TypeError, match="not a lambda"):
        study.optimize(lambda t: 1.0, n_trials=2, n_jobs=2)
    assert study.trials == []


def test_an_unpicklable_sampler_gets_a_clear_error() -> None:
    class Local(trimtab.samplers.RandomSampler):
        pass

    study = trimtab.create_study(sampler=Local())
    with pytest.raises(TypeError, match=r"sampler=.* cannot be sent to worker processes"):
        study.optimize(quadratic, n_trials=2, n_jobs=2)


@pytest.mark.slow
@pytest.mark.parametrize("target", ["group", "parent"])
@pytest.mark.parametrize("storage", ["memory", "sqlite"])
def test_ctrl_c_fails_the_running_trials_and_keeps_the_rest(
    tmp_path: Path, target: str, storage: str
) -> None:
    url = "memory" if storage == "memory" else f"sqlite:///{tmp_path / 'c.db'}"
    markers = tmp_path / "markers"
    markers.mkdir()
    worker = Path(__file__).with_name("_parallel_worker.py")
    proc = subprocess.Popen(
        [sys.executable, str(worker), url, str(markers)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as in a terminal
    )
    try:
        deadline = time.monotonic() + 60
        while len(list(markers.iterdir())) < 2:
            assert proc.poll() is None, "optimize ended early"
            assert time.monotonic() < deadline, "the workers never reached trials 4 and 5"
            time.sleep(0.05)
        if target == "group":  # Ctrl-C in a terminal reaches every process
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=180)  # generous: a loaded machine is slow
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0
    rows = json.loads(out.strip().splitlines()[-1])
    assert [r[0] for r in rows] == list(range(6))
    assert [r[1] for r in rows] == ["COMPLETE"] * 4 + ["FAILED"] * 2
    assert [r[2] for r in rows[4:]] == ["KeyboardInterrupt"] * 2


def tiny(trial: trimtab.Trial) -> float:
    trial.set_user_attr("pid", os.getpid())
    return trial.suggest_float("x", 0, 1)


@pytest.mark.slow
def test_load_8_processes_1600_trials_on_one_study(sql_url: str) -> None:
    study = trimtab.create_study(study_name="load", storage=sql_url)
    study.optimize(tiny, n_trials=1600, n_jobs=8)
    trials = trimtab.load_study(study_name="load", storage=sql_url).trials
    assert sorted(t.number for t in trials) == list(range(1600))  # none lost, none twice
    assert len({t.trial_id for t in trials}) == 1600
    assert all(t.state == TrialState.COMPLETE and t.value == t.params["x"] for t in trials)
    assert len({t.user_attrs["pid"] for t in trials}) >= 2


def test_a_script_without_a_main_guard_gets_told(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import trimtab\n"
        "def objective(t):\n"
        "    return t.suggest_float('x', 0, 1)\n"
        "study = trimtab.create_study()\n"
        "study.optimize(objective, n_trials=4, n_jobs=2)\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 1
    assert "worker processes failed to start" in out.stderr
    assert 'if __name__ == "__main__":' in out.stderr


def test_workers_share_the_cores_among_their_math_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each of 2 workers gets half the cores for BLAS/OpenMP, not all of them (loky's rule):
    # on 2 cores, 1 thread each instead of 2 (which ran the GP sampler 5-6x slower).
    for name in (*THREAD_VARIABLES, "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    share = max(1, (cpus or 1) // 2)
    study = trimtab.create_study()
    study.optimize(reports_its_threads, n_trials=2, n_jobs=2)
    assert len(study.trials) == 2
    for t in study.trials:
        assert t.user_attrs["blas_threads"] == [share]
        assert t.user_attrs["env"] == dict.fromkeys(THREAD_VARIABLES, str(share))


def test_thread_variables_the_user_set_reach_the_workers_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (*THREAD_VARIABLES, "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    study = trimtab.create_study()
    study.optimize(reports_its_threads, n_trials=2, n_jobs=2)
    for t in study.trials:
        assert t.user_attrs["env"]["OPENBLAS_NUM_THREADS"] == "3"


def test_default_sampler_workers_share_one_handover_decision(url: Any) -> None:
    sampler = trimtab.samplers.AutoSampler(seed=0, n_startup_trials=5, gp_noisy_max_trials=15)
    study = trimtab.create_study(storage=url, sampler=sampler)
    study.optimize(noisy_quadratic, n_trials=30, n_jobs=2)
    handover = study.system_attrs["auto:handover"]
    assert handover["choice"] == "TPESampler" and handover["noise_variance"] > 1e-3
    trials = sorted(study.trials, key=lambda t: t.number)
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert {t.system_attrs["auto:sampler"] for t in trials[-10:]} == {"TPESampler"}
    pids = {t.user_attrs["pid"] for t in trials}
    assert len(pids) == 2  # really two processes, and each follows the decision once it is
    # recorded (a trial asked for while the other worker records it may still be the GP's;
    # on a loaded machine one worker can also end before the decision, so per worker: every
    # trial it began past that window is TPE's)
    past = handover["after_trials"] + 3
    later = {
        pid: [t for t in trials if t.user_attrs["pid"] == pid and t.number >= past] for pid in pids
    }
    assert any(later.values())
    for ts in later.values():
        assert {t.system_attrs["auto:sampler"] for t in ts} <= {"TPESampler"}
