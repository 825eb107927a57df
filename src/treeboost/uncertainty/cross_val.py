"""Out-of-fold predictions, k-fold or leave-one-out, for any estimator: the predictions that
clinical studies feed into AUROC, calibration error and the other metrics of :mod:`.scores`."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import LeaveOneOut
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import column_or_1d

from ..metrics.checks import check_choice
from ._estimators import class_probabilities, fit_clone, n_rows, resolve_cv, take_rows

__all__ = ["loo_predict", "oof_predict"]

_METHODS = ("predict", "predict_proba", "decision_function")


def _fold_prediction(estimator, X, y, sample_weight, train, test, method, classes):
    weight = None if sample_weight is None else sample_weight[train]
    model = fit_clone(estimator, take_rows(X, train), y[train], weight)
    X_test = take_rows(X, test)
    if method == "predict_proba":
        return class_probabilities(model, X_test, classes)
    return np.asarray(getattr(model, method)(X_test))


def oof_predict(
    estimator: Any,
    X: Any,
    y: Any,
    cv: Any = 5,
    method: str = "predict_proba",
    sample_weight: Any = None,
    n_jobs: int | None = None,
    random_state: Any = None,
) -> np.ndarray:
    """Out-of-fold predictions: each row predicted by a clone fitted without its fold.

    Parameters
    ----------
    estimator : estimator
        Any treeboost or scikit-learn estimator; cloned for every fold.
    X, y : array-like
    cv : int or CV splitter, default 5
        An integer gives shuffled (stratified, for a classifier) k folds seeded by
        ``random_state``; any splitter whose test folds cover every row exactly once works,
        e.g. ``LeaveOneOut()``.
    method : {"predict_proba", "predict", "decision_function"}
        ``predict_proba`` columns follow the sorted labels of ``y`` (a fold model that never
        saw a class gives it probability 0). Regressors need ``method="predict"``.
    sample_weight : array-like, optional
        Passed to the folds' ``fit`` when it takes weights.
    n_jobs : int, optional
        Folds fitted in parallel (joblib processes).

    Returns
    -------
    ndarray of shape (n_samples,) or (n_samples, n_classes)
    """
    check_choice("method", method, _METHODS)
    if not callable(getattr(estimator, method, None)):
        raise TypeError(f"estimator={estimator!r} has no {method}(); pick another method")
    y = column_or_1d(y, warn=True)
    if n_rows(X) != y.shape[0]:
        raise ValueError(f"X has {n_rows(X)} rows but y has {y.shape[0]}")
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if sample_weight.shape != y.shape:
            raise ValueError(
                f"sample_weight has shape {sample_weight.shape}; expected ({y.shape[0]},)"
            )
    classifier = is_classifier(estimator) or method == "predict_proba"
    classes = None
    if classifier:
        check_classification_targets(y)
        classes = np.unique(y)
    splitter = resolve_cv(cv, classifier=classifier, random_state=random_state)
    folds = list(splitter.split(np.zeros((y.shape[0], 1)), y))
    predictions = Parallel(n_jobs=n_jobs)(
        delayed(_fold_prediction)(estimator, X, y, sample_weight, train, test, method, classes)
        for train, test in folds
    )
    covered = np.zeros(y.shape[0], dtype=np.int64)
    out = None
    for (_, test), prediction in zip(folds, predictions):
        if out is None:
            out = np.empty((y.shape[0], *prediction.shape[1:]), dtype=prediction.dtype)
        out[test] = prediction
        covered[test] += 1
    if np.any(covered != 1):
        raise ValueError(
            f"cv={cv!r} does not put every row in exactly one test fold; oof_predict needs a "
            "partition (KFold, StratifiedKFold, LeaveOneOut, ...)"
        )
    return out


def loo_predict(
    estimator: Any,
    X: Any,
    y: Any,
    method: str = "predict_proba",
    sample_weight: Any = None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Leave-one-out predictions: row ``i`` predicted by a clone fitted on all other rows.

    ``n`` fits; meant for the few-hundred-row studies where it is the reported protocol. See
    :func:`oof_predict` for the arguments.
    """
    return oof_predict(
        estimator, X, y, cv=LeaveOneOut(), method=method, sample_weight=sample_weight, n_jobs=n_jobs
    )
