"""Conformal prediction sets for any classifier: LAC, APS and RAPS scores, class-conditional
(Mondrian) calibration, split and cross-conformal, p-values with confidence and credibility,
and certainty filtering."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ...metrics import scores as metrics
from ...metrics.checks import (
    check_alpha,
    check_choice,
    check_fraction,
    check_nonnegative,
    check_positive_int,
)
from .._estimators import (
    check_prefit,
    class_probabilities,
    default_classifier,
    fit_clone,
    input_tags_from,
    resolve_cv,
    take_rows,
    validate_input,
)
from .._savable import SavableMixin

__all__ = ["ConformalClassifier", "Confidence"]

_SCORES = ("lac", "aps", "raps")


def nonconformity(
    proba: np.ndarray,
    score: str,
    uniform: np.ndarray | None,
    raps_lambda: float = 0.0,
    raps_k_reg: int = 1,
) -> np.ndarray:
    """Score of every (row, class) pair, shape (n, n_classes); larger means stranger.

    ``lac``: ``1 - p_y`` (Sadinle et al. 2019). ``aps``: the probability mass of the classes
    ranked above ``y`` plus ``u * p_y`` (Romano et al. 2020; ``u`` uniform, or 1 when
    ``uniform`` is None). ``raps``: APS plus ``raps_lambda * max(0, rank(y) - raps_k_reg)``
    with 1-based ranks (Angelopoulos et al. 2021). Ties in probability rank by class order.
    """
    if score == "lac":
        return 1.0 - proba
    n, k = proba.shape
    order = np.argsort(-proba, axis=1, kind="stable")
    rows = np.arange(n)[:, None]
    sorted_p = proba[rows, order]
    mass_above = np.cumsum(sorted_p, axis=1) - sorted_p
    u = np.ones((n, 1)) if uniform is None else uniform[:, None]
    sorted_scores = mass_above + u * sorted_p
    if score == "raps":
        ranks = np.arange(1, k + 1)[None, :]
        sorted_scores = sorted_scores + raps_lambda * np.maximum(ranks - raps_k_reg, 0)
    out = np.empty_like(sorted_scores)
    out[rows, order] = sorted_scores
    return out


class Confidence(NamedTuple):
    """Per-row summary of the conformal p-values: the most likely class, the confidence
    (1 minus the second-largest p-value) and the credibility (the largest p-value)."""

    prediction: np.ndarray
    confidence: np.ndarray
    credibility: np.ndarray


class ConformalClassifier(SavableMixin, ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Prediction sets that hold the true class with probability at least ``1 - alpha``.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``, default None
        None means ``TreeBoostClassifier(n_estimators=50, max_depth=4, learning_rate=0.1)``.
    conformity_score : {"lac", "aps", "raps"}
        Nonconformity score; see :func:`nonconformity`. (Not ``score``: that name is the
        accuracy method every scikit-learn classifier has.)
    mondrian : bool, default False
        Class-conditional calibration: each class's p-value compares only with calibration
        rows of that class, so coverage holds within every class, not just on average.
    cv : "prefit", "split", int or CV splitter, default "split"
        ``"prefit"``: the estimator is fitted and :meth:`fit` calibrates on what it is given.
        ``"split"``: :meth:`fit` holds out ``calibration_size`` of the rows (stratified).
        An integer or splitter: cross-conformal (Vovk 2015); every row is scored out-of-fold
        and a test row's p-value pools the folds' counts against each fold model's score.
    calibration_size : float, default 0.25
    randomized : bool, optional
        Randomise ties: the ``u`` term of APS/RAPS and smoothed p-values (exact, not just
        conservative, coverage). Default: True for APS and RAPS, False for LAC.
    raps_lambda, raps_k_reg : float, int
        RAPS regularisation: penalty per class beyond the ``raps_k_reg`` most likely ones.
    n_jobs : int, optional
    random_state : int, optional
        Seeds the split, the folds and the tie-breaking draws (the same draws on each call).
    """

    def __init__(
        self,
        estimator: Any = None,
        conformity_score: str = "lac",
        mondrian: bool = False,
        cv: Any = "split",
        calibration_size: float = 0.25,
        randomized: bool | None = None,
        raps_lambda: float = 0.01,
        raps_k_reg: int = 1,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.conformity_score = conformity_score
        self.mondrian = mondrian
        self.cv = cv
        self.calibration_size = calibration_size
        self.randomized = randomized
        self.raps_lambda = raps_lambda
        self.raps_k_reg = raps_k_reg
        self.n_jobs = n_jobs
        self.random_state = random_state

    def __sklearn_tags__(self):
        return input_tags_from(super().__sklearn_tags__(), self.estimator)

    # -- fitting ------------------------------------------------------------------------------
    def _randomized(self) -> bool:
        return self.conformity_score != "lac" if self.randomized is None else bool(self.randomized)

    def _scores(self, model: Any, X: Any, rng: np.random.Generator) -> np.ndarray:
        proba = class_probabilities(model, X, self.classes_)
        uniform = rng.random(proba.shape[0]) if self._randomized() else None
        return nonconformity(
            proba, self.conformity_score, uniform, self.raps_lambda, self.raps_k_reg
        )

    def fit(self, X: Any, y: Any) -> ConformalClassifier:
        """Fit the model(s) as ``cv`` says and compute the calibration scores."""
        check_choice("conformity_score", self.conformity_score, _SCORES)
        check_nonnegative("raps_lambda", self.raps_lambda)
        check_positive_int("raps_k_reg", self.raps_k_reg, minimum=0)
        if not isinstance(self.mondrian, (bool, np.bool_)):
            raise TypeError(f"mondrian={self.mondrian!r} is not valid; valid: True or False")
        if self.randomized is not None and not isinstance(self.randomized, (bool, np.bool_)):
            raise TypeError(
                f"randomized={self.randomized!r} is not valid; valid: True, False or None"
            )
        X, y = validate_input(self, X, y)
        check_classification_targets(y)
        estimator = default_classifier() if self.estimator is None else self.estimator
        rng = np.random.default_rng(self.random_state)
        cv = self.cv
        if isinstance(cv, str) and cv == "prefit":
            check_prefit(estimator)
            self.classes_ = np.asarray(estimator.classes_)
            unknown = np.setdiff1d(y, self.classes_)
            if unknown.size:
                raise ValueError(f"y holds labels the estimator was not fitted on: {unknown[:5]}")
            folds = [(estimator, np.arange(y.shape[0]))]
        else:
            self.classes_ = LabelEncoder().fit(y).classes_
            if len(self.classes_) < 2:
                raise ValueError(
                    f"y needs samples of at least 2 classes; got one class: {self.classes_[0]!r}"
                )
            if isinstance(cv, str) and cv == "split":
                size = check_fraction("calibration_size", self.calibration_size)
                seed = None if self.random_state is None else int(rng.integers(2**31))
                train, cal = train_test_split(
                    np.arange(y.shape[0]), test_size=size, stratify=y, random_state=seed
                )
                splits = [(train, cal)]
            elif isinstance(cv, str):
                raise ValueError(
                    f"cv={cv!r} is not valid; valid: 'prefit', 'split', an integer >= 2 "
                    "or a CV splitter"
                )
            else:
                splitter = resolve_cv(cv, classifier=True, random_state=self.random_state)
                splits = list(splitter.split(np.zeros((y.shape[0], 1)), y))
            models = Parallel(n_jobs=self.n_jobs)(
                delayed(fit_clone)(estimator, take_rows(X, train), y[train], None)
                for train, _ in splits
            )
            folds = [(model, cal) for model, (_, cal) in zip(models, splits)]
        y_index = np.searchsorted(self.classes_, y)
        self.models_ = [model for model, _ in folds]
        self.calibration_scores_ = []
        self.calibration_labels_ = []
        for model, rows in folds:
            scores = self._scores(model, take_rows(X, rows), rng)
            self.calibration_scores_.append(scores[np.arange(rows.size), y_index[rows]])
            self.calibration_labels_.append(y_index[rows])
        return self

    # -- prediction ---------------------------------------------------------------------------
    def predict_proba(self, X: Any) -> np.ndarray:
        """The underlying model's probabilities (averaged over the fold models)."""
        check_is_fitted(self, "models_")
        X = validate_input(self, X, reset=False)
        return np.mean([class_probabilities(m, X, self.classes_) for m in self.models_], axis=0)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of the underlying model (see :meth:`predict_confidence`
        for the class with the largest p-value)."""
        proba = self.predict_proba(X)  # checks fitted before classes_ is read
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_p(self, X: Any) -> np.ndarray:
        """Conformal p-value of every class for every row, shape (n_samples, n_classes).

        ``p = (#{cal > s} + u * (#{cal == s} + 1)) / (n + 1)``, summed over folds for
        cross-conformal, against the calibration rows of that class when ``mondrian``;
        ``u`` is uniform when ``randomized``, else 1.
        """
        check_is_fitted(self, "models_")
        X = validate_input(self, X, reset=False)
        rng = np.random.default_rng(self.random_state)
        # One draw of each random term per row, shared by the folds: fold models then score a
        # row with the same u, as a single split model would.
        seed = int(rng.integers(2**31))
        n_classes = len(self.classes_)
        greater = equal = None
        counts = np.zeros(n_classes) if self.mondrian else 0.0
        for model, cal_scores, cal_labels in zip(
            self.models_, self.calibration_scores_, self.calibration_labels_
        ):
            test = self._scores(model, X, np.random.default_rng(seed))
            g, e = np.zeros_like(test), np.zeros_like(test)
            for c in range(n_classes):
                reference = cal_scores[cal_labels == c] if self.mondrian else cal_scores
                # Counts of calibration scores above and equal: p-values without tie-breaking.
                ref = np.sort(reference)
                below = np.searchsorted(ref, test[:, c], side="left")
                at_most = np.searchsorted(ref, test[:, c], side="right")
                g[:, c] = ref.size - at_most
                e[:, c] = at_most - below
            greater = g if greater is None else greater + g
            equal = e if equal is None else equal + e
            if self.mondrian:
                counts = counts + np.bincount(cal_labels, minlength=n_classes)
            else:
                counts = counts + cal_scores.size
        u = rng.random((greater.shape[0], 1)) if self._randomized() else 1.0
        return (greater + u * (equal + 1.0)) / (np.asarray(counts) + 1.0)

    def predict_set(self, X: Any, alpha: float = 0.1) -> np.ndarray:
        """Boolean matrix (n_samples, n_classes): class ``k`` is in row ``i``'s set when its
        p-value exceeds ``alpha``. For the non-randomized split method this is exactly the
        rule "score <= the ceil((n + 1)(1 - alpha))-th smallest calibration score"."""
        alpha = check_alpha(alpha)
        return self.predict_p(X) > alpha

    def predict_confidence(self, X: Any) -> Confidence:
        """Most likely class, confidence and credibility of every row."""
        p = self.predict_p(X)
        ordered = np.sort(p, axis=1)
        return Confidence(self.classes_[np.argmax(p, axis=1)], 1.0 - ordered[:, -2], ordered[:, -1])

    def certainty_report(
        self,
        X: Any,
        y: Any,
        alpha: float = 0.1,
        metrics_to_report: dict[str, Callable[..., float]] | None = None,
    ) -> dict[str, float]:
        """Metrics on the rows whose prediction set at confidence ``1 - alpha`` is a single
        class, with the fraction of rows kept.

        Each metric is called as ``metric(y_kept, proba_kept)`` with labels as 0/1 (binary) or
        class indices; defaults: accuracy, and for binary problems also sensitivity,
        specificity and ROC AUC. Returns ``{"fraction_kept", "n_kept", <metric names>}``;
        metrics are NaN when no row is kept.
        """
        sets = self.predict_set(X, alpha)
        y_index = np.searchsorted(self.classes_, column_or_1d(y))
        proba = self.predict_proba(X)
        return certainty_report(y_index, proba, sets, metrics_to_report)


def certainty_report(
    y_index: np.ndarray,
    proba: np.ndarray,
    sets: np.ndarray,
    metrics_to_report: dict[str, Callable[..., float]] | None = None,
) -> dict[str, float]:
    """Metrics restricted to the rows whose boolean prediction set holds exactly one class.

    ``y_index`` are class indices (0/1 when binary), ``proba`` the (n, k) probabilities.
    """
    y_index, proba, sets = np.asarray(y_index), np.asarray(proba), np.asarray(sets)
    if proba.ndim != 2 or sets.shape != proba.shape or y_index.shape != (proba.shape[0],):
        raise ValueError(
            "certainty_report needs y_index (n,), proba (n, k) and sets (n, k); got shapes "
            f"{y_index.shape}, {proba.shape} and {sets.shape}"
        )
    binary = proba.shape[1] == 2
    if metrics_to_report is None:
        metrics_to_report = {"accuracy": metrics.accuracy}
        if binary:
            metrics_to_report.update(
                sensitivity=metrics.sensitivity,
                specificity=metrics.specificity,
                roc_auc=metrics.roc_auc,
            )
    kept = np.asarray(sets).sum(axis=1) == 1
    report = {"fraction_kept": float(kept.mean()), "n_kept": int(kept.sum())}
    scores = proba[kept, 1] if binary else proba[kept]
    for name, metric in metrics_to_report.items():
        report[name] = float(metric(y_index[kept], scores)) if kept.any() else float("nan")
    return report
