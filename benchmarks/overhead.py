"""Framework overhead per trial: trimtab against Optuna, side by side in one run.

The objective is trivial (one float and one integer parameter, RandomSampler), so nearly all
the time is the framework's: asking, sampling, storing and telling. Each measurement runs in
a fresh process; trimtab and Optuna alternate (A B A B ...) so drifts of this noisy machine hit
both alike. Reported: median seconds per trial outside the objective, over the repeats, and
the ratio Optuna / trimtab (higher is better for trimtab).

    python -m benchmarks.overhead                        # memory and SQLite, 1,000 and 10,000
    python -m benchmarks.overhead --trials 1000 --repeats 5 --storages memory
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _one(framework: str, storage: str, n_trials: int) -> dict[str, float]:
    """Run one measurement in this process and return its timings."""
    import logging

    def objective(trial):  # type: ignore[no-untyped-def]
        # The objective is trivial, so its whole cost (including suggest_*) is framework work.
        x = trial.suggest_float("x", -1.0, 1.0)
        y = trial.suggest_int("y", 0, 10)
        return x * x + y

    with tempfile.TemporaryDirectory() as tmp:
        url = None if storage == "memory" else f"sqlite:///{tmp}/bench.db"
        if framework == "trimtab":
            import trimtab

            logging.getLogger("trimtab").setLevel(logging.WARNING)
            study = trimtab.create_study(
                storage=url, sampler=trimtab.samplers.RandomSampler(seed=0)
            )
        else:
            import optuna

            optuna.logging.set_verbosity(optuna.logging.WARNING)
            study = optuna.create_study(storage=url, sampler=optuna.samplers.RandomSampler(seed=0))
        start = time.perf_counter()
        study.optimize(objective, n_trials=n_trials)
        wall = time.perf_counter() - start
        assert len(study.trials) == n_trials
    return {"wall": wall, "per_trial": wall / n_trials}


def _measure(framework: str, storage: str, n_trials: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.overhead", "--one", framework, storage, str(n_trials)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("trimtab", "optuna", "sqlalchemy"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--one", nargs=3, metavar=("FRAMEWORK", "STORAGE", "N"))
    parser.add_argument("--trials", default="1000,10000")
    parser.add_argument("--storages", default="memory,sqlite")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="also write raw results here")
    args = parser.parse_args()
    if args.one:
        fw, storage, n = args.one
        print(json.dumps(_one(fw, storage, int(n))))
        return

    try:
        import optuna  # noqa: F401
    except ImportError:
        sys.exit('Optuna is not installed: pip install -e ".[bench]"')
    results = []
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"# versions: {_versions()}")
    print(f"# command: python -m benchmarks.overhead {' '.join(sys.argv[1:])}".rstrip())
    print()
    print("| storage | trials | trimtab ms/trial | Optuna ms/trial | Optuna / trimtab |")
    print("|---|---:|---:|---:|---:|")
    for storage in args.storages.split(","):
        for n in (int(x) for x in args.trials.split(",")):
            ours, theirs, ratios = [], [], []
            for _ in range(args.repeats):
                a = _measure("trimtab", storage, n)["per_trial"]
                b = _measure("optuna", storage, n)["per_trial"]
                ours.append(a)
                theirs.append(b)
                ratios.append(b / a)
            row = {
                "storage": storage,
                "trials": n,
                "trimtab": statistics.median(ours),
                "optuna": statistics.median(theirs),
                "ratio_median": statistics.median(ratios),
                "ratio_min": min(ratios),
                "ratio_max": max(ratios),
                "repeats": args.repeats,
            }
            results.append(row)
            print(
                f"| {storage} | {n:,} | {row['trimtab'] * 1e3:.3f} | {row['optuna'] * 1e3:.3f} "
                f"| {row['ratio_median']:.1f}x (min {row['ratio_min']:.1f}, "
                f"max {row['ratio_max']:.1f}) |",
                flush=True,
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"versions": _versions(), "rows": results}, indent=2))


if __name__ == "__main__":
    main()
