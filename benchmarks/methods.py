"""Every method behind one tiny interface: ``run(problem, budget, seed, evaluate)``.

``evaluate(params) -> float`` is the timed objective the runner hands in; a method calls it
``budget`` times. Peers are imported lazily; a peer that is not installed raises
``MethodUnavailable`` with the reason, and the runner lists it as such.
"""

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

from trimtab.benchmarks import Problem, suggest
from trimtab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

Evaluate = Callable[[Mapping[str, Any]], float]
Runner = Callable[[Problem, int, int, Evaluate], None]


class MethodUnavailable(Exception):
    """The method's package is not installed (or does not import) here."""


def _define_by_run(problem: Problem, evaluate: Evaluate) -> Callable[[Any], float]:
    def objective(trial: Any) -> float:
        params: dict[str, Any] = {}
        for name, dist in problem.space.items():
            if problem.active(name, params):
                params[name] = suggest(trial, name, dist)
        return evaluate(params)

    return objective


# ---- trimtab --------------------------------------------------------------------------------


def _trimtab(make_sampler: Callable[[Any, int], Any]) -> Runner:
    def run(problem: Problem, budget: int, seed: int, evaluate: Evaluate) -> None:
        import trimtab

        logging.getLogger("trimtab").setLevel(logging.WARNING)
        study = trimtab.create_study(sampler=make_sampler(trimtab.samplers, seed))
        study.optimize(_define_by_run(problem, evaluate), n_trials=budget, catch=())

    return run


# ---- Optuna ---------------------------------------------------------------------------------


def _optuna(make_sampler: Callable[[Any, int], Any]) -> Runner:
    def run(problem: Problem, budget: int, seed: int, evaluate: Evaluate) -> None:
        try:
            import optuna
        except ImportError as exc:
            raise MethodUnavailable(f"optuna: {exc}") from None
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        try:
            sampler = make_sampler(optuna, seed)
        except ImportError as exc:
            raise MethodUnavailable(str(exc)) from None
        study = optuna.create_study(sampler=sampler)
        study.optimize(_define_by_run(problem, evaluate), n_trials=budget, catch=())

    return run


def _optuna_gp(optuna: Any, seed: int) -> Any:
    import torch  # noqa: F401  (Optuna's GPSampler needs it)

    return optuna.samplers.GPSampler(seed=seed)


def _optuna_cmaes(optuna: Any, seed: int) -> Any:
    import cmaes  # noqa: F401

    return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)


# ---- Hyperopt -------------------------------------------------------------------------------


