"""Tree-structured Parzen estimator."""

from trimtab.samplers._tpe._sampler import TPESampler

__all__ = ["TPESampler"]
