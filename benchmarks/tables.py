"""Compact markdown tables of a `benchmarks.run` output, as docs/benchmarks.md shows them.

    python -m benchmarks.tables benchmarks/results/full/results.jsonl [--trials 50 100]

One table of median simple regret per part (synthetic, mixed and conditional problems; real
tasks), methods as columns with short names (tt. trimtab, op. Optuna, hy. Hyperopt), a mean
rank row per part and over all problems, at each trial count asked for; then each method's
median framework overhead per trial. The full report with interquartile ranges is the run's
``report.md``.

    python -m benchmarks.tables RESULTS --trials 50 100 200 --versus trimtab.tpe:optuna.tpe

adds, for each pair, the problems won, tied and lost by the first method (median regret
lower, equal, higher) at each trial count, and for each problem lost the two-sided
Mann-Whitney p-value of the seeds' regrets (SciPy), so a loss can be told from noise.

    python -m benchmarks.tables RESULTS --versus trimtab.auto:trimtab.tpe --by-seed real

counts instead the seeds, each problem's seed ``s`` of one method against seed ``s`` of the
other (``real``: the real tasks only; ``synthetic``: the others; ``all``, the default): the
pairs won, tied and lost with the two-sided sign-test p-value (ties left out), and the
problems where the sign test alone gives p < 0.1. Where most seeds tie on whole misclassified
examples, a median can move by one example on the seeds' luck; the count by seed shows how
much of a difference in mean rank the seeds carry.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from benchmarks.run import TIE_TOL, mean_ranks, references, regret_at
from trimtab.benchmarks import get_problem

SHORT = {"trimtab.": "tt.", "optuna.": "op.", "hyperopt.": "hy."}


def short(method: str) -> str:
    for long, abbrev in SHORT.items():
        if method.startswith(long):
            return abbrev + method[len(long) :]
    return method


def load(path: Path) -> list[dict[str, Any]]:
    """The runs of a ``results.jsonl`` log (one per line) or a ``results.json`` file."""
    if path.suffix == ".jsonl":
        runs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    else:
        runs = json.loads(path.read_text())["results"]
    return [r for r in runs if r.get("values")]


def tables(results: list[dict[str, Any]], trials: int, methods: list[str] | None = None) -> str:
    methods = methods or list(dict.fromkeys(r["method"] for r in results))
    problems = list(dict.fromkeys(r["problem"] for r in results))
    refs = references(results)
    parts = {
        "synthetic": [p for p in problems if get_problem(p).kind != "real"],
        "real": [p for p in problems if get_problem(p).kind == "real"],
    }
    lines: list[str] = []
    all_ranks: dict[str, list[float]] = {m: [] for m in methods}
    for n, (part, names) in enumerate(parts.items()):
        if not names:
            continue
        table, ranks = mean_ranks(results, methods, names, refs, trials)
        lines += [
            f"| problem ({trials} trials) | " + " | ".join(short(m) for m in methods) + " |",
            "|---|" + "---:|" * len(methods),
        ]
        for p in names:
            cells = [f"{table[p][m][1]:.3g}" if m in table.get(p, {}) else "n/a" for m in methods]
            lines.append(f"| {p} | " + " | ".join(cells) + " |")
        for m in methods:
            all_ranks[m] += ranks[m]
        lines.append(
            f"| mean rank ({part}) | "
            + " | ".join(f"{statistics.mean(ranks[m]):.2f}" if ranks[m] else "n/a" for m in methods)
            + " |"
        )
        if n == len(parts) - 1 and all(parts.values()):
            lines.append(
                "| mean rank (all) | "
                + " | ".join(
                    f"{statistics.mean(all_ranks[m]):.2f}" if all_ranks[m] else "n/a"
                    for m in methods
                )
                + " |"
            )
        lines.append("")
    over = []
    for m in methods:
        # (runs kept without timings, such as benchmarks/data/i4-gp-warped-200, have none)
        per = [
            r["overhead_per_trial"]
            for r in results
            if r["method"] == m and "overhead_per_trial" in r
        ]
        if per:
            over.append(f"{short(m)} {statistics.median(per) * 1e3:.3g}")
    lines.append("Overhead per trial, whole run, median over runs (ms): " + ", ".join(over) + ".")
    return "\n".join(lines) + "\n"


def versus(results: list[dict[str, Any]], first: str, second: str, trials: int) -> str:
    """Problems won-tied-lost by ``first`` against ``second`` at ``trials``, losses' p-values."""
    from scipy.stats import mannwhitneyu

    refs = references(results)
    problems = list(dict.fromkeys(r["problem"] for r in results))
    won = tied = 0
    lost: list[str] = []
    for p in problems:
        a, b = (
            [regret_at(r, refs, trials) for r in results if r["problem"] == p and r["method"] == m]
            for m in (first, second)
        )
        if not a or not b:
            continue
        ma, mb = statistics.median(a), statistics.median(b)
        if abs(ma - mb) <= TIE_TOL:
            tied += 1
        elif ma < mb:
            won += 1
        else:
            pvalue = mannwhitneyu(a, b, alternative="two-sided").pvalue
            lost.append(f"{p} ({ma:.3g} vs {mb:.3g}, p = {pvalue:.2f})")
    losses = "; lost: " + ", ".join(lost) if lost else ""
    return f"{short(first)} vs {short(second)} at {trials}: {won}-{tied}-{len(lost)}{losses}"


