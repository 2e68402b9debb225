"""Benchmark problems with known optima or best known values, shared by tests and benchmarks/.

``get_problem(name)``, ``problem_names(suite)``: synthetic functions (Branin, Hartmann3/6,
Ackley 5/10-d, Rosenbrock 4-d, Levy 10-d, Styblinski-Tang 8-d), mixed and conditional spaces,
and real scikit-learn tuning tasks (SVM, gradient boosting, MLP, random forest on digits,
breast_cancer, wine, diabetes). ``get_multifidelity_problem``: an MLP trained epoch by epoch on
digits (``mlp_digits``) and its recorded-curve surrogate (``mlp_digits_surrogate``).
``get_multiobjective_problem``: two-objective ZDT1-3 and DTLZ2 with ``hypervolume``. A real
task's ``optimum`` is the best value any recorded run
has found (NaN until one has).
"""

from __future__ import annotations

import functools

from trimtab.benchmarks._mixed import mixed_problems
from trimtab.benchmarks._multifidelity import MultiFidelityProblem, multifidelity_problems
from trimtab.benchmarks._multiobjective import (
    MultiObjectiveProblem,
    get_multiobjective_problem,
    hypervolume,
    multiobjective_problems,
)
from trimtab.benchmarks._problem import Condition, Problem, suggest
from trimtab.benchmarks._real import real_problems
from trimtab.benchmarks._synthetic import synthetic_problems

__all__ = [
    "SUITES",
    "Condition",
    "MultiFidelityProblem",
    "MultiObjectiveProblem",
    "Problem",
    "get_multifidelity_problem",
    "get_multiobjective_problem",
    "hypervolume",
    "multiobjective_problems",
    "get_problem",
    "problem_names",
    "suggest",
]

SUITES: dict[str, tuple[str, ...]] = {
    "quick": (
        "branin",
        "hartmann3",
        "hartmann6",
        "ackley5",
        "rosenbrock4",
        "styblinski_tang8",
        "branin_mixed",
        "conditional",
        "svm_digits",
        "hgb_wine",
    ),
    "full": (),  # every problem, filled below
}


@functools.cache
def _registry() -> dict[str, Problem]:
    problems = [*synthetic_problems(), *mixed_problems(), *real_problems()]
    return {p.name: p for p in problems}


def get_problem(name: str) -> Problem:
    registry = _registry()
    if name not in registry:
        raise ValueError(f"problem {name!r} is not known; known: {sorted(registry)}")
    return registry[name]


def problem_names(suite: str = "full") -> list[str]:
    if suite == "full":
        return list(_registry())
    if suite not in SUITES:
        raise ValueError(f"suite={suite!r} is not known; allowed: {sorted(SUITES)}")
    return list(SUITES[suite])


def get_multifidelity_problem(name: str) -> MultiFidelityProblem:
    problems = {p.name: p for p in multifidelity_problems()}
    if name not in problems:
        raise ValueError(f"multi-fidelity problem {name!r} is not known; known: {sorted(problems)}")
    return problems[name]
