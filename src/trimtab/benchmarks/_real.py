"""Real, offline tuning tasks on datasets that ship with scikit-learn.

Each task tunes one model with 3-fold cross-validation (stratified and shuffled with a fixed
seed for classification) and returns the cross-validated error: 1 - accuracy for the
classification sets (digits, breast_cancer, wine), 1 - R^2 for diabetes (regression). The
optimum is not known; ``best_known.json`` keeps the best value any run has found.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from trimtab.benchmarks._problem import Problem
from trimtab.distributions import BaseDistribution, FloatDistribution, IntDistribution

DATASETS = ("digits", "breast_cancer", "wine", "diabetes")
N_SAMPLES = {"digits": 1797, "breast_cancer": 569, "wine": 178, "diabetes": 442}
"""Rows of each dataset (checked against scikit-learn's copies by the tests): a classification
task's error moves by about ``1 / n`` per misclassified example (``Problem.resolution``)."""
MODELS = ("svm", "hgb", "mlp", "rf")
BEST_KNOWN = Path(__file__).with_name("best_known.json")


@functools.cache
def _data(name: str) -> tuple[Any, Any]:
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError(
            'the real benchmark tasks need scikit-learn: pip install "trimtab[sklearn]"'
        ) from None
    x, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    return x, y


def _model(model: str, regression: bool, p: Mapping[str, Any]) -> Any:
    from sklearn import ensemble, neural_network, svm
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if model == "svm":
        cls = svm.SVR if regression else svm.SVC
        return make_pipeline(StandardScaler(), cls(C=p["C"], gamma=p["gamma"]))
    if model == "hgb":
        cls = (
            ensemble.HistGradientBoostingRegressor
            if regression
            else ensemble.HistGradientBoostingClassifier
        )
        return cls(
            learning_rate=p["learning_rate"],
            max_leaf_nodes=p["max_leaf_nodes"],
            min_samples_leaf=p["min_samples_leaf"],
            l2_regularization=p["l2_regularization"],
            max_iter=25,
            early_stopping=False,
            random_state=0,
        )
    if model == "mlp":
        cls = neural_network.MLPRegressor if regression else neural_network.MLPClassifier
        layers = (p["width"],) * p["depth"]
        return make_pipeline(
            StandardScaler(),
            cls(
                hidden_layer_sizes=layers,
                alpha=p["alpha"],
                learning_rate_init=p["learning_rate_init"],
                max_iter=30,
                random_state=0,
            ),
        )
    cls = ensemble.RandomForestRegressor if regression else ensemble.RandomForestClassifier
    return cls(
        n_estimators=p["n_estimators"],
        max_depth=p["max_depth"],
        max_features=p["max_features"],
        min_samples_leaf=p["min_samples_leaf"],
        random_state=0,
        n_jobs=1,
    )


SPACES: dict[str, dict[str, BaseDistribution]] = {
    "svm": {
        "C": FloatDistribution(1e-2, 1e3, log=True),
        "gamma": FloatDistribution(1e-5, 1.0, log=True),
    },
    "hgb": {
        "learning_rate": FloatDistribution(1e-3, 1.0, log=True),
        "max_leaf_nodes": IntDistribution(4, 64, log=True),
        "min_samples_leaf": IntDistribution(2, 64, log=True),
        "l2_regularization": FloatDistribution(1e-8, 10.0, log=True),
    },
    "mlp": {
        "width": IntDistribution(16, 128, log=True),
        "depth": IntDistribution(1, 3),
        "alpha": FloatDistribution(1e-6, 1e-1, log=True),
        "learning_rate_init": FloatDistribution(1e-4, 1e-1, log=True),
    },
    "rf": {
        "n_estimators": IntDistribution(10, 50, log=True),
        "max_depth": IntDistribution(2, 32, log=True),
        "max_features": FloatDistribution(0.1, 1.0),
        "min_samples_leaf": IntDistribution(1, 16, log=True),
    },
}


def cv_error(model: str, dataset: str, params: Mapping[str, Any]) -> float:
    """3-fold cross-validated error of ``model`` with ``params`` on ``dataset``."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

    x, y = _data(dataset)
    regression = dataset == "diabetes"
    cv = (KFold if regression else StratifiedKFold)(n_splits=3, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        score = cross_val_score(
            _model(model, regression, params),
            x,
            y,
            cv=cv,
            scoring="r2" if regression else "accuracy",
        )
    return float(1.0 - score.mean())


def best_known() -> dict[str, float]:
    return dict(json.loads(BEST_KNOWN.read_text())) if BEST_KNOWN.exists() else {}


def real_problems() -> list[Problem]:
    known = best_known()
    out = []
    for model in MODELS:
        for dataset in DATASETS:
            name = f"{model}_{dataset}"
            fn: Callable[[Mapping[str, Any]], float] = functools.partial(cv_error, model, dataset)
            out.append(
                Problem(
                    name=name,
                    kind="real",
                    space=SPACES[model],
                    function=fn,
                    optimum=known.get(name, float("nan")),
                    description=f"{model} on {dataset}, 3-fold CV error",
                    # 1 - R^2 (diabetes) is continuous; the classification errors count examples
                    resolution=0.0 if dataset == "diabetes" else 1.0 / N_SAMPLES[dataset],
                )
            )
    return out
