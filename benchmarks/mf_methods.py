"""Multi-fidelity methods for ``benchmarks/multifidelity.py``, each through its own ask/tell API.

``METHODS[name](space, max_epochs, seed, workers)`` returns a ``SimMethod`` (see ``mf_sim``).
Every method sees the same reduction factor 3 and rungs 1, 3, 9, 27 epochs (minimum resource
1, maximum 27). A peer that does not install raises ``MethodUnavailable`` with the reason.

- trimtab and Optuna: ``study.ask()``, ``trial.suggest_*``, ``trial.report(error, epoch)``,
  ``trial.should_prune()``, ``study.tell(trial, error)`` or ``tell(trial, state=PRUNED)``.
- Ray Tune's ``ASHAScheduler`` is driven through its scheduler callbacks
  (``on_trial_add`` / ``on_trial_result`` -> CONTINUE or STOP / ``on_trial_complete``) with
  trial-like objects, without starting Ray; configurations are drawn uniformly at random (what
  Tune's default search does for these distributions).
- DEHB (Awad, Mallik & Hutter, IJCAI 2021), ``dehb.DEHB.ask()`` / ``tell()``: it chooses each
  job's fidelity (epochs) up front and trains it from scratch to that fidelity; it never stops
  a job early.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np

from benchmarks.methods import MethodUnavailable
from benchmarks.mf_sim import Job, SimMethod
from trimtab.benchmarks import suggest
from trimtab.distributions import BaseDistribution, FloatDistribution, IntDistribution

Space = Mapping[str, BaseDistribution]
Factory = Callable[[Space, int, int, int], SimMethod]
ETA = 3


# ---- trimtab and Optuna: the same define-by-run ask/tell shape -----------------------------


class _StudyJob:
    def __init__(self, study: Any, trial: Any, params: dict[str, Any], pruned: Any) -> None:
        self.study, self.trial, self.params, self._pruned = study, trial, params, pruned
        self.epochs: int | None = None

    def report(self, epoch: int, error: float) -> None:
        self.trial.report(error, epoch)

    def should_stop(self) -> bool:
        return bool(self.trial.should_prune())

    def finish(self, error: float, stopped: bool) -> None:
        if stopped:
            self.study.tell(self.trial, state=self._pruned)
        else:
            self.study.tell(self.trial, error)


class _StudyMethod:
    def __init__(self, study: Any, space: Space, pruned: Any) -> None:
        self.study, self.space, self._pruned = study, space, pruned

    def ask(self) -> Job:
        trial = self.study.ask()
        params = {name: suggest(trial, name, dist) for name, dist in self.space.items()}
        return _StudyJob(self.study, trial, params, self._pruned)


def _trimtab(sampler: str, pruner: str) -> Factory:
    def make(space: Space, max_epochs: int, seed: int, workers: int) -> SimMethod:
        import trimtab
        from trimtab import pruners, samplers

        logging.getLogger("trimtab").setLevel(logging.WARNING)
        s = {
            "random": lambda: samplers.RandomSampler(seed=seed),
            "tpe": lambda: samplers.TPESampler(seed=seed),
            "bohb": lambda: samplers.BOHBSampler(seed=seed),
            # model-based ASHA: every trial ranked by the rung it reached, then its value there
            "bohb-reached": lambda: samplers.BOHBSampler(
                ranking="reached", random_fraction=0.1, n_ei_candidates=8, seed=seed
            ),
        }[sampler]()
        p = {
            "none": pruners.NopPruner,
            "asha": lambda: pruners.SuccessiveHalvingPruner(1, ETA, max_resource=max_epochs),
            "hyperband": lambda: pruners.HyperbandPruner(1, max_epochs, ETA),
        }[pruner]()
        study = trimtab.create_study(sampler=s, pruner=p)
        return _StudyMethod(study, space, trimtab.TrialState.PRUNED)

    return make


def _optuna(sampler: str, pruner: str) -> Factory:
    def make(space: Space, max_epochs: int, seed: int, workers: int) -> SimMethod:
        try:
            import optuna
        except ImportError as exc:
            raise MethodUnavailable(f"optuna: {exc}") from None
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        s = {
            "random": lambda: optuna.samplers.RandomSampler(seed=seed),
            "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        }[sampler]()
        p = {
            "sha": lambda: optuna.pruners.SuccessiveHalvingPruner(
                min_resource=1, reduction_factor=ETA
            ),
            "hyperband": lambda: optuna.pruners.HyperbandPruner(
                min_resource=1, max_resource=max_epochs, reduction_factor=ETA
            ),
        }[pruner]()
        # a fixed name: Optuna's Hyperband assigns brackets by a hash of name and number
        study = optuna.create_study(sampler=s, pruner=p, study_name="mf")
        return _StudyMethod(study, space, optuna.trial.TrialState.PRUNED)

    return make


# ---- Ray Tune's ASHA scheduler, without a cluster ------------------------------------------


def _uniform_params(space: Space, rng: np.random.Generator) -> dict[str, Any]:
    return {name: dist.from_unit(float(rng.random())) for name, dist in space.items()}


class _RayJob:
    def __init__(self, scheduler: Any, ray_trial: Any, params: dict[str, Any]) -> None:
        self.scheduler, self.ray_trial, self.params = scheduler, ray_trial, params
        self.epochs: int | None = None
        self.result: dict[str, float] = {}

    def report(self, epoch: int, error: float) -> None:
        self.result = {"training_iteration": epoch, "error": error}

    def should_stop(self) -> bool:
        action = self.scheduler.on_trial_result(None, self.ray_trial, self.result)
        return bool(action == "STOP")

    def finish(self, error: float, stopped: bool) -> None:
        # as Tune's controller does for a RUNNING trial that stops or ends: the last result
        self.scheduler.on_trial_complete(None, self.ray_trial, self.result)


class _RayASHA:
    def __init__(self, space: Space, max_epochs: int, seed: int) -> None:
        try:
            from ray.tune.schedulers import ASHAScheduler
        except ImportError as exc:
            raise MethodUnavailable(f"ray[tune]: {exc}") from None
        np.random.seed(seed)  # on_trial_add draws a bracket with NumPy's global generator
        self.scheduler = ASHAScheduler(
            time_attr="training_iteration",
            metric="error",
            mode="min",
            max_t=max_epochs,
            grace_period=1,
            reduction_factor=ETA,
        )
        self.space, self.max_epochs = space, max_epochs
        self.rng = np.random.default_rng(seed)
        self.count = 0

    def ask(self) -> Job:
        ray_trial = SimpleNamespace(trial_id=f"t{self.count:05d}")
        self.count += 1
        self.scheduler.on_trial_add(None, ray_trial)
        return _RayJob(self.scheduler, ray_trial, _uniform_params(self.space, self.rng))


def _ray_asha(space: Space, max_epochs: int, seed: int, workers: int) -> SimMethod:
    return _RayASHA(space, max_epochs, seed)


# ---- DEHB -----------------------------------------------------------------------------------


class _DEHBJob:
    def __init__(self, dehb: Any, info: dict[str, Any], params: dict[str, Any]) -> None:
        self.dehb, self.info, self.params = dehb, info, params
        self.epochs: int | None = round(float(info["fidelity"]))
        self.seconds = 0.0

    def report(self, epoch: int, error: float) -> None:
        pass  # DEHB hears of a job at its end only

    def should_stop(self) -> bool:
        return False  # DEHB does not stop jobs; the simulator ends them at self.epochs

    def finish(self, error: float, stopped: bool) -> None:
        # cost: DEHB only logs it; the simulator owns the clock
        self.dehb.tell(self.info, {"fitness": error, "cost": float(self.epochs or 0)})


def _configspace(space: Space, seed: int) -> Any:
    from ConfigSpace import Categorical, ConfigurationSpace, Float, Integer

    cs = ConfigurationSpace(seed=seed)
    for name, d in space.items():
        if isinstance(d, FloatDistribution):
            cs.add(Float(name, (d.low, d.high), log=d.log))
        elif isinstance(d, IntDistribution):
            cs.add(Integer(name, (d.low, d.high), log=d.log))
        else:
            cs.add(Categorical(name, list(d.choices)))
    return cs


def _python(value: Any, dist: BaseDistribution) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(dist, IntDistribution):
        return round(value)
    return value


class _DEHB:
    def __init__(self, space: Space, max_epochs: int, seed: int, workers: int) -> None:
        try:
            from dehb import DEHB
            from loguru import logger
        except ImportError as exc:
            raise MethodUnavailable(f"dehb: {exc}") from None
        logger.remove()  # DEHB logs every step through loguru
        self._tmp = tempfile.TemporaryDirectory()
        self.space = space
        self.dehb = DEHB(
            cs=_configspace(space, seed),
            min_fidelity=1,
            max_fidelity=max_epochs,
            eta=ETA,
            n_workers=1,  # no Dask: the simulator is the pool of workers
            seed=seed,
            output_path=self._tmp.name,
            save_freq="end",
        )

    def ask(self) -> Job:
        info = self.dehb.ask()
        config = dict(info["config"])
        params = {name: _python(config[name], d) for name, d in self.space.items()}
        return _DEHBJob(self.dehb, info, params)


def _dehb(space: Space, max_epochs: int, seed: int, workers: int) -> SimMethod:
    return _DEHB(space, max_epochs, seed, workers)


METHODS: dict[str, Factory] = {
    "trimtab.random": _trimtab("random", "none"),  # full training: the baseline
    "trimtab.asha": _trimtab("random", "asha"),
    "trimtab.hyperband": _trimtab("random", "hyperband"),
    "trimtab.bohb": _trimtab("bohb", "hyperband"),
    "trimtab.bohb+asha": _trimtab("bohb", "asha"),
    "trimtab.bohb-reached+asha": _trimtab("bohb-reached", "asha"),
    "trimtab.tpe+asha": _trimtab("tpe", "asha"),
    "trimtab.tpe+hyperband": _trimtab("tpe", "hyperband"),
    "optuna.sha": _optuna("random", "sha"),
    "optuna.hyperband": _optuna("random", "hyperband"),
    "optuna.tpe+sha": _optuna("tpe", "sha"),
    "optuna.tpe+hyperband": _optuna("tpe", "hyperband"),
    "ray.asha": _ray_asha,
    "dehb": _dehb,
}
