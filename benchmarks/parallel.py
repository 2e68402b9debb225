"""Parallel execution: trials per second and worker utilisation, trimtab against its peers.

The objective sleeps 0.2 s (and draws one float with a random sampler in every framework, so
the machinery, not the sampler, is measured). For 1, 2, 4 and 8 workers, each method runs
``k x workers`` trials, ``k`` the trials per worker (``--trials-per-worker``, 10 by default;
with 10, each worker is busy for only 2 s, so start-up weighs heavily; 50 shows longer
studies); reported per method, storage and worker count are the medians over
the repeats of:

- trials/s: trials / wall time of the whole call (``optimize``, ``Tuner.fit``, or the start
  and join of Optuna's processes), worker start-up included (for ``n_jobs``, the first call
  in this process also starts multiprocessing's forkserver, which later calls reuse);
- utilisation: time spent in the objective / (workers x that wall time);
- steady utilisation: the same over the span from the first objective start to the last
  objective end (start-up and shut-down of the workers left out).

Methods: trimtab ``n_jobs`` (processes), trimtab ``RayExecutor`` and ``DaskExecutor``,
Optuna ``n_jobs`` (threads), Optuna with one process per worker on the same RDB storage, and
Ray Tune (``tune.Tuner``, a function trainable, ``num_samples``, 1 CPU per trial; no
storage). The Ray runtime (``num_cpus=8``) and the Dask ``LocalCluster`` (8 single-threaded
worker processes) are started once and reused, as a cluster would be; their start-up is not
in the figures. The executors run with their default ``prefetch`` (``n_workers``). Methods
alternate within each repeat so drifts of a busy machine hit all.

    python -m benchmarks.parallel                      # everything (about 15 minutes)
    python -m benchmarks.parallel --workers 8 --repeats 5 --storages sqlite
    python -m benchmarks.parallel --part throughput --workers 8 --trials-per-worker 10 50
    python -m benchmarks.parallel --part storage       # storage throughput only

``--part storage`` runs ``benchmarks/_storage_throughput.py``.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SLEEP = 0.2
PG_SERVER = os.environ.get(
    "TRIMTAB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
METHODS = [
    "trimtab.n_jobs",
    "trimtab.ray",
    "trimtab.dask",
    "optuna.threads",
    "optuna.processes",
    "raytune",
]


# ---- objectives (module level: they travel to worker processes) -------------------------


def trimtab_objective(trial: Any) -> float:
    t0 = time.time()
    x = trial.suggest_float("x", -1.0, 1.0)
    time.sleep(SLEEP)
    t1 = time.time()
    trial.set_user_attr("t", [t0, t1])
    return x * x


def optuna_objective(trial: Any) -> float:
    return trimtab_objective(trial)  # the same calls: suggest_float, set_user_attr


def tune_trainable(config: dict[str, Any]) -> None:
    from ray import tune

    t0 = time.time()
    time.sleep(SLEEP)
    t1 = time.time()
    tune.report({"loss": config["x"] ** 2, "t0": t0, "t1": t1})


def _optuna_worker(url: str, name: str, n: int) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=name, storage=url, sampler=optuna.samplers.RandomSampler())
    study.optimize(optuna_objective, n_trials=n)


# ---- storages ---------------------------------------------------------------------------


@contextmanager
def fresh_url(kind: str) -> Iterator[str]:
    """A new SQLite file or PostgreSQL database, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    import sqlalchemy as sa

    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# ---- one measurement --------------------------------------------------------------------


def _spans_trimtab(trials: list[Any]) -> list[tuple[float, float]]:
    return [tuple(t.user_attrs["t"]) for t in trials if "t" in t.user_attrs]  # type: ignore[misc]


