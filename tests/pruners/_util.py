"""Helpers for the pruner tests: run trials through ask / report / should_prune / tell."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import trimtab
from trimtab import TrialState

Reports = Mapping[int, float] | Sequence[float]


def _items(reports: Reports) -> list[tuple[int, float]]:
    if isinstance(reports, Mapping):
        return sorted(reports.items())
    return list(enumerate(reports))


def finished(
    study: trimtab.Study, reports: Reports, state: TrialState = TrialState.COMPLETE
) -> trimtab.FrozenTrial:
    """A trial that reported ``reports`` (step -> value, or values at steps 0, 1, ...) and
    ended in ``state`` (COMPLETE with its last reported value), without asking the pruner."""
    trial = study.ask()
    items = _items(reports)
    for step, value in items:
        trial.report(value, step)
    if state == TrialState.COMPLETE:
        return study.tell(trial, items[-1][1])
    return study.tell(trial, state=state)


def decisions(study: trimtab.Study, reports: Reports, end: TrialState | None = None) -> list[bool]:
    """``should_prune()`` after each report of a new trial; the trial then ends in ``end``
    (COMPLETE with its last value, or PRUNED/FAILED), or stays RUNNING when ``end`` is None."""
    trial = study.ask()
    out = []
    items = _items(reports)
    for step, value in items:
        trial.report(value, step)
        out.append(trial.should_prune())
    if end == TrialState.COMPLETE:
        study.tell(trial, items[-1][1])
    elif end is not None:
        study.tell(trial, state=end)
    return out