def _hyperopt_dim(hp: Any, label: str, dist: Any) -> Any:
    if isinstance(dist, FloatDistribution):
        if dist.log:
            return hp.loguniform(label, math.log(dist.low), math.log(dist.high))
        return hp.uniform(label, dist.low, dist.high)
    if isinstance(dist, IntDistribution):
        if dist.log:  # each integer gets [v - 0.5, v + 0.5) in log space, as in trimtab
            return hp.qloguniform(label, math.log(dist.low - 0.5), math.log(dist.high + 0.5), 1)
        # the index k of low + k * step, so steps > 1 land on the grid
        return hp.quniform(label, -0.499, (dist.high - dist.low) // dist.step + 0.499, 1)
    return hp.choice(label, list(dist.choices))


def hyperopt_tpe(problem: Problem, budget: int, seed: int, evaluate: Evaluate) -> None:
    try:
        import numpy as np
        from hyperopt import STATUS_OK, Trials, fmin, hp, tpe
    except ImportError as exc:
        raise MethodUnavailable(f"hyperopt: {exc}") from None
    logging.getLogger("hyperopt").setLevel(logging.ERROR)
    space: dict[str, Any] = {}
    for name, dist in problem.space.items():
        if name in problem.conditions:
            continue
        children = [c for c, cond in problem.conditions.items() if cond.parent == name]
        if children and isinstance(dist, CategoricalDistribution):
            space[name] = hp.choice(
                name,
                [
                    {
                        name: v,
                        **{
                            c: _hyperopt_dim(hp, f"{c}|{v}", problem.space[c])
                            for c in children
                            if v in problem.conditions[c].values
                        },
                    }
                    for v in dist.choices
                ],
            )
        else:
            space[name] = _hyperopt_dim(hp, name, dist)

    def flat(sample: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in sample.items():
            if isinstance(v, dict):
                out.update(v)
            else:
                out[k] = v
        for k, dist in problem.space.items():
            if k in out and isinstance(dist, IntDistribution):
                v = round(out[k]) if dist.log else dist.low + round(out[k]) * dist.step
                out[k] = min(max(v, dist.low), dist.high)
        return out

    fmin(
        lambda s: {"loss": evaluate(flat(s)), "status": STATUS_OK},
        space,
        algo=tpe.suggest,
        max_evals=budget,
        trials=Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )


# ---- scikit-optimize ------------------------------------------------------------------------


def skopt_gp(problem: Problem, budget: int, seed: int, evaluate: Evaluate) -> None:
    try:
        from skopt import gp_minimize
        from skopt.space import Categorical, Integer, Real
    except ImportError as exc:
        raise MethodUnavailable(f"scikit-optimize: {exc}") from None
    names = list(problem.space)
    dims = []
    for name in names:  # flat: conditional parameters always exist, inactive ones are ignored
        d = problem.space[name]
        if isinstance(d, FloatDistribution):
            dims.append(Real(d.low, d.high, prior="log-uniform" if d.log else "uniform"))
        elif isinstance(d, IntDistribution):
            dims.append(Integer(d.low, d.high, prior="log-uniform" if d.log else "uniform"))
        else:
            dims.append(Categorical(list(d.choices)))

    def f(x: list[Any]) -> float:
        params = {n: (v.item() if hasattr(v, "item") else v) for n, v in zip(names, x, strict=True)}
        return evaluate(params)

    gp_minimize(f, dims, n_calls=budget, n_initial_points=min(10, budget), random_state=seed)


# ---- SMAC3 ----------------------------------------------------------------------------------


def smac_hpo(problem: Problem, budget: int, seed: int, evaluate: Evaluate) -> None:
    try:
        from ConfigSpace import (
            Categorical,
            ConfigurationSpace,
            EqualsCondition,
            Float,
            InCondition,
            Integer,
        )
        from smac import HyperparameterOptimizationFacade, Scenario
    except ImportError as exc:
        raise MethodUnavailable(f"smac: {exc}") from None
    cs = ConfigurationSpace(seed=seed)
    hps: dict[str, Any] = {}
    for name, d in problem.space.items():
        if isinstance(d, FloatDistribution):
            hps[name] = Float(name, (d.low, d.high), log=d.log)
        elif isinstance(d, IntDistribution):
            hps[name] = Integer(name, (d.low, d.high), log=d.log)
        else:
            hps[name] = Categorical(name, list(d.choices))
    cs.add(list(hps.values()))
    for child, cond in problem.conditions.items():
        if len(cond.values) == 1:
            cs.add(EqualsCondition(hps[child], hps[cond.parent], cond.values[0]))
        else:
            cs.add(InCondition(hps[child], hps[cond.parent], list(cond.values)))

    def train(config: Any, seed: int = 0) -> float:
        return evaluate(dict(config))

    with tempfile.TemporaryDirectory() as tmp:
        scenario = Scenario(
            cs, deterministic=True, n_trials=budget, seed=seed, output_directory=tmp
        )
        smac = HyperparameterOptimizationFacade(scenario, train, overwrite=True, logging_level=40)
        smac.optimize()


METHODS: dict[str, Runner] = {
    # the default of create_study
    "trimtab.auto": _trimtab(lambda s, seed: s.AutoSampler(seed=seed)),
    "trimtab.random": _trimtab(lambda s, seed: s.RandomSampler(seed=seed)),
    "trimtab.tpe": _trimtab(lambda s, seed: s.TPESampler(seed=seed)),
    "trimtab.qmc": _trimtab(lambda s, seed: s.QMCSampler(seed=seed)),
    "trimtab.cmaes": _trimtab(lambda s, seed: s.CMAESSampler(seed=seed)),
    "trimtab.gp": _trimtab(lambda s, seed: s.GPSampler(seed=seed)),
    # an option, not a default: the GP with fitted input warping
    "trimtab.gp_warped": _trimtab(lambda s, seed: s.GPSampler(seed=seed, input_warping=True)),
    # the GP warping its log parameters: GPSampler's default since session 17 (the same
    # sampler as trimtab.gp), kept under this name for the runs made before
    "trimtab.gp_logwarp": _trimtab(lambda s, seed: s.GPSampler(seed=seed, input_warping="log")),
    # GPSampler's default until session 17: no input warping
    "trimtab.gp_nowarp": _trimtab(lambda s, seed: s.GPSampler(seed=seed, input_warping=False)),
    # the default's GP phase warping its log parameters: the default since session 17 (the
    # same sampler as trimtab.auto), kept under this name for the runs made before
    "trimtab.auto_logwarp": _trimtab(
        lambda s, seed: s.AutoSampler(seed=seed, gp_input_warping="log")
    ),
    # the default until session 17: its GP phase without input warping
    "trimtab.auto_nowarp": _trimtab(
        lambda s, seed: s.AutoSampler(seed=seed, gp_input_warping=False)
    ),
    "trimtab.ga": _trimtab(lambda s, seed: s.GeneticSampler(seed=seed)),
    "trimtab.nsga2": _trimtab(lambda s, seed: s.NSGAIISampler(seed=seed)),
    "optuna.random": _optuna(lambda o, s: o.samplers.RandomSampler(seed=s)),
    # Optuna's default TPE; in Optuna 5 that is multivariate for one objective
    "optuna.tpe": _optuna(lambda o, s: o.samplers.TPESampler(seed=s)),
    "optuna.tpe_univariate": _optuna(
        lambda o, s: o.samplers.TPESampler(seed=s, multivariate=False)
    ),
    "optuna.tpe_multivariate": _optuna(
        lambda o, s: o.samplers.TPESampler(seed=s, multivariate=True, group=True)
    ),
    "optuna.cmaes": _optuna(_optuna_cmaes),
    "optuna.gp": _optuna(_optuna_gp),
    # Optuna has no single-objective GA; its NSGA-II serves one objective too
    "optuna.nsga2": _optuna(lambda o, s: o.samplers.NSGAIISampler(seed=s)),
    "hyperopt.tpe": hyperopt_tpe,
    "skopt.gp": skopt_gp,
    "smac.hpo": smac_hpo,
}


def versions(packages: tuple[str, ...]) -> str:
    """Python's version and each package's installed version, for a report's header."""
    import importlib.metadata as md
    import platform

    parts = [f"python {platform.python_version()}"]
    for pkg in packages:
        try:
            parts.append(f"{pkg} {md.version(pkg)}")
        except md.PackageNotFoundError:
            parts.append(f"{pkg} not installed")
    return ", ".join(parts)
