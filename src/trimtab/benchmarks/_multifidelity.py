"""Multi-fidelity problems: learning curves that can be stopped early.

``mlp_digits`` trains the NumPy MLP of ``_mlp`` for real, an epoch at a time.
``mlp_digits_surrogate`` replays learning curves recorded once from the same training (with
each epoch's measured cost in seconds), answering a configuration with the curve of the
nearest recorded one in the unit-cube encoding of the space: a 1-nearest-neighbour surrogate
in the sense of Eggensperger et al., "Efficient Benchmarking of Hyperparameter Optimizers via
Surrogates" (AAAI 2015). It lets asynchronous methods be compared in simulated wall-clock
time in seconds instead of hours.

Both can checkpoint: run with ``study.optimize(problem.objective, checkpoint_root=...)``
(the promotion form of successive halving), the objective trains up to ``trial.budget``
epochs, saves its state in ``trial.checkpoint_dir`` (JSON; the training's weights, momentum
and random state, or the replayed curve's position) and a promoted trial resumes from it.
``torch_mlp_digits`` is the same network in PyTorch (``_torch_mlp``; needs torch).
"""

from __future__ import annotations

import functools
import gzip
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from trimtab.benchmarks._mlp import MAX_EPOCHS, SPACE, MLPTraining
from trimtab.benchmarks._problem import SuggestsParameters, suggest
from trimtab.distributions import BaseDistribution
from trimtab.exceptions import TrialPruned

CURVES = Path(__file__).with_name("data") / "mlp_digits_curves.json.gz"


class ResumableRun(Protocol):
    """One configuration's training that can be checkpointed (see ``MLPTraining``)."""

    epoch: int

    def step(self) -> tuple[float, float]: ...

    def save(self, directory: Path) -> None: ...

    def load(self, directory: Path) -> None: ...


@dataclass(frozen=True)
class MultiFidelityProblem:
    """A learning-curve problem: ``curve(params)`` gives the error after each epoch."""

    name: str
    space: Mapping[str, BaseDistribution]
    max_epochs: int
    start: Callable[[Mapping[str, Any]], Callable[[], tuple[float, float]]]
    optimum: float
    description: str = ""
    resumable: Callable[[Mapping[str, Any]], ResumableRun] | None = None

    def curve(
        self, params: Mapping[str, Any], epochs: int | None = None
    ) -> tuple[list[float], list[float]]:
        """Validation error after each of the first ``epochs`` epochs, and their seconds."""
        step = self.start(params)
        pairs = [step() for _ in range(epochs or self.max_epochs)]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    def objective(self, trial: Any, pruned: type[Exception] = TrialPruned) -> float:
        """Define-by-run objective: trains epoch by epoch, reporting the validation error
        (``trial.report(error, epoch)``) and stopping when the pruner says so (raising
        ``pruned``, e.g. ``optuna.TrialPruned`` for Optuna). The total seconds of the epochs
        run (measured, or recorded for the surrogate) are kept as user attribute
        ``epoch_seconds``.

        With a checkpoint directory (``trial.checkpoint_dir``, the promotion form), it loads
        the trial's checkpoint if there is one, trains up to ``trial.budget`` epochs, saves,
        and returns the error at the budget; user attribute ``epochs_trained`` counts the
        epochs this trial really trained, over all its runs."""
        t: SuggestsParameters = trial
        params = {name: suggest(t, name, dist) for name, dist in self.space.items()}
        directory = getattr(trial, "checkpoint_dir", None)
        if directory is not None and self.resumable is not None:
            return self._resume(trial, params, directory)
        step = self.start(params)
        error, seconds = math.nan, 0.0
        for epoch in range(1, self.max_epochs + 1):
            error, cost = step()
            seconds += cost
            trial.report(error, epoch)
            if trial.should_prune():
                trial.set_user_attr("epoch_seconds", seconds)
                raise pruned()
        trial.set_user_attr("epoch_seconds", seconds)
        return error

    def _resume(self, trial: Any, params: Mapping[str, Any], directory: Path) -> float:
        assert self.resumable is not None
        run = self.resumable(params)
        run.load(directory)
        budget = min(int(trial.budget or self.max_epochs), self.max_epochs)
        seconds = float(trial.user_attrs.get("epoch_seconds", 0.0))
        trained = int(trial.user_attrs.get("epochs_trained", 0))
        while run.epoch < budget:
            error, cost = run.step()
            seconds += cost
            trained += 1
            trial.report(error, run.epoch)
        run.save(directory)
        trial.set_user_attr("epoch_seconds", seconds)
        trial.set_user_attr("epochs_trained", trained)
        reports = trial.intermediate_values
        return float(reports[max(s for s in reports if s <= budget)])


