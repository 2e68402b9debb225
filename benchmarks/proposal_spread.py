"""Where a method spends its trials: how far each proposal lies from the best point found
before it, in windows of trials.

Distances are in the unit-cube encoding of the problem's space (a log parameter's whole range
is 1; the largest coordinate difference over the numeric parameters). Three bands: ``near``
(below ``--near``, by default 0.002: a hundredth of a decade on a 5-decade log range), ``far``
(above ``--far``, by default 0.1: half a decade there), and ``mid`` between them. A model
that keeps proposing ``near`` points refines below the objective's resolution; one that keeps
proposing ``far`` points after it has found the basin is exploring regions it has seen.

    python -m benchmarks.proposal_spread --problem svm_diabetes --methods trimtab.gp,skopt.gp \\
        --seeds 0,1 --budget 200 --window 50
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.methods import METHODS, MethodUnavailable
from trimtab.benchmarks import Problem, get_problem
from trimtab.distributions import CategoricalDistribution


def trace(
    problem: Problem, method: str, budget: int, seed: int
) -> list[tuple[dict[str, Any], float]]:
    """Each evaluation's parameters and value, in order (at most ``budget``)."""
    out: list[tuple[dict[str, Any], float]] = []

    def evaluate(params: Mapping[str, Any]) -> float:
        value = problem.evaluate(params)
        if len(out) < budget:
            out.append((dict(params), value))
        return value

    METHODS[method](problem, budget, seed, evaluate)
    return out


def distances(problem: Problem, run: Sequence[tuple[dict[str, Any], float]]) -> list[float]:
    """For each evaluation after the first, its distance to the best point before it (NaN
    when the two share no numeric parameter)."""
    numeric = {k: d for k, d in problem.space.items() if not isinstance(d, CategoricalDistribution)}
    out = []
    best_params, best_value = run[0]
    for params, value in run[1:]:
        gaps = [
            abs(d.to_unit(params[k]) - d.to_unit(best_params[k]))
            for k, d in numeric.items()
            if k in params and k in best_params
        ]
        out.append(max(gaps) if gaps else math.nan)
        if value < best_value:
            best_params, best_value = params, value
    return out


def bands(ds: Sequence[float], near: float, far: float) -> tuple[float, float, float]:
    """Shares of ``ds`` below ``near``, between, and above ``far`` (NaN left out)."""
    known = [d for d in ds if not math.isnan(d)]
    if not known:
        return (math.nan, math.nan, math.nan)
    n = len(known)
    lo = sum(d < near for d in known) / n
    hi = sum(d > far for d in known) / n
    return (lo, 1.0 - lo - hi, hi)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problem", required=True)
    parser.add_argument("--methods", required=True, help="comma list of benchmarks.methods names")
    parser.add_argument("--seeds", default="0", help="comma list")
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--near", type=float, default=0.002)
    parser.add_argument("--far", type=float, default=0.1)
    args = parser.parse_args(argv)
    methods = args.methods.split(",")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"--methods: {unknown} not known; known: {sorted(METHODS)}")
    if args.window < 1 or args.budget < 2:
        parser.error(f"--window={args.window} must be >= 1 and --budget={args.budget} >= 2")
    problem = get_problem(args.problem)
    seeds = [int(s) for s in args.seeds.split(",")]
    edges = list(range(1, args.budget, args.window))
    print(f"# {args.problem}, seeds {seeds}: share of proposals near (< {args.near}), mid, far")
    print(f"# (> {args.far}) from the best point before them; last column: median best value")
    print("| method | trials | near | mid | far | best at end of window |")
    print("|---|---|---:|---:|---:|---:|")
    for method in methods:
        try:
            runs = [trace(problem, method, args.budget, s) for s in seeds]
        except MethodUnavailable as exc:
            print(f"| {method} | not installed: {exc} | | | | |")
            continue
        per_run = [distances(problem, r) for r in runs]
        for a in edges:
            b = min(a + args.window, args.budget)
            window = [d for ds in per_run for d in ds[a - 1 : b - 1]]
            lo, mid, hi = bands(window, args.near, args.far)
            best = statistics.median(min(v for _, v in r[:b]) for r in runs)
            print(f"| {method} | {a + 1}-{b} | {lo:.2f} | {mid:.2f} | {hi:.2f} | {best:.7g} |")


if __name__ == "__main__":
    main()
