"""Run in a subprocess by test_grid: one worker draining a shared grid study."""

import logging
import os
import sys
import time

import trimtab

logging.getLogger("trimtab").setLevel(logging.WARNING)
url = sys.argv[1]
sampler = trimtab.samplers.GridSampler({"a": list(range(6)), "b": ["x", "y", "z", "w"]})
study = trimtab.create_study(study_name="grid", storage=url, sampler=sampler, load_if_exists=True)


def objective(trial: trimtab.Trial) -> float:
    a = trial.suggest_int("a", 0, 5)
    trial.suggest_categorical("b", ["x", "y", "z", "w"])
    trial.set_user_attr("pid", os.getpid())
    time.sleep(0.05)
    return float(a)


study.optimize(objective)  # no n_trials: runs until the grid is exhausted
