"""Conformal prediction intervals for any regressor: split conformal (absolute residuals,
optionally normalised by a difficulty model), CV+ and jackknife+, and conformalized quantile
regression (CQR)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.model_selection import LeaveOneOut, train_test_split
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from ...metrics.checks import check_alphas, check_choice, check_fraction
from .._estimators import (
    check_has_method,
    check_prefit,
    default_regressor,
    fit_clone,
    input_tags_from,
    n_rows,
    resolve_cv,
    take_rows,
    validate_input,
)
from .._quantile import conformal_quantile, conformal_rank, kth_smallest_per_row, lower_rank
from .._savable import SavableMixin

__all__ = ["ConformalRegressor"]

_METHODS = ("split", "cv_plus", "jackknife_plus", "cqr")


class _QuantilePair:
    """Two fitted quantile regressors seen as one model predicting (lower, upper)."""

    def __init__(self, lower: Any, upper: Any) -> None:
        self.lower, self.upper = lower, upper

    def predict(self, X: Any) -> np.ndarray:
        return np.column_stack([self.lower.predict(X), self.upper.predict(X)])


def _quantile_bounds(model: Any, X: Any) -> np.ndarray:
    """(n, 2) lower and upper quantiles: the first and last columns of a multi-quantile model."""
    prediction = np.asarray(model.predict(X), dtype=np.float64)
    if prediction.ndim != 2 or prediction.shape[1] < 2:
        raise ValueError(
            "method='cqr' needs a model whose predict returns (n, k >= 2) quantiles, such as "
            "TreeBoostRegressor(objective='reg:quantileerror', quantile_alpha=[lo, hi]), or a "
            "(lower, upper) pair of quantile regressors; got predictions of shape "
            f"{prediction.shape}"
        )
    return prediction[:, [0, -1]]


class ConformalRegressor(SavableMixin, RegressorMixin, MetaEstimatorMixin, BaseEstimator):
    """Prediction intervals with finite-sample coverage for any regressor.

    Parameters
    ----------
    estimator : regressor, or a (lower, upper) pair of quantile regressors, default None
        None means ``TreeBoostRegressor(n_estimators=50, max_depth=4, learning_rate=0.1)``.
        For ``method="cqr"``: a model whose ``predict`` returns (n, k) quantiles (the first and
        last columns are the lower and upper ones), e.g. ``TreeBoostRegressor(
        objective="reg:quantileerror", quantile_alpha=[0.05, 0.95])``, or a tuple of two
        quantile regressors (lower, upper).
    method : {"split", "cv_plus", "jackknife_plus", "cqr"}
        ``"split"``: residual ``|y - mu(x)|`` (divided by ``difficulty_estimator``'s
        prediction when given) on a calibration set; interval ``mu(x) +/- q * sigma(x)``.
        ``"cv_plus"``: CV+ of Barber et al. 2021 over k folds; ``"jackknife_plus"``: the same
        with leave-one-out. ``"cqr"``: conformalized quantile regression (Romano et al. 2019),
        score ``max(lo(x) - y, y - hi(x))``, interval ``[lo(x) - q, hi(x) + q]``.
    cv : "prefit", "split", int or CV splitter, optional
        For ``split`` and ``cqr``: ``"prefit"`` (the estimator, and any difficulty estimator,
        are fitted already; :meth:`fit` only calibrates on the data it is given) or ``"split"``
        (default: :meth:`fit` holds out ``calibration_size`` of its rows for calibration). For
        ``cv_plus``: the folds (default 5). Must stay None for ``jackknife_plus`` (always one
        row out).
    calibration_size : float, default 0.25
        Fraction of rows held out for calibration when ``cv="split"``.
    difficulty_estimator : regressor, optional
        ``method="split"`` only: predicts the size of the residual; it is fitted on the absolute
        training residuals when ``cv="split"`` and must be fitted already with ``"prefit"``.
    min_difficulty : float, default 1e-6
        Floor on the difficulty, so that a zero prediction cannot divide by zero.
    n_jobs : int, optional
        Folds fitted in parallel (joblib).
    random_state : int, optional
        Seeds the calibration split and the fold shuffling.

    Attributes
    ----------
    conformity_scores_ : ndarray
        The calibration (or out-of-fold) scores.
    estimator_ : the fitted model (``split``, ``cqr``), or ``estimators_`` one per fold.
    """

    _pair_type = _QuantilePair

    def __init__(
        self,
        estimator: Any = None,
        method: str = "split",
        cv: Any = None,
        calibration_size: float = 0.25,
        difficulty_estimator: Any = None,
        min_difficulty: float = 1e-6,
        n_jobs: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.calibration_size = calibration_size
        self.difficulty_estimator = difficulty_estimator
        self.min_difficulty = min_difficulty
        self.n_jobs = n_jobs
        self.random_state = random_state

    def __sklearn_tags__(self):
        return input_tags_from(super().__sklearn_tags__(), self.estimator)

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> ConformalRegressor:
        """Fit the model(s) as ``cv`` says and compute the conformity scores."""
        method = check_choice("method", self.method, _METHODS)
        X, y = validate_input(self, X, y, y_numeric=True)
        y = np.asarray(y, dtype=np.float64)
        if not (isinstance(self.min_difficulty, (int, float)) and self.min_difficulty > 0):
            raise ValueError(
                f"min_difficulty={self.min_difficulty!r} is not valid; valid: a number > 0"
            )
        if self.difficulty_estimator is not None and method != "split":
            raise ValueError(
                f"difficulty_estimator is used by method='split' only; got method={method!r}"
            )
        if method in ("split", "cqr"):
            self._fit_split(method, X, y)
        else:
            self._fit_folds(method, X, y)
        return self

    def _base_estimator(self, method: str) -> Any:
        if self.estimator is None:
            if method == "cqr":
                raise ValueError(
                    "method='cqr' needs an estimator predicting lower and upper quantiles"
                )
            return default_regressor()
        return self.estimator

    def _fit_split(self, method: str, X: Any, y: np.ndarray) -> None:
        cv = "split" if self.cv is None else self.cv
        if not (isinstance(cv, str) and cv in ("prefit", "split")):
            raise ValueError(
                f"cv={cv!r} is not valid for method={method!r}; valid: 'prefit', 'split'"
            )
        estimator = self._base_estimator(method)
        pair = isinstance(estimator, (tuple, list))
        if pair and (method != "cqr" or len(estimator) != 2):
            raise ValueError(
                "a pair of estimators is valid only for method='cqr', as (lower, upper)"
            )
        difficulty = self.difficulty_estimator
        if cv == "prefit":
            for part in estimator if pair else [estimator]:
                check_prefit(part)
            if difficulty is not None:
                check_prefit(difficulty, "difficulty_estimator")
            X_cal, y_cal = X, y
        else:
            size = check_fraction("calibration_size", self.calibration_size)
            train, cal = train_test_split(
                np.arange(y.shape[0]), test_size=size, random_state=self.random_state
            )
            X_train = take_rows(X, train)
            if pair:
                estimator = tuple(fit_clone(e, X_train, y[train], None) for e in estimator)
            else:
                estimator = fit_clone(estimator, X_train, y[train], None)
            if difficulty is not None:
                residual = np.abs(y[train] - np.asarray(estimator.predict(X_train)))
                difficulty = clone(difficulty).fit(X_train, residual)
            X_cal, y_cal = take_rows(X, cal), y[cal]
        self.estimator_ = _QuantilePair(*estimator) if pair else estimator
        self.difficulty_estimator_ = difficulty
        if method == "cqr":
            bounds = _quantile_bounds(self.estimator_, X_cal)
            scores = np.maximum(bounds[:, 0] - y_cal, y_cal - bounds[:, 1])
        else:
            check_has_method(self.estimator_, "predict")
            residual = np.abs(y_cal - self._point(X_cal))
            scores = residual / self._difficulty(X_cal)
        self.conformity_scores_ = scores

    def _fit_folds(self, method: str, X: Any, y: np.ndarray) -> None:
        if method == "jackknife_plus":
            if self.cv is not None:
                raise ValueError(
                    f"cv={self.cv!r} is not used by method='jackknife_plus', which always leaves "
                    "one row out; pass cv=None, or use method='cv_plus' for k folds"
                )
            splitter = LeaveOneOut()
        else:
            cv = 5 if self.cv is None else self.cv
            splitter = resolve_cv(cv, classifier=False, random_state=self.random_state)
        estimator = self._base_estimator(method)
        folds = list(splitter.split(np.zeros((y.shape[0], 1))))

        def fit_fold(train, test):
            model = fit_clone(estimator, take_rows(X, train), y[train], None)
            return model, np.asarray(model.predict(take_rows(X, test)), dtype=np.float64)

        results = Parallel(n_jobs=self.n_jobs)(delayed(fit_fold)(tr, te) for tr, te in folds)
        fold_of_row = np.full(y.shape[0], -1)
        out_of_fold = np.empty(y.shape[0])
        for k, ((_, test), (_, prediction)) in enumerate(zip(folds, results)):
            fold_of_row[test] = k
            out_of_fold[test] = prediction
        if np.any(fold_of_row < 0):
            raise ValueError("the cv splitter left some rows out of every test fold")
        self.estimators_ = [model for model, _ in results]
        self.fold_of_row_ = fold_of_row
        self.conformity_scores_ = np.abs(y - out_of_fold)

    # -- prediction ---------------------------------------------------------------------------
    def _point(self, X: Any) -> np.ndarray:
        return np.asarray(self.estimator_.predict(X), dtype=np.float64)

    def _difficulty(self, X: Any) -> np.ndarray:
        if self.difficulty_estimator_ is None:
            return np.ones(n_rows(X))
        sigma = np.asarray(self.difficulty_estimator_.predict(X), dtype=np.float64)
        return np.maximum(sigma, self.min_difficulty)

    def predict(self, X: Any) -> np.ndarray:
        """Point predictions: the model's (split), the median of the fold models' (CV+,
        jackknife+) or the middle of the quantile interval (CQR)."""
        check_is_fitted(self, "conformity_scores_")
        X = validate_input(self, X, reset=False)
        if hasattr(self, "estimators_"):
            return np.median(self._fold_predictions(X), axis=1)
        if self.method == "cqr":
            return _quantile_bounds(self.estimator_, X).mean(axis=1)
        return self._point(X)

    def _fold_predictions(self, X: Any) -> np.ndarray:
        return np.column_stack(
            [np.asarray(m.predict(X), dtype=np.float64) for m in self.estimators_]
        )

    def predict_interval(self, X: Any, alpha: Any = 0.1) -> np.ndarray:
        """Intervals that hold the truth with probability at least ``1 - alpha``.

        Parameters
        ----------
        X : array-like (n_samples, n_features)
        alpha : float or sequence of floats in (0, 1)

        Returns
        -------
        ndarray
            (n_samples, 2) of (lower, upper) for one ``alpha``; (n_samples, n_alphas, 2) for a
            sequence. Too few calibration rows for a level give an infinite bound.
        """
        check_is_fitted(self, "conformity_scores_")
        X = validate_input(self, X, reset=False)
        alphas, single = check_alphas(alpha)
        if hasattr(self, "estimators_"):
            intervals = self._cv_plus_intervals(X, alphas)
        else:
            intervals = self._split_intervals(X, alphas)
        return intervals[:, 0, :] if single else intervals

    def _split_intervals(self, X: Any, alphas: np.ndarray) -> np.ndarray:
        if self.method == "cqr":
            bounds = _quantile_bounds(self.estimator_, X)
            low, high, scale = bounds[:, 0], bounds[:, 1], np.ones(bounds.shape[0])
        else:
            low = high = self._point(X)
            scale = self._difficulty(X)
        out = np.empty((low.shape[0], alphas.shape[0], 2))
        for j, a in enumerate(alphas):
            q = conformal_quantile(self.conformity_scores_, a)
            out[:, j, 0] = low - q * scale
            out[:, j, 1] = high + q * scale
        return out

    def _cv_plus_intervals(self, X: Any, alphas: np.ndarray) -> np.ndarray:
        # Each training row i contributes mu_{-fold(i)}(x) -/+ R_i (Barber et al. 2021, eq. 7).
        fold_predictions = self._fold_predictions(X)[:, self.fold_of_row_]
        lows = fold_predictions - self.conformity_scores_[None, :]
        highs = fold_predictions + self.conformity_scores_[None, :]
        n = self.conformity_scores_.shape[0]
        out = np.empty((fold_predictions.shape[0], alphas.shape[0], 2))
        for j, a in enumerate(alphas):
            out[:, j, 0] = kth_smallest_per_row(lows, lower_rank(n, a))
            out[:, j, 1] = kth_smallest_per_row(highs, conformal_rank(n, a))
        return out
