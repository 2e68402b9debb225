"""Model-based samplers with several local workers: does the sampler's own maths scale?

With a cheap objective, a GP sampler's fit and acquisition search are most of each trial's
cost, and they run on NumPy's BLAS. Each worker process's BLAS starts one thread per core by
default, so ``n`` workers put ``n`` spinning threads on every core. trimtab now gives each of
its ``n_jobs`` workers ``cores // n`` threads unless the user set the thread variables
(``trimtab/execution/_threads.py``). This script times, for 1, 2 and 4 workers, 100 trials
of a 5-d sphere with a seeded GP sampler:

- ``trimtab.gp``: ``GPSampler``, ``optimize(n_jobs=k)``, thread variables unset (the new
  default: each worker gets its share);
- ``trimtab.gp.all_threads``: the same with every thread variable set to the number of
  cores, which is what each worker had before the change;
- ``optuna.gp``: Optuna's ``GPSampler`` with ``optimize(n_jobs=k)`` (threads in one process).

Each configuration runs in a fresh interpreter (so the environment takes effect before NumPy
loads); methods alternate within each repeat; the table gives the median wall time and its
ratio to the same method's 1-worker time.

    python -m benchmarks.parallel_sampler --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from trimtab.execution._threads import THREAD_VARIABLES

METHODS = ["trimtab.gp", "trimtab.gp.all_threads", "optuna.gp"]
TRIALS = 100


def sphere(trial: object) -> float:
    return sum((trial.suggest_float(f"x{i}", -5, 5) - 1) ** 2 for i in range(5))  # type: ignore[attr-defined]


def _child(method: str, workers: int) -> None:
    """Run one configuration in this (fresh) process and print its wall time as JSON."""
    if method.startswith("trimtab"):
        import trimtab

        study = trimtab.create_study(sampler=trimtab.samplers.GPSampler(seed=0))
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))
    t0 = time.perf_counter()
    study.optimize(sphere, n_trials=TRIALS, n_jobs=workers)
    wall = time.perf_counter() - t0
    print(json.dumps({"wall": wall, "best": study.best_value}))


def run_one(method: str, workers: int) -> float:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    if method.endswith("all_threads"):
        env.update(dict.fromkeys(THREAD_VARIABLES, str(os.cpu_count() or 1)))
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.parallel_sampler", "--child", method, str(workers)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["wall"])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--child", nargs=2, metavar=("METHOD", "WORKERS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    walls: dict[tuple[str, int], list[float]] = {}
    for _ in range(args.repeats):
        for k in args.workers:
            for m in args.methods:
                walls.setdefault((m, k), []).append(run_one(m, k))
    print(f"{TRIALS} trials of a 5-d sphere, {os.cpu_count()} CPUs, median of {args.repeats}")
    print("| method | " + " | ".join(f"{k} worker(s), s" for k in args.workers) + " |")
    print("|---|" + "---:|" * len(args.workers))
    for m in args.methods:
        base = statistics.median(walls[(m, args.workers[0])])
        cells = []
        for k in args.workers:
            med = statistics.median(walls[(m, k)])
            cells.append(f"{med:.1f}" + ("" if k == args.workers[0] else f" ({med / base:.2f}x)"))
        print(f"| {m} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
