"""Tune a support vector classifier on scikit-learn's digits with 3-fold cross-validation.

Used by ``make demo`` through ``examples/digits_svm.yaml``; the objective receives the trial
with the space's parameters already drawn.
"""

from __future__ import annotations

import trimtab


def objective(trial: trimtab.Trial, folds: int = 3) -> float:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    p = trial.params
    kernel = p["kernel"]
    svc = SVC(
        C=p["C"],
        gamma=p["gamma"],
        kernel=kernel,
        degree=trial.suggest_int("degree", 2, 5) if kernel == "poly" else 3,
    )
    x, y = load_digits(return_X_y=True)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    accuracy = cross_val_score(make_pipeline(StandardScaler(), svc), x, y, cv=cv).mean()
    trial.set_user_attr("accuracy", float(accuracy))
    return float(1.0 - accuracy)  # cross-validated error, to minimise
