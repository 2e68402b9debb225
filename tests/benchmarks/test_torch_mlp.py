"""The PyTorch MLP problem: its checkpoint resumes the model and optimizer exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

import trimtab
from trimtab import TrialState
from trimtab.benchmarks import get_multifidelity_problem

pytest.importorskip("torch")
pytest.importorskip("sklearn")

PARAMS = {"lr": 0.1, "batch_size": 128, "momentum": 0.9, "width": 16, "depth": 1, "dropout": 0.1}


def test_resumed_training_equals_uninterrupted(tmp_path: Path) -> None:
    from trimtab.benchmarks._torch_mlp import TorchMLPTraining

    straight = TorchMLPTraining(PARAMS)
    expected = [straight.step()[0] for _ in range(3)]
    first = TorchMLPTraining(PARAMS)
    got = [first.step()[0]]
    first.save(tmp_path)
    resumed = TorchMLPTraining(PARAMS)
    resumed.load(tmp_path)
    assert resumed.epoch == 1
    got += [resumed.step()[0] for _ in range(2)]
    assert got == expected


def test_study_promotes_and_resumes(tmp_path: Path) -> None:
    problem = get_multifidelity_problem("torch_mlp_digits")
    study = trimtab.create_study(
        pruner=trimtab.pruners.SuccessiveHalvingPruner(
            min_resource=1, reduction_factor=3, max_resource=3
        )
    )
    for lr in (0.3, 0.1, 0.01):
        study.enqueue_trial({**PARAMS, "lr": lr})
    study.optimize(problem.objective, n_trials=4, checkpoint_root=tmp_path)
    (done,) = study.get_trials((TrialState.COMPLETE,))
    assert (tmp_path / f"trial-{done.number}" / "torch_mlp.pt").exists()
    assert done.user_attrs["epochs_trained"] == 3
    assert sorted(done.intermediate_values) == [1, 2, 3]
