"""A GP started from a given set of startup points: how often it reaches the optimum's basin.

Separates the two things a GP run's outcome on a multimodal function depends on, the model
and the random startup points, by giving trimtab's or Optuna's GP (each with its default
settings) the first ``--startup`` points of another source through ``enqueue_trial``:

    python -m benchmarks.gp_startup --gp trimtab --start optuna --problem hartmann6 \
        --budget 60 --seeds 0:30

Sources: ``trimtab`` / ``optuna`` (the samplers' own ``RandomSampler(seed=s)`` draws, the
points each GP starts from by itself), ``numpy`` (``RandomState(s + 1000)``), ``sobol``
(scrambled) and ``lhs`` (Latin hypercube), both from ``scipy.stats.qmc`` seeded with ``s``.
Prints each seed's final regret and how many are within ``--tol`` of the optimum. Numeric
parameters only (the synthetic problems without a categorical one).
"""

from __future__ import annotations

import argparse
import logging
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from trimtab.benchmarks import get_problem
from trimtab.distributions import FloatDistribution

SOURCES = ("trimtab", "optuna", "numpy", "sobol", "lhs")


def startup_points(source: str, space: Mapping[str, Any], n: int, seed: int) -> list[dict]:
    """``n`` points of ``space`` (floats on a linear scale) from ``source``, seeded."""
    names = list(space)
    if source in ("trimtab", "optuna"):
        values: list[dict] = []

        def objective(trial: Any) -> float:
            values.append({k: trial.suggest_float(k, space[k].low, space[k].high) for k in names})
            return 0.0

        if source == "trimtab":
            import trimtab

            study: Any = trimtab.create_study(sampler=trimtab.samplers.RandomSampler(seed=seed))
        else:
            import optuna

            study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
        study.optimize(objective, n_trials=n)
        return values
    if source == "numpy":
        unit = np.random.RandomState(seed + 1000).rand(n, len(names))
    elif source in ("sobol", "lhs"):
        from scipy.stats import qmc

        engine: Any = (
            qmc.Sobol(len(names), scramble=True, seed=seed)
            if source == "sobol"
            else qmc.LatinHypercube(len(names), seed=seed)
        )
        with warnings.catch_warnings():  # 10 points are not a power of 2: known, accepted
            warnings.simplefilter("ignore", UserWarning)
            unit = engine.random(n)
    else:
        raise ValueError(f"--start {source!r} must be one of {', '.join(SOURCES)}")
    lows = np.array([space[k].low for k in names])
    highs = np.array([space[k].high for k in names])
    return [dict(zip(names, map(float, lows + u * (highs - lows)), strict=True)) for u in unit]


def run(gp: str, start: str, problem_name: str, budget: int, seed: int, n_startup: int) -> float:
    """Regret of one GP run from ``n_startup`` points of ``start``."""
    problem = get_problem(problem_name)
    space = problem.space
    if not all(isinstance(d, FloatDistribution) and not d.log for d in space.values()):
        raise ValueError(f"--problem {problem_name!r} must have linear float parameters only")
    points = startup_points(start, space, n_startup, seed)

    def objective(trial: Any) -> float:
        params = {k: trial.suggest_float(k, d.low, d.high) for k, d in space.items()}
        return problem.evaluate(params)

    if gp == "trimtab":
        import trimtab

        study: Any = trimtab.create_study(sampler=trimtab.samplers.GPSampler(seed=seed))
    else:
        import optuna

        study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))
    for p in points:
        study.enqueue_trial(p)
    study.optimize(objective, n_trials=budget)
    return min(t.value for t in study.trials) - problem.optimum


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gp", choices=("trimtab", "optuna"), default="trimtab")
    parser.add_argument("--start", choices=SOURCES, default="trimtab")
    parser.add_argument("--problem", default="hartmann6")
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--seeds", default="0:30", help="first:last (exclusive)")
    parser.add_argument("--startup", type=int, default=10, help="points enqueued (10: both GPs')")
    parser.add_argument("--tol", type=float, default=0.05, help="regret counted as found")
    args = parser.parse_args(argv)
    try:
        first, last = (int(s) for s in args.seeds.split(":"))
    except ValueError:
        parser.error(f"--seeds {args.seeds!r} must be first:last, two integers (last exclusive)")
    if not 0 <= first < last:
        parser.error(f"--seeds {args.seeds!r} must have 0 <= first < last")
    if args.budget < args.startup or args.startup < 1:
        parser.error(
            f"--budget {args.budget} and --startup {args.startup} need 1 <= startup <= budget"
        )
    logging.getLogger("trimtab").setLevel(logging.WARNING)
    try:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
    except ImportError:
        pass
    warnings.filterwarnings("ignore")
    regrets = [
        run(args.gp, args.start, args.problem, args.budget, s, args.startup)
        for s in range(first, last)
    ]
    found = sum(r < args.tol for r in regrets)
    print(
        f"{args.gp} GP from {args.start} points, {args.problem}, {args.budget} trials, seeds "
        f"{first}-{last - 1}: {found} of {len(regrets)} within {args.tol} of the optimum"
    )
    print(" ".join(f"{r:.3g}" for r in regrets))


if __name__ == "__main__":
    main()
