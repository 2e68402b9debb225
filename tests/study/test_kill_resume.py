from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import trimtab
from trimtab import TrialState


@pytest.mark.slow
def test_kill_9_mid_optimize_keeps_told_trials_and_resumes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    marker = tmp_path / "running"
    worker = Path(__file__).with_name("_crash_worker.py")
    proc = subprocess.Popen([sys.executable, str(worker), url, str(marker)])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "worker ended before trial 5"
            assert time.monotonic() < deadline, "worker never reached trial 5"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()

    study = trimtab.load_study(study_name="crash", storage=url)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 5 + [TrialState.RUNNING]
    assert all(t.value == t.params["x"] ** 2 for t in trials[:5])
    assert trials[5].intermediate_values == {0: trials[5].params["x"]}  # flushed by report
    best_before = study.best_value

    study.optimize(lambda t: t.suggest_float("x", -5, 5) ** 2, n_trials=3)
    after = study.trials
    assert [t.number for t in after] == list(range(9))
    assert [t.state for t in after[6:]] == [TrialState.COMPLETE] * 3
    assert after[5].state == TrialState.RUNNING  # the killed one is never COMPLETE
    assert study.best_value <= best_before
