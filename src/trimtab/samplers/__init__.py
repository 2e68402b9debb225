"""Search strategies: what to try next.

Samplers that need NumPy, SciPy or cmaes (``TPESampler``, ``BOHBSampler``, ``GPSampler``,
``QMCSampler``, ``CMAESSampler``), and the genetic ones (``GeneticSampler``,
``NSGAIISampler``), are imported on first use, so ``import trimtab`` stays light.
"""

from typing import TYPE_CHECKING, Any

from trimtab.samplers._auto import AutoSampler
from trimtab.samplers._base import BaseSampler, Reservation
from trimtab.samplers._grid import GridSampler
from trimtab.samplers._random import RandomSampler

if TYPE_CHECKING:
    from trimtab.samplers._cmaes import CMAESSampler
    from trimtab.samplers._ga import GeneticSampler, NSGAIISampler
    from trimtab.samplers._gp import GPSampler
    from trimtab.samplers._qmc import QMCSampler
    from trimtab.samplers._tpe import BOHBSampler, TPESampler

__all__ = [
    "AutoSampler",
    "BOHBSampler",
    "BaseSampler",
    "CMAESSampler",
    "GPSampler",
    "GeneticSampler",
    "GridSampler",
    "NSGAIISampler",
    "QMCSampler",
    "RandomSampler",
    "Reservation",
    "TPESampler",
]


def __getattr__(name: str) -> Any:
    if name == "TPESampler":
        from trimtab.samplers._tpe import TPESampler

        return TPESampler
    if name == "BOHBSampler":
        from trimtab.samplers._tpe import BOHBSampler

        return BOHBSampler
    if name == "CMAESSampler":
        from trimtab.samplers._cmaes import CMAESSampler

        return CMAESSampler
    if name == "GPSampler":
        from trimtab.samplers._gp import GPSampler

        return GPSampler
    if name == "QMCSampler":
        from trimtab.samplers._qmc import QMCSampler

        return QMCSampler
    if name in ("GeneticSampler", "NSGAIISampler"):
        from trimtab.samplers import _ga

        return getattr(_ga, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
