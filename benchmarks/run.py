"""Run every method on every problem with the same budget and seeds; write the comparison.

    python -m benchmarks.run --suite quick               # 3 seeds x 30 trials, ~10 min
    python -m benchmarks.run --suite full                # 3 seeds x 50 trials, ~1 h
    python -m benchmarks.run --suite full --methods trimtab.random,optuna.tpe --seeds 10
    python -m benchmarks.run --problems branin,svm_wine --budget 200 --checkpoints 50,100,200

Writes to ``--out`` (default ``benchmarks/results/<suite>``): ``results.jsonl`` (one line per
finished run, written as it finishes: every evaluation's value and time), ``results.json``
(all of them with the run's metadata), ``report.md`` (median and interquartile range of simple
regret per problem at each checkpoint, mean rank per method at each checkpoint, framework
overhead per trial), and one PNG per problem with anytime curves (best-so-far regret against
trials and against wall time). ``--resume`` keeps the runs already in ``results.jsonl`` (same
problem, method, seed and budget) and runs only the missing ones, so an interrupted suite
goes on where it stopped.

Simple regret is the best value found minus the problem's optimum. For real tasks, whose
optimum is unknown, the reference is the best value known (``best_known.json``) or found by
any method in this run, whichever is lower, so regret is never negative.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.methods import METHODS, MethodUnavailable, versions
from trimtab.benchmarks import get_problem, problem_names

SUITE_DEFAULTS: dict[str, tuple[int, int]] = {"quick": (3, 30), "full": (3, 50)}
"""(seeds, budget) of each suite when ``--seeds`` / ``--budget`` are not given."""

FULL_METHODS = tuple(
    m
    for m in METHODS
    if m
    not in (
        "trimtab.nsga2",
        "optuna.nsga2",
        "optuna.tpe_multivariate",
        "trimtab.gp_warped",
        "trimtab.gp_logwarp",
        "trimtab.gp_nowarp",
        "trimtab.auto_logwarp",
        "trimtab.auto_nowarp",
    )
)
"""The full suite's default methods: every method but the two NSGA-II (multi-objective
algorithms; the single-objective genetic algorithm is ``trimtab.ga``), Optuna's grouped
multivariate TPE (the same proposals as its default TPE, multivariate in Optuna 5, except on
conditional spaces) and the GP's input-warping options: ``trimtab.gp_warped`` (every numeric
input), ``trimtab.gp_logwarp`` and ``trimtab.auto_logwarp`` (the log parameters: since session
17 the same samplers as ``trimtab.gp`` and ``trimtab.auto``), ``trimtab.gp_nowarp`` and
``trimtab.auto_nowarp`` (none: the defaults before session 17).
Evaluations of the real tasks dominate the full suite's time, and every method pays them
alike, so each method left out saves about a fifteenth of it."""


def run_one(problem_name: str, method: str, budget: int, seed: int) -> dict[str, Any]:
    """One method on one problem with one seed: each evaluation's value and timings."""
    problem = get_problem(problem_name)
    values: list[float] = []
    at: list[float] = []  # wall seconds since the start, at the end of each evaluation
    began: list[float] = []  # ... and at its start
    inside = 0.0
    n_evals = 0  # every evaluation, also any beyond the budget (only those within count)
    start = time.perf_counter()

    def evaluate(params: Mapping[str, Any]) -> float:
        nonlocal inside, n_evals
        t0 = time.perf_counter()
        value = problem.evaluate(params)
        t1 = time.perf_counter()
        inside += t1 - t0
        n_evals += 1
        if len(values) < budget:
            values.append(value)
            began.append(t0 - start)
            at.append(t1 - start)
        return value

    out: dict[str, Any] = {"problem": problem_name, "method": method, "seed": seed}
    try:
        METHODS[method](problem, budget, seed, evaluate)
    except MethodUnavailable as exc:
        return {**out, "unavailable": str(exc)}
    except Exception as exc:  # a peer crashing is a result too
        return {**out, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    wall = time.perf_counter() - start
    n = max(n_evals, 1)
    # time outside the objective before each of the last tenth of the trials: what a trial
    # costs in framework work once the history is long
    gaps = [b - a for a, b in zip([0.0, *at[:-1]], began, strict=True)]
    tail = gaps[-max(1, len(gaps) // 10) :] if gaps else [0.0]
    return {
        **out,
        "values": values,
        "times": at,
        "wall": wall,
        "overhead_per_trial": (wall - inside) / n,
        "overhead_at_end": statistics.median(tail),
    }


def _quantiles(xs: list[float]) -> tuple[float, float, float]:
    if len(xs) == 1:
        return xs[0], xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], statistics.median(xs), q[2]


def references(results: list[dict[str, Any]]) -> dict[str, float]:
    """The optimum of each problem, or for real tasks the best value known or found."""
    refs: dict[str, float] = {}
    for r in results:
        if "values" not in r or not r["values"]:
            continue
        name = r["problem"]
        optimum = get_problem(name).optimum
        found = min(r["values"])
        base = optimum if math.isfinite(optimum) else math.inf
        if get_problem(name).kind == "real":
            base = min(base, found)
        refs[name] = min(refs.get(name, base), base)
    return refs


def best_so_far(values: list[float]) -> list[float]:
    out, best = [], math.inf
    for v in values:
        best = min(best, v)
        out.append(best)
    return out


def regret_at(r: dict[str, Any], refs: dict[str, float], trials: int) -> float:
    """Simple regret of one run's best value within its first ``trials`` evaluations; on a
    classification task in whole misclassified examples (``Problem.quantize``), so that the
    same count of errors in other folds is a tie and not a rank."""
    regret = max(0.0, min(r["values"][:trials]) - refs[r["problem"]])
    return get_problem(r["problem"]).quantize(regret)


def mean_ranks(
    results: list[dict[str, Any]],
    methods: list[str],
    problems: list[str],
    refs: dict[str, float],
    trials: int,
) -> tuple[dict[str, dict[str, tuple[float, float, float]]], dict[str, list[float]]]:
    """Per problem and method the regret quartiles at ``trials``; per method its ranks.

    A method's rank on a problem orders the methods by median regret (1 is best); tied
    medians share the mean of the ranks they span.
    """
    table: dict[str, dict[str, tuple[float, float, float]]] = {}
    for p in problems:
        for m in methods:
            regrets = [
                regret_at(r, refs, trials)
                for r in results
                if r["problem"] == p and r["method"] == m and r.get("values")
            ]
            if regrets:
                table.setdefault(p, {})[m] = _quantiles(regrets)
    ranks: dict[str, list[float]] = {m: [] for m in methods}
    for by_method in table.values():
        for m, rank in tied_ranks({m: q[1] for m, q in by_method.items()}).items():
            ranks[m].append(rank)
    return table, ranks


TIE_TOL = 1e-12
"""Regrets closer than this are equal (their difference is rounding, not search)."""


def tied_ranks(scores: Mapping[str, float], tol: float = TIE_TOL) -> dict[str, float]:
    """Rank of each key by its score, lowest first (1 is best); ties share their mean rank.

    Scores within ``tol`` of each other are tied (chained: sorted neighbours each within
    ``tol``): a real task's error, one minus a mean of fold scores, comes out 1.1e-16 apart
    for the same misclassifications in another order, a difference of rounding only."""
    keys = sorted(scores, key=lambda k: scores[k])
    out: dict[str, float] = {}
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or scores[keys[i]] - scores[keys[i - 1]] > tol:
            for k in keys[start:i]:  # positions start .. i - 1 share their mean rank
                out[k] = (start + i - 1) / 2 + 1
            start = i
    return {k: out[k] for k in scores}


def report(
    results: list[dict[str, Any]], methods: list[str], problems: list[str], meta: dict[str, Any]
) -> str:
    refs = references(results)
    checkpoints = sorted({*meta.get("checkpoints", []), meta["budget"]})
    lines = [
        f"# Benchmark report ({meta['suite']})",
        "",
        f"Command: `{meta['command']}`  ",
        f"Machine: {meta['machine']}  ",
        f"Versions: {meta['versions']}  ",
        f"Budget {meta['budget']} trials, seeds {meta['seeds']}, {meta['elapsed']:.0f} s.",
        "",
    ]
    unavailable = sorted(
        {f"{r['method']} ({r['unavailable']})" for r in results if "unavailable" in r}
    )
    errors = sorted(
        {f"{r['method']} on {r['problem']}: {r['error']}" for r in results if "error" in r}
    )
    if unavailable:
        lines += ["Not installed here: " + "; ".join(unavailable), ""]
    if errors:
        lines += ["Errors: " + "; ".join(errors[:20]), ""]
    rank_by_checkpoint: dict[int, dict[str, list[float]]] = {}
    for trials in sorted(checkpoints, reverse=True):
        table, ranks = mean_ranks(results, methods, problems, refs, trials)
        rank_by_checkpoint[trials] = ranks
        title = "Final simple regret" if trials == meta["budget"] else "Simple regret"
        lines += [
            f"## {title} after {trials} trials: median [IQR] over seeds",
            "",
            "| problem | " + " | ".join(methods) + " |",
            "|---|" + "---:|" * len(methods),
        ]
        for p in problems:
            row = [p]
            for m in methods:
                if m not in table.get(p, {}):
                    row.append("n/a")
                    continue
                lo, med, hi = table[p][m]
                row.append(f"{med:.3g} [{lo:.3g}, {hi:.3g}]")
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    final = rank_by_checkpoint[meta["budget"]]
    shown = sorted(checkpoints)
    lines += [
        "## Mean rank across problems (1 is best) and framework overhead",
        "",
        "| method | "
        + " | ".join(f"mean rank at {t}" for t in shown)
        + " | problems | overhead ms/trial, whole run | overhead ms/trial, last tenth |",
        "|---|" + "---:|" * (len(shown) + 3),
    ]

    def order(m: str) -> float:
        return statistics.mean(final[m]) if final[m] else 99.0

    for m in sorted(methods, key=order):
        cells = [
            f"{statistics.mean(rank_by_checkpoint[t][m]):.2f}"
            if rank_by_checkpoint[t][m]
            else "n/a"
            for t in shown
        ]
        for key in ("overhead_per_trial", "overhead_at_end"):
            over = [r[key] for r in results if r["method"] == m and key in r]
            cells.append(f"{statistics.median(over) * 1e3:.2f}" if over else "n/a")
        cells.insert(len(shown), str(len(final[m])))
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def get_regret(r: dict[str, Any], refs: dict[str, float]) -> float:
    """Simple regret of a whole run (``regret_at`` its last trial)."""
    return regret_at(r, refs, len(r["values"]))


def plot(results: list[dict[str, Any]], methods: list[str], problems: list[str], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    refs = references(results)
    for p in problems:
        fig, (by_trial, by_time) = plt.subplots(1, 2, figsize=(11, 4))
        for m in methods:
            runs = [
                r for r in results if r["problem"] == p and r["method"] == m and r.get("values")
            ]
            if not runs:
                continue
            curves = [[max(v - refs[p], 1e-12) for v in best_so_far(r["values"])] for r in runs]
            n = min(len(c) for c in curves)
            median = [statistics.median(c[i] for c in curves) for i in range(n)]
            times = [statistics.median(r["times"][i] for r in runs) for i in range(n)]
            by_trial.plot(range(1, n + 1), median, label=m)
            by_time.plot(times, median, label=m)
        for ax, xlabel in ((by_trial, "trials"), (by_time, "wall seconds")):
            ax.set_yscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("best-so-far simple regret (median)")
        by_time.set_xscale("log")
        by_trial.set_title(p)
        by_trial.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / f"anytime_{p}.png", dpi=90)
        plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="trimtab against its peers, side by side")
    parser.add_argument("--suite", default="quick", choices=["quick", "full"])
    parser.add_argument(
        "--methods", default=None, help="comma list; default: every method (full: FULL_METHODS)"
    )
    parser.add_argument("--problems", default=None, help="comma list; default: the suite's")
    parser.add_argument(
        "--seeds", type=int, default=None, help="default: 3 (quick and full suites)"
    )
    parser.add_argument(
        "--budget", type=int, default=None, help="trials per run; default: quick 30, full 50"
    )
    parser.add_argument(
        "--checkpoints",
        default=None,
        help="comma list of trial counts <= --budget to report regret and ranks at "
        "(default: the budget only)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the runs already in OUT/results.jsonl and run only the missing ones",
    )
    parser.add_argument("--jobs", type=int, default=2, help="parallel worker processes")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--update-best-known",
        action="store_true",
        help="write real tasks' best values found, when lower, to best_known.json",
    )
    args = parser.parse_args(argv)
    if args.methods is None:
        args.methods = ",".join(FULL_METHODS if args.suite == "full" else METHODS)
    methods = args.methods.split(",")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown method(s) {unknown}; known: {', '.join(METHODS)}")
    default_seeds, default_budget = SUITE_DEFAULTS[args.suite]
    args.seeds = default_seeds if args.seeds is None else args.seeds
    args.budget = default_budget if args.budget is None else args.budget
    if args.budget < 1 or args.seeds < 1:
        parser.error(f"--budget and --seeds must be >= 1, got {args.budget} and {args.seeds}")
    checkpoints = [args.budget]
    if args.checkpoints:
        try:
            checkpoints = sorted({int(c) for c in args.checkpoints.split(",")})
        except ValueError:
            parser.error(f"--checkpoints must be integers, got {args.checkpoints!r}")
        if checkpoints[0] < 1 or checkpoints[-1] > args.budget:
            parser.error(
                f"--checkpoints must lie in [1, budget={args.budget}], got {args.checkpoints!r}"
            )
        if args.budget not in checkpoints:
            checkpoints.append(args.budget)
    problems = args.problems.split(",") if args.problems else problem_names(args.suite)
    for p in problems:
        get_problem(p)  # unknown names fail here, before any work
    out = args.out or Path("benchmarks/results") / args.suite
    out.mkdir(parents=True, exist_ok=True)
    tasks = [(p, m, args.budget, s) for p in problems for m in methods for s in range(args.seeds)]
    start = time.time()
    results: list[dict[str, Any]] = []
    log = out / "results.jsonl"
    if args.resume and log.exists():
        kept = _previous_runs(log, args.budget)
        results = [kept[(p, m, s)] for p, m, _, s in tasks if (p, m, s) in kept]
        tasks = [t for t in tasks if (t[0], t[1], t[3]) not in kept]
        print(f"resuming: {len(results)} runs kept from {log}, {len(tasks)} to run", flush=True)
    else:
        log.write_text("")
    total = len(results) + len(tasks)

    def done(r: dict[str, Any]) -> None:
        results.append(r)
        with log.open("a") as f:
            f.write(json.dumps({**r, "budget": args.budget}) + "\n")
        status = r.get("unavailable") or r.get("error") or f"best {min(r['values']):.4g}"
        print(
            f"[{len(results)}/{total}] {r['problem']} {r['method']} seed {r['seed']}: {status}",
            flush=True,
        )

    if args.jobs <= 1:
        for t in tasks:
            done(run_one(*t))
    else:
        with cf.ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for f in cf.as_completed([pool.submit(run_one, *t) for t in tasks]):
                done(f.result())
    meta = {
        "suite": args.suite,
        "budget": args.budget,
        "seeds": args.seeds,
        "checkpoints": checkpoints,
        "command": "python -m benchmarks.run " + " ".join(argv or sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "versions": versions(
            ("trimtab", "optuna", "hyperopt", "scikit-optimize", "smac", "scikit-learn")
        ),
        "elapsed": time.time() - start,
    }
    (out / "results.json").write_text(json.dumps({"meta": meta, "results": results}))
    text = report(results, methods, problems, meta)
    (out / "report.md").write_text(text)
    plot(results, methods, problems, out)
    print(text)
    if args.update_best_known:
        for name, value in update_best_known(results).items():
            print(f"best known value of {name} is now {value!r}")


def _previous_runs(log: Path, budget: int) -> dict[tuple[str, str, int], dict[str, Any]]:
    """Finished runs recorded in ``log`` with this budget (errors are run again).

    The log is rewritten without the lines it cannot parse (a line cut short when a run was
    killed), so the lines appended next start on a line of their own.
    """
    kept: dict[tuple[str, str, int], dict[str, Any]] = {}
    whole: list[str] = []
    for line in log.read_text().splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        whole.append(line)
        if r.get("budget") == budget and "error" not in r:
            r.pop("budget")
            kept[(r["problem"], r["method"], r["seed"])] = r
    log.write_text("".join(f"{line}\n" for line in whole))
    return kept


def update_best_known(results: list[dict[str, Any]]) -> dict[str, float]:
    """Lower ``best_known.json`` entries to the best values these results found."""
    from trimtab.benchmarks._real import BEST_KNOWN, best_known

    known = best_known()
    improved: dict[str, float] = {}
    for r in results:
        if get_problem(r["problem"]).kind != "real" or not r.get("values"):
            continue
        found = min(r["values"])
        if found < known.get(r["problem"], math.inf):
            known[r["problem"]] = improved[r["problem"]] = found
    if improved:
        BEST_KNOWN.write_text(json.dumps(dict(sorted(known.items())), indent=2) + "\n")
    return improved


if __name__ == "__main__":
    main()
