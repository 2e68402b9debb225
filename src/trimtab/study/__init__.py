"""Studies: ask/tell, the optimize loop, best trials, and the live ``Trial`` handle."""

from trimtab.study._api import (
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from trimtab.study._study import Study
from trimtab.study._trial import Trial
from trimtab.trial import StudyDirection, StudySummary

__all__ = [
    "Study",
    "StudyDirection",
    "StudySummary",
    "Trial",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]
