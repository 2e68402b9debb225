"""trimtab's samplers on small conditional (define-by-run) spaces: best value after N trials.

Two objectives whose optimum is known: ``branches`` (a categorical switching a float on one
branch and an integer on the other; optimum 0) and ``nested`` (a model choice; an SVM's
kernel switching ``gamma`` or ``degree``; an MLP's integer ``layers`` switching ``units_1``
and ``units_2``; optimum 0.1). The suite's ``conditional`` problem is in ``benchmarks.run``.
A third, ``padded``, is that problem (three branches; the optimum, 0.398, on the Branin one,
whose random points look worse than the sphere branch's easy 1.0) with ``--padding`` more
always-present parameters that change nothing: 10 make 17 parameters, more than the 16 the
default models with its GP, so the default runs TPE there, as on a model-selection space of
that size. A fourth, ``model_choice``, is a model selection in miniature: ``forest`` scores
1.0 to 1.1 anywhere, ``svm`` up to 6 at random but 0 in a narrow region of ``c``, ``knn`` 3
to 4. For these two the table also gives the median number of trials of the second half spent
on the optimum's branch, and so for ``cash_diabetes`` and ``cash_breast_cancer`` (not run by
default; they need scikit-learn): model selection on real data, the choice among the suite's
four real-task models on that dataset, each with its own space. On ``diabetes`` the SVM has
the best value any kept run has found (1 - R^2 0.489, against 0.495 for the MLP and
0.538-0.544 for the trees) and the worst random points; on ``breast_cancer`` the MLP (9 of 569
examples wrong, the SVM 10, the trees 14-17).

``trimtab.tpe`` chooses a switching parameter's branch by MaxUCB (``TPESampler``'s default),
``trimtab.tpe_density`` by TPE's own l(x) / g(x) (``branches="tpe"``); ``--alpha`` sets
MaxUCB's ``alpha`` (``trimtab.samplers._branches.ALPHA``) for this run.

    python -m benchmarks.conditional_spaces --seeds 10 --trials 50
    python -m benchmarks.conditional_spaces --seeds 10 --trials 200 --objectives padded
    python -m benchmarks.conditional_spaces --seeds 20 --trials 200 --at 50,100,200 \
        --objectives padded,model_choice --methods trimtab.tpe,trimtab.tpe_density
"""

from __future__ import annotations

import argparse
import logging
import math
import statistics
from collections.abc import Callable

import trimtab
import trimtab.samplers._branches as branch_choice
from trimtab.benchmarks import get_problem
from trimtab.distributions import FloatDistribution
from trimtab.samplers import (
    AutoSampler,
    BaseSampler,
    CMAESSampler,
    GPSampler,
    RandomSampler,
    TPESampler,
)


def branches(trial: trimtab.Trial) -> float:
    kind = trial.suggest_categorical("kind", ["a", "b"])
    x = trial.suggest_float("x", -2, 2)
    if kind == "a":
        return x**2 + (trial.suggest_float("a_only", 0, 1) - 0.3) ** 2
    return 1 + x**2 + trial.suggest_int("b_only", 0, 3)


def nested(trial: trimtab.Trial) -> float:
    model = trial.suggest_categorical("model", ["svm", "mlp", "knn"])
    x = trial.suggest_float("x", 0, 1)
    if model == "svm":
        kernel = trial.suggest_categorical("kernel", ["linear", "rbf", "poly"])
        if kernel == "rbf":
            gamma = trial.suggest_float("gamma", 1e-4, 1, log=True)
            return 0.3 + (x - 0.2) ** 2 + math.log10(gamma / 0.003) ** 2 / 10
        if kernel == "poly":
            return 0.4 + (x - 0.2) ** 2 + abs(trial.suggest_int("degree", 2, 5) - 3) / 10
        return 0.8 + x
    if model == "knn":
        return 0.5 + abs(trial.suggest_int("k", 1, 50) - 17) / 50 + (x - 0.7) ** 2
    layers = trial.suggest_int("layers", 1, 3)
    units = [trial.suggest_int(f"units_{i}", 8, 256, log=True) for i in range(layers)]
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    return (
        0.1
        + (math.log10(lr) + 2.5) ** 2 / 5
        + sum((math.log2(u) - 6) ** 2 for u in units) / 20
        + 0.05 * (layers - 2) ** 2
        + (x - 0.5) ** 2
    )


def model_choice(trial: trimtab.Trial) -> float:
    model = trial.suggest_categorical("model", ["forest", "svm", "knn"])
    if model == "forest":
        return 1.0 + 0.1 * trial.suggest_float("depth", 0, 1)
    if model == "svm":
        return 6.0 * abs(trial.suggest_float("c", 0, 1) - 0.7) ** 0.5
    return 3.0 + trial.suggest_float("k", 0, 1)


def cash(dataset: str) -> Callable[[trimtab.Trial], float]:
    """Model selection and tuning on ``dataset`` (CASH): a ``model`` choice among the suite's
    real tasks' models (``svm``, ``hgb``, ``mlp``, ``rf``), each with its task's space (names
    prefixed by the model), scored by that task's 3-fold cross-validated error."""
    from trimtab.benchmarks._real import MODELS, SPACES, cv_error

    def objective(trial: trimtab.Trial) -> float:
        model = trial.suggest_categorical("model", list(MODELS))
        params = {
            name: trial.suggest(f"{model}_{name}", dist) for name, dist in SPACES[model].items()
        }
        return cv_error(model, dataset, params)

    objective.__name__ = f"cash_{dataset}"
    return objective


