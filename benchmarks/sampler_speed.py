"""Sampler time per trial as the history grows: trimtab's samplers against Optuna's.

An ask/tell loop on a cheap 10-parameter objective (8 floats, one integer, one categorical);
the time of ask + suggests + tell is recorded for every trial, and the median over the ten
trials before each checkpoint is reported. Each method runs in its own process, alternating.

    python -m benchmarks.sampler_speed --trials 1000 --checkpoints 250,500,1000
    python -m benchmarks.sampler_speed --trials 300 --checkpoints 100,200,300 \
        --methods trimtab.gp,optuna.gp
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

METHODS = (
    "trimtab.tpe",
    "optuna.tpe",
    "trimtab.cmaes",
    "optuna.cmaes",
    "trimtab.ga",
    "trimtab.nsga2",
    "optuna.nsga2",
    "trimtab.random",
    "optuna.random",
    "trimtab.gp",
    "trimtab.gp_warped",
    "trimtab.gp_nowarp",
    "optuna.gp",
)


def _space(trial: Any) -> float:
    xs = [trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(8)]
    n = trial.suggest_int("n", 1, 100, log=True)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return sum((x - 1) ** 2 for x in xs) + n / 100 + (c != "b")


def _one(method: str, n_trials: int) -> list[float]:
    framework, kind = method.split(".")
    if method not in METHODS:
        raise SystemExit(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    if framework == "trimtab":
        import trimtab

        logging.getLogger("trimtab").setLevel(logging.WARNING)
        ours = {
            "tpe": trimtab.samplers.TPESampler,
            "cmaes": trimtab.samplers.CMAESSampler,
            "ga": trimtab.samplers.GeneticSampler,
            "nsga2": trimtab.samplers.NSGAIISampler,
            "random": trimtab.samplers.RandomSampler,
            "gp": trimtab.samplers.GPSampler,
        }
        if kind in ("gp_warped", "gp_nowarp"):  # every numeric input warped / none
            warping = kind == "gp_warped"
            sampler_: Any = trimtab.samplers.GPSampler(seed=0, input_warping=warping)
        else:
            sampler_ = ours[kind](seed=0)
        study: Any = trimtab.create_study(sampler=sampler_)
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        if kind == "cmaes":
            sampler = optuna.samplers.CmaEsSampler(seed=0, warn_independent_sampling=False)
        elif kind == "gp":
            sampler = optuna.samplers.GPSampler(seed=0)
        else:
            theirs = {
                "tpe": optuna.samplers.TPESampler,
                "nsga2": optuna.samplers.NSGAIISampler,
                "random": optuna.samplers.RandomSampler,
            }
            sampler = theirs[kind](seed=0)
        study = optuna.create_study(sampler=sampler)
    times = []
    for _ in range(n_trials):
        t0 = time.perf_counter()
        trial = study.ask()
        value = _space(trial)
        study.tell(trial, value)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "N"))
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--checkpoints", default="250,500,1000")
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one[0], int(args.one[1]))))
        return
    checkpoints = [int(c) for c in args.checkpoints.split(",")]
    print(f"# command: python -m benchmarks.sampler_speed {' '.join(sys.argv[1:])}".rstrip())
    print("| method | " + " | ".join(f"ms/trial at {c}" for c in checkpoints) + " |")
    print("|---|" + "---:|" * len(checkpoints))
    for method in args.methods.split(","):
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.sampler_speed", "--one", method, str(args.trials)],
            check=True,
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        ).stdout
        times = json.loads(out.strip().splitlines()[-1])
        cells = [f"{statistics.median(times[c - 10 : c]) * 1e3:.2f}" for c in checkpoints]
        print(f"| {method} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
