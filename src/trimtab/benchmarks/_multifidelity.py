"""Multi-fidelity problems: learning curves that can be stopped early.

``mlp_digits`` trains the NumPy MLP of ``_mlp`` for real, an epoch at a time.
``mlp_digits_surrogate`` replays learning curves recorded once from the same training (with
each epoch's measured cost in seconds), answering a configuration with the curve of the
nearest recorded one in the unit-cube encoding of the space: a 1-nearest-neighbour surrogate
in the sense of Eggensperger et al., "Efficient Benchmarking of Hyperparameter Optimizers via
Surrogates" (AAAI 2015). It lets asynchronous methods be compared in simulated wall-clock
time in seconds instead of hours.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trimtab.benchmarks._mlp import MAX_EPOCHS, SPACE, MLPTraining
from trimtab.benchmarks._problem import SuggestsParameters, suggest
from trimtab.distributions import BaseDistribution
from trimtab.exceptions import TrialPruned

CURVES = Path(__file__).with_name("data") / "mlp_digits_curves.json.gz"


@dataclass(frozen=True)
class MultiFidelityProblem:
    """A learning-curve problem: ``curve(params)`` gives the error after each epoch."""

    name: str
    space: Mapping[str, BaseDistribution]
    max_epochs: int
    start: Callable[[Mapping[str, Any]], Callable[[], tuple[float, float]]]
    optimum: float
    description: str = ""

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
        ``epoch_seconds``."""
        t: SuggestsParameters = trial
        params = {name: suggest(t, name, dist) for name, dist in self.space.items()}
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


def _live(params: Mapping[str, Any], seed: int = 0) -> Callable[[], tuple[float, float]]:
    import time

    run = MLPTraining(params, seed)

    def step() -> tuple[float, float]:
        t0 = time.perf_counter()
        error = run.train_epoch()
        return error, time.perf_counter() - t0

    return step


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


def _replay(params: Mapping[str, Any]) -> Callable[[], tuple[float, float]]:
    coords, errors, seconds = _table()
    point = np.array([SPACE[n].to_unit(params[n]) for n in SPACE])
    nearest = int(np.argmin(np.sum((coords - point) ** 2, axis=1)))
    epoch = iter(range(MAX_EPOCHS))

    def step() -> tuple[float, float]:
        i = next(epoch)
        return errors[nearest][i], seconds[nearest][i]

    return step


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
        ),
        MultiFidelityProblem(
            "mlp_digits_surrogate",
            SPACE,
            MAX_EPOCHS,
            _replay,
            best,
            "recorded MLP-on-digits curves replayed (1-NN surrogate)",
        ),
    ]
