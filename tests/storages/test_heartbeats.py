"""Heartbeats in every storage: stamping, failing stale trials once, the 0002 migration."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

from trimtab.exceptions import StorageError, UpdateFinishedTrialError
from trimtab.storages import BaseStorage, InMemoryStorage, SQLStorage
from trimtab.storages._proxy import ProxyStorage
from trimtab.storages._sql._url import engine_url
from trimtab.trial import FrozenTrial, StudyDirection, TrialState

MIN = [StudyDirection.MINIMIZE]


def proxied() -> ProxyStorage:
    inner = InMemoryStorage()
    return ProxyStorage(lambda method, *a, **k: getattr(inner, method)(*a, **k))


def test_heartbeats_keep_a_trial_alive_and_silence_fails_it(storage: BaseStorage) -> None:
    for store in (storage, proxied()):
        sid = store.create_new_study(MIN, "hb")
        alive = store.create_new_trial(sid)
        silent = store.create_new_trial(sid)
        done = store.create_new_trial(sid)
        store.update_trial(done.trial_id, state=TrialState.COMPLETE, values=[1.0])
        store.create_new_trial(sid, FrozenTrial(number=-1, state=TrialState.WAITING))
        assert store.fail_stale_trials(sid, 0.3) == []  # all fresh
        for _ in range(4):
            time.sleep(0.1)
            assert store.record_heartbeat(alive.trial_id)
        failed = store.fail_stale_trials(sid, 0.3)
        assert [t.number for t in failed] == [silent.number]
        t = failed[0]
        assert t.state == TrialState.FAILED and t.datetime_complete is not None
        assert t.fail_reason is not None and t.fail_reason["type"] == "WorkerLost"
        assert t.fail_reason["message"].startswith("worker lost: no heartbeat for 0.")
        assert store.get_trial(silent.trial_id).state == TrialState.FAILED
        assert store.fail_stale_trials(sid, 0.3) == []  # failed once
        # a finished trial takes no heartbeat, and its owner's later writes are refused
        assert not store.record_heartbeat(silent.trial_id)
        assert not store.record_heartbeat(done.trial_id)
        with pytest.raises(UpdateFinishedTrialError):
            store.update_trial(silent.trial_id, state=TrialState.COMPLETE, values=[0.0])
        states = [t.state for t in store.get_all_trials(sid)]
        R, F, C, W = TrialState.RUNNING, TrialState.FAILED, TrialState.COMPLETE, TrialState.WAITING
        assert states == [R, F, C, W]


def test_a_popped_waiting_trial_starts_beating_when_it_starts(storage: BaseStorage) -> None:
    sid = storage.create_new_study(MIN, "hb")
    storage.create_new_trial(sid, FrozenTrial(number=-1, state=TrialState.WAITING))
    time.sleep(0.3)
    popped = storage.pop_waiting_trial(sid)
    assert popped is not None
    assert storage.fail_stale_trials(sid, 0.25) == []  # its clock started when it was popped
    time.sleep(0.3)
    assert [t.number for t in storage.fail_stale_trials(sid, 0.25)] == [popped.number]


def test_racing_reapers_fail_each_stale_trial_exactly_once(storage: BaseStorage) -> None:
    sid = storage.create_new_study(MIN, "hb")
    for _ in range(6):
        storage.create_new_trial(sid)
    time.sleep(0.3)
    got: list[list[int]] = []
    barrier = threading.Barrier(4)

    def reap() -> None:
        barrier.wait()
        got.append([t.number for t in storage.fail_stale_trials(sid, 0.2)])

    threads = [threading.Thread(target=reap) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(n for g in got for n in g) == list(range(6))
    assert all(t.state == TrialState.FAILED for t in storage.get_all_trials(sid))


def _build_0001(url: str) -> None:
    """A database as trimtab 0001 made it."""
    from trimtab.storages._sql._migrate import _run_alembic

    engine = sa.create_engine(engine_url(url))
    with engine.begin() as conn:
        _run_alembic(conn, "0001")
    engine.dispose()


def test_a_0001_database_asks_for_an_upgrade_and_upgrades(sql_url: str) -> None:
    from click.testing import CliRunner

    from trimtab.cli import main

    _build_0001(sql_url)
    engine = sa.create_engine(engine_url(sql_url))
    with engine.begin() as conn:  # a study with one RUNNING trial, written by 0001
        conn.execute(
            sa.text(
                "INSERT INTO studies (study_name, directions, user_attrs, system_attrs, seq, "
                "n_trials, datetime_created) VALUES ('old', '[\"MINIMIZE\"]', '{}', '{}', 1, 1, "
                "CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO trials (study_id, number, state, seq, params, distributions, "
                "user_attrs, system_attrs, intermediate_values, datetime_start) "
                "SELECT study_id, 0, 'RUNNING', 1, '{}', '{}', '{}', '{}', '{}', "
                "CURRENT_TIMESTAMP FROM studies"
            )
        )
    engine.dispose()
    with pytest.raises(StorageError, match=r"schema version 0001, older.*trimtab storage upgrade"):
        SQLStorage(sql_url)
    out = CliRunner().invoke(main, ["storage", "upgrade", "--storage", sql_url])
    assert out.exit_code == 0 and "schema 0001 -> 0002" in out.output, out.output
    store = SQLStorage(sql_url)
    sid = store.get_study_id_from_name("old")
    (old,) = store.get_all_trials(sid)
    assert old.state == TrialState.RUNNING
    time.sleep(0.15)
    assert store.fail_stale_trials(sid, 0.1) == []  # no heartbeat recorded: never judged
    new = store.create_new_trial(sid)
    assert store.record_heartbeat(new.trial_id)
    store._engine.dispose()


def test_heartbeats_do_not_count_as_changes(sql_url: str) -> None:
    store = SQLStorage(sql_url)
    sid = store.create_new_study(MIN, "hb")
    t = store.create_new_trial(sid)
    store.get_all_trials(sid)
    seq: Any = store._caches[sid].study_seq
    assert store.record_heartbeat(t.trial_id)
    with store._engine.connect() as conn:
        assert conn.execute(sa.text("SELECT seq FROM studies")).scalar() == seq
    store._engine.dispose()
