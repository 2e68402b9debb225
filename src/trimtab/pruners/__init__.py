"""Early-stopping rules: when to stop a trial that is unlikely to win.

Pass one to ``trimtab.create_study(pruner=...)``; in the objective, ``trial.report(value,
step)`` then ``if trial.should_prune(): raise trimtab.TrialPruned()``. Every decision is made
from stored reports only, so it holds across processes and machines.
"""

from trimtab.pruners._base import BasePruner, NopPruner
from trimtab.pruners._hyperband import HyperbandPruner
from trimtab.pruners._patient import PatientPruner
from trimtab.pruners._percentile import MedianPruner, PercentilePruner
from trimtab.pruners._successive_halving import SuccessiveHalvingPruner
from trimtab.pruners._threshold import ThresholdPruner

__all__ = [
    "BasePruner",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
]
