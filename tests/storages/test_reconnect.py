"""A lost database connection mid-study: PostgreSQL backends are terminated while workers run."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

import trimtab
from tests.cli.test_worker import OBJECTIVES, finish, start_worker
from trimtab import TrialState
from trimtab.storages import SQLStorage
from trimtab.storages._sql._url import engine_url

KILL = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def terminate_backends(url: str) -> int:
    engine = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(KILL)).scalar_one())
    finally:
        engine.dispose()


def test_a_storage_reconnects_after_its_connections_are_killed(postgres_url: str) -> None:
    store = SQLStorage(postgres_url)
    sid = store.create_new_study([trimtab.StudyDirection.MINIMIZE], "s")
    trial = store.create_new_trial(sid)
    assert terminate_backends(postgres_url) >= 1  # the pooled connection dies
    assert store.record_heartbeat(trial.trial_id)  # next calls reconnect
    store.update_trial(trial.trial_id, state=TrialState.COMPLETE, values=[1.0])
    assert terminate_backends(postgres_url) >= 1
    assert [t.state for t in store.get_all_trials(sid)] == [TrialState.COMPLETE]
    store._engine.dispose()


@pytest.mark.slow
def test_workers_ride_out_killed_connections(postgres_url: str) -> None:
    study = trimtab.create_study(
        study_name="s", storage=postgres_url, heartbeat_interval=0.2, heartbeat_timeout=3
    )
    opts = ["--objective", f"{OBJECTIVES}:quick", "--n-trials", "60"]
    procs = [start_worker(postgres_url, *opts, env={"TT_SLEEP": "0.05"}) for _ in range(3)]
    killed = 0
    while any(p.poll() is None for p in procs):
        time.sleep(0.25)
        killed += terminate_backends(postgres_url)
    outs = finish(procs)
    assert killed >= 3, "no connection was terminated while the workers ran"
    assert any("reconnecting" in out for out in outs)
    trials = study.trials
    assert [t.number for t in trials] == list(range(60))
    assert all(t.state == TrialState.COMPLETE for t in trials), [
        (t.number, t.state, t.fail_reason) for t in trials if t.state != TrialState.COMPLETE
    ]
    study.storage.remove_session()


def test_a_write_the_database_aborts_in_a_deadlock_is_run_again(postgres_url: str) -> None:
    # Another transaction holds the trial's row and then wants the study's row, which
    # claim_start holds while it waits for the trial's: PostgreSQL aborts claim_start (it
    # waited first), and the storage runs it again once the other has committed.
    engine = sa.create_engine(engine_url(postgres_url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        name = conn.execute(sa.text("SELECT current_database()")).scalar_one()
        conn.execute(sa.text(f"ALTER DATABASE \"{name}\" SET deadlock_timeout = '100ms'"))
        conn.commit()
    store = SQLStorage(postgres_url)
    sid = store.create_new_study([trimtab.StudyDirection.MINIMIZE], "s")
    trial = store.create_new_trial(sid)
    result: list[object] = []
    try:
        with engine.connect() as other:
            other.execute(
                sa.text("SELECT 1 FROM trials WHERE trial_id = :t FOR UPDATE"),
                {"t": trial.trial_id},
            )
            worker = threading.Thread(
                target=lambda: result.append(store.claim_start(sid, "run", trial.trial_id))
            )
            worker.start()
            waiting = sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            deadline = time.monotonic() + 30
            while other.execute(waiting).scalar_one() == 0:
                assert time.monotonic() < deadline, "claim_start never waited for the lock"
                time.sleep(0.01)
            other.execute(
                sa.text("UPDATE studies SET seq = seq + 1 WHERE study_id = :s"), {"s": sid}
            )
            other.commit()
            worker.join(30)
    finally:
        engine.dispose()
    assert result == [True]
    assert store.get_claims(sid) == {"run"}
    assert store.claim_start(sid, "run", trial.trial_id) is False
    store._engine.dispose()
