"""Multi-fidelity problems: real epoch-by-epoch training and the recorded-curve surrogate."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import trimtab
from trimtab.benchmarks import _multifidelity, get_multifidelity_problem
from trimtab.benchmarks._mlp import MLPTraining

pytest.importorskip("sklearn")

SMALL = {"lr": 0.1, "batch_size": 64, "momentum": 0.9, "width": 32, "depth": 1, "dropout": 0.1}


def test_training_is_deterministic_and_learns() -> None:
    p = get_multifidelity_problem("mlp_digits")
    errors, seconds = p.curve(SMALL, epochs=4)
    assert errors == p.curve(SMALL, epochs=4)[0]
    assert len(seconds) == 4 and all(s >= 0 for s in seconds)
    assert errors[-1] < 0.2  # it learns: far better than chance (0.9)


def test_a_checkpoint_resumes_exactly() -> None:
    straight = MLPTraining(SMALL, seed=3)
    expected = [straight.train_epoch() for _ in range(4)]
    first = MLPTraining(SMALL, seed=3)
    head = [first.train_epoch() for _ in range(2)]
    saved = json.loads(json.dumps(first.state()))  # a checkpoint survives JSON
    resumed = MLPTraining(SMALL, seed=99)
    resumed.load_state(saved)
    assert head + [resumed.train_epoch() for _ in range(2)] == expected
    assert resumed.epoch == 4


def test_objective_reports_every_epoch_and_stops_when_pruned() -> None:
    class AfterTwo(trimtab.pruners.BasePruner):
        def prune(self, study: trimtab.Study, trial: trimtab.FrozenTrial) -> bool:
            return (trial.last_step or 0) >= 2

    p = get_multifidelity_problem("mlp_digits")
    study = trimtab.create_study(pruner=AfterTwo(), sampler=trimtab.samplers.RandomSampler(0))
    study.optimize(p.objective, n_trials=2)
    for t in study.trials:
        assert t.state == trimtab.TrialState.PRUNED
        assert sorted(t.intermediate_values) == [1, 2]
        assert t.value == t.intermediate_values[2]
        assert t.user_attrs["epoch_seconds"] > 0


def test_surrogate_replays_the_nearest_recorded_curve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    far = {**SMALL, "lr": 0.001, "width": 256}
    curves = [
        {"params": SMALL, "errors": [0.5 - i / 100 for i in range(27)], "seconds": [0.1] * 27},
        {"params": far, "errors": [0.9] * 27, "seconds": [2.0] * 27},
    ]
    table = tmp_path / "curves.json.gz"
    table.write_bytes(gzip.compress(json.dumps({"meta": {}, "curves": curves}).encode()))
    monkeypatch.setattr(_multifidelity, "CURVES", table)
    _multifidelity._table.cache_clear()
    try:
        p = get_multifidelity_problem("mlp_digits_surrogate")
        assert p.optimum == pytest.approx(0.24)
        near_small = {**SMALL, "lr": 0.11}
        errors, seconds = p.curve(near_small)
        assert errors == curves[0]["errors"] and seconds == [0.1] * 27
        assert p.curve({**far, "momentum": 0.5})[1] == [2.0] * 27
    finally:
        _multifidelity._table.cache_clear()


def test_missing_table_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_multifidelity, "CURVES", tmp_path / "none.json.gz")
    _multifidelity._table.cache_clear()
    try:
        p = get_multifidelity_problem("mlp_digits_surrogate")
        with pytest.raises(FileNotFoundError, match=r"python -m benchmarks\.record_curves"):
            p.curve(SMALL)
    finally:
        _multifidelity._table.cache_clear()


def test_the_recorded_table_replays_whole_curves() -> None:
    p = get_multifidelity_problem("mlp_digits_surrogate")
    errors, seconds = p.curve(SMALL)
    assert len(errors) == len(seconds) == p.max_epochs == 27
    assert all(0.0 <= e <= 1.0 for e in errors) and all(s > 0 for s in seconds)
    assert 0.0 < p.optimum < 0.05  # the best recorded MLP is far better than chance
