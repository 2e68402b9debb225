"""Resume rather than restart: the promotion form of successive halving, on the study side.

With ``study.optimize(objective, ..., checkpoint_root="ckpt/")`` (or ``study.ask(
checkpoint_root=...)``) every run of the objective gets a budget, ``trial.budget`` (the step to
train up to in this run, a rung of the study's pruner), and a checkpoint directory,
``trial.checkpoint_dir`` = ``checkpoint_root / f"trial-{number}"``. How the records move:

- A new trial starts RUNNING with system attribute ``budget`` = the first budget of its
  ladder (``pruner.budgets``). When the objective returns below ``max_resource``, ``tell``
  makes it PAUSED (not finished: no value; its reports stay); the value returned is stored as
  the report at step ``budget`` unless the objective reported at or after that step.
- A worker that asks first looks for a promotion (``pruner.promotions``: ASHA's rule, from
  stored records only). It claims ``promote:<number>:<budget>`` in the storage
  (``BaseStorage.claim``, atomic across processes and machines), and only the worker whose
  claim succeeds turns the trial PAUSED -> RUNNING with the next budget: each trial is
  promoted from each rung exactly once. Its objective runs again with the same parameters,
  finds its checkpoint and goes on; its reports continue at the next steps.
- A run at ``max_resource`` ends COMPLETE with the value returned. Trials that are never
  promoted stay PAUSED (a later ``optimize`` may still promote them as their rung fills);
  ``best_trial`` only sees COMPLETE trials. To close a study, tell its PAUSED trials PRUNED.

trimtab never deletes checkpoints: a PAUSED trial needs its directory to be promoted, a
COMPLETE one holds the fully trained model. Remove ``checkpoint_root`` when the study is done.

Not atomic: a process that dies between winning a claim and marking the trial RUNNING leaves
that trial PAUSED and never promoted from that rung.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trimtab.pruners._promotion import BUDGET_ATTR
from trimtab.study._heartbeat import HeartbeatSettings, HeartbeatThread
from trimtab.study._trial import Trial
from trimtab.study._values import check_values
from trimtab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from trimtab.study._study import Study

MARKER = ".trimtab-study"
"""File in ``checkpoint_root`` naming the study it belongs to."""


def check_root(study: Study, checkpoint_root: Any) -> Path:
    """The checkpoint directory of the study (created), after checking the arguments."""
    if isinstance(checkpoint_root, bool) or not isinstance(checkpoint_root, str | os.PathLike):
        raise TypeError(
            f"checkpoint_root={checkpoint_root!r} must be a directory path (str or "
            "pathlib.Path), or None to run without budgets"
        )
    if str(checkpoint_root) == "":
        raise ValueError("checkpoint_root='' must name a directory")
    if len(study.directions) != 1:
        raise ValueError(
            f"checkpoint_root={str(checkpoint_root)!r}: the promotion form is for "
            f"single-objective studies; study {study.study_name!r} has "
            f"{len(study.directions)} objectives"
        )
    if study.pruner.budgets(study, 0) is None:
        raise ValueError(
            f"checkpoint_root={str(checkpoint_root)!r} needs a pruner with rungs to hand out "
            f"budgets (SuccessiveHalvingPruner or HyperbandPruner with an integer "
            f"max_resource); the study's pruner is {type(study.pruner).__name__}"
        )
    root = Path(checkpoint_root)
    if root.exists() and not root.is_dir():
        raise ValueError(f"checkpoint_root={str(root)!r} exists and is not a directory")
    root.mkdir(parents=True, exist_ok=True)
    marker = root / MARKER
    try:
        owner = marker.read_text(encoding="utf-8")
    except FileNotFoundError:
        tmp = root / f"{MARKER}.{os.getpid()}"
        tmp.write_text(study.study_name, encoding="utf-8")
        os.replace(tmp, marker)
        owner = marker.read_text(encoding="utf-8")
    if owner != study.study_name:
        raise ValueError(
            f"checkpoint_root={str(root)!r} holds the checkpoints of study {owner!r}, not "
            f"{study.study_name!r}; give each study its own directory"
        )
    return root


def take_promotion(study: Study) -> FrozenTrial | None:
    """Claim the first promotion no other worker took, and mark the trial RUNNING with its
    next budget; ``None`` if there is nothing to promote."""
    storage = study._storage
    for paused, budget in study.pruner.promotions(study):
        key = f"promote:{paused.number}:{paused.system_attrs[BUDGET_ATTR]}"
        if storage.claim(study._study_id, key):
            return storage.update_trial(
                paused.trial_id, state=TrialState.RUNNING, system_attrs={BUDGET_ATTR: budget}
            )
    return None


def resume_promoted(
    study: Study,
    root: Path,
    beat: HeartbeatSettings | None,
    fixed_distributions: Mapping[str, Any] | None,
) -> Trial | None:
    """The live handle of a promoted trial (``study.ask`` in the promotion form), beating
    if the study has heartbeats; ``None`` if nothing is promoted."""
    promoted = take_promotion(study)
    if promoted is None:
        return None
    beating = None
    if beat is not None:
        beating = HeartbeatThread(study._storage, promoted.trial_id, promoted.number, beat.interval)
    resumed = Trial(study, promoted, beating, resumed=True)
    attach(resumed, root)
    for name, dist in (fixed_distributions or {}).items():
        resumed.suggest(name, dist)
    return resumed


def attach(trial: Trial, root: Path) -> None:
    """Give a live trial its budget and checkpoint directory."""
    ladder = trial.study.pruner.budgets(trial.study, trial.number)
    assert ladder is not None
    budget = trial._system_attrs.get(BUDGET_ATTR)
    if budget is None:  # a new (or enqueued) trial starts at the bottom of its ladder
        budget = ladder[0]
        trial.set_system_attr(BUDGET_ATTR, budget)
    trial._budget = int(budget)
    trial._max_budget = ladder[-1]
    trial._checkpoint_root = root


def pause(study: Study, live: Trial, values: Any) -> FrozenTrial:
    """End a run below ``max_resource``: the trial waits PAUSED for a promotion."""
    final, problem = check_values(values, 1)
    if problem is not None or final is None:
        return study.tell(
            live,
            state=TrialState.FAILED,
            fail_reason={"type": "InvalidObjectiveValue", "message": str(problem), "traceback": ""},
        )
    budget = live._budget
    assert budget is not None
    if not any(step >= budget for step in live._intermediate):
        live._intermediate[budget] = final[0]
        live._pending_iv[budget] = final[0]
    return live._finish(state=TrialState.PAUSED)
