"""Tree-structured Parzen estimator, and model-based Hyperband (BOHB) built on it."""

from trimtab.samplers._tpe._bohb import BOHBSampler
from trimtab.samplers._tpe._sampler import TPESampler

__all__ = ["BOHBSampler", "TPESampler"]
