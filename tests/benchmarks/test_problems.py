"""The benchmark problems: documented optima, regret, and the define-by-run objective."""

from __future__ import annotations

import math

import numpy as np
import pytest

import trimtab
from trimtab.benchmarks import get_problem, problem_names

SYNTHETIC = [n for n in problem_names("full") if get_problem(n).kind != "real"]

DOCUMENTED = {  # Surjanovic & Bingham's virtual library; Styblinski-Tang: -39.16599 * d
    "branin": 0.397887,
    "hartmann3": -3.86278,
    "hartmann6": -3.32237,
    "ackley5": 0.0,
    "ackley10": 0.0,
    "rosenbrock4": 0.0,
    "levy10": 0.0,
    "styblinski_tang8": -39.16599 * 8,
    "branin_mixed": 0.397887,
    "conditional": 0.397887,
}


@pytest.mark.parametrize("name", SYNTHETIC)
def test_optimum_is_the_documented_value_and_is_attained(name: str) -> None:
    p = get_problem(name)
    assert p.optimum == pytest.approx(DOCUMENTED[name], abs=2e-3)
    assert p.optimum_params is not None
    assert p.evaluate(p.optimum_params) == pytest.approx(p.optimum, abs=1e-6)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_random_points_are_never_below_the_optimum(name: str) -> None:
    p = get_problem(name)
    study = trimtab.create_study(sampler=trimtab.samplers.RandomSampler(seed=0))
    study.optimize(p.objective, n_trials=200)
    values = [t.value for t in study.trials]
    assert all(v is not None and v >= p.optimum - 1e-9 for v in values)
    assert all(p.regret(v) >= 0 for v in values if v is not None)


@pytest.mark.parametrize("name", ["branin", "hartmann3", "hartmann6", "rosenbrock4"])
def test_no_local_search_goes_below_the_optimum(name: str) -> None:
    from scipy.optimize import minimize

    p = get_problem(name)
    names = list(p.space)
    bounds = [(p.space[n].low, p.space[n].high) for n in names]  # type: ignore[attr-defined]
    rng = np.random.default_rng(0)
    for _ in range(10):
        x0 = [rng.uniform(lo, hi) for lo, hi in bounds]
        res = minimize(
            lambda x: p.evaluate(dict(zip(names, x, strict=True))),
            x0,
            bounds=bounds,
            method="L-BFGS-B",
        )
        assert res.fun >= p.optimum - 1e-7


def test_conditional_parameters_exist_only_on_their_branch() -> None:
    p = get_problem("conditional")
    study = trimtab.create_study(sampler=trimtab.samplers.RandomSampler(seed=1))
    study.optimize(p.objective, n_trials=60)
    for t in study.trials:
        branch = t.params["branch"]
        expected = {"branin": {"x0", "x1"}, "hartmann": {"h0", "h1", "h2"}, "sphere": {"s"}}[branch]
        assert set(t.params) == {"branch", *expected}


def test_regret_and_unknown_names() -> None:
    p = get_problem("branin")
    assert p.regret(p.optimum + 1.5) == pytest.approx(1.5)
    assert p.regret(p.optimum - 1.0) == 0.0
    with pytest.raises(ValueError, match="problem 'nope' is not known"):
        get_problem("nope")
    with pytest.raises(ValueError, match="suite='huge' is not known"):
        problem_names("huge")


def test_real_tasks_return_a_cross_validated_error() -> None:
    pytest.importorskip("sklearn")
    p = get_problem("svm_wine")
    value = p.evaluate({"C": 10.0, "gamma": 0.01})
    assert 0.0 <= value < 0.2
    assert math.isnan(p.optimum) or p.optimum <= value + 1e-12


def test_classification_tasks_count_misclassified_examples() -> None:
    """Regret on a classification task is in whole examples: the same number of errors in
    other folds is equal, one example more is one unit more; 1 - R^2 stays continuous."""
    p = get_problem("svm_breast_cancer")
    assert p.resolution == pytest.approx(1 / 569)
    assert get_problem("svm_diabetes").resolution == 0.0
    assert get_problem("branin").resolution == 0.0
    # breast_cancer's 3 stratified folds hold 190, 190 and 189 examples
    two_a = (1 / 190 + 1 / 190 + 0 / 189) / 3
    two_b = (0 / 190 + 1 / 190 + 1 / 189) / 3
    three = (1 / 190 + 1 / 190 + 1 / 189) / 3
    assert two_a != two_b
    assert p.quantize(two_a) == p.quantize(two_b) == pytest.approx(2 / 569)
    assert p.quantize(three) - p.quantize(two_a) == pytest.approx(1 / 569)
    assert get_problem("svm_diabetes").quantize(3.7e-8) == 3.7e-8


def test_dataset_sizes_are_scikit_learns() -> None:
    pytest.importorskip("sklearn")
    from sklearn import datasets

    from trimtab.benchmarks._real import N_SAMPLES

    for name, n in N_SAMPLES.items():
        x, _ = getattr(datasets, f"load_{name}")(return_X_y=True)
        assert len(x) == n, name
