"""``optimize(executor=RayExecutor())`` on a real local Ray runtime (one per module: Ray
starts slowly). Skipped without Ray, unless ``TRIMTAB_REQUIRE_RAY=1`` (set by ``.ci/run``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.study import _executor_cases as cases
from trimtab.execution import RayExecutor

pytestmark = pytest.mark.xdist_group("ray")
ROOT = str(Path(__file__).resolve().parents[2])


@pytest.fixture(scope="module")
def executor() -> Iterator[RayExecutor]:
    ray = cases.require("ray", "ray", "TRIMTAB_REQUIRE_RAY")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": ROOT}},  # workers import tests.study...
    )
    try:
        yield RayExecutor()
    finally:
        ray.shutdown()


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return None if request.param == "memory" else f"sqlite:///{tmp_path / 'runs.db'}"


def test_exact_n_trials_unique_numbers_callbacks_here(executor: RayExecutor, url: Any) -> None:
    cases.check_exact_n_trials(executor, url)


def test_objective_errors_are_recorded(executor: RayExecutor, url: Any) -> None:
    cases.check_errors_recorded(executor, url)


def test_an_exception_outside_catch_is_raised(executor: RayExecutor) -> None:
    cases.check_uncaught_error_raised(executor, None)


def test_a_killed_worker_fails_its_trial_and_the_study_goes_on(
    executor: RayExecutor, url: Any
) -> None:
    cases.check_killed_worker(executor, url)


def test_postgres(executor: RayExecutor, postgres_url: str) -> None:
    cases.check_exact_n_trials(executor, postgres_url)


def test_capacity_is_the_runtime_cpus_or_n_workers(executor: RayExecutor) -> None:
    assert executor.capacity() == 2
    assert RayExecutor(n_workers=5).capacity() == 5
    assert executor.lookahead() == 2 and RayExecutor(n_workers=8).lookahead() == 8
    assert RayExecutor(n_workers=1).lookahead() == 0  # below the 2 CPUs: nothing queued
    assert RayExecutor(n_workers=1, prefetch=2).lookahead() == 2
    assert RayExecutor(prefetch=0).lookahead() == 0
    with pytest.raises(ValueError, match="prefetch=-1"):
        RayExecutor(prefetch=-1)


def test_n_workers_below_the_runtime_cpus_is_respected(executor: RayExecutor) -> None:
    cases.check_n_workers_below_the_cluster_runs_one_at_a_time(RayExecutor(n_workers=1))


def test_queued_trials_not_started_go_back_to_waiting_on_stop(
    executor: RayExecutor, url: Any
) -> None:
    # a second executor on the runtime the fixture started, with 3 tasks queued
    cases.check_queued_trials_given_back_on_stop(RayExecutor(prefetch=3), url)
