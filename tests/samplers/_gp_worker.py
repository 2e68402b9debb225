"""Run in a subprocess by test_gp: one GP worker on a shared SQLite study."""

import logging
import sys

import trimtab

logging.getLogger("trimtab").setLevel(logging.WARNING)
study = trimtab.load_study(
    study_name="gp",
    storage=sys.argv[1],
    sampler=trimtab.samplers.GPSampler(n_startup_trials=5),
)
study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=12)
