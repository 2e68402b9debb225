"""How fast could a model-based ASHA be on the replayed MLP curves? Oracle proposals.

    python -m benchmarks.mf_oracle --seeds 10 --workers 4

Not a method: an upper bound on what better proposals can buy in ``benchmarks/multifidelity.py``.
Every trial is trimtab's ASHA (``SuccessiveHalvingPruner(1, 3, max_resource=27)``, the same
simulator, workers, budget and target), but its configuration is drawn uniformly from the
recorded configurations (``mlp_digits_surrogate``'s table) whose validation error after epoch
``e`` is among the best fraction ``q`` of the table, i.e. a sampler that already knows, before
the first trial, which configurations are in the top ``q`` at epoch ``e``. No sampler can know
that; one that learns from the run's own results knows less, early on. ``q = 1`` is random
search with ASHA.

Prints, per (q, e), the median time to target over seeds and the per-seed times.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import math
import statistics
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.mf_methods import ETA, Space, _StudyMethod
from benchmarks.mf_sim import Job, SimMethod, full_trainings, simulate, time_to_target
from benchmarks.multifidelity import BUDGET, TARGET
from trimtab.benchmarks import get_multifidelity_problem
from trimtab.benchmarks._multifidelity import CURVES

SETTINGS = ((1.0, 1), (0.2, 1), (0.1, 1), (0.05, 1), (0.1, 3), (0.1, 27), (0.03, 27))


def _recorded() -> tuple[list[dict[str, Any]], np.ndarray]:
    data = json.loads(gzip.decompress(CURVES.read_bytes()))
    curves = data["curves"]
    return [c["params"] for c in curves], np.array([c["errors"] for c in curves])


class _Oracle:
    """ASHA whose every trial is one of ``chosen`` recorded configurations, at random."""

    def __init__(self, space: Space, max_epochs: int, seed: int, chosen: Sequence[dict[str, Any]]):
        import trimtab
        from trimtab import pruners, samplers

        logging.getLogger("trimtab").setLevel(logging.WARNING)
        study = trimtab.create_study(
            sampler=samplers.RandomSampler(seed=seed),
            pruner=pruners.SuccessiveHalvingPruner(1, ETA, max_resource=max_epochs),
        )
        self.study, self.chosen = study, chosen
        self.inner = _StudyMethod(study, space, trimtab.TrialState.PRUNED)
        self.rng = np.random.default_rng(seed)

    def ask(self) -> Job:
        self.study.enqueue_trial(self.chosen[int(self.rng.integers(len(self.chosen)))])
        return self.inner.ask()


def oracle_times(q: float, epoch: int, seeds: int, workers: int) -> list[float]:
    problem = get_multifidelity_problem("mlp_digits_surrogate")
    params, errors = _recorded()
    at = errors[:, epoch - 1]
    chosen = [params[i] for i in np.flatnonzero(at <= np.quantile(at, q))]
    times = []
    for seed in range(seeds):
        method: SimMethod = _Oracle(problem.space, problem.max_epochs, seed, chosen)
        result = simulate(method, problem.start, problem.max_epochs, workers, BUDGET)
        times.append(time_to_target(full_trainings(result, problem.max_epochs), TARGET))
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    print(
        f"| proposals drawn from | configurations | median time to target {TARGET:g}, s "
        "| per seed, sorted |"
    )
    print("|---|---:|---:|---|")
    _, errors = _recorded()
    for q, epoch in SETTINGS:
        times = oracle_times(q, epoch, args.seeds, args.workers)
        n = int(np.sum(errors[:, epoch - 1] <= np.quantile(errors[:, epoch - 1], q)))
        med = statistics.median(times)
        label = "all (random)" if q == 1 else f"top {q:.0%} at epoch {epoch}"
        shown = ", ".join("inf" if math.isinf(t) else f"{t:.2f}" for t in sorted(times))
        print(f"| {label} | {n} | {med:.2f} | {shown} |", flush=True)


if __name__ == "__main__":
    main()