PARTS = ("all", "real", "synthetic")


def versus_by_seed(
    results: list[dict[str, Any]], first: str, second: str, trials: int, part: str = "all"
) -> str:
    """Seed pairs won-tied-lost by ``first`` against ``second`` at ``trials`` on the problems
    of ``part`` (see the module docstring), with the sign test's p-values."""
    from scipy.stats import binomtest

    if part not in PARTS:
        raise ValueError(f"part={part!r} must be one of {', '.join(PARTS)}")
    refs = references(results)
    runs = {(r["problem"], r["method"], r["seed"]): r for r in results}
    problems = [
        p
        for p in dict.fromkeys(r["problem"] for r in results)
        if part == "all" or (get_problem(p).kind == "real") == (part == "real")
    ]
    total = [0, 0, 0]
    notable: list[str] = []
    for p in problems:
        counts = [0, 0, 0]
        seeds = sorted({s for (q, m, s) in runs if q == p and m == first})
        for s in seeds:
            a, b = runs.get((p, first, s)), runs.get((p, second, s))
            if a is None or b is None:
                continue
            ra, rb = regret_at(a, refs, trials), regret_at(b, refs, trials)
            counts[1 if abs(ra - rb) <= TIE_TOL else 0 if ra < rb else 2] += 1
        total = [t + c for t, c in zip(total, counts, strict=True)]
        decided = counts[0] + counts[2]
        if decided and binomtest(counts[0], decided).pvalue < 0.1:
            notable.append(f"{p} {counts[0]}-{counts[1]}-{counts[2]}")
    decided = total[0] + total[2]
    pvalue = binomtest(total[0], decided).pvalue if decided else 1.0
    line = (
        f"{short(first)} vs {short(second)} at {trials}, by seed ({part}): "
        f"{total[0]}-{total[1]}-{total[2]}, sign test p = {pvalue:.2g}"
    )
    return line + ("; p < 0.1 on: " + ", ".join(notable) if notable else "")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="results.jsonl or results.json of a run")
    parser.add_argument("--trials", type=int, nargs="+", default=None)
    parser.add_argument("--methods", default=None, help="comma list, in column order")
    parser.add_argument(
        "--versus",
        nargs="+",
        default=[],
        metavar="A:B",
        help="pairs of methods to compare head to head, e.g. trimtab.tpe:optuna.tpe",
    )
    parser.add_argument(
        "--by-seed",
        nargs="?",
        const="all",
        default=None,
        choices=PARTS,
        help="count --versus pairs by seed (on all problems, or the real or synthetic ones)",
    )
    args = parser.parse_args(argv)
    if args.by_seed and not args.versus:
        parser.error("--by-seed counts the --versus pairs: give --versus A:B too")
    results = load(args.results)
    budget = min(r.get("budget", len(r["values"])) for r in results)
    methods = args.methods.split(",") if args.methods else None
    known = {r["method"] for r in results}
    pairs = []
    for pair in args.versus:
        names = pair.split(":")
        if len(names) != 2 or not all(n in known for n in names):
            parser.error(
                f"--versus {pair!r} must be two methods of the results as A:B, "
                f"from: {', '.join(sorted(known))}"
            )
        pairs.append((names[0], names[1]))
    for t in args.trials or [budget]:
        if not 1 <= t <= budget:
            parser.error(f"--trials {t} must lie in [1, {budget}] (the runs' shortest length)")
        print(tables(results, t, methods))
    for t in args.trials or [budget]:
        for first, second in pairs:
            print(versus(results, first, second, t))
            if args.by_seed:
                print(versus_by_seed(results, first, second, t, args.by_seed))


if __name__ == "__main__":
    main()
