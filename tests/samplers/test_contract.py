"""What every search strategy promises (issue 4's correctness list), checked for each one
through the public API: conditional parameters, histories with failed and pruned trials,
ask/tell with a seed, and several processes on one SQLite study."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

import trimtab
from trimtab.samplers import (
    AutoSampler,
    BaseSampler,
    CMAESSampler,
    GeneticSampler,
    GPSampler,
    NSGAIISampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from trimtab.trial import TrialState

FACTORIES: dict[str, Callable[[int | None], BaseSampler]] = {
    "random": lambda seed: RandomSampler(seed=seed),
    "qmc": lambda seed: QMCSampler(seed=seed),
    "tpe": lambda seed: TPESampler(seed=seed, n_startup_trials=5),
    "gp": lambda seed: GPSampler(seed=seed, n_startup_trials=5),
    "cmaes": lambda seed: CMAESSampler(seed=seed),
    "ga": lambda seed: GeneticSampler(seed=seed, population_size=6),
    "nsga2": lambda seed: NSGAIISampler(seed=seed, population_size=6),
    "auto": lambda seed: AutoSampler(seed=seed, n_startup_trials=5),
}
NAMES = list(FACTORIES)


def conditional(trial: trimtab.Trial) -> float:
    """Two branches with parameters of their own, of every kind."""
    kind = trial.suggest_categorical("kind", ["linear", "tree"])
    if kind == "linear":
        c = trial.suggest_float("c", 1e-3, 1e2, log=True)
        penalty = trial.suggest_categorical("penalty", ["l1", "l2"])
        return abs(c - 1.0) + (penalty == "l1")
    depth = trial.suggest_int("depth", 2, 12, step=2)
    leaf = trial.suggest_int("leaf", 1, 64, log=True)
    rate = trial.suggest_float("rate", 0.0, 1.0, step=0.05)
    return abs(depth - 6) / 6 + abs(leaf - 8) / 64 + rate


def check_conditional_params(t: trimtab.trial.FrozenTrial) -> None:
    p = t.params
    if p["kind"] == "linear":
        assert set(p) == {"kind", "c", "penalty"}
        assert 1e-3 <= p["c"] <= 1e2 and p["penalty"] in ("l1", "l2")
    else:
        assert set(p) == {"kind", "depth", "leaf", "rate"}
        assert p["depth"] in range(2, 13, 2) and 1 <= p["leaf"] <= 64
        assert isinstance(p["depth"], int) and isinstance(p["leaf"], int)
        assert 0.0 <= p["rate"] <= 1.0 and abs(p["rate"] / 0.05 - round(p["rate"] / 0.05)) < 1e-9


@pytest.mark.parametrize("name", NAMES)
def test_conditional_spaces(name: str) -> None:
    study = trimtab.create_study(sampler=FACTORIES[name](0))
    study.optimize(conditional, n_trials=30)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    for t in study.trials:
        check_conditional_params(t)
    assert {t.params["kind"] for t in study.trials} == {"linear", "tree"}


@pytest.mark.parametrize("name", NAMES)
def test_failed_and_pruned_trials_in_the_history(name: str) -> None:
    def objective(trial: trimtab.Trial) -> float:
        x = trial.suggest_float("x", -2.0, 2.0)
        n = trial.suggest_int("n", 1, 5)
        if trial.number % 5 == 3:
            trial.report(x * x, step=1)
            raise trimtab.TrialPruned()
        if trial.number % 5 == 4:
            raise ValueError("diverged")
        if trial.number % 7 == 6:
            return float("nan")  # recorded as a failure too
        return x * x + n

    study = trimtab.create_study(sampler=FACTORIES[name](0))
    study.optimize(objective, n_trials=35)
    states = Counter(t.state for t in study.trials)
    # 7 pruned; 7 raised and 3 NaN (trials 6, 20, 27) failed; the other 18 complete
    assert states == {TrialState.PRUNED: 7, TrialState.FAILED: 10, TrialState.COMPLETE: 18}
    for t in study.trials:  # every trial, after failures too, got a valid proposal
        assert -2.0 <= t.params["x"] <= 2.0 and t.params["n"] in range(1, 6)


@pytest.mark.parametrize("name", NAMES)
def test_ask_tell_is_reproducible_with_a_seed(name: str) -> None:
    def run(seed: int) -> list[dict[str, object]]:
        study = trimtab.create_study(sampler=FACTORIES[name](seed))
        for _ in range(12):
            trial = study.ask()
            value = conditional(trial)
            study.tell(trial, value)
        return [t.params for t in study.trials]

    first = run(1)
    assert first == run(1)
    assert first != run(2)


WORKER = """
import logging, sys
import trimtab
sys.path.insert(0, {tests!r})
from test_contract import FACTORIES, conditional
logging.getLogger("trimtab").setLevel(logging.WARNING)
sampler = FACTORIES[sys.argv[2]](None)  # unseeded: the workers must not propose alike
study = trimtab.load_study(study_name="s", storage=sys.argv[1], sampler=sampler)
study.optimize(conditional, n_trials=12)
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_two_processes_share_one_sqlite_study(name: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    trimtab.create_study(study_name="s", storage=url)
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(tests=str(Path(__file__).parent)))
    procs = [
        subprocess.Popen([sys.executable, str(script), url, name], stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    errors = [p.communicate(timeout=180)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    trials = trimtab.load_study(study_name="s", storage=url).trials
    assert sorted(t.number for t in trials) == list(range(24))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    for t in trials:
        check_conditional_params(t)
