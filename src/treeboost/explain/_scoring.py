"""Scoring for importances and selection: models seen through one interface, metrics by name.

Named metrics are computed here from one *response* of the model (predicted values, class labels
or class probabilities), so a caller can predict many stacked copies of X in one batch and score
each block afterwards. Any other scikit-learn scorer name or scorer object works too, through the
slower route of calling the scorer on the model once per block.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["BoosterModel", "EstimatorModel", "Scorer", "as_model", "numba_threads", "get_scorer"]

_CLASSIFICATION_OBJECTIVES = ("binary:logistic", "multi:softprob")


@contextmanager
def numba_threads(n_jobs: int | None):
    """Run treeboost's prediction kernels on ``n_jobs`` threads (None: every core)."""
    import numba

    from ..model.params import resolve_n_threads

    previous = numba.get_num_threads()
    numba.set_num_threads(resolve_n_threads(n_jobs))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


class BoosterModel:
    """A :class:`~treeboost.Booster` seen as a fitted model with predict / predict_proba.

    Classification boosters (``binary:logistic``, ``multi:softprob``) have classes
    ``0 .. n_classes - 1`` unless ``classes`` maps them to other labels. With
    ``like_estimator=True`` the booster stands in for a fitted treeboost estimator, whose
    ``predict`` (class labels) is what a callable metric receives.
    """

    def __init__(
        self, booster: Any, classes: np.ndarray | None = None, like_estimator: bool = False
    ):
        self.booster = booster
        self.like_estimator = like_estimator
        self.is_classifier = booster.objective.name in _CLASSIFICATION_OBJECTIVES
        self.has_proba = self.is_classifier
        if self.is_classifier and classes is None:
            classes = np.arange(max(2, booster.n_outputs))
        self.classes_ = classes
        self.feature_names = list(booster.feature_names)

    def predict_native(self, X: Any) -> np.ndarray:
        """What ``booster.predict`` returns (values, or probabilities for classification), or
        the estimator's ``predict`` when standing in for one."""
        return self.predict(X) if self.like_estimator else self.booster.predict(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        proba = self.booster.predict(X)
        return np.column_stack([1.0 - proba, proba]) if proba.ndim == 1 else proba

    def predict(self, X: Any) -> np.ndarray:
        if not self.is_classifier:
            return self.booster.predict(X)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def response_from_margin(self, margin: np.ndarray, kind: str) -> np.ndarray:
        """The ``"native"``, ``"proba"`` or ``"predict"`` response of (n, n_outputs) margins,
        as the methods above would return it."""
        native = self.booster.objective.transform(margin)
        if not self.is_classifier:
            return native
        proba = np.column_stack([1.0 - native, native]) if native.ndim == 1 else native
        if kind == "proba":
            return proba
        if kind == "native" and not self.like_estimator:
            return native
        return self.classes_[np.argmax(proba, axis=1)]


class EstimatorModel:
    """A fitted scikit-learn estimator (treeboost's or any other) behind the same interface."""

    def __init__(self, estimator: Any):
        from sklearn.base import is_classifier
        from sklearn.utils.validation import check_is_fitted

        if not hasattr(estimator, "predict"):
            raise TypeError(
                f"model must be a treeboost Booster or a fitted scikit-learn estimator with a "
                f"predict method, got {type(estimator).__name__}"
            )
        check_is_fitted(estimator)
        self.estimator = estimator
        self.is_classifier = is_classifier(estimator)
        self.has_proba = self.is_classifier and hasattr(estimator, "predict_proba")
        self.classes_ = getattr(estimator, "classes_", None)
        names = getattr(estimator, "feature_names_in_", None)
        self.feature_names = None if names is None else [str(n) for n in names]

    def predict_native(self, X: Any) -> np.ndarray:
        return self.estimator.predict(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.estimator.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        return self.estimator.predict(X)


def as_model(model: Any) -> BoosterModel | EstimatorModel:
    """Wrap a Booster or a fitted estimator; a treeboost estimator stays an estimator."""
    from ..model.booster import Booster

    if isinstance(model, Booster):
        return BoosterModel(model)
    return EstimatorModel(model)


# -- metrics computed from a response --------------------------------------------------------


def _binary_positive(y, classes, name):
    if classes is None or len(classes) != 2:
        n = "?" if classes is None else len(classes)
        raise ValueError(
            f"scoring={name!r} is for binary classification; the model has {n} classes"
        )
    return np.asarray(y) == classes[1]


def _roc_auc(y, proba, weight, classes):
    from sklearn.metrics import roc_auc_score

    if proba.shape[1] == 2:
        return roc_auc_score(
            _binary_positive(y, classes, "roc_auc"), proba[:, 1], sample_weight=weight
        )
    return roc_auc_score(y, proba, multi_class="ovr", labels=classes, sample_weight=weight)


def _average_precision(y, proba, weight, classes):
    from sklearn.metrics import average_precision_score

    positive = _binary_positive(y, classes, "average_precision")
    return average_precision_score(positive, proba[:, 1], sample_weight=weight)


def _neg_brier(y, proba, weight, classes):
    from sklearn.metrics import brier_score_loss

    positive = _binary_positive(y, classes, "neg_brier_score")
    return -brier_score_loss(positive, proba[:, 1], sample_weight=weight)


def _neg_log_loss(y, proba, weight, classes):
    from sklearn.metrics import log_loss

    return -log_loss(y, proba, sample_weight=weight, labels=classes)


class _SklearnMetric:
    """``sign * sklearn.metrics.<metric_name>(y, response)``: a class, not a closure, so that
    scorers pickle into worker processes."""

    def __init__(self, metric_name: str, sign: float):
        self.metric_name = metric_name
        self.sign = sign

    def __call__(self, y, response, weight, classes):
        import sklearn.metrics

        return self.sign * getattr(sklearn.metrics, self.metric_name)(
            y, response, sample_weight=weight
        )


# name -> (score(y, response, weight, classes), response kind, task)
_NAMED: dict[str, tuple[Callable, str, str]] = {
    "r2": (_SklearnMetric("r2_score", 1.0), "predict", "regression"),
    "explained_variance": (
        _SklearnMetric("explained_variance_score", 1.0),
        "predict",
        "regression",
    ),
    "neg_mean_squared_error": (_SklearnMetric("mean_squared_error", -1.0), "predict", "regression"),
    "neg_root_mean_squared_error": (
        _SklearnMetric("root_mean_squared_error", -1.0),
        "predict",
        "regression",
    ),
    "neg_mean_absolute_error": (
        _SklearnMetric("mean_absolute_error", -1.0),
        "predict",
        "regression",
    ),
    "accuracy": (_SklearnMetric("accuracy_score", 1.0), "predict", "classification"),
    "balanced_accuracy": (
        _SklearnMetric("balanced_accuracy_score", 1.0),
        "predict",
        "classification",
    ),
    "roc_auc": (_roc_auc, "proba", "classification"),
    "average_precision": (_average_precision, "proba", "classification"),
    "neg_log_loss": (_neg_log_loss, "proba", "classification"),
    "neg_brier_score": (_neg_brier, "proba", "classification"),
}

FAST_SCORING_NAMES: tuple[str, ...] = tuple(_NAMED)


@dataclass
class Scorer:
    """A greater-is-better score of a model on (X, y).

    ``response`` is what the model must produce for :meth:`score` (``"predict"``, ``"proba"``
    or ``"native"``); None marks a scikit-learn scorer object, which only :meth:`score_model`
    can apply.
    """

    name: str
    response: str | None
    func: Callable | None = None
    sklearn_scorer: Any = None

    @property
    def batchable(self) -> bool:
        return self.response is not None

    def response_of(self, model: BoosterModel | EstimatorModel, X: Any) -> np.ndarray:
        if self.response == "proba":
            return model.predict_proba(X)
        if self.response == "native":
            return model.predict_native(X)
        return model.predict(X)

    def score(self, y, response, weight, classes) -> float:
        return float(self.func(y, response, weight, classes))

    def score_model(self, model: BoosterModel | EstimatorModel, X: Any, y, weight) -> float:
        if self.sklearn_scorer is None:
            return self.score(y, self.response_of(model, X), weight, model.classes_)
        if weight is None:
            return float(self.sklearn_scorer(model.estimator, X, y))
        return float(self.sklearn_scorer(model.estimator, X, y, sample_weight=weight))


def _required_positional(func: Callable) -> int | None:
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in parameters if p.kind in kinds and p.default is inspect.Parameter.empty)


class _UserMetric:
    """A user's ``metric(y, prediction)``, with ``sample_weight=`` only when weights are given."""

    def __init__(self, metric: Callable):
        self.metric = metric

    def __call__(self, y, response, weight, classes):
        if weight is None:
            return self.metric(y, response)
        return self.metric(y, response, sample_weight=weight)


def default_scoring(model: BoosterModel | EstimatorModel) -> str:
    """``neg_log_loss`` for classifiers with probabilities, ``accuracy`` for other classifiers,
    ``r2`` for regressors."""
    if model.is_classifier:
        return "neg_log_loss" if model.has_proba else "accuracy"
    return "r2"


def get_scorer(scoring: Any, model: BoosterModel | EstimatorModel) -> Scorer:
    """Resolve ``scoring`` (None, a name, a callable ``(y, pred)`` or a scikit-learn scorer)
    for a wrapped fitted model."""
    return resolve_scorer(scoring, model, allow_sklearn=isinstance(model, EstimatorModel))


def resolve_scorer(scoring: Any, model: Any, allow_sklearn: bool) -> Scorer:
    """Resolve ``scoring`` for anything with ``is_classifier`` and ``has_proba`` attributes;
    ``allow_sklearn`` admits scikit-learn scorer names and objects (they need an estimator)."""
    from sklearn.metrics._scorer import _BaseScorer

    if scoring is None:
        scoring = default_scoring(model)
    if isinstance(scoring, str):
        if scoring in _NAMED:
            func, response, task = _NAMED[scoring]
            _check_task(scoring, task, response, model)
            return Scorer(scoring, response, func)
        return _sklearn_named(scoring, allow_sklearn)
    if isinstance(scoring, _BaseScorer) or (
        callable(scoring) and _required_positional(scoring) == 3
    ):
        if not allow_sklearn:
            raise TypeError(
                "a scorer(estimator, X, y) needs a scikit-learn estimator; for a Booster pass "
                "a metric name or a callable metric(y, prediction)"
            )
        return Scorer(getattr(scoring, "__name__", repr(scoring)), None, sklearn_scorer=scoring)
    if callable(scoring):
        name = getattr(scoring, "__name__", "custom")
        return Scorer(name, "native", _UserMetric(scoring))
    raise TypeError(
        f"scoring must be None, a metric name, a callable metric(y, prediction) or a "
        f"scikit-learn scorer, got {type(scoring).__name__}"
    )


def _check_task(name: str, task: str, response: str, model) -> None:
    kind = "classifier" if model.is_classifier else "regressor"
    if (task == "classification") != model.is_classifier:
        raise ValueError(f"scoring={name!r} is a {task} metric, but the model is a {kind}")
    if response == "proba" and not model.has_proba:
        raise ValueError(
            f"scoring={name!r} needs class probabilities; the model has no predict_proba"
        )


def _sklearn_named(name: str, allow_sklearn: bool) -> Scorer:
    fast = ", ".join(repr(n) for n in FAST_SCORING_NAMES)
    if allow_sklearn:
        from sklearn.metrics import get_scorer as sklearn_get_scorer

        try:
            return Scorer(name, None, sklearn_scorer=sklearn_get_scorer(name))
        except ValueError:
            pass
        raise ValueError(
            f"scoring={name!r} is not a known metric; valid: {fast}, or any name of "
            "sklearn.metrics.get_scorer_names()"
        )
    raise ValueError(f"scoring={name!r} is not a known metric for a Booster; valid: {fast}")


def check_labels(y: np.ndarray, model: BoosterModel | EstimatorModel) -> None:
    """Class labels of y must be classes the classifier knows."""
    if not model.is_classifier or model.classes_ is None:
        return
    unknown = np.setdiff1d(np.unique(y), model.classes_)
    if unknown.size:
        raise ValueError(
            f"y holds labels the model was not trained on: {unknown[:5].tolist()}; its classes "
            f"are {np.asarray(model.classes_)[:10].tolist()}"
        )
