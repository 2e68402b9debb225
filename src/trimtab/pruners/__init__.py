"""Early-stopping rules: when to stop a trial that is unlikely to win."""

from trimtab.pruners._base import BasePruner, NopPruner

__all__ = ["BasePruner", "NopPruner"]
