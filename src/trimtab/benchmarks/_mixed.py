"""Mixed-type and conditional problems built on the synthetic functions, optima known.

* ``branin_mixed``: Branin with an integer and a categorical parameter. ``shift`` adds 0, 2
  or 5; ``k`` (integer 0..8) adds 0.5 * |k - 3|. Optimum: Branin's, at shift 'a', k 3.
* ``conditional``: a choice of branch, each with parameters that exist only on that branch:
  'branin' (x0, x1: Branin), 'hartmann' (h0..h2: Hartmann3 + 4.5), 'sphere' (s: 1 + s^2,
  s in [-1, 2]). Optimum: Branin's, on the 'branin' branch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from trimtab.benchmarks._problem import Condition, Problem
from trimtab.benchmarks._synthetic import branin, hartmann3
from trimtab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

BRANIN_MIN = 0.39788735772973816
_SHIFT = {"a": 0.0, "b": 2.0, "c": 5.0}


def _branin_mixed(p: Mapping[str, Any]) -> float:
    penalty = _SHIFT[str(p["shift"])] + 0.5 * abs(int(p["k"]) - 3)
    return branin(np.array([p["x0"], p["x1"]])) + penalty


def _conditional(p: Mapping[str, Any]) -> float:
    branch = p["branch"]
    if branch == "branin":
        return branin(np.array([p["x0"], p["x1"]]))
    if branch == "hartmann":
        return hartmann3(np.array([p["h0"], p["h1"], p["h2"]])) + 4.5
    return 1.0 + float(p["s"]) ** 2


def mixed_problems() -> list[Problem]:
    branin_space = {"x0": FloatDistribution(-5, 10), "x1": FloatDistribution(0, 15)}
    mixed = Problem(
        name="branin_mixed",
        kind="mixed",
        space={
            **branin_space,
            "k": IntDistribution(0, 8),
            "shift": CategoricalDistribution(["a", "b", "c"]),
        },
        function=_branin_mixed,
        optimum=BRANIN_MIN,
        optimum_params={"x0": math.pi, "x1": 2.275, "k": 3, "shift": "a"},
        description="Branin plus an integer and a categorical switch",
    )
    on = {
        **{n: Condition("branch", ("branin",)) for n in ("x0", "x1")},
        **{n: Condition("branch", ("hartmann",)) for n in ("h0", "h1", "h2")},
        "s": Condition("branch", ("sphere",)),
    }
    conditional = Problem(
        name="conditional",
        kind="conditional",
        space={
            "branch": CategoricalDistribution(["sphere", "hartmann", "branin"]),
            **branin_space,
            **{n: FloatDistribution(0, 1) for n in ("h0", "h1", "h2")},
            "s": FloatDistribution(-1, 2),
        },
        function=_conditional,
        optimum=BRANIN_MIN,
        optimum_params={"branch": "branin", "x0": math.pi, "x1": 2.275},
        conditions=on,
        description="three branches, parameters that exist only on their branch",
    )
    return [mixed, conditional]
