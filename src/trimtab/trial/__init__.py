"""Trial and study records: ``TrialState``, ``FrozenTrial``, ``StudyDirection``, summaries."""

from trimtab.trial._frozen import FrozenTrial
from trimtab.trial._state import TrialState
from trimtab.trial._study_record import StudyDirection, StudySummary

__all__ = ["FrozenTrial", "StudyDirection", "StudySummary", "TrialState"]
