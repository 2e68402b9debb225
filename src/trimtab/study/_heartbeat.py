"""Heartbeats and retries: a RUNNING trial whose worker went silent is failed and retried.

A study created with ``heartbeat_interval`` keeps its settings in the system attribute
``heartbeat`` (``{"interval", "timeout", "retry_failed"}``), so every worker that loads the
study follows them. While a trial runs, a daemon thread of its process stamps the trial's
heartbeat every ``interval`` seconds (``BaseStorage.record_heartbeat``, on the storage's
clock). Whenever a worker asks for a trial it first fails the RUNNING trials whose heartbeat
is older than ``timeout`` (``BaseStorage.fail_stale_trials``: each by exactly one worker)
and, with ``retry_failed=N``, enqueues each one's parameters again, at most N times per
original trial. A retry carries the system attributes ``retry_of`` (the number of the
original trial) and ``retry_count`` (1 for the first retry, ...); the claim
``retry:<original>:<count>`` makes that enqueueing happen once however many workers race.
Failing a trial and enqueueing its retry are two transactions: should the process doing them
die in between, the retry is made by the next worker's sweep (``sweep_retries``, at most
once per ``interval`` per process), which enqueues the missing retry of every trial failed
for want of heartbeats.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trimtab._logging import get_logger
from trimtab.storages import BaseStorage
from trimtab.storages._base import STALE_MESSAGE, ClaimTaken
from trimtab.trial import FrozenTrial, TrialState
from trimtab.trial._frozen import FIXED_PARAMS_ATTR, proposed_params

if TYPE_CHECKING:
    from trimtab.study._study import Study

_logger = get_logger(__name__)

HEARTBEAT_ATTR = "heartbeat"
RETRY_OF_ATTR = "retry_of"
RETRY_COUNT_ATTR = "retry_count"
DEFAULT_TIMEOUT_FACTOR = 6


@dataclass(frozen=True)
class HeartbeatSettings:
    interval: float
    timeout: float
    retry_failed: int

    def to_json(self) -> dict[str, Any]:
        return {
            "interval": self.interval,
            "timeout": self.timeout,
            "retry_failed": self.retry_failed,
        }


def _seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{name}={value!r} must be a number of seconds > 0")
    return float(value)


def check_heartbeat_args(
    heartbeat_interval: Any, heartbeat_timeout: Any, retry_failed: Any
) -> HeartbeatSettings | None:
    """Validate ``create_study``'s fault-tolerance arguments; None when heartbeats are off."""
    if heartbeat_interval is None:
        for name, value in (
            ("heartbeat_timeout", heartbeat_timeout),
            ("retry_failed", retry_failed),
        ):
            if value is not None:
                raise ValueError(
                    f"{name}={value!r} needs heartbeat_interval (seconds between heartbeats, "
                    "e.g. heartbeat_interval=10); without heartbeats a lost trial is never noticed"
                )
        return None
    interval = _seconds("heartbeat_interval", heartbeat_interval)
    if heartbeat_timeout is None:
        timeout = DEFAULT_TIMEOUT_FACTOR * interval
    else:
        timeout = _seconds("heartbeat_timeout", heartbeat_timeout)
        if not timeout > interval:
            raise ValueError(
                f"heartbeat_timeout={heartbeat_timeout!r} must be greater than "
                f"heartbeat_interval={heartbeat_interval!r} (a few intervals, e.g. "
                f"{DEFAULT_TIMEOUT_FACTOR * interval:g}), or a live worker's trials would be failed"
            )
    retries = 0 if retry_failed is None else retry_failed
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(
            f"retry_failed={retry_failed!r} must be an integer >= 0 (how many times a lost "
            "trial's parameters are tried again)"
        )
    return HeartbeatSettings(interval, timeout, retries)


def settings_from_attrs(attrs: Mapping[str, Any]) -> HeartbeatSettings | None:
    raw = attrs.get(HEARTBEAT_ATTR)
    if not isinstance(raw, Mapping):
        return None
    return HeartbeatSettings(
        float(raw["interval"]), float(raw["timeout"]), int(raw["retry_failed"])
    )


