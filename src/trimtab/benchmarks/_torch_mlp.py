"""The MLP-on-digits problem in PyTorch, checkpointing model and optimizer to resume.

The same network and training as ``_mlp`` (ReLU hidden layers with dropout, softmax output,
He initialisation, mini-batch SGD with momentum, He et al. 2015; Polyak 1964) on the same
fixed 70/30 split of digits, written as a PyTorch user would: ``nn.Sequential``,
``torch.optim.SGD``, and a checkpoint of ``model.state_dict()``, ``optimizer.state_dict()``,
the epoch and the random number generator's state, saved with ``torch.save`` and loaded with
``torch.load(weights_only=True)`` (tensors and plain containers only: loading runs no code).

torch is imported when a run is built: ``pip install "trimtab[torch]"``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trimtab.benchmarks._mlp import digits_split

CHECKPOINT = "torch_mlp.pt"


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            'the PyTorch MLP problem needs torch: pip install "trimtab[torch]"'
        ) from None
    return torch


class TorchMLPTraining:
    """One configuration's training run in PyTorch, an epoch at a time, resumable from a
    checkpoint directory (``save``/``load``)."""

    def __init__(self, params: Mapping[str, Any], seed: int = 0) -> None:
        torch = _torch()
        nn = torch.nn
        self.params = dict(params)
        self.torch = torch
        self.generator = torch.Generator().manual_seed(seed)
        x, y, xv, yv = digits_split()
        self.x = torch.tensor(x, dtype=torch.float32)
        self.y = torch.tensor(y, dtype=torch.long)
        self.xv = torch.tensor(xv, dtype=torch.float32)
        self.yv = torch.tensor(yv, dtype=torch.long)
        width, depth = int(params["width"]), int(params["depth"])
        layers: list[Any] = []
        fan_in = self.x.shape[1]
        for _ in range(depth):
            layers += [nn.Linear(fan_in, width), nn.ReLU(), nn.Dropout(float(params["dropout"]))]
            fan_in = width
        layers.append(nn.Linear(fan_in, 10))
        self.model = nn.Sequential(*layers)
        with torch.no_grad():
            for m in self.model:
                if isinstance(m, nn.Linear):
                    std = (2.0 / m.in_features) ** 0.5
                    m.weight.copy_(torch.randn(m.weight.shape, generator=self.generator) * std)
                    m.bias.zero_()
        self.optimizer = torch.optim.SGD(
            self.model.parameters(), lr=float(params["lr"]), momentum=float(params["momentum"])
        )
        self.epoch = 0

    def step(self) -> tuple[float, float]:
        """Train one more epoch: the validation error after it, and the seconds it took."""
        torch = self.torch
        t0 = time.perf_counter()
        batch = int(self.params["batch_size"])
        order = torch.randperm(len(self.x), generator=self.generator)
        self.model.train()
        # dropout draws from torch's global generator: seed it from ours, so a resumed run
        # draws the same masks as one that never stopped
        torch.manual_seed(int(torch.randint(0, 2**62, (1,), generator=self.generator)))
        for start in range(0, len(self.x), batch):
            idx = order[start : start + batch]
            self.optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(self.model(self.x[idx]), self.y[idx])
            loss.backward()
            self.optimizer.step()
        self.epoch += 1
        return self.validation_error(), time.perf_counter() - t0

    def validation_error(self) -> float:
        torch = self.torch
        self.model.eval()
        with torch.no_grad():
            logits = self.model(self.xv)
        if not torch.isfinite(logits).all():
            return 1.0
        return float(1.0 - (logits.argmax(dim=1) == self.yv).float().mean())

    def save(self, directory: Path) -> None:
        """Model, optimizer, epoch and generator state to ``directory / "torch_mlp.pt"``
        (written to a temporary file first, so a crash leaves the previous checkpoint)."""
        state = {
            "epoch": self.epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(),
        }
        tmp = directory / f"{CHECKPOINT}.{os.getpid()}.tmp"
        self.torch.save(state, tmp)
        os.replace(tmp, directory / CHECKPOINT)

    def load(self, directory: Path) -> None:
        """Resume from ``directory``'s checkpoint, if there is one."""
        path = directory / CHECKPOINT
        if not path.exists():
            return
        state = self.torch.load(path, weights_only=True)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        self.epoch = int(state["epoch"])
