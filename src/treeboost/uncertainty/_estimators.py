"""Duck-typed access to the estimators being wrapped: treeboost models or any scikit-learn
classifier or regressor."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

# The small model that calibration and conformal prediction wrap when given none: depth-4 trees
# grown level by level and no sampling, fixed here rather than taken from the estimators'
# defaults, so that the coverage study (benchmarks/coverage) keeps describing it.
_DEFAULT_MODEL = {"n_estimators": 50, "max_depth": 4, "learning_rate": 0.1, "n_jobs": 1,
                  "grow_policy": "depthwise", "subsample": 1.0, "colsample_bytree": 1.0}


def default_classifier() -> Any:
    from ..sklearn import TreeBoostClassifier

    return TreeBoostClassifier(**_DEFAULT_MODEL)


def default_regressor() -> Any:
    from ..sklearn import TreeBoostRegressor

    return TreeBoostRegressor(**_DEFAULT_MODEL)


def check_has_method(estimator: Any, method: str, parameter: str = "estimator") -> None:
    if not callable(getattr(estimator, method, None)):
        raise TypeError(f"{parameter}={estimator!r} has no {method}() method; it is needed here")


def check_prefit(estimator: Any, parameter: str = "estimator") -> None:
    """cv='prefit' promises a fitted estimator: say so clearly when it is not."""
    try:
        check_is_fitted(estimator)
    except Exception as exc:  # NotFittedError, or TypeError for a non-estimator
        raise ValueError(
            f"cv='prefit' needs {parameter} already fitted, but {estimator!r} is not: fit it "
            "on training data first, or use cv='split' or an integer number of folds"
        ) from exc


def fit_clone(estimator: Any, X: Any, y: np.ndarray, sample_weight: np.ndarray | None) -> Any:
    model = clone(estimator)
    if sample_weight is not None and has_fit_parameter(model, "sample_weight"):
        return model.fit(X, y, sample_weight=sample_weight)
    return model.fit(X, y)


def classifier_scores(estimator: Any, X: Any) -> np.ndarray:
    """The score a calibrator maps, as scikit-learn's CalibratedClassifierCV takes it:
    ``decision_function`` when the classifier has one, else ``predict_proba``. Binary
    problems give the positive class's column, shape (n,); multiclass (n, n_classes)."""
    if callable(getattr(estimator, "decision_function", None)):
        scores = np.asarray(estimator.decision_function(X), dtype=np.float64)
    else:
        check_has_method(estimator, "predict_proba")
        scores = np.asarray(estimator.predict_proba(X), dtype=np.float64)
        if scores.ndim == 2 and scores.shape[1] == 2:
            scores = scores[:, 1]
    return scores


def class_probabilities(estimator: Any, X: Any, classes: np.ndarray) -> np.ndarray:
    """``predict_proba`` with its columns placed in ``classes`` order (a model fitted on a
    fold that lacked a class gets probability 0 for it)."""
    check_has_method(estimator, "predict_proba")
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    model_classes = getattr(estimator, "classes_", classes)
    if len(model_classes) == len(classes) and np.all(model_classes == classes):
        return proba
    out = np.zeros((proba.shape[0], len(classes)))
    out[:, np.searchsorted(classes, model_classes)] = proba
    return out


def resolve_cv(cv: Any, classifier: bool, random_state: Any = None) -> Any:
    """An integer becomes (Stratified)KFold; a splitter object is used as is."""
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv={cv!r} is not valid; valid: an integer >= 2 or a CV splitter")
        if classifier:
            return StratifiedKFold(int(cv), shuffle=True, random_state=random_state)
        return KFold(int(cv), shuffle=True, random_state=random_state)
    if not isinstance(cv, str) and callable(getattr(cv, "split", None)):
        return cv
    raise ValueError(
        f"cv={cv!r} is not valid; valid: 'prefit', 'split', an integer >= 2 or a CV splitter"
    )


def take_rows(X: Any, rows: np.ndarray) -> Any:
    """Rows of a numpy array or a pandas DataFrame."""
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if hasattr(X, "shape"):
        return X[rows]
    return np.asarray(X)[rows]


def n_rows(X: Any) -> int:
    return X.shape[0] if hasattr(X, "shape") else len(X)


def input_tags_from(tags: Any, estimator: Any) -> Any:
    """A meta-estimator accepts NaN exactly when the wrapped model does; sparse input is
    refused (the calibration and conformal code slices rows of dense arrays)."""
    from sklearn.utils import get_tags

    if estimator is None:
        tags.input_tags.allow_nan = True
        return tags
    inner = estimator[0] if isinstance(estimator, (tuple, list)) else estimator
    try:
        inner_tags = get_tags(inner)
    except Exception:  # an object without scikit-learn tags: assume dense, finite input
        return tags
    tags.input_tags.allow_nan = inner_tags.input_tags.allow_nan
    return tags


def validate_input(meta: Any, X: Any, y: Any = None, reset: bool = True, **kwargs: Any):
    """Check shapes with scikit-learn's rules (empty data, one sample, y present, feature
    count) and hand the wrapped model the data in its own type: a DataFrame stays a DataFrame
    so that the model sees the column names; anything else becomes the validated array."""
    from sklearn.utils.validation import validate_data

    options = dict(accept_sparse=False, ensure_all_finite=False, dtype=None, reset=reset)
    if y is None and reset is False:
        checked = validate_data(meta, X, **options)
        return X if hasattr(X, "iloc") else checked
    checked_X, checked_y = validate_data(meta, X, y, **options, **kwargs)
    return (X if hasattr(X, "iloc") else checked_X), checked_y
