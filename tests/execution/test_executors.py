"""The executor contract without a cluster: lazy imports, the error naming the extra, argument
checks, and the ``ObjectServer`` tasks call the driver through. Real clusters:
tests/study/test_ray.py and test_dask.py."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

import trimtab
from trimtab.execution import DaskExecutor, ObjectServer, RayExecutor, remote_caller


def test_importing_the_executors_loads_neither_ray_nor_dask() -> None:
    code = (
        "import sys, trimtab.execution\n"
        "trimtab.execution.RayExecutor(); trimtab.execution.DaskExecutor()\n"
        "print([m for m in ('ray', 'dask', 'distributed') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("make", "module", "extra"),
    [(RayExecutor, "ray", "ray"), (DaskExecutor, "distributed", "dask")],
)
def test_a_missing_package_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, make: type, module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(ImportError, match=rf'pip install "trimtab\[{extra}\]"'):
        make().start()


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="n_workers=0"):
        RayExecutor(n_workers=0)
    with pytest.raises(TypeError, match="client=42"):
        DaskExecutor(42)
    study = trimtab.create_study()
    with pytest.raises(TypeError, match=r"must be a trimtab\.execution\.RayExecutor"):
        study.optimize(lambda t: 0.0, n_trials=1, executor="ray")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_jobs=2 cannot be combined"):
        study.optimize(lambda t: 0.0, n_trials=1, n_jobs=2, executor=RayExecutor())
    with pytest.raises(ValueError, match="trial_timeout=5 is not supported"):
        study.optimize(lambda t: 0.0, n_trials=1, trial_timeout=5, executor=RayExecutor())
    assert study.trials == []


class Box:
    def __init__(self) -> None:
        self.items: list[int] = []

    def put(self, x: int) -> int:
        self.items.append(x)
        return len(self.items)

    def boom(self) -> None:
        raise KeyError("nothing here")


def test_object_server_answers_calls_from_many_threads() -> None:
    box = Box()
    with ObjectServer(box) as server:
        call = remote_caller(server.address, server.authkey)
        assert call("put", 1) == 1
        threads = [threading.Thread(target=call, args=("put", i)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(box.items) == [0, 1, 1, 2, 3, 4, 5, 6, 7]
        with pytest.raises(KeyError, match="nothing here"):
            call("boom")
        with pytest.raises(AttributeError, match="does not serve '_secret'"):
            call("_secret")
        with pytest.raises(Exception):  # noqa: B017 - a wrong key is refused at connection
            remote_caller(server.address, b"wrong" * 7)("put", 9)
    assert 9 not in box.items
