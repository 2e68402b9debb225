"""trimtab's samplers on small conditional (define-by-run) spaces: best value after N trials.

Two objectives whose optimum is known: ``branches`` (a categorical switching a float on one
branch and an integer on the other; optimum 0) and ``nested`` (a model choice; an SVM's
kernel switching ``gamma`` or ``degree``; an MLP's integer ``layers`` switching ``units_1``
and ``units_2``; optimum 0.1). The suite's ``conditional`` problem is in ``benchmarks.run``.

    python -m benchmarks.conditional_spaces --seeds 10 --trials 50
"""

from __future__ import annotations

import argparse
import logging
import math
import statistics

import trimtab
from trimtab.samplers import BaseSampler, GPSampler, RandomSampler, TPESampler


def branches(trial: trimtab.Trial) -> float:
    kind = trial.suggest_categorical("kind", ["a", "b"])
    x = trial.suggest_float("x", -2, 2)
    if kind == "a":
        return x**2 + (trial.suggest_float("a_only", 0, 1) - 0.3) ** 2
    return 1 + x**2 + trial.suggest_int("b_only", 0, 3)


def nested(trial: trimtab.Trial) -> float:
    model = trial.suggest_categorical("model", ["svm", "mlp", "knn"])
    x = trial.suggest_float("x", 0, 1)
    if model == "svm":
        kernel = trial.suggest_categorical("kernel", ["linear", "rbf", "poly"])
        if kernel == "rbf":
            gamma = trial.suggest_float("gamma", 1e-4, 1, log=True)
            return 0.3 + (x - 0.2) ** 2 + math.log10(gamma / 0.003) ** 2 / 10
        if kernel == "poly":
            return 0.4 + (x - 0.2) ** 2 + abs(trial.suggest_int("degree", 2, 5) - 3) / 10
        return 0.8 + x
    if model == "knn":
        return 0.5 + abs(trial.suggest_int("k", 1, 50) - 17) / 50 + (x - 0.7) ** 2
    layers = trial.suggest_int("layers", 1, 3)
    units = [trial.suggest_int(f"units_{i}", 8, 256, log=True) for i in range(layers)]
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    return (
        0.1
        + (math.log10(lr) + 2.5) ** 2 / 5
        + sum((math.log2(u) - 6) ** 2 for u in units) / 20
        + 0.05 * (layers - 2) ** 2
        + (x - 0.5) ** 2
    )


def samplers(seed: int) -> dict[str, BaseSampler]:
    return {
        "trimtab.gp": GPSampler(seed=seed),
        # what the default used on conditional spaces until af8a819
        "trimtab.tpe_group": TPESampler(group=True, constant_liar=True, seed=seed),
        "trimtab.random": RandomSampler(seed=seed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=50)
    args = parser.parse_args()
    logging.getLogger("trimtab").setLevel(logging.WARNING)
    print(f"median best value over {args.seeds} seeds after {args.trials} trials")
    for objective in (branches, nested):
        best: dict[str, list[float]] = {}
        for seed in range(args.seeds):
            for name, sampler in samplers(seed).items():
                study = trimtab.create_study(sampler=sampler)
                study.optimize(objective, n_trials=args.trials)
                best.setdefault(name, []).append(study.best_value)
        cells = ", ".join(f"{k} {statistics.median(v):.3g}" for k, v in best.items())
        print(f"{objective.__name__}: {cells}", flush=True)


if __name__ == "__main__":
    main()
