"""Pruning under two real processes sharing one SQLite study."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import trimtab
from trimtab import TrialState


def _rung_value(t: trimtab.FrozenTrial, rung: int) -> float | None:
    steps = [s for s in t.intermediate_values if s >= rung]
    return t.intermediate_values[min(steps)] if steps else None


@pytest.mark.slow
def test_asha_under_two_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    trimtab.create_study(study_name="asha", storage=url)
    worker = Path(__file__).with_name("_asha_worker.py")
    procs = [subprocess.Popen([sys.executable, str(worker), url, "20"]) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    study = trimtab.load_study(study_name="asha", storage=url)
    trials = study.trials
    assert len(trials) == 40
    assert len({t.user_attrs["pid"] for t in trials}) == 2  # they really shared it
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(pruned) + len(complete) == 40
    assert pruned and complete and len(complete) < 20
    assert all(t.last_step == 9 for t in complete)
    for t in pruned:
        # stopped at a rung (1 or 3; 9 is max_resource), keeping its reports and last value
        assert t.last_step in (1, 3)
        assert t.value == t.intermediate_values[t.last_step]
        # it was not the best at its rung, so a trial with a better rung value exists
        own = _rung_value(t, t.last_step)
        assert own is not None
        others = [_rung_value(o, t.last_step) for o in trials if o.number != t.number]
        assert any(v is not None and v < own for v in others)
    assert study.best_trial.state == TrialState.COMPLETE
    assert study.best_value == min(t.value for t in complete if t.value is not None)
