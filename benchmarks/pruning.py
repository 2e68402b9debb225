"""Pruners on a fixed sequence of random configurations: epochs saved against the best kept.

On the replayed MLP-on-digits surrogate (``mlp_digits_surrogate``, 27 epochs), random search
with the same seed proposes the same configurations whatever the pruner (its draws depend on
the seed and the trial number only), so the pruners see the same curves in the same order.
For each pruner and seed: the epochs trained in total, the best final (epoch-27) error among
the trials that ran to the end, and whether that is the best the unpruned run found.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python -m benchmarks.pruning --seeds 10 --trials 100
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable

import trimtab
from trimtab.benchmarks import get_multifidelity_problem
from trimtab.pruners import (
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
)
from trimtab.samplers import RandomSampler

PRUNERS: dict[str, Callable[[], BasePruner]] = {
    "no pruning": NopPruner,
    "MedianPruner()": MedianPruner,
    "MedianPruner(n_warmup_steps=5)": lambda: MedianPruner(n_warmup_steps=5),
    "PercentilePruner(75)": lambda: PercentilePruner(75.0),
    "PercentilePruner(90)": lambda: PercentilePruner(90.0),
    "SuccessiveHalvingPruner(1, 3, max_resource=27)": lambda: SuccessiveHalvingPruner(
        1, 3, max_resource=27
    ),
    "SuccessiveHalvingPruner(1, 2, max_resource=27)": lambda: SuccessiveHalvingPruner(
        1, 2, max_resource=27
    ),
    "SuccessiveHalvingPruner(3, 3, max_resource=27)": lambda: SuccessiveHalvingPruner(
        3, 3, max_resource=27
    ),
    "HyperbandPruner(1, 27, 3)": lambda: HyperbandPruner(1, 27, 3),
}


def run(name: str, seed: int, n_trials: int) -> tuple[int, float, float]:
    """Epochs trained, best final error, seconds spent in the study (pruner included)."""
    problem = get_multifidelity_problem("mlp_digits_surrogate")
    study = trimtab.create_study(sampler=RandomSampler(seed=seed), pruner=PRUNERS[name]())
    t0 = time.perf_counter()
    study.optimize(problem.objective, n_trials=n_trials)
    seconds = time.perf_counter() - t0
    epochs = sum(t.last_step or 0 for t in study.trials)
    return epochs, study.best_value, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=100)
    args = parser.parse_args()
    logging.getLogger("trimtab").setLevel(logging.WARNING)
    results = {
        name: [run(name, seed, args.trials) for seed in range(args.seeds)] for name in PRUNERS
    }
    oracle = [best for _, best, _ in results["no pruning"]]
    full = args.trials * 27
    print(f"{args.seeds} seeds x {args.trials} random configurations (seeds 0..{args.seeds - 1})")
    print()
    print(
        "| pruner | epochs trained (mean, % of full) | best final error (mean) "
        "| seeds that kept the unpruned best | s per run |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, rows in results.items():
        epochs = statistics.mean(e for e, _, _ in rows)
        best = statistics.mean(b for _, b, _ in rows)
        kept = sum(b <= o for (_, b, _), o in zip(rows, oracle, strict=True))
        secs = statistics.mean(s for _, _, s in rows)
        print(
            f"| {name} | {epochs:.0f} ({100 * epochs / full:.0f}%) | {best:.4f} "
            f"| {kept}/{args.seeds} | {secs:.1f} |"
        )


if __name__ == "__main__":
    main()