def _live(params: Mapping[str, Any], seed: int = 0) -> Callable[[], tuple[float, float]]:
    return MLPTraining(params, seed).step


@functools.cache
def _table() -> tuple[np.ndarray, list[list[float]], list[list[float]]]:
    if not CURVES.exists():
        raise FileNotFoundError(
            f"{CURVES} is missing; record it with: python -m benchmarks.record_curves"
        )
    data = json.loads(gzip.decompress(CURVES.read_bytes()))
    names = list(SPACE)
    coords = np.array([[SPACE[n].to_unit(c["params"][n]) for n in names] for c in data["curves"]])
    return coords, [c["errors"] for c in data["curves"]], [c["seconds"] for c in data["curves"]]


class _Replay:
    """A recorded curve played an epoch at a time; its checkpoint is the epoch reached."""

    CHECKPOINT = "replay.json"

    def __init__(self, params: Mapping[str, Any]) -> None:
        coords, self._errors, self._seconds = _table()
        point = np.array([SPACE[n].to_unit(params[n]) for n in SPACE])
        self.nearest = int(np.argmin(np.sum((coords - point) ** 2, axis=1)))
        self.epoch = 0

    def step(self) -> tuple[float, float]:
        i = self.epoch
        if i >= MAX_EPOCHS:
            raise IndexError(f"the recorded curves end at epoch {MAX_EPOCHS}")
        self.epoch += 1
        return self._errors[self.nearest][i], self._seconds[self.nearest][i]

    def save(self, directory: Path) -> None:
        (directory / self.CHECKPOINT).write_text(json.dumps({"epoch": self.epoch}))

    def load(self, directory: Path) -> None:
        path = directory / self.CHECKPOINT
        if path.exists():
            self.epoch = int(json.loads(path.read_text())["epoch"])


def _replay(params: Mapping[str, Any]) -> Callable[[], tuple[float, float]]:
    return _Replay(params).step


def _torch_run(params: Mapping[str, Any]) -> ResumableRun:
    from trimtab.benchmarks._torch_mlp import TorchMLPTraining

    return TorchMLPTraining(params)


def _torch_live(params: Mapping[str, Any]) -> Callable[[], tuple[float, float]]:
    return _torch_run(params).step


def recorded_best() -> float:
    """The lowest final validation error in the recorded table (NaN without a table)."""
    try:
        _, errors, _ = _table()
    except FileNotFoundError:
        return math.nan
    return min(e[-1] for e in errors)


def multifidelity_problems() -> list[MultiFidelityProblem]:
    best = recorded_best()
    return [
        MultiFidelityProblem(
            "mlp_digits",
            SPACE,
            MAX_EPOCHS,
            _live,
            best,
            "NumPy MLP on digits, validation error per epoch (real training)",
            MLPTraining,
        ),
        MultiFidelityProblem(
            "mlp_digits_surrogate",
            SPACE,
            MAX_EPOCHS,
            _replay,
            best,
            "recorded MLP-on-digits curves replayed (1-NN surrogate)",
            _Replay,
        ),
        MultiFidelityProblem(
            "torch_mlp_digits",
            SPACE,
            MAX_EPOCHS,
            _torch_live,
            best,
            "the same MLP in PyTorch, checkpointing model and optimizer (needs torch)",
            _torch_run,
        ),
    ]
