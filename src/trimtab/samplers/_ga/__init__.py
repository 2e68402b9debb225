"""Genetic algorithms: ``GeneticSampler`` (one objective) and ``NSGAIISampler``."""

from trimtab.samplers._ga._genetic import GeneticSampler
from trimtab.samplers._ga._nsga2 import NSGAIISampler

__all__ = ["GeneticSampler", "NSGAIISampler"]
