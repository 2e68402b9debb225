"""benchmarks.conditional_spaces: the padded conditional objective and the command line."""

from __future__ import annotations

import math

import pytest
from benchmarks.conditional_spaces import cash, main, padded

import trimtab
from trimtab.benchmarks import get_problem


def test_padded_objective_is_the_conditional_problem_plus_irrelevant_parameters() -> None:
    study = trimtab.create_study(sampler=trimtab.samplers.RandomSampler(seed=0))
    pads = {f"pad_{i}": 0.5 for i in range(3)}
    study.enqueue_trial({"branch": "branin", "x0": math.pi, "x1": 2.275, **pads})
    study.enqueue_trial({"branch": "branin", "x0": math.pi, "x1": 2.275, **pads, "pad_1": 0.9})
    study.optimize(padded(3), n_trials=12)
    first, second = study.trials[0], study.trials[1]
    assert first.value == pytest.approx(get_problem("conditional").optimum, abs=1e-6)
    assert second.value == first.value  # the padding changes nothing
    for t in study.trials:
        branch_params = {"branin": {"x0", "x1"}, "hartmann": {"h0", "h1", "h2"}, "sphere": {"s"}}
        assert set(t.params) == {"branch", *branch_params[t.params["branch"]], *pads}


def test_command_line_names_a_bad_objective(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--objectives", "padded,flat"])
    assert "--objectives 'flat' must be among branches, nested, padded, model_choice" in (
        capsys.readouterr().err
    )
    with pytest.raises(SystemExit):
        main(["--methods", "trimtab.tpe,optuna.tpe"])
    assert "--methods 'optuna.tpe' must be among trimtab.auto," in capsys.readouterr().err


def test_command_line_runs_the_chosen_methods(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--seeds", "1", "--trials", "12", "--objectives", "model_choice",
          "--methods", "trimtab.tpe,trimtab.random"])  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("model_choice: trimtab.tpe ") and "trimtab.random" in out[1]
    assert "trimtab.gp" not in out[1] and "(trials of the last 6 on svm: " in out[1]


def test_command_line_reports_several_trial_counts_of_one_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["--seeds", "1", "--trials", "12", "--at", "6,12", "--objectives", "model_choice",
          "--methods", "trimtab.random"])  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "median best value over 1 seeds after 6, 12 trials"
    early, late = (float(line.split()[3].rstrip(",")) for line in out[1:3])
    assert out[1].startswith("model_choice @6: trimtab.random ") and "last 3 on svm" in out[1]
    assert out[2].startswith("model_choice @12: trimtab.random ") and "last 6 on svm" in out[2]
    assert late <= early
    with pytest.raises(SystemExit):
        main(["--trials", "12", "--at", "6,20"])
    assert "--at '6,20': each count must be in [2, --trials=12]" in capsys.readouterr().err


def test_command_line_alpha_is_for_that_run_only(capsys: pytest.CaptureFixture[str]) -> None:
    import trimtab.samplers._branches as branch_choice

    default = branch_choice.ALPHA
    args = ["--seeds", "1", "--trials", "40", "--objectives", "model_choice",
            "--methods", "trimtab.tpe"]  # fmt: skip
    svm_trials = []
    for alpha in ("0.01", "50"):
        main([*args, "--alpha", alpha])
        line = capsys.readouterr().out.splitlines()[1]
        svm_trials.append(float(line.split("on svm: trimtab.tpe ")[1].rstrip(")")))
        assert default == branch_choice.ALPHA
    assert svm_trials[0] < svm_trials[1]  # a larger bonus explores the poor-looking branch
    with pytest.raises(SystemExit):
        main([*args, "--alpha", "0"])
    assert "--alpha 0.0 must be > 0" in capsys.readouterr().err


def test_cash_objective_is_the_chosen_real_task() -> None:
    pytest.importorskip("sklearn")
    from trimtab.benchmarks._real import cv_error

    study = trimtab.create_study(sampler=trimtab.samplers.RandomSampler(seed=0))
    svm = {"svm_C": 10.0, "svm_gamma": 0.01}
    study.enqueue_trial({"model": "svm", **svm})
    study.optimize(cash("wine"), n_trials=5)
    assert study.trials[0].value == cv_error("svm", "wine", {"C": 10.0, "gamma": 0.01})
    for t in study.trials:  # each model's own parameters, prefixed by its name
        model = t.params["model"]
        assert all(k == "model" or k.startswith(f"{model}_") for k in t.params)
        assert len(t.params) == 1 + len(get_problem(f"{model}_wine").space)
