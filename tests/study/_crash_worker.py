"""Run in a subprocess by test_kill_resume: optimizes until killed at trial 5."""

import logging
import sys
import time
from pathlib import Path

import trimtab

logging.getLogger("trimtab").setLevel(logging.WARNING)
url, marker = sys.argv[1], Path(sys.argv[2])
study = trimtab.create_study(
    study_name="crash",
    storage=url,
    load_if_exists=True,
    sampler=trimtab.samplers.RandomSampler(seed=0),
)


def objective(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    trial.report(x, 0)
    if trial.number == 5:
        marker.write_text("running")
        time.sleep(600)  # killed here
    return x * x


study.optimize(objective, n_trials=100)
