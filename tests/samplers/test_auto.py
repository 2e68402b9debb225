from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from benchmarks.conditional_spaces import branches

import trimtab
from trimtab.benchmarks import get_problem
from trimtab.samplers import AutoSampler
from trimtab.trial import TrialState


def quadratic(trial: trimtab.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    return (x - 1.5) ** 2 + (y + 0.5) ** 2


def chosen(study: trimtab.Study) -> list[str]:
    return [t.system_attrs["auto:sampler"] for t in study.trials]


def test_is_the_default_of_create_study() -> None:
    assert isinstance(trimtab.create_study().sampler, AutoSampler)


def test_random_start_then_gp_on_a_small_flat_space_and_it_finds_the_optimum() -> None:
    study = trimtab.create_study(sampler=AutoSampler(seed=0))
    study.optimize(quadratic, n_trials=30)
    assert chosen(study) == ["RandomSampler"] * 10 + ["GPSampler"] * 20
    assert study.best_value < 1e-3


def test_the_gp_phase_takes_the_input_warping_option() -> None:
    def lopsided(trial: trimtab.Trial) -> float:
        c = math.log10(trial.suggest_float("c", 1e-3, 1e3, log=True))
        return (
            1.0 - math.exp(-(((c - 2.2) / 0.3) ** 2)) + (trial.suggest_float("g", 0, 1) - 0.3) ** 2
        )

    def run(objective: Callable[[trimtab.Trial], float], **kw: Any) -> list[dict[str, Any]]:
        study = trimtab.create_study(sampler=AutoSampler(seed=0, **kw))
        study.optimize(objective, n_trials=14)
        return [dict(t.params) for t in study.trials]

    # no parameter on a log scale: "log" (the default) warps nothing, the same proposals as off
    assert run(quadratic) == run(quadratic, gp_input_warping="log")
    assert run(quadratic) == run(quadratic, gp_input_warping=False)
    # one on a log scale: the default warps it, so the GP's proposals change from the plain
    # GP's once it has something to warp
    warped, plain = run(lopsided), run(lopsided, gp_input_warping=False)
    assert warped == run(lopsided, gp_input_warping="log")
    assert plain[:10] == warped[:10] and plain[10:] != warped[10:]


def test_gp_for_a_small_conditional_space_tpe_for_a_large_one() -> None:
    study = trimtab.create_study(sampler=AutoSampler(seed=0))
    study.optimize(branches, n_trials=25)
    assert chosen(study) == ["RandomSampler"] * 10 + ["GPSampler"] * 15
    assert study.best_value < 1e-4  # the GP models a_only where kind == "a"
    # four parameters in all, counting both branches': more than gp_max_params=3
    wide = trimtab.create_study(sampler=AutoSampler(seed=0, gp_max_params=3))
    wide.optimize(branches, n_trials=25)
    later = chosen(wide)[10:]
    assert later and set(later) == {"TPESampler"}
    assert {"a_only", "b_only"} <= {k for t in wide.trials[:10] for k in t.params}


def test_tpe_for_many_parameters_and_after_many_trials() -> None:
    wide = trimtab.create_study(sampler=AutoSampler(seed=0, gp_max_params=3))
    wide.optimize(lambda t: sum(t.suggest_float(f"x{i}", 0, 1) for i in range(4)), n_trials=12)
    assert chosen(wide)[10:] == ["TPESampler"] * 2
    long = trimtab.create_study(sampler=AutoSampler(seed=0, n_startup_trials=3, gp_max_trials=6))
    long.optimize(quadratic, n_trials=9)
    assert chosen(long) == ["RandomSampler"] * 3 + ["GPSampler"] * 3 + ["TPESampler"] * 3


def noisy_quadratic(trial: trimtab.Trial) -> float:
    return quadratic(trial) + random.Random(trial.number).gauss(0.0, 2.0)


def test_a_noisy_objective_goes_to_tpe_and_a_smooth_one_stays_with_the_gp() -> None:
    runs = {}
    for objective in (quadratic, noisy_quadratic):
        sampler = AutoSampler(seed=0, n_startup_trials=5, gp_noisy_max_trials=20)
        study = trimtab.create_study(sampler=sampler)
        study.optimize(objective, n_trials=25)
        runs[objective] = study
    smooth, noisy = runs[quadratic], runs[noisy_quadratic]
    assert chosen(smooth) == ["RandomSampler"] * 5 + ["GPSampler"] * 20
    assert chosen(noisy) == ["RandomSampler"] * 5 + ["GPSampler"] * 15 + ["TPESampler"] * 5
    # the decision and its evidence are recorded in the study
    kept, handed = smooth.system_attrs["auto:handover"], noisy.system_attrs["auto:handover"]
    assert kept["choice"] == "GPSampler" and kept["after_trials"] == 20
    assert kept["noise_variance"] < 1e-6
    assert handed["choice"] == "TPESampler" and handed["after_trials"] == 20
    assert handed["noise_variance"] > 1e-3


def test_a_space_with_branches_goes_to_tpe_and_records_its_switches() -> None:
    def layers(trial: trimtab.Trial) -> float:  # conditional on an integer only
        n = trial.suggest_int("n", 1, 2)
        return sum((trial.suggest_float(f"u{i}", 0, 1) - 0.3) ** 2 for i in range(n))

    runs = {}
    for name, objective in (("conditional", get_problem("conditional").objective), ("n", layers)):
        sampler = AutoSampler(seed=0, n_startup_trials=5, gp_noisy_max_trials=20)
        study = trimtab.create_study(sampler=sampler)
        study.optimize(objective, n_trials=23)
        runs[name] = study
    # a categorical parameter switching others on: TPE, whose MaxUCB picks the branches
    assert chosen(runs["conditional"])[18:] == ["GPSampler"] * 2 + ["TPESampler"] * 3
    assert runs["conditional"].system_attrs["auto:handover"] == {
        "after_trials": 20, "switches": ["branch"], "choice": "TPESampler"
    }  # fmt: skip
    # switched by an integer, smooth: the GP goes on
    assert chosen(runs["n"])[18:] == ["GPSampler"] * 5
    assert runs["n"].system_attrs["auto:handover"]["noise_variance"] < 1e-3


def test_other_workers_follow_the_recorded_handover(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'auto.db'}"
    first = trimtab.create_study(
        study_name="s",
        storage=storage,
        sampler=AutoSampler(seed=0, n_startup_trials=5, gp_noisy_max_trials=20),
    )
    first.optimize(noisy_quadratic, n_trials=21)
    assert first.system_attrs["auto:handover"]["choice"] == "TPESampler"
    # a worker that joins now has never fitted the GP; it follows the stored decision
    late = trimtab.load_study(
        study_name="s",
        storage=storage,
        sampler=AutoSampler(seed=1, n_startup_trials=5, gp_noisy_max_trials=20),
    )
    late.optimize(noisy_quadratic, n_trials=2)
    assert chosen(late)[-2:] == ["TPESampler"] * 2
    # without the record it would have chosen the GP (it decides only after a fit of its own)
    fresh = AutoSampler(seed=1, n_startup_trials=5, gp_noisy_max_trials=20)
    late.set_system_attr("auto:handover", None)
    assert fresh.choose(late) == "GPSampler"


def test_two_workers_deciding_at_once_follow_one_decision(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'race.db'}"
    a, b = (AutoSampler(seed=s, n_startup_trials=5, gp_noisy_max_trials=15) for s in (0, 1))
    study_a = trimtab.create_study(study_name="s", storage=storage, sampler=a)
    study_b = trimtab.load_study(study_name="s", storage=storage, sampler=b)
    study_a.optimize(noisy_quadratic, n_trials=13)
    study_b.optimize(noisy_quadratic, n_trials=1)  # each worker has a GP fit of its own
    study_a.optimize(noisy_quadratic, n_trials=1)
    gp_a, gp_b = a._sampler("GPSampler"), b._sampler("GPSampler")
    gp_a.noise_variance = lambda study: 1.0  # type: ignore[method-assign]
    decided_by_a = []

    def b_noise(study: trimtab.Study) -> float:
        # b has read "nothing recorded yet"; a decides now, before b does
        decided_by_a.append(a.choose(study_a))
        return 1e-9  # b's own fit would keep the GP

    gp_b.noise_variance = b_noise  # type: ignore[method-assign]
    assert b.choose(study_b) == "TPESampler"  # a's decision, not b's own
    assert decided_by_a == ["TPESampler"]
    assert study_b.system_attrs["auto:handover"]["choice"] == "TPESampler"
    study_b.optimize(noisy_quadratic, n_trials=2)
    assert chosen(study_b)[-2:] == ["TPESampler"] * 2


def test_nsga2_for_several_objectives() -> None:
    study = trimtab.create_study(directions=["minimize", "maximize"], sampler=AutoSampler(seed=1))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=5)
    assert set(chosen(study)) == {"NSGAIISampler"}
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_reproducible_with_a_seed_and_ask_tell() -> None:
    def run(seed: int) -> list[dict[str, object]]:
        study = trimtab.create_study(sampler=AutoSampler(seed=seed, n_startup_trials=3))
        for _ in range(6):
            trial = study.ask()
            study.tell(trial, quadratic(trial))
        return [dict(t.params) for t in study.trials]

    assert run(4) == run(4)
    assert run(4) != run(5)


def test_enqueued_trials_and_failures_are_fine() -> None:
    study = trimtab.create_study(sampler=AutoSampler(seed=0, n_startup_trials=3))
    study.enqueue_trial({"x": 1.5, "y": -0.5})

    def objective(trial: trimtab.Trial) -> float:
        if trial.number == 2:
            raise ValueError("boom")
        return quadratic(trial)

    study.optimize(objective, n_trials=8)
    assert study.trials[0].params == {"x": 1.5, "y": -0.5}
    assert study.trials[2].state == TrialState.FAILED
    assert study.best_value == 0.0


def test_import_stays_light() -> None:
    import subprocess

    code = (
        "import sys, trimtab; trimtab.create_study(); "
        "print(any(m in sys.modules for m in ('numpy', 'scipy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_bad_arguments() -> None:
    for arg, bad in (
        ("n_startup_trials", 0),
        ("gp_max_trials", -1),
        ("gp_noisy_max_trials", -1),
        ("gp_max_params", 1.5),
    ):
        with pytest.raises(ValueError, match=arg):
            AutoSampler(**{arg: bad})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="gp_input_warping='all' must be True, False or 'log'"):
        AutoSampler(gp_input_warping="all")  # type: ignore[arg-type]
