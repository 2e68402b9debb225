"""Search strategies: what to try next."""

from trimtab.samplers._base import BaseSampler, Reservation
from trimtab.samplers._grid import GridSampler
from trimtab.samplers._random import RandomSampler
from trimtab.samplers._tpe import TPESampler

__all__ = ["BaseSampler", "GridSampler", "RandomSampler", "Reservation", "TPESampler"]
