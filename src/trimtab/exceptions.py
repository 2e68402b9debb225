"""Exceptions raised by trimtab.

Every error trimtab raises on purpose derives from :class:`TrimtabError`. Errors about bad
arguments also derive from :class:`ValueError`, so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "DuplicatedStudyError",
    "SearchSpaceExhausted",
    "StorageError",
    "TrialPruned",
    "TrimtabError",
    "UpdateFinishedTrialError",
    "StudyNotFoundError",
]


class TrimtabError(Exception):
    """Base class of every error trimtab raises on purpose."""


class TrialPruned(TrimtabError):
    """Raise from an objective to end the trial as PRUNED (its last reported value is kept)."""


class DuplicatedStudyError(TrimtabError, ValueError):
    """A study with this name already exists and ``load_if_exists`` was not set."""


class StudyNotFoundError(TrimtabError, ValueError, KeyError):
    """No study with this name (or id) exists in the storage."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class UpdateFinishedTrialError(TrimtabError, RuntimeError):
    """A trial that already ended (COMPLETE, PRUNED or FAILED) cannot be changed."""


class StorageError(TrimtabError, ValueError):
    """A storage URL that cannot be opened, or a database in an unusable state."""


class SearchSpaceExhausted(TrimtabError):
    """The sampler has no new point to propose (e.g. every grid point was handed out)."""