# the parameter and the choice of the optimum's branch, where the table counts trials on it
# (the CASH tasks: the model of the best value any kept run of the suite has found,
# benchmarks/data: on breast_cancer the MLP, 9 examples wrong, against the SVM's 10)
OPTIMUM_BRANCH = {
    "padded": ("branch", "branin"),
    "model_choice": ("model", "svm"),
    "cash_diabetes": ("model", "svm"),
    "cash_breast_cancer": ("model", "mlp"),
}


def padded(padding: int) -> Callable[[trimtab.Trial], float]:
    """The suite's ``conditional`` problem with ``padding`` irrelevant floats ``pad_i``."""
    problem = get_problem("conditional")

    def objective(trial: trimtab.Trial) -> float:
        branch = trial.suggest_categorical("branch", ["sphere", "hartmann", "branin"])
        params: dict[str, object] = {"branch": branch}
        names = {"branin": ("x0", "x1"), "hartmann": ("h0", "h1", "h2"), "sphere": ("s",)}
        for name in names[branch]:
            dist = problem.space[name]
            assert isinstance(dist, FloatDistribution)
            params[name] = trial.suggest_float(name, dist.low, dist.high)
        for i in range(padding):
            trial.suggest_float(f"pad_{i}", 0.0, 1.0)
        return problem.evaluate(params)

    objective.__name__ = "padded"
    return objective


def samplers(seed: int) -> dict[str, BaseSampler]:
    return {
        "trimtab.auto": AutoSampler(seed=seed),
        "trimtab.gp": GPSampler(seed=seed),
        "trimtab.tpe": TPESampler(seed=seed),
        "trimtab.tpe_density": TPESampler(branches="tpe", seed=seed),
        # the default's TPE (on conditional spaces of more than 16 parameters)
        "trimtab.tpe_group": TPESampler(group=True, constant_liar=True, seed=seed),
        "trimtab.cmaes": CMAESSampler(seed=seed),
        "trimtab.random": RandomSampler(seed=seed),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--padding", type=int, default=10, help="irrelevant floats of padded")
    parser.add_argument(
        "--objectives", default="branches,nested,padded,model_choice", help="comma list"
    )
    parser.add_argument("--methods", default=",".join(samplers(0)), help="comma list")
    parser.add_argument(
        "--at", default="", help="comma list of trial counts to report (default: --trials)"
    )
    parser.add_argument(
        "--alpha", type=float, default=None, help="MaxUCB's alpha in TPE (default: its own)"
    )
    args = parser.parse_args(argv)
    known = {
        "branches": branches,
        "nested": nested,
        "padded": padded(args.padding),
        "model_choice": model_choice,
        "cash_diabetes": cash("diabetes"),
        "cash_breast_cancer": cash("breast_cancer"),
    }
    chosen = args.objectives.split(",")
    unknown = [o for o in chosen if o not in known]
    if unknown:
        parser.error(f"--objectives {unknown[0]!r} must be among {', '.join(known)}")
    methods = args.methods.split(",")
    unknown = [m for m in methods if m not in samplers(0)]
    if unknown:
        parser.error(f"--methods {unknown[0]!r} must be among {', '.join(samplers(0))}")
    if args.padding < 0 or args.seeds < 1 or args.trials < 2:
        parser.error("--padding must be >= 0, --seeds >= 1 and --trials >= 2")
    try:
        counts = sorted({int(c) for c in args.at.split(",")} if args.at else {args.trials})
    except ValueError:
        parser.error(f"--at {args.at!r} must be a comma list of trial counts")
    if counts[0] < 2 or counts[-1] > args.trials:
        parser.error(f"--at {args.at!r}: each count must be in [2, --trials={args.trials}]")
    if args.alpha is not None and not args.alpha > 0:
        parser.error(f"--alpha {args.alpha!r} must be > 0")
    logging.getLogger("trimtab").setLevel(logging.WARNING)
    default_alpha = branch_choice.ALPHA
    branch_choice.ALPHA = default_alpha if args.alpha is None else args.alpha
    try:
        _run(args, chosen, known, methods, counts)
    finally:
        branch_choice.ALPHA = default_alpha


def _run(
    args: argparse.Namespace,
    chosen: list[str],
    known: dict[str, Callable[[trimtab.Trial], float]],
    methods: list[str],
    counts: list[int],
) -> None:
    print(f"median best value over {args.seeds} seeds after {', '.join(map(str, counts))} trials")
    for name in chosen:
        objective = known[name]
        # per trial count: each method's best values and trials on the optimum's branch
        best: dict[int, dict[str, list[float]]] = {c: {} for c in counts}
        on_best: dict[int, dict[str, list[int]]] = {c: {} for c in counts}
        for seed in range(args.seeds):
            for method, sampler in samplers(seed).items():
                if method not in methods:
                    continue
                study = trimtab.create_study(sampler=sampler)
                study.optimize(objective, n_trials=args.trials)
                trials = study.trials
                for c in counts:
                    values = [t.value for t in trials[:c] if t.value is not None]
                    best[c].setdefault(method, []).append(min(values))
                    if name in OPTIMUM_BRANCH:
                        param, choice = OPTIMUM_BRANCH[name]
                        hits = sum(t.params.get(param) == choice for t in trials[c // 2 : c])
                        on_best[c].setdefault(method, []).append(hits)
        for c in counts:
            cells = ", ".join(f"{k} {statistics.median(v):.3g}" for k, v in best[c].items())
            if name in OPTIMUM_BRANCH:
                where = OPTIMUM_BRANCH[name][1]
                cells += f" (trials of the last {c - c // 2} on {where}: " + (
                    ", ".join(f"{k} {statistics.median(v):g}" for k, v in on_best[c].items()) + ")"
                )
            label = name if len(counts) == 1 else f"{name} @{c}"
            print(f"{label}: {cells}", flush=True)


if __name__ == "__main__":
    main()
