"""The storage contract, checked on every backend."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

import trimtab
from trimtab.distributions import FloatDistribution, IntDistribution
from trimtab.exceptions import (
    DuplicatedStudyError,
    StorageError,
    StudyNotFoundError,
    UpdateFinishedTrialError,
)
from trimtab.storages import BaseStorage, SQLStorage, get_storage
from trimtab.storages._sql._url import engine_url
from trimtab.trial import FrozenTrial, StudyDirection, TrialState

MIN = [StudyDirection.MINIMIZE]


def test_study_lifecycle(storage: BaseStorage) -> None:
    sid = storage.create_new_study(MIN, "a")
    assert storage.get_study_id_from_name("a") == sid
    assert storage.get_study_name_from_id(sid) == "a"
    assert storage.get_study_directions(sid) == MIN
    with pytest.raises(DuplicatedStudyError, match="study_name='a' already exists"):
        storage.create_new_study(MIN, "a")
    storage.set_study_user_attr(sid, "note", {"k": [1, 2]})
    assert storage.get_study_user_attrs(sid) == {"note": {"k": [1, 2]}}
    storage.delete_study(sid)
    with pytest.raises(StudyNotFoundError, match="study_name='a' does not exist"):
        storage.get_study_id_from_name("a")


def test_unnamed_studies_get_unique_names(storage: BaseStorage) -> None:
    a = storage.create_new_study(MIN)
    b = storage.create_new_study(MIN)
    assert storage.get_study_name_from_id(a) != storage.get_study_name_from_id(b)


def test_update_merges_and_finishes_once(storage: BaseStorage) -> None:
    sid = storage.create_new_study(MIN, "s")
    t = storage.create_new_trial(sid)
    assert (t.number, t.state) == (0, TrialState.RUNNING)
    assert t.datetime_start is not None
    d = FloatDistribution(0, 1)
    storage.update_trial(
        t.trial_id,
        params={"x": 0.5},
        distributions={"x": d},
        intermediate_values={0: 1.0},
        user_attrs={"a": 1},
    )
    storage.update_trial(
        t.trial_id,
        params={"y": 2},
        distributions={"y": IntDistribution(0, 3)},
        intermediate_values={1: 3.0},
        user_attrs={"b": 2},
    )
    done = storage.update_trial(t.trial_id, state=TrialState.COMPLETE, values=[0.25])
    assert done.params == {"x": 0.5, "y": 2}
    assert done.distributions["x"] == d
    assert done.user_attrs == {"a": 1, "b": 2}
    assert done.intermediate_values == {0: 1.0, 1: 3.0}
    assert done.values == (0.25,)
    assert done.datetime_complete is not None and done.datetime_complete >= done.datetime_start
    assert storage.get_trial(t.trial_id) == done
    with pytest.raises(UpdateFinishedTrialError, match="trial 0 is already COMPLETE"):
        storage.update_trial(t.trial_id, values=[1.0])
    assert storage.get_trial(t.trial_id).values == (0.25,)  # nothing lost


def test_non_finite_intermediate_values_survive(storage: BaseStorage) -> None:
    sid = storage.create_new_study(MIN, "s")
    t = storage.create_new_trial(sid)
    storage.update_trial(t.trial_id, intermediate_values={0: math.nan, 1: math.inf, 2: -math.inf})
    iv = storage.get_all_trials(sid)[0].intermediate_values
    assert math.isnan(iv[0]) and iv[1] == math.inf and iv[2] == -math.inf


def test_attributes_must_be_json(storage: BaseStorage) -> None:
    sid = storage.create_new_study(MIN, "s")
    t = storage.create_new_trial(sid)
    with pytest.raises(ValueError, match=r"user attribute 'model'=.* JSON-serialisable"):
        storage.update_trial(t.trial_id, user_attrs={"model": object()})
    with pytest.raises(ValueError, match="JSON-serialisable"):
        storage.set_study_user_attr(sid, "x", math.nan)


def test_waiting_trials_are_handed_out_once_in_order(storage: BaseStorage) -> None:
    sid = storage.create_new_study(MIN, "s")
    for i in range(3):
        storage.create_new_trial(
            sid, FrozenTrial(number=-1, state=TrialState.WAITING, system_attrs={"i": i})
        )
    popped = [storage.pop_waiting_trial(sid) for _ in range(4)]
    assert [p.system_attrs["i"] for p in popped[:3] if p] == [0, 1, 2]
    assert popped[3] is None
    assert all(p.state == TrialState.RUNNING and p.datetime_start for p in popped[:3] if p)


def test_claims_are_exclusive(storage: BaseStorage) -> None:
    sid = storage.create_new_study(MIN, "s")
    other = storage.create_new_study(MIN, "t")
    assert storage.claim(sid, "grid:1")
    assert not storage.claim(sid, "grid:1")
    assert storage.claim(other, "grid:1")
    storage.claim(sid, "x:1")
    assert storage.get_claims(sid, "grid:") == {"grid:1"}


def test_claim_start_is_exclusive_and_restamps_the_start(storage: BaseStorage) -> None:
    sid = storage.create_new_study(MIN, "s")
    asked = storage.create_new_trial(sid)
    other = storage.create_new_trial(sid)
    assert storage.claim_start(sid, "run:a", asked.trial_id)
    started = storage.get_trial(asked.trial_id)
    assert asked.datetime_start is not None and started.datetime_start is not None
    assert started.datetime_start >= asked.datetime_start
    assert started.datetime_start > other.datetime_start  # stamped again, after `other`
    assert not storage.claim_start(sid, "run:a", asked.trial_id)  # a second run: refused
    assert storage.get_trial(asked.trial_id).datetime_start == started.datetime_start
    assert storage.get_claims(sid, "run:") == {"run:a"}
    # seen by incremental readers (the record changed)
    assert storage.get_all_trials(sid)[0].datetime_start == started.datetime_start


def test_a_running_trial_given_back_is_handed_out_again(storage: BaseStorage) -> None:
    sid = storage.create_new_study(MIN, "s")
    t = storage.create_new_trial(sid)
    assert storage.pop_waiting_trial(sid) is None
    storage.update_trial(t.trial_id, state=TrialState.WAITING, system_attrs={"k": 1})
    assert storage.get_n_trials(sid, (TrialState.WAITING,)) == 1
    popped = storage.pop_waiting_trial(sid)
    assert popped is not None and popped.trial_id == t.trial_id
    assert popped.state == TrialState.RUNNING and popped.system_attrs == {"k": 1}
    assert storage.pop_waiting_trial(sid) is None  # once


def test_get_all_trials_filters_by_state(storage: BaseStorage) -> None:
    sid = storage.create_new_study(MIN, "s")
    a = storage.create_new_trial(sid)
    storage.create_new_trial(sid)
    storage.update_trial(a.trial_id, state=TrialState.FAILED)
    assert [t.number for t in storage.get_all_trials(sid)] == [0, 1]
    assert [t.number for t in storage.get_all_trials(sid, (TrialState.RUNNING,))] == [1]
    assert storage.get_n_trials(sid, (TrialState.FAILED,)) == 1


def test_summaries_count_states_and_find_best(storage: BaseStorage) -> None:
    sid = storage.create_new_study([StudyDirection.MAXIMIZE], "s")
    for v in (1.0, 3.0, 2.0):
        t = storage.create_new_trial(sid)
        storage.update_trial(t.trial_id, state=TrialState.COMPLETE, values=[v])
    storage.create_new_trial(sid)
    (summary,) = storage.get_all_studies()
    assert summary.n_trials == 4
    assert summary.n_trials_by_state == {"COMPLETE": 3, "RUNNING": 1}
    assert summary.best_trial is not None and summary.best_trial.values == (3.0,)


# ---- SQL specifics ----------------------------------------------------------------------


def test_sql_reads_are_incremental(sql_url: str) -> None:
    url = sql_url
    writer, reader = SQLStorage(url), SQLStorage(url)
    sid = writer.create_new_study(MIN, "s")
    for _ in range(5):
        t = writer.create_new_trial(sid)
        writer.update_trial(t.trial_id, state=TrialState.COMPLETE, values=[1.0])
    first = reader.get_all_trials(sid)
    running = writer.create_new_trial(sid)
    second = reader.get_all_trials(sid)
    assert len(second) == 6 and second[5].number == running.number
    # unchanged trials are the very objects read before: they were not read again
    assert all(a is b for a, b in zip(first, second[:5], strict=True))
    writer.update_trial(running.trial_id, state=TrialState.COMPLETE, values=[0.5])
    third = reader.get_all_trials(sid)
    assert third[5].values == (0.5,)
    assert all(a is b for a, b in zip(first, third[:5], strict=True))


def test_sql_writers_of_one_trial_keep_each_others_changes(sql_url: str) -> None:
    # Each storage stands for a process; on PostgreSQL each updates the rows it wrote last
    # in one statement that applies only if nobody else wrote them since.
    a, b = SQLStorage(sql_url), SQLStorage(sql_url)
    sid = a.create_new_study(MIN, "s")
    t = a.create_new_trial(sid)
    a.update_trial(t.trial_id, params={"x": 1.0}, distributions={"x": FloatDistribution(0, 2)})
    b.update_trial(t.trial_id, user_attrs={"by": "b"}, intermediate_values={0: 3.0})
    a.update_trial(t.trial_id, user_attrs={"also": "a"}, intermediate_values={1: 2.0})
    got = b.get_trial(t.trial_id)
    assert got.params == {"x": 1.0}
    assert got.user_attrs == {"by": "b", "also": "a"}
    assert got.intermediate_values == {0: 3.0, 1: 2.0}
    b.update_trial(t.trial_id, state=TrialState.PRUNED, values=[2.0])
    with pytest.raises(UpdateFinishedTrialError, match="already PRUNED"):
        a.update_trial(t.trial_id, state=TrialState.COMPLETE, values=[1.0])
    done = a.get_all_trials(sid)
    assert [(x.state, x.values) for x in done] == [(TrialState.PRUNED, (2.0,))]
    # a trial this process wrote, deleted with its study by another: a clear error
    u = a.create_new_trial(a.create_new_study(MIN, "gone"))
    b.delete_study(b.get_study_id_from_name("gone"))
    with pytest.raises(KeyError, match=f"trial_id={u.trial_id}"):
        a.update_trial(u.trial_id, user_attrs={"k": 1})


def test_sql_survives_reopening(sql_url: str) -> None:
    url = sql_url
    s = SQLStorage(url)
    sid = s.create_new_study(MIN, "s")
    t = s.create_new_trial(sid)
    s.update_trial(
        t.trial_id,
        params={"x": 1},
        distributions={"x": IntDistribution(0, 2)},
        state=TrialState.COMPLETE,
        values=[2.0],
    )
    again = SQLStorage(url).get_all_trials(SQLStorage(url).get_study_id_from_name("s"))
    assert again[0].params == {"x": 1} and again[0].values == (2.0,)
    assert again[0].distributions == {"x": IntDistribution(0, 2)}


def test_sql_stores_plain_json(sql_url: str) -> None:
    url = sql_url
    s = SQLStorage(url)
    sid = s.create_new_study(MIN, "s")
    t = s.create_new_trial(sid)
    s.update_trial(
        t.trial_id,
        params={"act": "relu"},
        distributions={"act": trimtab.distributions.CategoricalDistribution(["relu"])},
    )
    import json

    with s._engine.connect() as conn:
        params, dists = conn.execute(sa.text("SELECT params, distributions FROM trials")).one()
    assert json.loads(params) == {"act": "relu"}
    assert json.loads(dists) == {"act": {"type": "categorical", "choices": ["relu"]}}


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("not a url", "is not a database URL"),
        ("runs.db", "is not a database URL; expected e.g. 'sqlite:///runs.db'"),
        ("nosuchdb://x/y", "cannot be opened"),
        ("sqlite:////nonexistent-dir/x/runs.db", "directory '/nonexistent-dir/x' does not exist"),
    ],
)
def test_unusable_storage_urls_raise_storage_error(url: str, fragment: str) -> None:
    with pytest.raises(StorageError) as info:
        get_storage(url)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_storage_of_wrong_type_is_rejected() -> None:
    with pytest.raises(StorageError, match="storage=42 has type int"):
        get_storage(42)  # type: ignore[arg-type]


def test_migrations_build_exactly_the_declared_schema(sql_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from trimtab.storages._sql._schema import SCHEMA_VERSION, metadata

    SQLStorage(sql_url)._engine.dispose()  # a new database is built by running the migrations
    engine = SQLStorage(sql_url)._engine
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == (
            SCHEMA_VERSION
        )
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_database_from_another_version_is_refused(sql_url: str) -> None:
    url = sql_url
    engine = SQLStorage(url)._engine
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StorageError, match="schema version 9999, written by a newer trimtab"):
        SQLStorage(url)


def test_foreign_database_is_refused(sql_url: str) -> None:
    url = sql_url
    engine = sa.create_engine(engine_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE studies (id INTEGER)"))
    with pytest.raises(StorageError, match="that trimtab did not create"):
        SQLStorage(url)


def test_create_with_a_claim_is_atomic_and_exclusive(storage: BaseStorage) -> None:
    from trimtab.storages._base import ClaimTaken

    sid = storage.create_new_study(MIN, "s")
    storage.create_new_trial(sid, claim="grid:1")
    with pytest.raises(ClaimTaken):
        storage.create_new_trial(sid, claim="grid:1")
    assert len(storage.get_all_trials(sid)) == 1
    assert storage.get_claims(sid) == {"grid:1"}


def test_other_readers_see_a_deleted_study_as_gone(sql_url: str) -> None:
    url = sql_url
    a, b = SQLStorage(url), SQLStorage(url)
    old = a.create_new_study(MIN, "a")
    t = a.create_new_trial(old)
    a.update_trial(t.trial_id, state=TrialState.COMPLETE, values=[1.0])
    assert len(b.get_all_trials(old)) == 1
    a.delete_study(old)
    new = a.create_new_study(MIN, "b")
    assert new != old  # ids are never reused
    with pytest.raises(StudyNotFoundError):
        b.get_all_trials(old)
    assert b.get_all_trials(new) == []


def test_in_memory_sqlite_url_works_across_threads() -> None:
    import threading

    s = SQLStorage("sqlite://")
    sid = s.create_new_study(MIN, "s")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            s.create_new_trial(sid)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == [] and len(s.get_all_trials(sid)) == 3


@pytest.mark.slow
def test_many_processes_opening_a_new_database_at_once(sql_url: str) -> None:
    import subprocess
    import sys

    url = sql_url
    code = (
        "import trimtab, sys; s = trimtab.create_study(study_name='s', storage=sys.argv[1], "
        "load_if_exists=True); s.tell(s.ask(), 1.0)"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, url]) for _ in range(6)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 6
    study = trimtab.load_study(study_name="s", storage=url)
    assert sorted(t.number for t in study.trials) == list(range(6))


# ---- PostgreSQL ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2"),
        ("sqlite:///x.db", "sqlite"),
    ],
)
def test_postgres_urls_without_a_driver_get_psycopg_3(url: str, driver: str) -> None:
    pytest.importorskip("psycopg")
    assert engine_url(url).drivername == driver


def test_postgres_url_without_a_driver_opens_with_psycopg_3(postgres_url: str) -> None:
    plain = sa.engine.make_url(postgres_url).set(drivername="postgresql")
    s = SQLStorage(plain.render_as_string(hide_password=False))
    assert s._engine.dialect.driver == "psycopg"
    sid = s.create_new_study(MIN, "s")
    assert s.create_new_trial(sid).number == 0
    s._engine.dispose()


def test_missing_postgres_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from trimtab.storages._sql import _url

    monkeypatch.setattr(_url, "_installed", lambda module: False)
    with pytest.raises(StorageError, match=r"pip install \"trimtab\[postgres\]\""):
        SQLStorage("postgresql://u@127.0.0.1/db")
    with pytest.raises(StorageError, match="needs psycopg 3"):
        SQLStorage("postgresql+psycopg://u@127.0.0.1/db")


def test_trial_numbers_stay_unique_under_threads(sql_url: str) -> None:
    import threading

    first = SQLStorage(sql_url)
    sid = first.create_new_study(MIN, "s")
    stores = [first, *(SQLStorage(sql_url) for _ in range(3))]
    numbers: list[int] = []

    def work(s: SQLStorage) -> None:
        for _ in range(25):
            t = s.create_new_trial(sid)
            numbers.append(t.number)
            s.update_trial(t.trial_id, state=TrialState.COMPLETE, values=[1.0])

    threads = [threading.Thread(target=work, args=(s,)) for s in stores]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(numbers) == list(range(100))
    assert [t.number for t in first.get_all_trials(sid)] == list(range(100))
    for s in stores:
        s._engine.dispose()
