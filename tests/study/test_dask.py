"""``optimize(executor=DaskExecutor(client))`` on a real Dask ``LocalCluster`` (2 worker
processes, one per module). Skipped without Dask, unless ``TRIMTAB_REQUIRE_DASK=1`` (set by
``.ci/run``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.study import _executor_cases as cases
from trimtab.execution import DaskExecutor

pytestmark = pytest.mark.xdist_group("dask")


@pytest.fixture(scope="module")
def executor() -> Iterator[DaskExecutor]:
    distributed = cases.require("distributed", "dask", "TRIMTAB_REQUIRE_DASK")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    try:
        yield DaskExecutor(client)
    finally:
        client.close()
        cluster.close()


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return None if request.param == "memory" else f"sqlite:///{tmp_path / 'runs.db'}"


def test_exact_n_trials_unique_numbers_callbacks_here(executor: DaskExecutor, url: Any) -> None:
    cases.check_exact_n_trials(executor, url)


def test_objective_errors_are_recorded(executor: DaskExecutor, url: Any) -> None:
    cases.check_errors_recorded(executor, url)


def test_an_exception_outside_catch_is_raised(executor: DaskExecutor) -> None:
    cases.check_uncaught_error_raised(executor, None)


def test_a_killed_worker_fails_its_trial_and_the_study_goes_on(
    executor: DaskExecutor, url: Any
) -> None:
    # The scheduler starts a killed worker's task again (allowed-failures): the task sees
    # that its trial was already started and does not run the objective a second time.
    cases.check_killed_worker(executor, url)


def test_postgres(executor: DaskExecutor, postgres_url: str) -> None:
    cases.check_exact_n_trials(executor, postgres_url)


def test_capacity_is_the_cluster_threads_or_n_workers(executor: DaskExecutor) -> None:
    executor.client.wait_for_workers(2, timeout=60)  # a killed worker's process is restarted
    assert executor.capacity() == 2
    assert DaskExecutor(executor.client, n_workers=3).capacity() == 3


def test_n_workers_below_the_cluster_threads_is_respected(executor: DaskExecutor) -> None:
    executor.client.wait_for_workers(2, timeout=60)
    cases.check_n_workers_below_the_cluster_runs_one_at_a_time(
        DaskExecutor(executor.client, n_workers=1)
    )


def test_queued_trials_not_started_go_back_to_waiting_on_stop(
    executor: DaskExecutor, url: Any
) -> None:
    # a worker killed by an earlier test is restarted by its nanny: wait until it is back
    executor.client.wait_for_workers(2, timeout=120)
    cases.check_queued_trials_given_back_on_stop(DaskExecutor(executor.client, prefetch=3), url)
