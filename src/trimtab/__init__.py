"""trimtab: hyperparameter optimization.

import trimtab

def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2

study = trimtab.create_study(storage="sqlite:///runs.db", study_name="demo",
                             load_if_exists=True)
study.optimize(objective, n_trials=100)
print(study.best_params)
"""

from typing import TYPE_CHECKING, Any

from trimtab import distributions, exceptions, pruners, samplers, storages, trial
from trimtab.exceptions import TrialPruned, TrimtabError
from trimtab.study import (
    Study,
    StudyDirection,
    StudySummary,
    Trial,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from trimtab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from trimtab import execution

__version__ = "0.1.0"

__all__ = [
    "FrozenTrial",
    "Study",
    "StudyDirection",
    "StudySummary",
    "Trial",
    "TrialPruned",
    "TrialState",
    "TrimtabError",
    "__version__",
    "create_study",
    "delete_study",
    "distributions",
    "exceptions",
    "execution",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
    "pruners",
    "samplers",
    "storages",
    "trial",
]


def __getattr__(name: str) -> Any:
    # trimtab.execution (multiprocessing) loads on first use: only n_jobs > 1 needs it
    if name == "execution":
        import trimtab.execution

        return trimtab.execution
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
