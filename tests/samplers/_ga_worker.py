"""Run in a subprocess by test_genetic and test_nsga2: one worker on a shared SQLite study."""

import logging
import sys

import trimtab

logging.getLogger("trimtab").setLevel(logging.WARNING)
url, kind = sys.argv[1], sys.argv[2]
if kind == "ga":
    sampler = trimtab.samplers.GeneticSampler(population_size=6)
    study = trimtab.load_study(study_name="ga", storage=url, sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=20)
else:
    sampler = trimtab.samplers.NSGAIISampler(population_size=6)
    study = trimtab.load_study(study_name="nsga2", storage=url, sampler=sampler)

    def objective(t: trimtab.Trial) -> tuple[float, float]:
        x = t.suggest_float("x", 0, 1)
        return x, (1 - x) ** 2

    study.optimize(objective, n_trials=20)
