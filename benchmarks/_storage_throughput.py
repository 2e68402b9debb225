"""Storage throughput with many processes: trials written and read per second.

Writes: ``writers`` processes each run ``n`` trials of ask, ``suggest_float``, ``suggest_int``
and tell (no objective time) on one study, all released at once by a barrier; trials/s =
trials told / wall time from the release to the last writer's end. Reads: the same number
of processes each load the study and read every trial 3 times (the first read cold, then
through whatever the framework caches); trials/s = trials returned / wall time. Compared:
trimtab SQL (SQLite, PostgreSQL), Optuna ``RDBStorage`` (SQLite, PostgreSQL) and Optuna's
``JournalStorage`` on a file (``JournalFileBackend``). Medians over the repeats.
Run through ``python -m benchmarks.parallel --part storage``.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import statistics
import tempfile
import time
from typing import Any

READS = 3


def _open(framework: str, url: str, name: str) -> Any:
    if framework == "trimtab":
        import trimtab

        return trimtab.load_study(
            study_name=name, storage=url, sampler=trimtab.samplers.RandomSampler()
        )
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    storage: Any = url
    if framework == "optuna.journal":
        from optuna.storages.journal import JournalFileBackend

        storage = optuna.storages.JournalStorage(JournalFileBackend(url))
    return optuna.load_study(
        study_name=name, storage=storage, sampler=optuna.samplers.RandomSampler()
    )


def _writer(framework: str, url: str, n: int, barrier: Any, out: Any) -> None:
    study = _open(framework, url, "w")
    barrier.wait()
    ok = failed = 0
    for _ in range(n):
        try:
            t = study.ask()
            x = t.suggest_float("x", -1.0, 1.0)
            y = t.suggest_int("y", 0, 10)
            study.tell(t, x * x + y)
            ok += 1
        except Exception:
            failed += 1
    out.put((ok, failed))


def _reader(framework: str, url: str, barrier: Any, out: Any) -> None:
    barrier.wait()
    study = _open(framework, url, "w")
    got = 0
    for _ in range(READS):
        got += len(study.get_trials(deepcopy=False) if framework != "trimtab" else study.trials)
    out.put((got, 0))


def _parallel(target: Any, args: tuple[Any, ...], k: int) -> tuple[float, int, int]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(k + 1)
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, barrier, out)) for _ in range(k)]
    for p in procs:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    results = [out.get() for _ in procs]
    wall = time.perf_counter() - start
    for p in procs:
        p.join()
    return wall, sum(r[0] for r in results), sum(r[1] for r in results)


def one(framework: str, backend: str, writers: int, n: int) -> dict[str, float]:
    from benchmarks.parallel import fresh_url

    with tempfile.TemporaryDirectory() as tmp, fresh_url(backend) as url:
        if framework == "optuna.journal":
            url = f"{tmp}/journal.log"
        if framework == "trimtab":
            import trimtab

            trimtab.create_study(study_name="w", storage=url)
        else:
            import optuna

            optuna.logging.set_verbosity(optuna.logging.ERROR)
            storage: Any = url
            if framework == "optuna.journal":
                from optuna.storages.journal import JournalFileBackend

                storage = optuna.storages.JournalStorage(JournalFileBackend(url))
            optuna.create_study(study_name="w", storage=storage)
        wall_w, written, failed = _parallel(_writer, (framework, url, n), writers)
        wall_r, read, _ = _parallel(_reader, (framework, url), writers)
    return {
        "written_per_s": written / wall_w,
        "write_failures": failed,
        "read_per_s": read / wall_r,
    }


def run(writers: int, n: int, repeats: int, storages: list[str]) -> None:
    cases = [("trimtab", s) for s in storages] + [("optuna.rdb", s) for s in storages]
    cases.append(("optuna.journal", "file"))
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    for rep in range(repeats):
        for framework, backend in cases:
            r = one(framework, "sqlite" if backend == "file" else backend, writers, n)
            results.setdefault((framework, backend), []).append(r)
            print(json.dumps({"rep": rep, "case": [framework, backend], **r}), flush=True)
    print(f"\n{writers} processes x {n} trials each; medians over {repeats} repeats\n")
    print("| storage | backend | trials written/s | write failures | trials read/s |")
    print("|---|---|---:|---:|---:|")
    for (framework, backend), rs in results.items():
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        print(
            f"| {framework} | {backend} | {med['written_per_s']:.0f} | "
            f"{med['write_failures']:.0f} | {med['read_per_s']:.0f} |"
        )
