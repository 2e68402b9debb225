"""ASHA in promotion form on a PyTorch MLP: promoted trials resume from their checkpoints.

    .venv/bin/pip install torch==2.13.0 -e ".[sklearn]"   # from the checkout; then:
    .venv/bin/python examples/asha_resume_torch.py

Every run of the objective trains up to ``trial.budget`` epochs (1, 3, then 9), saving the
model and optimizer in ``trial.checkpoint_dir``; a promoted trial loads them and goes on
instead of training from epoch 0. About a minute on 2 cores.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import trimtab
from trimtab.benchmarks._torch_mlp import TorchMLPTraining


def objective(trial: trimtab.Trial) -> float:
    params = {
        "lr": trial.suggest_float("lr", 1e-3, 1.0, log=True),
        "batch_size": trial.suggest_categorical("batch_size", [32, 64, 128]),
        "momentum": trial.suggest_float("momentum", 0.0, 0.99),
        "width": trial.suggest_int("width", 16, 64, log=True),
        "depth": trial.suggest_int("depth", 1, 2),
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
    }
    assert trial.budget is not None and trial.checkpoint_dir is not None
    run = TorchMLPTraining(params)
    run.load(trial.checkpoint_dir)  # nothing there on the first run
    error = float("nan")
    while run.epoch < trial.budget:
        error, _ = run.step()
        trial.report(error, run.epoch)  # steps go on across runs: 1, 2, 3, ...
    run.save(trial.checkpoint_dir)
    return error


def main() -> None:
    import torch

    torch.set_num_threads(1)
    root = Path(tempfile.mkdtemp(prefix="asha-resume-"))
    study = trimtab.create_study(
        pruner=trimtab.pruners.SuccessiveHalvingPruner(
            min_resource=1, reduction_factor=3, max_resource=9
        ),
        sampler=trimtab.samplers.RandomSampler(seed=0),
    )
    try:
        study.optimize(objective, n_trials=40, checkpoint_root=root)
    finally:
        shutil.rmtree(root)  # trimtab never deletes checkpoints: the study's owner does
    counts: dict[str, int] = {}
    for t in study.trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    ladder = study.pruner.budgets(study, 0) or []
    trained = sum(t.last_step or 0 for t in study.trials)
    restarted = sum(sum(b for b in ladder if b <= (t.last_step or 0)) for t in study.trials)
    print(f"40 runs, {len(study.trials)} configurations: {counts}")
    print(f"epochs trained: {trained}; restarting each promotion from epoch 0: {restarted}")
    best = study.best_trial
    print(f"best: trial {best.number}, validation error {best.value:.4f}, {best.params}")


if __name__ == "__main__":
    main()
