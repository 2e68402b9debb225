"""Heartbeats and retries through the public API (one process; real processes are in
test_faults.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

import trimtab
from trimtab import TrialState


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "memory":
        return trimtab.storages.InMemoryStorage()
    return f"sqlite:///{tmp_path / 'hb.db'}"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"heartbeat_interval": 0}, "heartbeat_interval=0 must be a number of seconds > 0"),
        ({"heartbeat_interval": "1"}, "heartbeat_interval='1' must be a number of seconds"),
        (
            {"heartbeat_interval": 2, "heartbeat_timeout": 2},
            "heartbeat_timeout=2 must be greater than heartbeat_interval=2",
        ),
        ({"heartbeat_interval": 1, "heartbeat_timeout": -1}, "heartbeat_timeout=-1 must be"),
        ({"heartbeat_interval": 1, "retry_failed": 1.5}, "retry_failed=1.5 must be an integer"),
        ({"heartbeat_interval": 1, "retry_failed": -1}, "retry_failed=-1 must be an integer >= 0"),
        ({"heartbeat_timeout": 60}, "heartbeat_timeout=60 needs heartbeat_interval"),
        ({"retry_failed": 2}, "retry_failed=2 needs heartbeat_interval"),
    ],
)
def test_bad_heartbeat_arguments_name_the_argument(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(")):
        trimtab.create_study(**kwargs)


def test_settings_are_kept_with_the_study(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hb.db'}"
    trimtab.create_study(
        study_name="s", storage=url, heartbeat_interval=10, heartbeat_timeout=60, retry_failed=2
    )
    loaded = trimtab.load_study(study_name="s", storage=url)
    assert loaded.system_attrs["heartbeat"] == {
        "interval": 10.0,
        "timeout": 60.0,
        "retry_failed": 2,
    }
    # the default timeout is 6 intervals; passing settings again replaces the stored ones
    again = trimtab.create_study(
        study_name="s", storage=url, load_if_exists=True, heartbeat_interval=5
    )
    assert again.system_attrs["heartbeat"] == {"interval": 5.0, "timeout": 30.0, "retry_failed": 0}
    plain = trimtab.create_study(study_name="s", storage=url, load_if_exists=True)
    assert plain.system_attrs["heartbeat"]["interval"] == 5.0  # loading keeps them


def test_a_beating_trial_outlives_the_timeout(store: Any) -> None:
    study = trimtab.create_study(storage=store, heartbeat_interval=0.05, heartbeat_timeout=0.3)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    time.sleep(0.6)
    other = trimtab.load_study(study_name=study.study_name, storage=study.storage)
    other.ask()  # reaps nothing: the first trial kept beating
    assert study.trials[0].state == TrialState.RUNNING
    study.tell(trial, 1.0)
    assert study.trials[0].state == TrialState.COMPLETE


def _lose(trial: trimtab.Trial) -> None:
    """As if the trial's process died: its heartbeats stop."""
    assert trial._heartbeat is not None
    trial._heartbeat.stop()


def test_a_lost_trial_is_failed_and_retried_with_its_parameters(store: Any) -> None:
    study = trimtab.create_study(
        storage=store, heartbeat_interval=0.05, heartbeat_timeout=0.3, retry_failed=1
    )
    lost = study.ask()
    x = lost.suggest_float("x", 0, 1)  # written at once: the retry gets it
    lost.suggest_int("n", 1, 9)
    _lose(lost)
    time.sleep(0.45)
    retry = study.ask()  # fails the lost trial, enqueues its retry, and takes it
    original = study.trials[0]
    assert original.state == TrialState.FAILED
    assert original.fail_reason is not None and original.fail_reason["type"] == "WorkerLost"
    assert "worker lost: no heartbeat for" in original.fail_reason["message"]
    assert retry.number == 1
    assert retry.system_attrs["retry_of"] == 0 and retry.system_attrs["retry_count"] == 1
    assert retry.suggest_float("x", 0, 1) == x
    assert retry.suggest_int("n", 1, 9) == original.params["n"]
    _lose(retry)  # lost again: retry_failed=1 allows no second retry
    time.sleep(0.45)
    fresh = study.ask()
    assert study.trials[1].state == TrialState.FAILED
    assert "retry_of" not in fresh.system_attrs
    assert [t.state for t in study.trials] == [TrialState.FAILED] * 2 + [TrialState.RUNNING]


