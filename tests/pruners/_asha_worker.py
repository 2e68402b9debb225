"""Run in a subprocess by test_processes: one ASHA worker on a shared SQLite study."""

import logging
import os
import sys
import time

import trimtab

logging.getLogger("trimtab").setLevel(logging.WARNING)
url, n_trials = sys.argv[1], int(sys.argv[2])
study = trimtab.create_study(
    study_name="asha",
    storage=url,
    load_if_exists=True,
    sampler=trimtab.samplers.RandomSampler(seed=7),
    pruner=trimtab.pruners.SuccessiveHalvingPruner(1, 3, max_resource=9),
)


def objective(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    trial.set_user_attr("pid", os.getpid())
    for step in range(1, 10):
        time.sleep(0.005)
        trial.report(x + 1 / step, step)
        if trial.should_prune():
            raise trimtab.TrialPruned()
    return x + 1 / 9


study.optimize(objective, n_trials=n_trials)
