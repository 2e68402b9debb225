"""The ``trimtab`` command: list, inspect, delete and tune studies from a shell."""

from __future__ import annotations

import csv
import functools
import io
import json
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

import trimtab
from trimtab.study._dataframe import trial_rows
from trimtab.trial import FrozenTrial, TrialState

DEFAULT_STORAGE = "sqlite:///trimtab.db"
F = TypeVar("F", bound=Callable[..., Any])


def _storage_option(func: F) -> F:
    return click.option(
        "--storage",
        default=DEFAULT_STORAGE,
        show_default=True,
        envvar="TRIMTAB_STORAGE",
        help="Database URL of the studies.",
    )(func)


def _friendly(func: F) -> F:
    """Turn trimtab's own errors into one-line messages instead of tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (trimtab.TrimtabError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}"
    if hasattr(v, "isoformat"):
        return str(v.isoformat(sep=" ", timespec="seconds"))
    return str(v)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[_cell(v) for v in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(out)


def _jsonable(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "total_seconds"):
        return v.total_seconds()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(trimtab.__version__, prog_name="trimtab")
def main() -> None:
    """trimtab: hyperparameter optimization. Studies live in a database (--storage)."""


@main.command()
@_storage_option
@_friendly
def studies(storage: str) -> None:
    """List studies with their trial counts and best value."""
    summaries = trimtab.get_all_study_summaries(storage)
    if not summaries:
        click.echo(f"no studies in {storage}")
        return
    rows = []
    for s in summaries:
        counts = s.n_trials_by_state
        best = s.best_trial
        rows.append(
            [
                s.study_name,
                ",".join(d.name.lower() for d in s.directions),
                s.n_trials,
                counts.get("COMPLETE", 0),
                counts.get("PRUNED", 0),
                counts.get("FAILED", 0),
                counts.get("RUNNING", 0) + counts.get("WAITING", 0),
                counts.get("PAUSED", 0),
                None if best is None or best.values is None else best.values[0],
                None if best is None else best.number,
                s.datetime_created,
            ]
        )
    click.echo(
        _table(
            [
                "study",
                "direction",
                "trials",
                "complete",
                "pruned",
                "failed",
                "running",
                "paused",
                "best",
                "best_trial",
                "created",
            ],
            rows,
        )
    )


@main.command()
@click.argument("study")
@_storage_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@_friendly
def trials(study: str, storage: str, fmt: str) -> None:
    """Show every trial of STUDY."""
    s = trimtab.load_study(study_name=study, storage=storage)
    rows = trial_rows(
        s,
        (
            "number",
            "state",
            "value",
            "params",
            "user_attrs",
            "datetime_start",
            "duration",
            "fail_reason",
        ),
    )
    columns: list[str] = []
    for r in rows:
        columns += [k for k in r if k not in columns]
    if fmt == "json":
        click.echo(json.dumps([{k: _jsonable(r.get(k)) for k in columns} for r in rows], indent=2))
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _jsonable(r.get(k)) for k in columns})
        click.echo(buf.getvalue(), nl=False)
    else:
        click.echo(_table(columns, [[r.get(k) for k in columns] for r in rows]))


def _describe(t: FrozenTrial) -> dict[str, Any]:
    return {
        "number": t.number,
        "values": list(t.values or []),
        "params": dict(t.params),
        "user_attrs": dict(t.user_attrs),
        "datetime_start": _jsonable(t.datetime_start),
        "duration_seconds": _jsonable(t.duration),
    }


def _best_of(s: trimtab.Study) -> list[FrozenTrial]:
    return [s.best_trial] if len(s.directions) == 1 else s.best_trials


def _echo_best(chosen: list[FrozenTrial], label: str = "") -> None:
    for t in chosen:
        click.echo(f"{label}trial {t.number}: values {list(t.values or [])}")
        for k, v in t.params.items():
            click.echo(f"  {k} = {v!r}")


@main.command()
@click.argument("study")
@_storage_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@_friendly
def best(study: str, storage: str, fmt: str) -> None:
    """Show the best trial of STUDY (the Pareto front for several objectives)."""
    s = trimtab.load_study(study_name=study, storage=storage)
    if fmt == "json":
        click.echo(json.dumps([_describe(t) for t in _best_of(s)], indent=2))
    else:
        _echo_best(_best_of(s))


@main.command()
@click.argument("study")
@_storage_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_friendly
def delete(study: str, storage: str, yes: bool) -> None:
    """Delete STUDY and all its trials."""
    s = trimtab.load_study(study_name=study, storage=storage)
    n = len(s.trials)
    if not yes:
        click.confirm(f"delete study {study!r} and its {n} trials from {storage}?", abort=True)
    trimtab.delete_study(study_name=study, storage=storage)
    click.echo(f"deleted study {study!r} ({n} trials)")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--storage", default=None, help="Override the config's storage URL.")
@click.option(
    "--n-trials", type=click.IntRange(min=0), default=None, help="Override the config's n_trials."
)
@_friendly
def tune(config: str, storage: str | None, n_trials: int | None) -> None:
    """Run the experiment described in CONFIG (YAML); rerunning it resumes the study."""
    from trimtab.cli._tune import build

    s, objective, run = build(config, storage, n_trials)
    finished = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED)
    before = len(s.get_trials(finished))
    click.echo(f"study {s.study_name!r}: {before} finished trials so far")
    s.optimize(
        objective,
        n_trials=run["n_trials"],
        timeout=run["timeout"],
        show_progress_bar=run["show_progress_bar"],
    )
    after = len(s.get_trials(finished))
    click.echo(f"ran {after - before} trials; the study has {after} finished trials")
    try:
        chosen = _best_of(s)
    except ValueError:
        click.echo("no trial completed yet")
        return
    _echo_best(chosen, "best: ")


@main.command()
@_storage_option
@click.option("--study", "study_name", required=True, help="Name of the study to work on.")
@click.option(
    "--objective", required=True, help="module:function to run as function(trial) -> value."
)
@click.option(
    "--n-trials",
    type=click.IntRange(min=0),
    default=None,
    help="The study's total: all workers together start at most this many trials.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds after which this worker starts no new trial.",
)
@click.option(
    "--trial-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds one trial may run before it is stopped and marked FAILED.",
)
@click.option(
    "--sampler",
    default=None,
    help="auto (default), random, tpe, gp, cmaes, qmc, ga, nsga2, or YAML such as "
    "'{name: tpe, seed: 1}' or '{name: grid, search_space: {x: [1, 2]}}'.",
)
@click.option(
    "--n-jobs", type=int, default=1, show_default=True, help="Worker processes of this worker."
)
@_friendly
def worker(
    storage: str,
    study_name: str,
    objective: str,
    n_trials: int | None,
    timeout: float | None,
    trial_timeout: float | None,
    sampler: str | None,
    n_jobs: int,
) -> None:
    """Pull trials of an existing study and run them, alongside any number of other workers."""
    from trimtab.cli._worker import run_worker

    ran, total = run_worker(
        storage, study_name, objective, n_trials, timeout, trial_timeout, sampler, n_jobs
    )
    click.echo(f"worker ran {ran} trials; study {study_name!r} has {total} trials")


@main.group()
def storage() -> None:
    """Maintain a storage (schema migrations)."""


@storage.command("upgrade")
@_storage_option
@_friendly
def storage_upgrade(storage: str) -> None:
    """Migrate the database schema to this trimtab's version (back it up first)."""
    from trimtab.storages._sql._migrate import upgrade_url

    before, after = upgrade_url(storage)
    click.echo(f"schema {before or 'none'} -> {after}")
