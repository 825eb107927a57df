"""Probability calibration of any classifier: Platt scaling, isotonic regression and
(inductive or cross) Venn-ABERS, binary and one-vs-rest multiclass."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from ..metrics.checks import check_choice
from ._estimators import (
    check_prefit,
    classifier_scores,
    default_classifier,
    fit_clone,
    input_tags_from,
    resolve_cv,
    take_rows,
    validate_input,
)
from ._savable import SavableMixin
from .isotonic import IsotonicCalibrator, SigmoidCalibrator
from .venn_abers import VennAbers, merge_cross_p0_p1, merge_p0_p1

__all__ = ["CalibratedClassifier", "VennAbers"]

_METHODS = ("sigmoid", "isotonic", "venn_abers")


def _fit_calibrators(method: str, scores: np.ndarray, y_index: np.ndarray, n_classes: int, w):
    """One calibrator per class column (one for the positive class when binary)."""
    if scores.ndim == 1:
        columns = [(scores, y_index == 1)]
    else:
        columns = [(scores[:, k], y_index == k) for k in range(n_classes)]
    calibrators = []
    for column, is_class in columns:
        if method == "venn_abers":
            calibrators.append(VennAbers().fit(column, is_class))
        else:
            factory = SigmoidCalibrator if method == "sigmoid" else IsotonicCalibrator
            calibrators.append(factory().fit(column, is_class.astype(np.float64), w))
    return calibrators


def _columns(scores: np.ndarray) -> list[np.ndarray]:
    return [scores] if scores.ndim == 1 else [scores[:, k] for k in range(scores.shape[1])]


def _normalise(proba: np.ndarray) -> np.ndarray:
    """Rows divided by their sums; a row of zeros becomes uniform."""
    total = proba.sum(axis=1, keepdims=True)
    uniform = np.full_like(proba, 1.0 / proba.shape[1])
    return np.divide(proba, total, out=uniform, where=total > 0)


def _as_matrix(positive_or_columns: list[np.ndarray]) -> np.ndarray:
    if len(positive_or_columns) == 1:
        p = positive_or_columns[0]
        return np.column_stack([1.0 - p, p])
    return _normalise(np.column_stack(positive_or_columns))


class CalibratedClassifier(SavableMixin, ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Calibrated probabilities for any classifier with ``predict_proba`` or
    ``decision_function`` (treeboost or scikit-learn).

    Parameters
    ----------
    estimator : classifier, default None
        The model to calibrate; None means a ``TreeBoostClassifier(n_estimators=50,
        max_depth=4, learning_rate=0.1)``. Its ``decision_function`` is calibrated when it has
        one, else ``predict_proba`` (the positive column when binary).
    method : {"sigmoid", "isotonic", "venn_abers"}
        ``"sigmoid"``: Platt scaling. ``"isotonic"``: isotonic regression, interpolated between
        calibration scores. ``"venn_abers"``: inductive Venn-ABERS with ``cv="prefit"``, cross
        Venn-ABERS (CVAP) with k folds; :meth:`predict_interval` then gives ``(p0, p1)``.
        Multiclass problems calibrate each class one-vs-rest and renormalise the rows.
    cv : "prefit", int or CV splitter, default 5
        ``"prefit"``: ``estimator`` is already fitted and :meth:`fit` only calibrates, on the
        held-out calibration set it is given. An integer or splitter: for each fold a clone is
        fitted on the other folds and calibrated on this one; probabilities average the folds
        (sigmoid, isotonic) or merge them with geometric means (cross Venn-ABERS).
    n_jobs : int, optional
        Folds fitted in parallel (joblib).
    random_state : int, optional
        Shuffling of the k folds when ``cv`` is an integer.

    Attributes
    ----------
    classes_ : ndarray
    calibrated_models_ : list of (estimator, calibrators) pairs, one per fold.
    """

    def __init__(
        self,
        estimator: Any = None,
        method: str = "sigmoid",
        cv: Any = 5,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.n_jobs = n_jobs
        self.random_state = random_state

    def __sklearn_tags__(self):
        return input_tags_from(super().__sklearn_tags__(), self.estimator)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> CalibratedClassifier:
        """Fit (unless prefit) and calibrate on ``X``, ``y``.

        ``sample_weight`` weights the sigmoid and isotonic fits (and the folds' models when
        their ``fit`` takes weights); Venn-ABERS takes no weights.
        """
        method = check_choice("method", self.method, _METHODS)
        estimator = default_classifier() if self.estimator is None else self.estimator
        X, y = validate_input(self, X, y)
        check_classification_targets(y)
        if sample_weight is not None:
            if method == "venn_abers":
                raise ValueError("method='venn_abers' takes no sample_weight; pass None")
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            if sample_weight.shape != (len(y),):
                raise ValueError(
                    f"sample_weight has shape {sample_weight.shape}; expected ({len(y)},)"
                )
        if isinstance(self.cv, str) and self.cv == "prefit":
            check_prefit(estimator)
            self.classes_ = np.asarray(estimator.classes_)
            unknown = np.setdiff1d(y, self.classes_)
            if unknown.size:
                raise ValueError(f"y holds labels the estimator was not fitted on: {unknown[:5]}")
            y_index = np.searchsorted(self.classes_, y)
            scores = classifier_scores(estimator, X)
            self.calibrated_models_ = [
                (
                    estimator,
                    _fit_calibrators(method, scores, y_index, len(self.classes_), sample_weight),
                )
            ]
        else:
            encoder = LabelEncoder().fit(y)
            self.classes_ = encoder.classes_
            if len(self.classes_) < 2:
                raise ValueError(
                    f"y needs samples of at least 2 classes; got one class: {self.classes_[0]!r}"
                )
            y_index = encoder.transform(y)
            splitter = resolve_cv(self.cv, classifier=True, random_state=self.random_state)
            folds = list(splitter.split(np.zeros((len(y), 1)), y_index))
            self.calibrated_models_ = Parallel(n_jobs=self.n_jobs)(
                delayed(self._fit_fold)(
                    estimator, method, X, y, y_index, sample_weight, train, test
                )
                for train, test in folds
            )
        return self

    def _fit_fold(self, estimator, method, X, y, y_index, sample_weight, train, test):
        if np.unique(y_index[train]).size < len(self.classes_):
            raise ValueError(
                "a training fold lacks some classes; use fewer folds (cv) or more rows per class"
            )
        weight_train = None if sample_weight is None else sample_weight[train]
        model = fit_clone(estimator, take_rows(X, train), y[train], weight_train)
        scores = classifier_scores(model, take_rows(X, test))
        weight_test = None if sample_weight is None else sample_weight[test]
        calibrators = _fit_calibrators(
            method, scores, y_index[test], len(self.classes_), weight_test
        )
        return model, calibrators

    def _check_X(self, X: Any) -> Any:
        check_is_fitted(self, "calibrated_models_")
        return validate_input(self, X, reset=False)

    def _venn_abers_pairs(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """p0 and p1 of shape (n, n_columns, n_folds)."""
        p0s, p1s = [], []
        for model, calibrators in self.calibrated_models_:
            pairs = [c.p0_p1(s) for c, s in zip(calibrators, _columns(classifier_scores(model, X)))]
            p0s.append(np.column_stack([p0 for p0, _ in pairs]))
            p1s.append(np.column_stack([p1 for _, p1 in pairs]))
        return np.stack(p0s, axis=2), np.stack(p1s, axis=2)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probabilities, shape (n_samples, n_classes), columns in ``classes_``."""
        X = self._check_X(X)
        if self.method == "venn_abers":
            p0, p1 = self._venn_abers_pairs(X)
            if p0.shape[2] == 1:
                merged = merge_p0_p1(p0[:, :, 0], p1[:, :, 0])
            else:
                merged = np.column_stack(
                    [merge_cross_p0_p1(p0[:, k], p1[:, k]) for k in range(p0.shape[1])]
                )
            return _as_matrix(_columns(merged[:, 0] if merged.shape[1] == 1 else merged))
        folds = []
        for model, calibrators in self.calibrated_models_:
            columns = _columns(classifier_scores(model, X))
            folds.append(_as_matrix([c.predict(s) for c, s in zip(calibrators, columns)]))
        return np.mean(folds, axis=0)

    def predict_interval(self, X: Any) -> np.ndarray:
        """Venn-ABERS multiprobability ``(p0, p1)`` of each class being the label.

        Binary: shape (n_samples, 2) for the positive class ``classes_[1]``; multiclass:
        (n_samples, n_classes, 2), one-vs-rest, not renormalised. With k folds (cross
        Venn-ABERS) each bound is the mean of the folds' bounds.
        """
        X = self._check_X(X)
        if self.method != "venn_abers":
            raise ValueError(
                f"predict_interval needs method='venn_abers'; this model has method={self.method!r}"
            )
        p0, p1 = self._venn_abers_pairs(X)
        pairs = np.stack([p0.mean(axis=2), p1.mean(axis=2)], axis=-1)
        return pairs[:, 0, :] if pairs.shape[1] == 1 else pairs

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class after calibration."""
        proba = self.predict_proba(X)  # checks fitted before classes_ is read
        return self.classes_[np.argmax(proba, axis=1)]
