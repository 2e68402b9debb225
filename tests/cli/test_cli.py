from __future__ import annotations

import csv
import io
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import trimtab
from trimtab.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def filled(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    study = trimtab.create_study(
        study_name="quad", storage=url, sampler=trimtab.samplers.RandomSampler(seed=0)
    )
    study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=8)
    study.tell(study.ask(), state=trimtab.TrialState.FAILED)
    return url


def test_studies_lists_counts_and_best(runner: CliRunner, filled: str) -> None:
    out = runner.invoke(main, ["studies", "--storage", filled])
    assert out.exit_code == 0, out.output
    header, _, row = out.output.splitlines()[:3]
    assert header.split()[:6] == ["study", "direction", "trials", "complete", "pruned", "failed"]
    assert row.split()[:6] == ["quad", "minimize", "9", "8", "0", "1"]
    best = trimtab.load_study(study_name="quad", storage=filled).best_value
    assert f"{best:.6g}" in row


def test_trials_as_table_csv_and_json(runner: CliRunner, filled: str) -> None:
    table = runner.invoke(main, ["trials", "quad", "--storage", filled])
    assert table.exit_code == 0 and "params_x" in table.output
    out = runner.invoke(main, ["trials", "quad", "--storage", filled, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert len(rows) == 9 and rows[0]["state"] == "COMPLETE" and rows[8]["state"] == "FAILED"
    assert (
        float(rows[0]["params_x"])
        == trimtab.load_study(study_name="quad", storage=filled).trials[0].params["x"]
    )
    data = json.loads(
        runner.invoke(main, ["trials", "quad", "--storage", filled, "--format", "json"]).output
    )
    assert len(data) == 9 and data[8]["fail_reason"].startswith("Failed")


def test_best(runner: CliRunner, filled: str) -> None:
    study = trimtab.load_study(study_name="quad", storage=filled)
    data = json.loads(
        runner.invoke(main, ["best", "quad", "--storage", filled, "--format", "json"]).output
    )
    assert data[0]["number"] == study.best_trial.number
    assert data[0]["params"] == study.best_params
    text = runner.invoke(main, ["best", "quad", "--storage", filled]).output
    assert f"trial {study.best_trial.number}" in text


def test_delete_asks_first(runner: CliRunner, filled: str) -> None:
    out = runner.invoke(main, ["delete", "quad", "--storage", filled], input="n\n")
    assert out.exit_code != 0
    assert trimtab.get_all_study_names(filled) == ["quad"]
    out = runner.invoke(main, ["delete", "quad", "--storage", filled, "--yes"])
    assert out.exit_code == 0 and "deleted study 'quad' (9 trials)" in out.output
    assert trimtab.get_all_study_names(filled) == []


def test_errors_are_one_line_messages(runner: CliRunner, filled: str) -> None:
    out = runner.invoke(main, ["best", "nope", "--storage", filled])
    assert out.exit_code == 1
    assert "study_name='nope' does not exist" in out.output and "Traceback" not in out.output
    out = runner.invoke(main, ["studies", "--storage", "runs.db"])
    assert out.exit_code == 1 and "is not a database URL" in out.output


def test_default_storage_is_trimtab_db(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRIMTAB_STORAGE", raising=False)
    out = runner.invoke(main, ["studies"])
    assert out.exit_code == 0 and "no studies in sqlite:///trimtab.db" in out.output
    assert (tmp_path / "trimtab.db").exists()


OBJECTIVE = """
def objective(trial, offset=0.0):
    assert set(trial.params) >= {"x", "kind"}
    extra = trial.suggest_int("n", 1, 3)
    return (trial.params["x"] - offset) ** 2 + extra
"""


def write_config(tmp_path: Path, body: str) -> Path:
    (tmp_path / "myobj.py").write_text(OBJECTIVE)
    cfg = tmp_path / "exp.yaml"
    cfg.write_text(textwrap.dedent(body))
    return cfg


def test_tune_runs_a_config_and_resumes(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tune.db'}"
    cfg = write_config(
        tmp_path,
        f"""
        study_name: exp
        objective: myobj:objective
        objective_args: {{offset: 1.0}}
        storage: {url}
        n_trials: 6
        show_progress_bar: false
        sampler: {{name: random, seed: 3}}
        space:
          x: {{type: float, low: -2, high: 2}}
          kind: {{type: categorical, choices: [a, b]}}
          lr: {{type: float, low: 1e-5, high: 1e-1, log: true}}
        enqueue:
          - {{x: 1.0, kind: a}}
    """,
    )
    out = runner.invoke(main, ["tune", str(cfg)])
    assert out.exit_code == 0, out.output
    study = trimtab.load_study(study_name="exp", storage=url)
    assert len(study.trials) == 6
    assert study.trials[0].params["x"] == 1.0  # the enqueued point ran first
    assert all(1e-5 <= t.params["lr"] <= 1e-1 for t in study.trials)  # YAML's 1e-5 is a number
    assert study.system_attrs["tune_config"]["sampler"] == {"name": "random", "seed": 3}
    assert "best: trial" in out.output
    out = runner.invoke(main, ["tune", str(cfg), "--n-trials", "2"])
    assert out.exit_code == 0, out.output
    assert len(trimtab.load_study(study_name="exp", storage=url).trials) == 8


def test_tune_with_a_grid_stops_when_the_grid_is_done(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'grid.db'}"
    cfg = write_config(
        tmp_path,
        f"""
        study_name: g
        objective: myobj:objective
        storage: {url}
        show_progress_bar: false
        sampler: {{name: grid, search_space: {{x: [0.0, 1.0], kind: [a, b], n: [1]}}}}
        space:
          x: {{type: float, low: -2, high: 2}}
          kind: {{type: categorical, choices: [a, b]}}
    """,
    )
    out = runner.invoke(main, ["tune", str(cfg)])
    assert out.exit_code == 0, out.output
    assert len(trimtab.load_study(study_name="g", storage=url).trials) == 4


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("study_name: s\n", "key 'objective' is required"),
        ("study_name: s\nobjective: myobj:objective\nn_trails: 3\n", "unknown key(s) ['n_trails']"),
        ("study_name: s\nobjective: myobj\n", "must look like 'package.module:function'"),
        ("study_name: s\nobjective: nomodule:f\n", "module 'nomodule' cannot be imported"),
        ("study_name: s\nobjective: myobj:nofunc\n", "has no function 'nofunc'"),
        (
            "study_name: s\nobjective: myobj:objective\nspace: {x: {type: floaty}}\n",
            "space.x.type='floaty' is not a distribution type",
        ),
        (
            "study_name: s\nobjective: myobj:objective\nspace: {x: {type: float, low: 1}}\n",
            "space.x: missing key 'high'",
        ),
        (
            "study_name: s\nobjective: myobj:objective\n"
            "space: {x: {type: float, low: 2, high: 1}}\n",
            "space.x: low=2 must be <= high=1",
        ),
        (
            "study_name: s\nobjective: myobj:objective\nsampler: {name: annealing}\n",
            "sampler.name='annealing' is not known; allowed: grid, auto, random, tpe, gp",
        ),
        (
            "study_name: s\nobjective: myobj:objective\ndirection: up\n",
            "direction='up' is not a direction",
        ),
        ("- just\n- a list\n", "must hold a mapping"),
    ],
)
def test_tune_config_errors_name_the_key(
    runner: CliRunner, tmp_path: Path, body: str, fragment: str
) -> None:
    cfg = write_config(tmp_path, body)
    out = runner.invoke(main, ["tune", str(cfg), "--storage", f"sqlite:///{tmp_path / 'e.db'}"])
    assert out.exit_code == 1, out.output
    assert fragment in out.output
    assert "Traceback" not in out.output


def test_storage_upgrade_reports_the_version(runner: CliRunner, filled: str) -> None:
    out = runner.invoke(main, ["storage", "upgrade", "--storage", filled])
    assert out.exit_code == 0 and "schema 0002 -> 0002" in out.output


def test_storage_upgrade_builds_and_keeps_a_postgres_schema(
    runner: CliRunner, postgres_url: str
) -> None:
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    out = runner.invoke(main, ["storage", "upgrade", "--storage", plain])
    assert out.exit_code == 0 and "schema none -> 0002" in out.output, out.output
    study = trimtab.create_study(study_name="pg", storage=plain)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    out = runner.invoke(main, ["storage", "upgrade", "--storage", plain])
    assert out.exit_code == 0 and "schema 0002 -> 0002" in out.output, out.output
    out = runner.invoke(main, ["studies", "--storage", plain])
    assert out.exit_code == 0 and "pg" in out.output
    study.storage.remove_session()
