"""The benchmark harness itself (not the outcomes): it runs, reports and plots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import methods, run


def test_runner_with_a_two_trial_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")

    def missing(*args: object) -> None:
        raise methods.MethodUnavailable("fakepeer: No module named 'fakepeer'")

    monkeypatch.setitem(methods.METHODS, "fake.peer", missing)
    run.main(
        [
            "--problems",
            "branin,conditional",
            "--methods",
            "trimtab.random,fake.peer",
            "--seeds",
            "2",
            "--budget",
            "2",
            "--jobs",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    data = json.loads((tmp_path / "results.json").read_text())
    ours = [r for r in data["results"] if r["method"] == "trimtab.random"]
    assert len(ours) == 4 and all(len(r["values"]) == 2 for r in ours)
    assert all(r["overhead_per_trial"] >= 0 for r in ours)
    text = (tmp_path / "report.md").read_text()
    assert "Not installed here: fake.peer (fakepeer: No module named 'fakepeer')" in text
    assert "| trimtab.random |" in text
    assert (tmp_path / "anytime_branin.png").stat().st_size > 0


def test_regret_is_never_negative_even_for_real_tasks() -> None:
    results = [
        {"problem": "svm_digits", "method": "a", "values": [0.05, 0.02]},
        {"problem": "svm_digits", "method": "b", "values": [0.03]},
        {"problem": "branin", "method": "a", "values": [3.0]},
    ]
    refs = run.references(results)
    assert refs["svm_digits"] <= 0.02
    assert all(run.get_regret(r, refs) >= 0 for r in results)
    assert run.get_regret(results[2], refs) == pytest.approx(3.0 - 0.39788735772973816)
    assert run.best_so_far([3.0, 1.0, 2.0]) == [3.0, 1.0, 1.0]
    # ties share the mean of the ranks they span
    assert run.tied_ranks({"a": 1.0, "b": 1.0, "c": 0.5, "d": 3.0}) == {
        "a": 2.5,
        "b": 2.5,
        "c": 1.0,
        "d": 4.0,
    }
    # so do scores apart by rounding only (1 - a mean of fold accuracies, summed in another
    # order), while a real difference, however small, still ranks
    assert run.tied_ranks({"a": 0.0, "b": 1.11e-16, "c": 3.7e-8}) == {"a": 1.5, "b": 1.5, "c": 3.0}


def test_a_classification_task_ranks_by_misclassified_examples() -> None:
    # two errors in breast_cancer's folds of 190 and 190 examples, or of 190 and 189: the same
    # count, a tie; one example more ranks behind them
    two_a, two_b = (2 / 190) / 3, (1 / 190 + 1 / 189) / 3
    three = (2 / 190 + 1 / 189) / 3
    results = [
        {"problem": "svm_breast_cancer", "method": m, "seed": 0, "values": [0.2, v]}
        for m, v in (("a", two_a), ("b", two_b), ("c", three), ("best", 0.0))
    ]
    refs = run.references(results)
    regrets = {r["method"]: run.regret_at(r, refs, 2) for r in results}
    assert regrets["a"] == regrets["b"] != regrets["c"]
    _, ranks = run.mean_ranks(results, ["a", "b", "c", "best"], ["svm_breast_cancer"], refs, 2)
    assert ranks == {"a": [2.5], "b": [2.5], "c": [4.0], "best": [1.0]}


def test_unknown_methods_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        run.main(["--methods", "nope.tpe", "--out", str(tmp_path)])


@pytest.mark.slow
@pytest.mark.parametrize("method", sorted(methods.METHODS))
def test_every_installed_method_runs_a_conditional_problem(method: str) -> None:
    result = run.run_one("conditional", method, 3, 0)
    if "unavailable" in result:
        pytest.skip(result["unavailable"])
    assert "error" not in result, result.get("traceback")
    assert len(result["values"]) == 3


def test_best_known_values_only_ever_go_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trimtab.benchmarks import _real

    table = tmp_path / "best_known.json"
    table.write_text(json.dumps({"svm_digits": 0.02}))
    monkeypatch.setattr(_real, "BEST_KNOWN", table)
    results = [
        {"problem": "svm_digits", "method": "a", "values": [0.03, 0.025]},
        {"problem": "svm_wine", "method": "a", "values": [0.05]},
        {"problem": "branin", "method": "a", "values": [0.1]},  # synthetic: never recorded
    ]
    assert run.update_best_known(results) == {"svm_wine": 0.05}
    assert json.loads(table.read_text()) == {"svm_digits": 0.02, "svm_wine": 0.05}


def test_checkpoints_report_regret_and_ranks_at_each_trial_count(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    args = ["--problems", "branin", "--methods", "trimtab.random", "--seeds", "1"]
    run.main(
        [*args, "--budget", "6", "--checkpoints", "2,4", "--jobs", "1", "--out", str(tmp_path)]
    )
    text = (tmp_path / "report.md").read_text()
    for heading in (
        "Final simple regret after 6 trials",
        "Simple regret after 4 trials",
        "Simple regret after 2 trials",
    ):
        assert heading in text
    assert "mean rank at 2 | mean rank at 4 | mean rank at 6" in text
    with pytest.raises(SystemExit):
        run.main([*args, "--budget", "6", "--checkpoints", "8", "--out", str(tmp_path)])
    with pytest.raises(SystemExit):
        run.main([*args, "--budget", "6", "--checkpoints", "two", "--out", str(tmp_path)])


def test_resume_runs_only_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    calls: list[tuple[str, int]] = []
    random_search = methods.METHODS["trimtab.random"]

    def counted(problem: object, budget: int, seed: int, evaluate: object) -> None:
        calls.append((problem.name, seed))  # type: ignore[attr-defined]
        random_search(problem, budget, seed, evaluate)  # type: ignore[arg-type]

    monkeypatch.setitem(methods.METHODS, "counted", counted)
    base = ["--methods", "counted", "--seeds", "2", "--budget", "3", "--jobs", "1"]
    run.main([*base, "--problems", "branin", "--out", str(tmp_path)])
    assert sorted(calls) == [("branin", 0), ("branin", 1)]
    # a run killed mid-write leaves a partial last line: it is ignored, not fatal
    with (tmp_path / "results.jsonl").open("a") as f:
        f.write('{"problem": "hartm')
    calls.clear()
    run.main([*base, "--problems", "branin,hartmann3", "--out", str(tmp_path), "--resume"])
    assert sorted(calls) == [("hartmann3", 0), ("hartmann3", 1)]
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == 4 and all(json.loads(line)["budget"] == 3 for line in lines)
    data = json.loads((tmp_path / "results.json").read_text())
    assert sorted((r["problem"], r["seed"]) for r in data["results"]) == [
        ("branin", 0),
        ("branin", 1),
        ("hartmann3", 0),
        ("hartmann3", 1),
    ]
    # another budget is another experiment: nothing is reused
    calls.clear()
    run.main(
        [
            *base[:-4],
            "--budget",
            "2",
            "--jobs",
            "1",
            "--problems",
            "branin",
            "--out",
            str(tmp_path),
            "--resume",
        ]
    )
    assert sorted(calls) == [("branin", 0), ("branin", 1)]


def _runs(
    problem: str, method: str, bests: list[float], first: float | None = None
) -> list[dict[str, object]]:
    """One result record per seed whose best value is ``bests[seed]`` (reached last, after a
    first value ``best + first`` when ``first`` is given)."""
    return [
        {"problem": problem, "method": method, "seed": s,
         "budget": 1 if first is None else 2,
         "values": [b] if first is None else [b + first, b], "overhead_per_trial": 0.001}
        for s, b in enumerate(bests)
    ]  # fmt: skip


def test_doc_tables_split_parts_and_rank_by_median_regret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import tables

    def runs(problem: str, method: str, bests: list[float]) -> list[dict[str, object]]:
        return _runs(problem, method, bests, first=1.0)

    branin = 0.397887  # its optimum (regret = best - optimum)
    log = tmp_path / "results.jsonl"
    lines = [
        *runs("branin", "trimtab.tpe", [branin + 0.1, branin + 0.2, branin + 0.3]),
        *runs("branin", "optuna.tpe", [branin + 0.5, branin + 0.6, branin + 0.0]),
        *runs("svm_wine", "trimtab.tpe", [2 / 178] * 3),  # 2 of wine's 178 examples wrong
        *runs("svm_wine", "optuna.tpe", [0.0, 4 / 178, 4 / 178]),
    ]
    log.write_text("".join(json.dumps(r) + "\n" for r in lines))
    tables.main([str(log)])
    out = capsys.readouterr().out
    assert "| problem (2 trials) | tt.tpe | op.tpe |" in out
    assert "| branin | 0.2 | 0.5 |" in out
    # real tasks: regret against the best value known or found (here 0.0, found)
    assert "| svm_wine | 0.0112 | 0.0225 |" in out
    assert "| mean rank (synthetic) | 1.00 | 2.00 |" in out
    assert "| mean rank (all) | 1.00 | 2.00 |" in out
    assert "tt.tpe 1, op.tpe 1." in out
    with pytest.raises(SystemExit):
        tables.main([str(log), "--trials", "3"])


def test_doc_tables_versus_counts_wins_ties_and_losses_with_p_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import tables

    def runs(problem: str, method: str, bests: list[float]) -> list[dict[str, object]]:
        return _runs(problem, method, bests)

    branin = 0.397887
    lines = [
        *runs("branin", "trimtab.tpe", [branin + 0.1] * 5),  # won
        *runs("branin", "optuna.tpe", [branin + 0.5] * 5),
        *runs("svm_wine", "trimtab.tpe", [0.0] * 5),  # tied: apart by rounding only
        *runs("svm_wine", "optuna.tpe", [1.11e-16] * 5),
        # lost in every seed: exact two-sided p = 2 / C(10, 5) = 0.0079
        *runs("hartmann3", "trimtab.tpe", [-3.86278 + 1.0 + 0.1 * s for s in range(5)]),
        *runs("hartmann3", "optuna.tpe", [-3.86278 + 0.3 + 0.1 * s for s in range(5)]),
    ]
    for r in lines[:5]:  # runs kept without timings still tabulate
        del r["overhead_per_trial"]
    log = tmp_path / "results.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in lines))
    tables.main([str(log), "--versus", "trimtab.tpe:optuna.tpe"])
    out = capsys.readouterr().out
    assert "tt.tpe vs op.tpe at 1: 1-1-1; lost: hartmann3 (1.2 vs 0.5, p = 0.01)" in out
    with pytest.raises(SystemExit):
        tables.main([str(log), "--versus", "trimtab.tpe:nobody"])
    assert "'trimtab.tpe:nobody' must be two methods" in capsys.readouterr().err


def test_doc_tables_by_seed_pairs_each_problems_seeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import tables

    branin = 0.397887
    lines = [
        # branin: trimtab better on seeds 0-5, worse on 6, tied on 7
        *_runs("branin", "trimtab.tpe", [branin + 0.1] * 6 + [branin + 0.9, branin + 0.4]),
        *_runs("branin", "optuna.tpe", [branin + 0.5] * 6 + [branin + 0.2, branin + 0.4]),
        # svm_wine (real): trimtab worse on both seeds
        *_runs("svm_wine", "trimtab.tpe", [2 / 178, 3 / 178]),
        *_runs("svm_wine", "optuna.tpe", [0.0, 1 / 178]),
    ]
    log = tmp_path / "results.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in lines))
    tables.main([str(log), "--versus", "trimtab.tpe:optuna.tpe", "--by-seed"])
    out = capsys.readouterr().out
    # 6 won, 1 tied, 3 lost; two-sided sign test of 6 of 9: p = 0.51; branin alone 6 of 7:
    # p = 0.125, not listed
    assert "tt.tpe vs op.tpe at 1, by seed (all): 6-1-3, sign test p = 0.51" in out
    assert "p < 0.1 on" not in out
    tables.main([str(log), "--versus", "trimtab.tpe:optuna.tpe", "--by-seed", "real"])
    assert "by seed (real): 0-0-2, sign test p = 0.5" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        tables.main([str(log), "--by-seed", "real"])
    assert "give --versus A:B too" in capsys.readouterr().err
    with pytest.raises(ValueError, match="part='some' must be one of all, real, synthetic"):
        tables.versus_by_seed(tables.load(log), "trimtab.tpe", "optuna.tpe", 1, "some")