def run_one(
    method: str, storage: str, workers: int, clusters: dict[str, Any], per_worker: int = 10
) -> dict[str, float]:
    n = per_worker * workers
    spans: list[tuple[float, float]]
    with fresh_url(storage) as url:
        if method.startswith("trimtab."):
            import trimtab
            from trimtab.execution import DaskExecutor, RayExecutor

            study = trimtab.create_study(
                storage=url, sampler=trimtab.samplers.RandomSampler(seed=0)
            )
            kwargs: dict[str, Any] = {}
            if method == "trimtab.n_jobs":
                kwargs["n_jobs"] = workers
            elif method == "trimtab.ray":
                kwargs["executor"] = RayExecutor(n_workers=workers)
            else:
                kwargs["executor"] = DaskExecutor(clusters["dask"], n_workers=workers)
            start = time.perf_counter()
            study.optimize(trimtab_objective, n_trials=n, **kwargs)
            wall = time.perf_counter() - start
            spans = _spans_trimtab(study.trials)
            done = sum(t.state.name == "COMPLETE" for t in study.trials)
        elif method.startswith("optuna."):
            import optuna

            name = "bench"
            study = optuna.create_study(
                study_name=name, storage=url, sampler=optuna.samplers.RandomSampler(seed=0)
            )
            start = time.perf_counter()
            if method == "optuna.threads":
                study.optimize(optuna_objective, n_trials=n, n_jobs=workers)
            else:
                ctx = mp.get_context("spawn")
                procs = [
                    ctx.Process(target=_optuna_worker, args=(url, name, n // workers))
                    for _ in range(workers)
                ]
                for p in procs:
                    p.start()
                for p in procs:
                    p.join()
            wall = time.perf_counter() - start
            trials = study.get_trials(deepcopy=False)
            spans = [tuple(t.user_attrs["t"]) for t in trials if "t" in t.user_attrs]  # type: ignore[misc]
            done = sum(t.state.name == "COMPLETE" for t in trials)
        else:
            spans, wall = _run_tune(n, workers)
            done = len(spans)
    busy = sum(t1 - t0 for t0, t1 in spans)
    span = max(t1 for _, t1 in spans) - min(t0 for t0, _ in spans) if spans else float("nan")
    return {
        "trials": done,
        "wall": wall,
        "trials_per_s": done / wall,
        "util": busy / (workers * wall),
        "steady_util": busy / (workers * span),
    }


def _run_tune(n: int, workers: int) -> tuple[list[tuple[float, float]], float]:
    from ray import tune

    with tempfile.TemporaryDirectory() as tmp:
        tuner = tune.Tuner(
            tune.with_resources(tune_trainable, {"cpu": 1}),
            param_space={"x": tune.uniform(-1.0, 1.0)},
            tune_config=tune.TuneConfig(num_samples=n, max_concurrent_trials=workers),
            run_config=tune.RunConfig(storage_path=tmp, verbose=0),
        )
        start = time.perf_counter()
        results = tuner.fit()
        wall = time.perf_counter() - start
    spans = [(r.metrics["t0"], r.metrics["t1"]) for r in results if r.metrics and "t0" in r.metrics]
    return spans, wall


# ---- the table --------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {}
    for pkg in ("trimtab", "optuna", "ray", "dask", "distributed", "SQLAlchemy", "psycopg"):
        try:
            out[pkg] = version(pkg)
        except Exception:
            out[pkg] = "-"
    return out


def throughput(args: argparse.Namespace) -> None:
    import distributed
    import optuna
    import ray

    import trimtab  # noqa: F401 (first, so that the level set below holds in any version)

    logging.getLogger("trimtab").setLevel(logging.WARNING)  # no per-trial log lines
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    ray.init(
        num_cpus=max(args.workers),
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": os.getcwd()}},
    )
    cluster = distributed.LocalCluster(
        n_workers=max(args.workers), threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    clusters = {"dask": distributed.Client(cluster)}
    results: dict[tuple[str, str, int], list[dict[str, float]]] = {}
    try:
        # A cluster is long-lived: warm its worker processes up (imports, first task) once.
        for method in ("trimtab.ray", "trimtab.dask"):
            if method in args.methods:
                run_one(method, args.storages[0], max(args.workers), clusters)
        for rep in range(args.repeats):
            for per_worker in args.trials_per_worker:
                for storage in args.storages:
                    for workers in args.workers:
                        for method in args.methods:
                            if method == "raytune" and (
                                storage != args.storages[0] or workers not in args.tune_workers
                            ):
                                continue  # no storage: once per repeat; slow: fewer sizes
                            key = (
                                method,
                                "-" if method == "raytune" else storage,
                                workers,
                                per_worker,
                            )
                            r = run_one(method, storage, workers, clusters, per_worker)
                            results.setdefault(key, []).append(r)
                            print(json.dumps({"rep": rep, "key": key, **r}), flush=True)
    finally:
        clusters["dask"].close()
        cluster.close()
        ray.shutdown()
    print("\nversions:", json.dumps(_versions()))
    print(f"\nmedians over {args.repeats} repeats; objective sleeps {SLEEP} s\n")
    print(
        "| method | storage | workers | trials per worker | trials/s | utilisation | "
        "steady utilisation |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for (method, storage, workers, per_worker), rs in sorted(
        results.items(), key=lambda kv: (kv[0][3], kv[0][1], kv[0][2], kv[0][0])
    ):
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        print(
            f"| {method} | {storage} | {workers} | {per_worker} | {med['trials_per_s']:.2f} | "
            f"{100 * med['util']:.1f}% | {100 * med['steady_util']:.1f}% |"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["throughput", "storage", "all"], default="all")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--storages", nargs="+", default=["sqlite", "postgres"])
    ap.add_argument("--methods", nargs="+", default=METHODS)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--trials-per-worker",
        type=int,
        nargs="+",
        default=[10],
        help="trials per worker in each run (n_trials = this x workers); several values run "
        "each (e.g. 10 50)",
    )
    ap.add_argument("--tune-workers", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--trials-per-writer", type=int, default=100)
    args = ap.parse_args()
    if args.part in ("throughput", "all"):
        throughput(args)
    if args.part in ("storage", "all"):
        from benchmarks._storage_throughput import run

        run(args.writers, args.trials_per_writer, args.repeats, args.storages)


if __name__ == "__main__":
    main()
