"""``ProcessPool``: real worker processes sharing a budget, served by the parent."""

from __future__ import annotations

from typing import Any

import pytest

from trimtab.execution import ProcessPool, WorkerContext, check_picklable, resolve_n_jobs


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def add(self, n: int) -> int:
        self.calls += n
        return self.calls

    def boom(self) -> None:
        raise KeyError("no such thing")


def count_units(ctx: WorkerContext, payload: Any) -> None:
    while ctx.take():
        ctx.call("add", payload)
        ctx.emit("unit", ctx.index)
    try:
        ctx.call("boom")
    except KeyError as exc:
        ctx.emit("error", str(exc))
    try:
        ctx.call("_private")
    except AttributeError as exc:
        ctx.emit("error", str(exc))


def raise_value_error(ctx: WorkerContext, payload: Any) -> None:
    raise ValueError(payload)


def test_workers_share_the_budget_and_the_served_object() -> None:
    served = Counter()
    events: list[tuple[int, str, Any]] = []
    exits: list[int] = []
    result = ProcessPool(2, budget=25).run(
        count_units,
        1,
        serve=served,
        on_event=lambda i, kind, payload: events.append((i, kind, payload)),
        on_exit=lambda e: exits.append(e.index),
    )
    assert served.calls == 25  # each unit exactly once, over both workers
    assert sum(kind == "unit" for _, kind, _ in events) == 25
    errors = [p for _, kind, p in events if kind == "error"]
    assert errors.count("'no such thing'") == 2  # raised in the parent, re-raised in the worker
    assert sum("does not serve '_private'" in e for e in errors) == 2
    assert sorted(exits) == [0, 1]
    assert [(e.reported, e.error, e.exitcode) for e in result.exits] == [(True, None, 0)] * 2
    assert not result.interrupted


def test_an_error_in_a_worker_is_reported_with_its_traceback() -> None:
    result = ProcessPool(2).run(raise_value_error, "bad input")
    for e in result.exits:
        assert isinstance(e.error, ValueError) and str(e.error) == "bad input"
        assert "raise ValueError(payload)" in str(e.error.__cause__)


def test_an_error_in_on_event_stops_the_pool_and_is_raised() -> None:
    def on_event(i: int, kind: str, payload: Any) -> None:
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        ProcessPool(2).run(count_units, 1, serve=Counter(), on_event=on_event)


@pytest.mark.parametrize("n_jobs", [0, -3, 2.0, "4", False])
def test_resolve_n_jobs_refuses_what_is_not_a_worker_count(n_jobs: Any) -> None:
    with pytest.raises(ValueError, match=rf"n_jobs={n_jobs!r} is not allowed"):
        resolve_n_jobs(n_jobs)


def test_resolve_n_jobs() -> None:
    assert resolve_n_jobs(3) == 3
    assert resolve_n_jobs(-1) >= 1


def test_check_picklable_names_the_argument() -> None:
    check_picklable("func", count_units)
    with pytest.raises(TypeError, match=r"objective=<function .*<lambda>.* cannot be sent"):
        check_picklable("objective", lambda: None)


def test_check_picklable_refuses_functions_of_an_interactive_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys
    import types

    main = types.ModuleType("__main__")  # a notebook's or the REPL's: no __file__

    def objective(trial: Any) -> float:
        return 0.0

    objective.__module__ = "__main__"
    objective.__qualname__ = "objective"
    main.objective = objective  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "__main__", main)
    with pytest.raises(TypeError, match=r"defined in an interactive session .* \.py module"):
        check_picklable("func", objective)
