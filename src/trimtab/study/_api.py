"""Module-level entry points: create, load, delete and list studies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trimtab.exceptions import DuplicatedStudyError
from trimtab.pruners import BasePruner
from trimtab.samplers import BaseSampler
from trimtab.storages import BaseStorage, get_storage
from trimtab.study._heartbeat import HEARTBEAT_ATTR, check_heartbeat_args
from trimtab.study._study import Study
from trimtab.trial import StudyDirection, StudySummary


def _check_strategies(sampler: Any, pruner: Any) -> None:
    if sampler is not None and not isinstance(sampler, BaseSampler):
        raise TypeError(
            f"sampler={sampler!r} must be a trimtab.samplers sampler (e.g. RandomSampler()) or None"
        )
    if pruner is not None and not isinstance(pruner, BasePruner):
        raise TypeError(f"pruner={pruner!r} must be a trimtab.pruners pruner or None")


def _parse_directions(direction: Any, directions: Any) -> tuple[list[StudyDirection], bool]:
    if direction is not None and directions is not None:
        raise ValueError("pass direction= (one objective) or directions= (several), not both")
    if directions is not None:
        if isinstance(directions, str) or not isinstance(directions, Sequence) or not directions:
            raise ValueError(
                f"directions={directions!r} must be a non-empty list such as "
                "['minimize', 'maximize']"
            )
        return [StudyDirection.parse(d, arg="directions entry") for d in directions], True
    if direction is None:
        return [StudyDirection.MINIMIZE], False
    return [StudyDirection.parse(direction)], True


def create_study(
    *,
    storage: str | BaseStorage | None = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    study_name: str | None = None,
    direction: str | StudyDirection | None = None,
    directions: Sequence[str | StudyDirection] | None = None,
    load_if_exists: bool = False,
    heartbeat_interval: float | None = None,
    heartbeat_timeout: float | None = None,
    retry_failed: int | None = None,
) -> Study:
    """Create a study (or load it, with ``load_if_exists=True``) in ``storage``.

    ``storage``: ``None`` keeps it in memory; ``"sqlite:///runs.db"`` in a SQLite file.

    ``heartbeat_interval``: seconds between the heartbeats each running trial's process
    writes. A RUNNING trial without a heartbeat for ``heartbeat_timeout`` seconds (default
    6 intervals; must exceed the interval) is marked FAILED (reason type ``WorkerLost``) by
    the next worker that asks for a trial, and with ``retry_failed=N`` its parameters are
    enqueued again, up to N times per original trial (system attributes ``retry_of`` and
    ``retry_count`` link a retry to it). These settings are kept with the study, so every
    worker that loads it follows them; given with ``load_if_exists=True`` for an existing
    study, they replace the stored ones.
    """
    beat = check_heartbeat_args(heartbeat_interval, heartbeat_timeout, retry_failed)
    dirs, explicit = _parse_directions(direction, directions)
    _check_strategies(sampler, pruner)
    if study_name is not None and (not isinstance(study_name, str) or not study_name):
        raise ValueError(f"study_name={study_name!r} must be a non-empty string or None")
    store = get_storage(storage)
    try:
        study_id = store.create_new_study(dirs, study_name)
        study_name = store.get_study_name_from_id(study_id)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise
        assert study_name is not None
        existing = store.get_study_directions(store.get_study_id_from_name(study_name))
        if explicit and existing != dirs:
            raise ValueError(
                f"study {study_name!r} exists with directions "
                f"{[d.name.lower() for d in existing]}, but create_study asked for "
                f"{[d.name.lower() for d in dirs]}"
            ) from None
        study_id = store.get_study_id_from_name(study_name)
    if beat is not None:
        store.set_study_system_attr(study_id, HEARTBEAT_ATTR, beat.to_json())
    return Study(study_name, store, sampler, pruner)


def load_study(
    *,
    study_name: str | None,
    storage: str | BaseStorage,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
) -> Study:
    """Load an existing study. ``study_name=None`` works when the storage holds just one."""
    _check_strategies(sampler, pruner)
    store = get_storage(storage)
    if study_name is None:
        names = [s.study_name for s in store.get_all_studies()]
        if len(names) != 1:
            raise ValueError(
                f"study_name=None needs a storage with exactly one study; it has {len(names)}: "
                f"{names[:10]!r}"
            )
        study_name = names[0]
    store.get_study_id_from_name(study_name)  # StudyNotFoundError names what exists
    return Study(study_name, store, sampler, pruner)


def delete_study(*, study_name: str, storage: str | BaseStorage) -> None:
    """Delete a study and all its trials."""
    store = get_storage(storage)
    store.delete_study(store.get_study_id_from_name(study_name))


def get_all_study_summaries(storage: str | BaseStorage) -> list[StudySummary]:
    """One summary per study: name, directions, trial counts by state, best trial."""
    return get_storage(storage).get_all_studies()


def get_all_study_names(storage: str | BaseStorage) -> list[str]:
    return [s.study_name for s in get_storage(storage).get_all_studies()]


__all__ = [
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]