def test_a_retry_lost_with_its_reaper_is_enqueued_by_the_next_worker(store: Any) -> None:
    study = trimtab.create_study(
        storage=store, heartbeat_interval=0.05, heartbeat_timeout=0.3, retry_failed=1
    )
    lost = study.ask()
    x = lost.suggest_float("x", 0, 1)
    _lose(lost)
    time.sleep(0.45)
    # A reaper fails the trial, then dies before enqueueing its retry.
    (reaped,) = study.storage.fail_stale_trials(study._study_id, 0.3)
    assert reaped.number == 0
    assert study.storage.get_n_trials(study._study_id, (TrialState.WAITING,)) == 0
    other = trimtab.load_study(study_name=study.study_name, storage=study.storage)
    retry = other.ask()  # the sweep enqueues the missing retry; this ask takes it
    assert retry.number == 1
    assert retry.system_attrs["retry_of"] == 0 and retry.system_attrs["retry_count"] == 1
    assert retry.suggest_float("x", 0, 1) == x
    study.tell(retry, 1.0)
    time.sleep(0.1)  # past the sweep interval: sweeping again adds nothing
    assert "retry_of" not in other.ask().system_attrs
    assert [t.number for t in study.trials] == [0, 1, 2]


def test_retries_of_a_retry_link_to_the_original(store: Any) -> None:
    study = trimtab.create_study(
        storage=store, heartbeat_interval=0.05, heartbeat_timeout=0.2, retry_failed=3
    )
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    for count in (1, 2, 3):
        _lose(trial)
        time.sleep(0.3)
        trial = study.ask()
        attrs = dict(trial.system_attrs)
        attrs.pop("auto:sampler")  # the default sampler records its choice
        assert attrs == {
            "fixed_params": {"x": study.trials[0].params["x"]},
            "retry_of": 0,
            "retry_count": count,
        }


def test_racing_workers_enqueue_one_retry_per_lost_trial(store: Any) -> None:
    study = trimtab.create_study(
        storage=store, heartbeat_interval=0.05, heartbeat_timeout=0.2, retry_failed=2
    )
    for _ in range(3):
        _lose(study.ask())
    time.sleep(0.3)
    workers = [
        trimtab.load_study(study_name=study.study_name, storage=study.storage) for _ in range(4)
    ]
    barrier = threading.Barrier(4)

    def reap(s: trimtab.Study) -> None:
        barrier.wait()
        from trimtab.study._heartbeat import enqueue_retry, reap_stale_trials

        assert s._heartbeat is not None
        for t in reap_stale_trials(s, s._heartbeat):
            enqueue_retry(s, t, 2)  # as if a second path (the n_jobs parent) retried it too

    threads = [threading.Thread(target=reap, args=(w,)) for w in workers]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    trials = study.trials
    assert [t.state for t in trials[:3]] == [TrialState.FAILED] * 3
    retries = sorted(t.system_attrs["retry_of"] for t in trials[3:])
    assert retries == [0, 1, 2]
    assert all(t.state == TrialState.WAITING for t in trials[3:])


def test_optimize_goes_on_when_its_trial_was_failed_meanwhile(store: Any) -> None:
    study = trimtab.create_study(storage=store, heartbeat_interval=0.05, heartbeat_timeout=0.2)
    other = trimtab.load_study(study_name=study.study_name, storage=study.storage)

    def objective(trial: trimtab.Trial) -> float:
        if trial.number == 0:  # lose this trial's heartbeat; another worker fails it
            _lose(trial)
            time.sleep(0.3)
            other.ask()
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=3)
    states = [t.state for t in study.trials]
    assert states[0] == TrialState.FAILED and states[2:] == [TrialState.COMPLETE] * 2
    assert states[1] == TrialState.RUNNING  # the one `other` asked for and never told


def test_without_heartbeats_nothing_is_reaped(store: Any) -> None:
    study = trimtab.create_study(storage=store)
    study.ask()
    assert study.ask()._heartbeat is None
    assert [t.state for t in study.trials] == [TrialState.RUNNING] * 2


@pytest.mark.slow
def test_n_jobs_workers_beat_through_the_parent_and_a_killed_ones_trial_is_retried(
    store: Any,
) -> None:
    from tests.study.test_parallel import dies_at_trial_3

    study = trimtab.create_study(
        storage=store, heartbeat_interval=0.05, heartbeat_timeout=1.0, retry_failed=1
    )
    study.optimize(dies_at_trial_3, n_trials=8, n_jobs=2)
    trials = study.trials
    assert trials[3].state == TrialState.FAILED
    assert trials[3].fail_reason is not None and trials[3].fail_reason["type"] == "WorkerLost"
    retries = [t for t in trials if t.system_attrs.get("retry_of") == 3]
    assert len(retries) == 1
    assert retries[0].state in (TrialState.WAITING, TrialState.COMPLETE)
    if retries[0].state == TrialState.COMPLETE:
        assert retries[0].params["x"] == trials[3].params["x"]
    finished = [t for t in trials if t.state.is_finished()]
    assert len(finished) == 8 and [t.number for t in finished if t.state == TrialState.FAILED] == [
        3
    ]
