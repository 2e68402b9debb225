"""Record the learning curves replayed by ``mlp_digits_surrogate``.

Trains the NumPy MLP on digits for every configuration of a seeded random sample of its space,
for the full 27 epochs, and stores each epoch's validation error and measured seconds in
``src/trimtab/benchmarks/data/mlp_digits_curves.json.gz``.

    python -m benchmarks.record_curves --n 400 --jobs 2
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import gzip
import json
import platform
import time
from typing import Any

from trimtab.benchmarks._mlp import MAX_EPOCHS, SPACE, learning_curve
from trimtab.benchmarks._multifidelity import CURVES
from trimtab.samplers._rng import mix_seed, uniform


def configuration(i: int, seed: int) -> dict[str, Any]:
    mixed = mix_seed(seed)
    return {name: dist.from_unit(uniform(mixed, i, name)) for name, dist in SPACE.items()}


def record(params: dict[str, Any]) -> dict[str, Any]:
    errors, seconds = learning_curve(params, MAX_EPOCHS)
    return {
        "params": params,
        "errors": [round(e, 6) for e in errors],
        "seconds": [round(s, 6) for s in seconds],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    configs = [configuration(i, args.seed) for i in range(args.n)]
    start = time.time()
    with cf.ProcessPoolExecutor(max_workers=args.jobs) as pool:
        curves = list(pool.map(record, configs))
    meta = {
        "n": args.n,
        "seed": args.seed,
        "jobs": args.jobs,
        "epochs": MAX_EPOCHS,
        "machine": platform.platform(),
        "python": platform.python_version(),
        "elapsed_seconds": round(time.time() - start, 1),
    }
    CURVES.parent.mkdir(parents=True, exist_ok=True)
    blob = json.dumps({"meta": meta, "curves": curves}, separators=(",", ":"))
    CURVES.write_bytes(gzip.compress(blob.encode(), mtime=0))
    best = min(c["errors"][-1] for c in curves)
    print(f"recorded {args.n} curves in {meta['elapsed_seconds']} s; best final error {best:.4f}")


if __name__ == "__main__":
    main()
