"""Multi-fidelity problem: a multilayer perceptron trained epoch by epoch on digits.

The network (ReLU hidden layers with inverted dropout, softmax output) is trained with
mini-batch SGD with classical momentum (Polyak, 1964) and He initialisation (He et al., 2015)
on a fixed stratified 70/30 split of scikit-learn's digits; after every epoch the validation
error (1 - accuracy) is reported. Epochs are the fidelity. NumPy only, deterministic for a
given ``seed``.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from trimtab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

MAX_EPOCHS = 27  # rungs 1, 3, 9, 27 for reduction factor 3

SPACE: dict[str, BaseDistribution] = {
    "lr": FloatDistribution(1e-3, 1.0, log=True),
    "batch_size": CategoricalDistribution([16, 32, 64, 128]),
    "momentum": FloatDistribution(0.0, 0.99),
    "width": IntDistribution(16, 256, log=True),
    "depth": IntDistribution(1, 3),
    "dropout": FloatDistribution(0.0, 0.5),
}


@functools.cache
def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_val, y_val): a fixed stratified 70/30 split, pixels in [0, 1]."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(
            'the MLP benchmark loads digits from scikit-learn: pip install "trimtab[sklearn]"'
        ) from None
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    rng = np.random.default_rng(0)
    train: list[int] = []
    val: list[int] = []
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        cut = round(0.7 * len(idx))
        train.extend(idx[:cut])
        val.extend(idx[cut:])
    tr, va = np.array(sorted(train)), np.array(sorted(val))
    return x[tr], y[tr], x[va], y[va]


class MLPTraining:
    """One configuration's training run, advanced an epoch at a time (so it can be paused,
    checkpointed with ``state``/``load_state``, and resumed)."""

    def __init__(self, params: Mapping[str, Any], seed: int = 0) -> None:
        self.params = dict(params)
        self.rng = np.random.default_rng(seed)
        x, _, _, _ = digits_split()
        sizes = [x.shape[1]] + [int(params["width"])] * int(params["depth"]) + [10]
        self.weights = [
            self.rng.normal(0, np.sqrt(2.0 / a), (a, b)) for a, b in itertools.pairwise(sizes)
        ]
        self.biases = [np.zeros(b) for b in sizes[1:]]
        self.velocity = [np.zeros_like(w) for w in self.weights] + [
            np.zeros_like(b) for b in self.biases
        ]
        self.epoch = 0

    def _forward(self, x: np.ndarray, train: bool) -> tuple[list[np.ndarray], list[Any]]:
        acts, masks = [x], []
        keep = 1.0 - float(self.params["dropout"])
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = acts[-1] @ w + b
            if i == len(self.weights) - 1:
                acts.append(z)
                break
            h = np.maximum(z, 0.0)
            mask = None
            if train and keep < 1.0:
                mask = (self.rng.random(h.shape) < keep) / keep
                h = h * mask
            masks.append(mask)
            acts.append(h)
        return acts, masks

    def train_epoch(self) -> float:
        """Train one more epoch; return the validation error after it."""
        x, y, _xv, _yv = digits_split()
        lr, mom = float(self.params["lr"]), float(self.params["momentum"])
        batch = int(self.params["batch_size"])
        order = self.rng.permutation(len(x))
        n_layers = len(self.weights)
        for start in range(0, len(x), batch):
            idx = order[start : start + batch]
            acts, masks = self._forward(x[idx], train=True)
            logits = acts[-1] - acts[-1].max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            probs[np.arange(len(idx)), y[idx]] -= 1.0
            delta = probs / len(idx)
            grads_w: list[np.ndarray] = [np.empty(0)] * n_layers
            grads_b: list[np.ndarray] = [np.empty(0)] * n_layers
            for i in range(n_layers - 1, -1, -1):
                grads_w[i] = acts[i].T @ delta
                grads_b[i] = delta.sum(axis=0)
                if i > 0:
                    delta = (delta @ self.weights[i].T) * (acts[i] > 0)
                    if masks[i - 1] is not None:
                        delta = delta * masks[i - 1]
            params = self.weights + self.biases
            for j, g in enumerate(grads_w + grads_b):
                self.velocity[j] = mom * self.velocity[j] - lr * g
                params[j] += self.velocity[j]
            if not all(np.isfinite(w).all() for w in self.weights):
                break  # diverged: the error below says so
        self.epoch += 1
        return self.validation_error()

    def validation_error(self) -> float:
        _, _, xv, yv = digits_split()
        logits = self._forward(xv, train=False)[0][-1]
        if not np.isfinite(logits).all():
            return 1.0
        return float(1.0 - np.mean(np.argmax(logits, axis=1) == yv))

    def state(self) -> dict[str, Any]:
        """Everything needed to resume (arrays as nested lists, JSON-serialisable)."""
        return {
            "epoch": self.epoch,
            "weights": [w.tolist() for w in self.weights],
            "biases": [b.tolist() for b in self.biases],
            "velocity": [v.tolist() for v in self.velocity],
            "rng": self.rng.bit_generator.state,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        self.epoch = int(state["epoch"])
        self.weights = [np.array(w) for w in state["weights"]]
        self.biases = [np.array(b) for b in state["biases"]]
        self.velocity = [np.array(v) for v in state["velocity"]]
        self.rng.bit_generator.state = state["rng"]

    # ---- the resumable-run protocol of ``_multifidelity`` (JSON checkpoints, no pickles) ----

    CHECKPOINT = "mlp.json"

    def step(self) -> tuple[float, float]:
        """Train one more epoch: the validation error after it, and the seconds it took."""
        t0 = time.perf_counter()
        error = self.train_epoch()
        return error, time.perf_counter() - t0

    def save(self, directory: Path) -> None:
        """Write ``state()`` to ``directory / "mlp.json"`` (atomically: a crash mid-write
        leaves the previous checkpoint)."""
        tmp = directory / f"{self.CHECKPOINT}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(self.state()), encoding="utf-8")
        os.replace(tmp, directory / self.CHECKPOINT)

    def load(self, directory: Path) -> None:
        """Resume from ``directory``'s checkpoint, if there is one."""
        path = directory / self.CHECKPOINT
        if path.exists():
            self.load_state(json.loads(path.read_text(encoding="utf-8")))


def learning_curve(
    params: Mapping[str, Any], epochs: int = MAX_EPOCHS, seed: int = 0
) -> tuple[list[float], list[float]]:
    """Validation error after each epoch, and the seconds each epoch took."""
    run = MLPTraining(params, seed)
    errors, seconds = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        errors.append(run.train_epoch())
        seconds.append(time.perf_counter() - t0)
    return errors, seconds
