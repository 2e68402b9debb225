"""The rows of issue 4's comparison that the current code would make, from benchmarks/data.

The comparison's runs were made over many sessions; when a trimtab sampler changed, only the
rows it changes were run again, into a file of their own. This module layers those files in
the order they were made: a later layer's row replaces an earlier one with the same problem,
method and seed. ``LAYERS`` is that order (benchmarks/data/README.md tells each file's story).

    python -m benchmarks.current --out /tmp/i4-now.jsonl
    python -m benchmarks.tables /tmp/i4-now.jsonl --trials 50 100 200

It checks that the result is a full grid (every method on every problem with the same seeds)
and says what is missing otherwise.
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

DATA = Path(__file__).with_name("data")


class Layer(NamedTuple):
    """The rows of ``files`` (globs under benchmarks/data) whose method is in ``methods``
    (all when empty), with methods renamed by ``rename``."""

    files: tuple[str, ...]
    methods: tuple[str, ...] = ()
    rename: tuple[tuple[str, str], ...] = ()


LAYERS: tuple[Layer, ...] = (
    # sessions 5-18: every method on the synthetic problems and the real tasks
    Layer(("i4-synthetic-200.jsonl.gz", "i4-real-*.jsonl.gz")),
    # session 13: TPE's effective-size floor; sessions 14-15: the default's own TPE floor
    Layer(("i4-tpe-kish-200.jsonl.gz",), ("trimtab.tpe",)),
    Layer(("i4-auto-pool-200.jsonl.gz",), ("trimtab.auto",)),
    # session 15: CMA-ES draws the branch switch at random (`conditional` only)
    Layer(("i4-cmaes-switch-200.jsonl.gz",), ("trimtab.cmaes",)),
    # the files of the eleventh to fourteenth real tasks were made with the current TPE and
    # default: theirs again, over the layers above
    Layer(
        (
            "i4-real-hgb_wine-200.jsonl.gz",
            "i4-real-hgb_breast_cancer-200.jsonl.gz",
            "i4-real-svm_digits-200.jsonl.gz",
        ),
        ("trimtab.tpe", "trimtab.auto"),
    ),
    # session 17: the GP's model of conditional parameters (`conditional` only)
    Layer(("i4-gp-conditional-200.jsonl.gz",), ("trimtab.gp",)),
    # session 17: log warping in the default and the GP (the real tasks)
    Layer(
        ("i4-auto-logwarp-200.jsonl.gz",),
        ("trimtab.auto_logwarp",),
        (("trimtab.auto_logwarp", "trimtab.auto"),),
    ),
    Layer(
        ("i4-gp-logwarp-200.jsonl.gz",),
        ("trimtab.gp_logwarp",),
        (("trimtab.gp_logwarp", "trimtab.gp"),),
    ),
    Layer(("i4-auto-warp-200.jsonl.gz",), ("trimtab.auto",)),
    # session 19: the branch of `conditional` chosen by MaxUCB (TPE; the default from 100)
    Layer(("i4-tpe-maxucb-200.jsonl.gz",), ("trimtab.tpe",)),
    Layer(("i4-auto-branches-200.jsonl.gz",), ("trimtab.auto",)),
    # session 20: a CMA-ES per branch, the branch chosen by MaxUCB (`conditional` only)
    Layer(("i4-cmaes-branches-200.jsonl.gz",), ("trimtab.cmaes",)),
)


def _rows(layer: Layer, data: Path) -> Iterator[dict[str, Any]]:
    names = dict(layer.rename)
    paths = sorted({p for pattern in layer.files for p in data.glob(pattern)})
    missing = [f for f in layer.files if not any(data.glob(f))]
    if missing:
        raise FileNotFoundError(f"no file {missing[0]!r} in {data}")
    for path in paths:
        with gzip.open(path, "rt") as f:
            for line in f:
                row = json.loads(line)
                if layer.methods and row["method"] not in layer.methods:
                    continue
                row["method"] = names.get(row["method"], row["method"])
                yield row


def current(data: Path = DATA, layers: tuple[Layer, ...] = LAYERS) -> list[dict[str, Any]]:
    """The rows, later layers over earlier ones, in a stable order (problem, method, seed)."""
    rows: dict[tuple[str, str, int], dict[str, Any]] = {}
    for layer in layers:
        for row in _rows(layer, data):
            rows[(row["problem"], row["method"], int(row["seed"]))] = row
    return [rows[k] for k in sorted(rows)]


def gaps(rows: list[dict[str, Any]]) -> list[str]:
    """What the rows lack to be a full grid: (problem, method) pairs short of some seed."""
    problems = sorted({r["problem"] for r in rows})
    methods = sorted({r["method"] for r in rows})
    seeds = sorted({int(r["seed"]) for r in rows})
    have = {(r["problem"], r["method"], int(r["seed"])) for r in rows}
    out = []
    for p in problems:
        for m in methods:
            lacking = [s for s in seeds if (p, m, s) not in have]
            if lacking:
                out.append(f"{p} {m}: seeds {lacking}")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the JSONL file to write")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    rows = current(args.data)
    with open(args.out, "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    problems = {r["problem"] for r in rows}
    methods = {r["method"] for r in rows}
    print(f"{len(rows)} runs: {len(problems)} problems x {len(methods)} methods -> {args.out}")
    for gap in gaps(rows):
        print(f"missing: {gap}")


if __name__ == "__main__":
    main()
