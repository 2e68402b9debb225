"""``trimtab worker``: one of any number of independent workers sharing a study.

Start as many as you like, on any machines that reach the storage (PostgreSQL for several
machines, a SQLite file for one). Each loads the study (create it first, e.g. with
``trimtab.create_study`` or ``trimtab tune``, with any heartbeat settings: workers follow
what the study holds), then asks, runs ``module:function`` (called as ``function(trial)``)
and tells, until one of:

- ``--n-trials N``: the study's total. The workers together start at most N trials: each new
  trial needs the study to hold fewer than N trials that run or ran (RUNNING, COMPLETE,
  PRUNED, FAILED) and an atomically claimed slot (see ``trimtab.study._budget``). A worker
  started later with the same N stops at once; one with a larger N carries on.
- ``--timeout S``: this worker starts no trial after S seconds.
- the sampler has nothing left (a finished grid), or Ctrl-C.

Grid points and enqueued trials are handed out exactly once across all workers (the storage
claims them). Give a RandomSampler no seed here: workers with one seed propose the same values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

import trimtab
from trimtab.cli._tune import ConfigError, import_objective, parse_sampler
from trimtab.study._budget import COUNTED, TotalTrials
from trimtab.study._optimize import run_optimize


def parse_sampler_option(text: str | None) -> trimtab.samplers.BaseSampler:
    """``--sampler``: a name (``auto``, the default, ``tpe``, ...) or a YAML/JSON mapping as in
    a tune config."""
    if text is None:
        return trimtab.samplers.AutoSampler()
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"--sampler={text!r} is not valid YAML: {exc}") from None
    return parse_sampler("--sampler", spec)


def run_worker(
    storage: str,
    study_name: str,
    objective: str,
    n_trials: int | None,
    timeout: float | None,
    trial_timeout: float | None,
    sampler: str | None,
    n_jobs: int,
) -> tuple[int, int]:
    """Work on the study until a limit is reached; (trials this worker ran, study's total)."""
    func: Any = import_objective("--objective", objective, Path.cwd())
    study = trimtab.load_study(
        study_name=study_name, storage=storage, sampler=parse_sampler_option(sampler)
    )
    ran: list[int] = []
    run_optimize(
        study,
        func,
        None,
        timeout,
        (Exception,),
        [lambda s, t: ran.append(t.number)],
        False,
        False,
        n_jobs,
        trial_timeout,
        None if n_trials is None else TotalTrials(n_trials),
    )
    return len(ran), len(study.get_trials(COUNTED))
