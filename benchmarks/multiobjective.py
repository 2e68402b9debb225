"""Two objectives: hypervolume reached by trimtab's NSGA-II against its peers, side by side.

Every method runs on every problem of ``trimtab.benchmarks.multiobjective_problems()`` (ZDT1,
ZDT2, ZDT3 with 10 variables, DTLZ2 with 11) with the same budget and seeds, in worker
processes with one BLAS thread each. The measure is the hypervolume regret (the Pareto
front's hypervolume minus that of every point found so far, reference point (1.1, 1.1)),
median and interquartile range over the seeds, at each checkpoint; the mean rank orders the
methods per problem by median regret.

    python -m benchmarks.multiobjective          # 10 seeds, 1,000 trials, checkpoints 300, 1,000
    python -m benchmarks.multiobjective --methods trimtab.nsga2,optuna.tpe --budget 300

Methods (default: the first, third, fourth and sixth): trimtab ``NSGAIISampler``
(``trimtab.nsga2``), trimtab's default ``AutoSampler`` (``trimtab.auto``, which is NSGA-II for
several objectives), ``RandomSampler`` (``trimtab.random``); Optuna's ``NSGAIISampler``, its
multi-objective ``TPESampler`` (MOTPE; seconds per trial after a few hundred trials, so not
in the default run) and ``RandomSampler``. Both NSGA-II use their default population of 50.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.methods import MethodUnavailable, versions
from benchmarks.run import tied_ranks
from trimtab.benchmarks import get_multiobjective_problem, multiobjective_problems

Runner = Callable[[Any, int, int], list[tuple[float, float]]]


def _trimtab(make: Callable[[Any, int], Any]) -> Runner:
    def run(problem: Any, budget: int, seed: int) -> list[tuple[float, float]]:
        import trimtab

        logging.getLogger("trimtab").setLevel(logging.WARNING)
        study = trimtab.create_study(
            directions=["minimize", "minimize"], sampler=make(trimtab.samplers, seed)
        )
        study.optimize(problem.objective, n_trials=budget, catch=())
        return [tuple(t.values) for t in study.trials]  # type: ignore[misc]

    return run


def _optuna(make: Callable[[Any, int], Any]) -> Runner:
    def run(problem: Any, budget: int, seed: int) -> list[tuple[float, float]]:
        try:
            import optuna
        except ImportError as exc:
            raise MethodUnavailable(f"optuna: {exc}") from None
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        study = optuna.create_study(
            directions=["minimize", "minimize"], sampler=make(optuna.samplers, seed)
        )
        study.optimize(problem.objective, n_trials=budget, catch=())
        return [tuple(t.values) for t in study.trials]  # type: ignore[misc]

    return run


METHODS: dict[str, Runner] = {
    "trimtab.nsga2": _trimtab(lambda s, seed: s.NSGAIISampler(seed=seed)),
    "trimtab.auto": _trimtab(lambda s, seed: s.AutoSampler(seed=seed)),
    "trimtab.random": _trimtab(lambda s, seed: s.RandomSampler(seed=seed)),
    "optuna.nsga2": _optuna(lambda s, seed: s.NSGAIISampler(seed=seed)),
    "optuna.tpe": _optuna(lambda s, seed: s.TPESampler(seed=seed)),
    "optuna.random": _optuna(lambda s, seed: s.RandomSampler(seed=seed)),
}
DEFAULT_METHODS = ("trimtab.nsga2", "trimtab.random", "optuna.nsga2", "optuna.random")


def run_one(problem_name: str, method: str, budget: int, seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {"problem": problem_name, "method": method, "seed": seed}
    start = time.perf_counter()
    try:
        values = METHODS[method](get_multiobjective_problem(problem_name), budget, seed)
    except MethodUnavailable as exc:
        return {**out, "unavailable": str(exc)}
    return {**out, "values": values, "wall": time.perf_counter() - start}


def regret_at(result: dict[str, Any], trials: int) -> float:
    problem = get_multiobjective_problem(result["problem"])
    return problem.hypervolume_regret(result["values"][:trials])


def report(
    results: list[dict[str, Any]], methods: list[str], problems: list[str], meta: dict[str, Any]
) -> str:
    lines = [
        "# Multi-objective benchmark",
        "",
        f"Command: `{meta['command']}`  ",
        f"Versions: {meta['versions']}  ",
        f"Budget {meta['budget']} trials, seeds {meta['seeds']}, {meta['elapsed']:.0f} s.",
        "",
    ]
    missing = sorted({f"{r['method']} ({r['unavailable']})" for r in results if "unavailable" in r})
    if missing:
        lines += ["Not installed here: " + "; ".join(missing), ""]
    ranks: dict[int, dict[str, list[float]]] = {}
    for trials in meta["checkpoints"]:
        lines += [
            f"## Hypervolume regret after {trials} trials: median [IQR] over seeds",
            "",
            "| problem | " + " | ".join(methods) + " |",
            "|---|" + "---:|" * len(methods),
        ]
        ranks[trials] = {m: [] for m in methods}
        for p in problems:
            medians: dict[str, float] = {}
            row = [p]
            for m in methods:
                regrets = [
                    regret_at(r, trials)
                    for r in results
                    if r["problem"] == p and r["method"] == m and "values" in r
                ]
                if not regrets:
                    row.append("n/a")
                    continue
                q = (
                    statistics.quantiles(regrets, n=4, method="inclusive")
                    if len(regrets) > 1
                    else regrets * 3
                )
                medians[m] = statistics.median(regrets)
                row.append(f"{medians[m]:.4f} [{q[0]:.4f}, {q[2]:.4f}]")
            for m, rank in tied_ranks(medians).items():
                ranks[trials][m].append(rank)
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    lines += [
        "## Mean rank across problems (1 is best)",
        "",
        "| method | " + " | ".join(f"at {t}" for t in meta["checkpoints"]) + " | s per run |",
        "|---|" + "---:|" * (len(meta["checkpoints"]) + 1),
    ]
    last = meta["checkpoints"][-1]

    def order(m: str) -> float:
        return statistics.mean(ranks[last][m]) if ranks[last][m] else 99.0

    for m in sorted(methods, key=order):
        cells = [
            f"{statistics.mean(ranks[t][m]):.2f}" if ranks[t][m] else "n/a"
            for t in meta["checkpoints"]
        ]
        walls = [r["wall"] for r in results if r["method"] == m and "wall" in r]
        cells.append(f"{statistics.median(walls):.1f}" if walls else "n/a")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS))
    parser.add_argument("--problems", default=",".join(multiobjective_problems()))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument(
        "--checkpoints", default=None, help="comma list of trial counts (default: 300, if smaller)"
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/multiobjective"))
    args = parser.parse_args(argv)
    methods, problems = args.methods.split(","), args.problems.split(",")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown method(s) {unknown}; known: {', '.join(METHODS)}")
    for p in problems:
        get_multiobjective_problem(p)
    if args.budget < 1 or args.seeds < 1:
        parser.error(f"--budget and --seeds must be >= 1, got {args.budget} and {args.seeds}")
    if args.checkpoints is None:
        args.checkpoints = "300" if args.budget > 300 else ""
    try:
        given = {int(c) for c in args.checkpoints.split(",") if c}
    except ValueError:
        parser.error(f"--checkpoints must be integers, got {args.checkpoints!r}")
    checkpoints = sorted(given | {args.budget})
    if checkpoints[0] < 1 or checkpoints[-1] > args.budget:
        parser.error(f"--checkpoints must lie in [1, budget={args.budget}]")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    tasks = [(p, m, args.budget, s) for p in problems for m in methods for s in range(args.seeds)]
    start = time.time()
    results: list[dict[str, Any]] = []
    if args.jobs <= 1:
        results = [run_one(*t) for t in tasks]
    else:
        with cf.ProcessPoolExecutor(max_workers=args.jobs) as pool:
            results = [
                f.result() for f in cf.as_completed([pool.submit(run_one, *t) for t in tasks])
            ]
    meta = {
        "command": "python -m benchmarks.multiobjective " + " ".join(argv or sys.argv[1:]),
        "versions": versions(("trimtab", "optuna")),
        "budget": args.budget,
        "seeds": args.seeds,
        "checkpoints": checkpoints,
        "elapsed": time.time() - start,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps({"meta": meta, "results": results}))
    text = report(results, methods, problems, meta)
    (args.out / "report.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
