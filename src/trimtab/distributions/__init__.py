"""Parameter distributions shared by ``trial.suggest``, samplers, storages and grid search."""

from trimtab.distributions._distributions import (
    BaseDistribution,
    CategoricalChoice,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    InvalidDistributionError,
    distribution_from_json,
)

__all__ = [
    "BaseDistribution",
    "CategoricalChoice",
    "CategoricalDistribution",
    "FloatDistribution",
    "IntDistribution",
    "InvalidDistributionError",
    "distribution_from_json",
]
