"""benchmarks.current: layering the kept runs into the rows of the current code."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from benchmarks.current import DATA, LAYERS, Layer, current, gaps, main


def _write(path: Path, rows: list[tuple[str, str, int, float]]) -> None:
    with gzip.open(path, "wt") as f:
        for problem, method, seed, value in rows:
            f.write(json.dumps({"problem": problem, "method": method, "seed": seed,
                                "values": [value]}) + "\n")  # fmt: skip


def test_later_layers_replace_rows_and_rename_methods(tmp_path: Path) -> None:
    _write(tmp_path / "base.jsonl.gz", [("p", "a", 0, 1.0), ("p", "a", 1, 2.0), ("p", "b", 0, 3.0),
                                        ("p", "b", 1, 4.0)])  # fmt: skip
    _write(tmp_path / "fix.jsonl.gz", [("p", "a_new", 1, 9.0), ("p", "b", 1, 7.0)])
    layers = (Layer(("base.jsonl.gz",)), Layer(("fix.jsonl.gz",), ("a_new",), (("a_new", "a"),)))
    rows = current(tmp_path, layers)
    got = {(r["method"], r["seed"]): r["values"][0] for r in rows}
    # a's seed 1 replaced by the renamed row; b's from the second file left out by the filter
    assert got == {("a", 0): 1.0, ("a", 1): 9.0, ("b", 0): 3.0, ("b", 1): 4.0}
    assert gaps(rows) == []
    assert gaps(rows[1:]) == ["p a: seeds [0]"]
    with pytest.raises(FileNotFoundError, match=r"no file 'gone\.jsonl\.gz'"):
        current(tmp_path, (Layer(("gone.jsonl.gz",)),))


def test_the_kept_runs_make_a_full_grid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "now.jsonl"
    main(["--out", str(out)])
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert gaps(rows) == []
    problems = {r["problem"] for r in rows}
    methods = {r["method"] for r in rows}
    assert len(rows) == len(problems) * len(methods) * 10 and len(methods) == 15
    assert {"conditional", "branin", "rf_digits"} <= problems
    assert f"{len(rows)} runs: {len(problems)} problems x 15 methods" in capsys.readouterr().out
    # the last layer's rows are the ones kept
    last = LAYERS[-1]
    with gzip.open(DATA / last.files[0], "rt") as f:
        newest = json.loads(f.readline())
    kept = next(r for r in rows if (r["problem"], r["method"], r["seed"]) ==
                (newest["problem"], newest["method"], newest["seed"]))  # fmt: skip
    assert kept["values"] == newest["values"]
