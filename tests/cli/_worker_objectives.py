"""Objectives that ``trimtab worker`` processes run in test_worker (``--objective
tests.cli._worker_objectives:NAME``); settings come from TT_* environment variables."""

from __future__ import annotations

import os
import time
from pathlib import Path

import trimtab


def _pause() -> None:
    time.sleep(float(os.environ.get("TT_SLEEP", "0.05")))


def quick(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    trial.set_user_attr("pid", os.getpid())
    _pause()
    return x


def grid(trial: trimtab.Trial) -> float:
    x = trial.suggest_int("x", 0, 11)
    trial.set_user_attr("pid", os.getpid())
    _pause()
    return float(x)


def hangs_once(trial: trimtab.Trial) -> float:
    """Trial TT_HANG_AT writes its process id to TT_MARKER and hangs (to be killed)."""
    x = trial.suggest_float("x", 0, 1)
    trial.set_user_attr("pid", os.getpid())
    if trial.number == int(os.environ["TT_HANG_AT"]):
        Path(os.environ["TT_MARKER"]).write_text(str(os.getpid()))
        time.sleep(600)
    _pause()
    return x