class HeartbeatThread:
    """Stamps one trial's heartbeat every ``interval`` seconds until ``stop()``.

    A failed write (e.g. the database restarting) is logged and tried again at the next
    beat. The thread ends by itself once the storage says the trial is no longer RUNNING;
    it never writes to a finished trial (``record_heartbeat`` only touches RUNNING ones).
    """

    def __init__(self, storage: BaseStorage, trial_id: int, number: int, interval: float) -> None:
        self._storage = storage
        self._trial_id = trial_id
        self._number = number
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"trimtab-heartbeat-{number}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        failures = 0
        while not self._stop.wait(self._interval):
            try:
                alive = self._storage.record_heartbeat(self._trial_id)
            except Exception as exc:
                failures += 1
                if failures == 1 or failures % 10 == 0:
                    _logger.warning(
                        "trial %d: heartbeat not recorded (%s: %s); trying again in %g s",
                        self._number,
                        type(exc).__name__,
                        exc,
                        self._interval,
                    )
                continue
            if failures:
                _logger.info("trial %d: heartbeats recorded again", self._number)
                failures = 0
            if not alive:
                if not self._stop.is_set():
                    _logger.warning(
                        "trial %d is no longer RUNNING in the storage (failed by another "
                        "worker for want of heartbeats?); its result will not be recorded",
                        self._number,
                    )
                return


def reap_stale_trials(study: Study, settings: HeartbeatSettings) -> list[FrozenTrial]:
    """Fail the study's trials that stopped beating and enqueue their retries."""
    lost = study._storage.fail_stale_trials(study._study_id, settings.timeout)
    for t in lost:
        assert t.fail_reason is not None
        _logger.warning("trial %d marked FAILED: %s", t.number, t.fail_reason["message"])
        enqueue_retry(study, t, settings.retry_failed)
    if settings.retry_failed:
        now = time.monotonic()
        if now >= study._next_sweep:
            study._next_sweep = now + settings.interval
            sweep_retries(study, settings.retry_failed)
    return lost


def sweep_retries(study: Study, retry_failed: int) -> int:
    """Enqueue the retries that are missing: of trials failed for want of heartbeats, with
    retries left, whose retry claim nobody holds (their reaper died before enqueueing).
    Returns how many this call enqueued."""
    candidates = []
    for t in study._storage.get_all_trials(study._study_id, (TrialState.FAILED,)):
        reason = t.fail_reason or {}
        if not str(reason.get("message", "")).startswith(STALE_MESSAGE):
            continue
        if int(t.system_attrs.get(RETRY_COUNT_ATTR, 0)) + 1 > retry_failed:
            continue
        candidates.append(t)
    if not candidates:
        return 0
    claimed = study._storage.get_claims(study._study_id, "retry:")
    made = 0
    for t in candidates:
        root = t.system_attrs.get(RETRY_OF_ATTR, t.number)
        count = int(t.system_attrs.get(RETRY_COUNT_ATTR, 0)) + 1
        if f"retry:{root}:{count}" not in claimed and enqueue_retry(study, t, retry_failed):
            made += 1
    return made


def enqueue_retry(study: Study, lost: FrozenTrial, retry_failed: int) -> bool:
    """Enqueue ``lost``'s parameters again if it has retries left; whether this call did."""
    if lost.state != TrialState.FAILED:
        return False
    root = lost.system_attrs.get(RETRY_OF_ATTR, lost.number)
    count = int(lost.system_attrs.get(RETRY_COUNT_ATTR, 0)) + 1
    if count > retry_failed:
        return False
    template = FrozenTrial(
        number=-1,
        state=TrialState.WAITING,
        system_attrs={
            # what it was given (a retry's own fixed values), what it proposed and suggested
            FIXED_PARAMS_ATTR: {
                **(lost.system_attrs.get(FIXED_PARAMS_ATTR) or {}),
                **proposed_params(lost),
            },
            RETRY_OF_ATTR: root,
            RETRY_COUNT_ATTR: count,
        },
    )
    try:
        retry = study._storage.create_new_trial(
            study._study_id, template, claim=f"retry:{root}:{count}"
        )
    except ClaimTaken:
        return False
    _logger.info(
        "trial %d enqueued as retry %d of %d of trial %d", retry.number, count, retry_failed, root
    )
    return True
