"""``trimtab worker``: independent worker processes sharing one study, and killed ones."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import trimtab
from trimtab import TrialState
from trimtab.cli import main

ROOT = Path(__file__).resolve().parents[2]
OBJECTIVES = "tests.cli._worker_objectives"


def start_worker(url: str, *opts: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    args = ["--storage", url, "--study", "s", *opts]
    return subprocess.Popen(
        [sys.executable, "-c", "from trimtab.cli import main; main()", "worker", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(procs: list[subprocess.Popen[str]], timeout: float = 120) -> list[str]:
    outs = []
    for p in procs:
        out, _ = p.communicate(timeout=timeout)
        assert p.returncode == 0, out
        outs.append(out)
    return outs


@pytest.mark.slow
def test_three_workers_hand_out_grid_points_and_enqueued_trials_once(sql_url: str) -> None:
    study = trimtab.create_study(study_name="s", storage=sql_url)
    for x in (3, 5, 7):
        study.enqueue_trial({"x": x})
    grid = "{name: grid, search_space: {x: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}}"
    procs = [
        start_worker(sql_url, "--objective", f"{OBJECTIVES}:grid", "--sampler", grid)
        for _ in range(3)
    ]
    outs = finish(procs)
    trials = study.trials
    assert len(trials) == 15 and all(t.state == TrialState.COMPLETE for t in trials)
    enqueued = [t for t in trials if "fixed_params" in t.system_attrs]
    assert sorted(t.params["x"] for t in enqueued) == [3, 5, 7]
    from_grid = [t.params["x"] for t in trials if "grid_id" in t.system_attrs]
    assert sorted(from_grid) == list(range(12))  # every point exactly once
    assert sum(int(o.split("worker ran ")[1].split()[0]) for o in outs) == 15


@pytest.mark.slow
def test_n_trials_is_the_studys_total_across_workers(sqlite_url: str) -> None:
    study = trimtab.create_study(study_name="s", storage=sqlite_url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)  # counted too
    procs = [
        start_worker(sqlite_url, "--objective", f"{OBJECTIVES}:quick", "--n-trials", "14")
        for _ in range(3)
    ]
    finish(procs)
    assert len(study.trials) == 14
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    opts = ["--storage", sqlite_url, "--study", "s", "--objective", "math:sqrt"]
    again = CliRunner().invoke(main, ["worker", *opts, "--n-trials", "14"])
    assert again.exit_code == 0, again.output
    assert "worker ran 0 trials; study 's' has 14 trials" in again.output


def test_worker_errors_are_one_line(tmp_path: Path, sqlite_url: str) -> None:
    runner = CliRunner()
    trimtab.create_study(study_name="s", storage=sqlite_url)
    cases = [
        (["--study", "nope", "--objective", "math:sqrt"], "study_name='nope' does not exist"),
        (["--study", "s", "--objective", "nomodule:f"], "module 'nomodule' cannot be imported"),
        (["--study", "s", "--objective", "math"], "must look like 'package.module:function'"),
        (
            ["--study", "s", "--objective", "math:sqrt", "--sampler", "annealing"],
            "sampler.name='annealing' is not known",
        ),
    ]
    for args, fragment in cases:
        out = runner.invoke(main, ["worker", "--storage", sqlite_url, *args])
        assert out.exit_code == 1 and fragment in out.output, out.output
        assert "Traceback" not in out.output


def kill_one_of_four(url: str, tmp_path: Path) -> trimtab.Study:
    """Four workers on a heartbeat study of 24 trials; the one running trial 2 is killed."""
    study = trimtab.create_study(
        study_name="s", storage=url, heartbeat_interval=0.2, heartbeat_timeout=4.0, retry_failed=1
    )
    marker = tmp_path / "hanging"
    env = {"TT_HANG_AT": "2", "TT_MARKER": str(marker), "TT_SLEEP": "1.0"}
    args = ["--objective", f"{OBJECTIVES}:hangs_once", "--n-trials", "24"]
    procs = [start_worker(url, *args, env=env) for _ in range(4)]
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() or not marker.read_text():
            assert time.monotonic() < deadline, "no worker reached trial 2"
            time.sleep(0.02)
        victim = int(marker.read_text())
        os.kill(victim, signal.SIGKILL)
        survivors = [p for p in procs if p.pid != victim]
        assert len(survivors) == 3
        finish(survivors)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.communicate()
    return study


def check_after_kill(study: trimtab.Study) -> None:
    trials = study.trials
    counted = [t for t in trials if t.state != TrialState.WAITING]
    assert len(counted) == 24  # the study's total, lost trial included
    assert [t.number for t in trials] == list(range(len(trials)))  # each trial once
    lost = trials[2]
    assert lost.state == TrialState.FAILED
    assert lost.fail_reason is not None and lost.fail_reason["type"] == "WorkerLost"
    assert lost.fail_reason["message"].startswith("worker lost: no heartbeat for")
    assert [t.number for t in trials if t.state == TrialState.FAILED] == [2]
    retries = [t for t in trials if t.system_attrs.get("retry_of") == 2]
    assert len(retries) == 1  # enqueued once, though three workers were asking
    assert retries[0].system_attrs["retry_count"] == 1
    if retries[0].state == TrialState.COMPLETE:
        assert retries[0].params["x"] == lost.params["x"]
    assert all(t.state == TrialState.COMPLETE for t in counted if t.number != 2)
    assert collections.Counter(t.state for t in trials)[TrialState.RUNNING] == 0


@pytest.mark.slow
def test_kill_9_one_of_four_workers_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    check_after_kill(kill_one_of_four(sqlite_url, tmp_path))


@pytest.mark.slow
def test_kill_9_one_of_four_workers_postgres(postgres_url: str, tmp_path: Path) -> None:
    study = kill_one_of_four(postgres_url, tmp_path)
    check_after_kill(study)
    study.storage.remove_session()
