"""``trimtab tune CONFIG.yaml``: an experiment in one file that anyone can rerun.

The file names the objective (``module:function``), the search space, the sampler with its
seed, the budget and the storage. The objective is called as ``function(trial, **objective_args)``
with every parameter of ``space`` already drawn (read them from ``trial.params``; it may
suggest more parameters itself). The whole configuration is kept in the study's system
attributes, so the study documents how it was made.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

import trimtab
from trimtab import samplers
from trimtab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from trimtab.samplers import AutoSampler, BaseSampler, GridSampler, RandomSampler
from trimtab.study import Study, Trial

TOP_KEYS = {
    "study_name": "name of the study (required)",
    "objective": "module:function to minimise or maximise (required)",
    "space": "parameter name -> {type: float|int|categorical, ...}",
    "direction": "minimize or maximize",
    "directions": "list of directions, one per objective",
    "n_trials": "how many trials to run this time",
    "timeout": "seconds after which no new trial starts",
    "sampler": "{name: random|grid, seed: int, search_space: {...} for grid}",
    "storage": "database URL (default sqlite:///trimtab.db)",
    "objective_args": "keyword arguments passed to the objective",
    "enqueue": "list of parameter dicts to try first",
    "show_progress_bar": "true or false",
}


class ConfigError(trimtab.TrimtabError, ValueError):
    """A tune configuration that cannot be run as written."""


def _where(path: str, key: str) -> str:
    return f"{path}: {key}"


def load_config(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {str(p)!r} does not exist")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: the file must hold a mapping of keys {sorted(TOP_KEYS)}")
    unknown = sorted(set(data) - set(TOP_KEYS))
    if unknown:
        raise ConfigError(f"{p}: unknown key(s) {unknown}; allowed: " + ", ".join(sorted(TOP_KEYS)))
    for required in ("study_name", "objective"):
        if required not in data:
            raise ConfigError(f"{p}: key {required!r} is required ({TOP_KEYS[required]})")
    return data


def parse_space(path: str, space: Any) -> dict[str, BaseDistribution]:
    if space is None:
        return {}
    if not isinstance(space, Mapping):
        raise ConfigError(f"{path}: 'space' must map parameter names to distributions")
    out: dict[str, BaseDistribution] = {}
    for name, spec in space.items():
        where = _where(path, f"space.{name}")
        if not isinstance(spec, Mapping) or "type" not in spec:
            raise ConfigError(f"{where} must be a mapping with a 'type' key")
        kind = spec["type"]
        args = {
            k: _number(v) if k in ("low", "high", "step") else v
            for k, v in spec.items()
            if k != "type"
        }
        try:
            if kind == "float":
                _only(where, args, {"low", "high", "log", "step"})
                out[name] = FloatDistribution(
                    args["low"],
                    args["high"],
                    log=bool(args.get("log", False)),
                    step=args.get("step"),
                )
            elif kind == "int":
                _only(where, args, {"low", "high", "log", "step"})
                out[name] = IntDistribution(
                    args["low"],
                    args["high"],
                    log=bool(args.get("log", False)),
                    step=args.get("step", 1),
                )
            elif kind == "categorical":
                _only(where, args, {"choices"})
                out[name] = CategoricalDistribution(args["choices"])
            else:
                raise ConfigError(
                    f"{where}.type={kind!r} is not a distribution type; allowed: float, int, "
                    "categorical"
                )
        except KeyError as exc:
            raise ConfigError(f"{where}: missing key {exc.args[0]!r}") from None
        except trimtab.distributions.InvalidDistributionError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return out


def _number(value: Any) -> Any:
    """YAML 1.1 reads ``1e-5`` (no dot) as a string; read numbers the way people write them."""
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return value
        return int(f) if f.is_integer() and "." not in value and "e" not in value.lower() else f
    return value


def _only(where: str, args: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(args) - allowed)
    if extra:
        raise ConfigError(f"{where}: unknown key(s) {extra}; allowed: {sorted(allowed)}")


def parse_sampler(path: str, spec: Any) -> BaseSampler:
    if spec is None:
        return AutoSampler()
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, Mapping) or "name" not in spec:
        raise ConfigError(f"{path}: 'sampler' must be a mapping with a 'name' key")
    name, seed = spec["name"], spec.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ConfigError(f"{path}: sampler.seed={seed!r} must be an integer")
    if name == "random":
        _only(_where(path, "sampler"), spec, {"name", "seed"})
        return RandomSampler(seed=seed)
    if name == "grid":
        _only(_where(path, "sampler"), spec, {"name", "seed", "search_space"})
        if "search_space" not in spec:
            raise ConfigError(f"{path}: sampler 'grid' needs search_space: name -> values")
        try:
            return GridSampler(spec["search_space"], seed=seed)
        except ValueError as exc:
            raise ConfigError(f"{path}: sampler.search_space: {exc}") from None
    if name in _BY_NAME:
        _only(_where(path, "sampler"), spec, {"name", "seed"})
        make: Any = getattr(samplers, _BY_NAME[name])
        sampler: BaseSampler = make(seed=seed)
        return sampler
    known = ", ".join(["grid", *_BY_NAME])
    raise ConfigError(f"{path}: sampler.name={name!r} is not known; allowed: {known}")


_BY_NAME = {
    "auto": "AutoSampler",
    "random": "RandomSampler",
    "tpe": "TPESampler",
    "gp": "GPSampler",
    "cmaes": "CMAESSampler",
    "qmc": "QMCSampler",
    "ga": "GeneticSampler",
    "nsga2": "NSGAIISampler",
}


def import_objective(path: str, ref: Any, base_dir: Path) -> Callable[..., Any]:
    if not isinstance(ref, str) or ref.count(":") != 1:
        raise ConfigError(f"{path}: objective={ref!r} must look like 'package.module:function'")
    module_name, func_name = ref.split(":")
    for d in (str(Path.cwd()), str(base_dir)):
        if d not in sys.path:
            sys.path.insert(0, d)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"{path}: objective module {module_name!r} cannot be imported: {exc}"
        ) from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise ConfigError(f"{path}: module {module_name!r} has no function {func_name!r}")
    return func  # type: ignore[no-any-return]


def build(
    config_path: str, storage_override: str | None, n_trials_override: int | None
) -> tuple[Study, Callable[[Trial], Any], dict[str, Any]]:
    """Check the whole file, then create or load its study; return (study, objective, run)."""
    cfg = load_config(config_path)
    space = parse_space(config_path, cfg.get("space"))
    sampler = parse_sampler(config_path, cfg.get("sampler"))
    func = import_objective(config_path, cfg["objective"], Path(config_path).resolve().parent)
    kwargs = cfg.get("objective_args") or {}
    if not isinstance(kwargs, Mapping):
        raise ConfigError(f"{config_path}: objective_args must be a mapping")
    n_trials = n_trials_override if n_trials_override is not None else cfg.get("n_trials")
    storage = storage_override or cfg.get("storage") or "sqlite:///trimtab.db"
    study = trimtab.create_study(
        study_name=cfg["study_name"],
        storage=storage,
        sampler=sampler,
        direction=cfg.get("direction"),
        directions=cfg.get("directions"),
        load_if_exists=True,
    )
    study.set_system_attr("tune_config", {**cfg, "storage": storage})
    for params in cfg.get("enqueue") or []:
        study.enqueue_trial(params, skip_if_exists=True)

    def objective(trial: Trial) -> Any:
        for name, dist in space.items():
            trial.suggest(name, dist)
        return func(trial, **kwargs)

    run = {
        "n_trials": n_trials,
        "timeout": cfg.get("timeout"),
        "show_progress_bar": bool(cfg.get("show_progress_bar", True)),
    }
    return study, objective, run
