"""Gaussian-process Bayesian optimisation (NumPy and SciPy only)."""

from trimtab.samplers._gp._sampler import GPSampler

__all__ = ["GPSampler"]
