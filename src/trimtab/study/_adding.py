"""Trials that enter a study without being asked: enqueued parameters and finished trials
added from elsewhere, checked at the door (``Study.enqueue_trial`` / ``Study.add_trial``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trimtab.storages._base import ClaimTaken, check_json
from trimtab.study._values import check_values
from trimtab.trial import FrozenTrial, TrialState
from trimtab.trial._frozen import FIXED_PARAMS_ATTR

if TYPE_CHECKING:
    from trimtab.study._study import Study


def enqueue(
    study: Study,
    params: Mapping[str, Any],
    user_attrs: Mapping[str, Any] | None,
    skip_if_exists: bool,
) -> None:
    """Store a WAITING trial with ``params`` fixed (see ``Study.enqueue_trial``)."""
    if not isinstance(params, Mapping):
        raise ValueError(f"params={params!r} must be a mapping of parameter name -> value")
    for k, v in params.items():
        if not isinstance(k, str):
            raise ValueError(f"params key {k!r} must be a parameter name (str)")
        check_json("parameter", k, v)
    claim = None
    if skip_if_exists:
        wanted = dict(params)
        for t in study.get_trials():
            fixed = t.system_attrs.get(FIXED_PARAMS_ATTR)
            if fixed == wanted or (t.state != TrialState.WAITING and dict(t.params) == wanted):
                return
        # the claim makes "enqueue unless already there" atomic across processes
        blob = json.dumps(wanted, sort_keys=True, separators=(",", ":"))
        claim = f"enqueue:{hashlib.sha1(blob.encode()).hexdigest()}"
    template = FrozenTrial(
        number=-1,
        state=TrialState.WAITING,
        user_attrs=user_attrs,
        system_attrs={FIXED_PARAMS_ATTR: dict(params)},
    )
    try:
        study.storage.create_new_trial(study._study_id, template, claim=claim)
    except ClaimTaken:
        return


def check_addable(trial: FrozenTrial, n_objectives: int) -> None:
    """Raise ``ValueError`` naming what is wrong with a finished trial to be added."""
    if not trial.state.is_finished():
        raise ValueError(
            f"trial.state={trial.state!r} must be COMPLETE, PRUNED or FAILED to add a trial"
        )
    for name, value in trial.params.items():
        dist = trial.distributions.get(name)
        if dist is None:
            raise ValueError(f"parameter {name!r} has no distribution in the trial")
        if not dist.contains(value):
            raise ValueError(f"parameter {name!r}={value!r} is not {dist.describe()}")
    if trial.state == TrialState.COMPLETE:
        _, problem = check_values(list(trial.values or []) or None, n_objectives)
        if problem is not None:
            raise ValueError(f"cannot add a COMPLETE trial: {problem}")
