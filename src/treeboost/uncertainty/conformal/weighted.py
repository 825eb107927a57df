"""Weighted split conformal prediction under covariate shift (Tibshirani, Barber, Candes and
Ramdas 2019, "Conformal prediction under covariate shift").

When the test covariates come from a different distribution than the calibration ones but
``y | x`` is the same, the calibration scores are reweighted by the likelihood ratio
``w(x) = dP_test(x) / dP_cal(x)``. For a test point ``x`` the threshold is the ``1 - alpha``
quantile of the distribution that puts mass ``p_i = w(X_i) / (sum_j w(X_j) + w(x))`` on each
calibration score and ``p_x = w(x) / (sum_j w(X_j) + w(x))`` on ``+inf`` (their eq. 7 and
Corollary 1). With equal weights this is the plain split threshold, the
``ceil((n + 1)(1 - alpha))``-th smallest score.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from ...metrics.checks import check_alphas, check_choice, check_fraction
from .._estimators import (
    check_has_method,
    check_prefit,
    default_regressor,
    fit_clone,
    input_tags_from,
    n_rows,
    take_rows,
    validate_input,
)
from .regression import _quantile_bounds

__all__ = ["WeightedConformalRegressor", "weighted_conformal_quantile"]

_METHODS = ("split", "cqr")

# Cumulative weights are compared with (1 - alpha) * total; with equal weights the product can
# land a hair above an integer (1000 * 0.9 = 900.0000000000001) and skip one rank, so the
# comparison allows this relative slack, as the unweighted rank does.
_RELATIVE_TOLERANCE = 1e-9


def weighted_conformal_quantile(
    scores: np.ndarray, calibration_weights: np.ndarray, test_weights: np.ndarray, alpha: float
) -> np.ndarray:
    """Per test point, the ``1 - alpha`` quantile of the weighted calibration scores with the
    test point's own weight on ``+inf``.

    Parameters
    ----------
    scores : ndarray (n,)
        Calibration conformity scores.
    calibration_weights : ndarray (n,)
        ``w(X_i)`` of the calibration rows, >= 0.
    test_weights : ndarray (m,)
        ``w(x)`` of the test rows, >= 0.
    alpha : float in (0, 1)

    Returns
    -------
    ndarray (m,)
        The threshold of each test row; ``+inf`` when the calibration mass below every score
        stays short of ``1 - alpha`` (the mass on ``+inf`` is too large).
    """
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    cumulative = np.cumsum(calibration_weights[order])
    total = cumulative[-1] + test_weights
    # The smallest score whose cumulative normalised mass reaches 1 - alpha.
    target = (1.0 - alpha) * total - _RELATIVE_TOLERANCE * total
    rank = np.searchsorted(cumulative, target, side="left")
    out = np.full(test_weights.shape[0], np.inf)
    finite = rank < sorted_scores.shape[0]
    out[finite] = sorted_scores[rank[finite]]
    return out


def _check_weights(name: str, weights: Any, n: int) -> np.ndarray:
    array = np.asarray(weights, dtype=np.float64)
    if array.ndim != 1 or array.shape[0] != n:
        raise ValueError(f"{name} has shape {array.shape}; valid: one weight per row, ({n},)")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        bad = int(np.flatnonzero(~(np.isfinite(array) & (array >= 0)))[0])
        raise ValueError(f"{name}[{bad}]={array[bad]!r} is not valid; valid: a finite number >= 0")
    if n and not array.sum() > 0:
        raise ValueError(f"{name} are all zero; valid: finite weights >= 0, not all zero")
    return array


def default_domain_classifier() -> Any:
    """Standardised logistic regression: the domain classifier used when none is given."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))


class WeightedConformalRegressor(RegressorMixin, MetaEstimatorMixin, BaseEstimator):
    """Split conformal intervals reweighted for covariate shift.

    Fit calibrates on labelled rows like :class:`ConformalRegressor`; :meth:`fit_shift` learns
    the likelihood ratio of unlabelled target covariates against the calibration ones with a
    domain classifier; :meth:`predict_interval` gives each row the weighted threshold. The
    weights may be given directly instead (``calibration_weights`` in :meth:`fit`,
    ``test_weights`` in :meth:`predict_interval`), as when the shift is known by design.

    Parameters
    ----------
    estimator : regressor, default None
        The point model (``method="split"``) or a multi-quantile model whose first and last
        columns are the lower and upper quantiles (``method="cqr"``). None means a small
        ``TreeBoostRegressor``.
    method : {"split", "cqr"}, default "split"
        Score ``|y - mu(x)|`` (interval ``mu(x) +/- q(x)``) or the CQR score
        ``max(lo(x) - y, y - hi(x))`` (interval ``[lo(x) - q(x), hi(x) + q(x)]``).
    cv : {"prefit", "split"}, default "prefit"
        ``"prefit"``: the estimator is fitted and :meth:`fit` only calibrates; ``"split"``:
        :meth:`fit` holds out ``calibration_size`` of its rows to calibrate on.
    calibration_size : float, default 0.25
        Fraction of rows held out when ``cv="split"``.
    domain_classifier : classifier, optional
        Told calibration rows (class 0) from target rows (class 1) in :meth:`fit_shift`; needs
        ``predict_proba``. None means ``StandardScaler`` + ``LogisticRegression``: its odds are
        smooth in ``x``, whereas boosted trees that separate the domains push probabilities to
        0 or 1 and make single weights dominate (Tibshirani et al. also used a logistic model).
    max_weight : float, optional
        Clip on the estimated likelihood ratios (after the class-size correction), which bounds
        the damage of a domain classifier that is sure of itself. None: no clip.
    random_state : int, optional
        Seeds the calibration split of ``cv="split"``.

    Attributes
    ----------
    estimator_ : the fitted point or quantile model.
    conformity_scores_ : ndarray (n_cal,)
    calibration_weights_ : ndarray (n_cal,) or None
        ``w(X_i)`` of the calibration rows: given in :meth:`fit` or estimated by
        :meth:`fit_shift`.
    domain_classifier_ : the fitted domain classifier (after :meth:`fit_shift`).
    effective_sample_size_ : float
        ``(sum w)^2 / sum w^2`` of the calibration weights: how many equally weighted rows they
        are worth. Far below ``n_cal`` means a strong shift and wide or infinite intervals.
    """

    def __init__(
        self,
        estimator: Any = None,
        method: str = "split",
        cv: str = "prefit",
        calibration_size: float = 0.25,
        domain_classifier: Any = None,
        max_weight: float | None = None,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.calibration_size = calibration_size
        self.domain_classifier = domain_classifier
        self.max_weight = max_weight
        self.random_state = random_state

    def __sklearn_tags__(self):
        return input_tags_from(super().__sklearn_tags__(), self.estimator)

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, calibration_weights: Any = None) -> WeightedConformalRegressor:
        """Fit (``cv="split"``) and calibrate; optionally take the calibration weights.

        Parameters
        ----------
        X, y : calibration data (``"prefit"``) or all labelled data (``"split"``).
        calibration_weights : array-like (n_rows,), optional
            ``w(x)`` of the rows of ``X``; with ``cv="split"`` only those of the calibration
            rows are kept. Leave out to estimate them with :meth:`fit_shift`.
        """
        method = check_choice("method", self.method, _METHODS)
        cv = check_choice("cv", self.cv, ("prefit", "split"))
        X, y = validate_input(self, X, y, y_numeric=True)
        y = np.asarray(y, dtype=np.float64)
        if self.max_weight is not None and not (
            isinstance(self.max_weight, (int, float)) and self.max_weight > 0
        ):
            raise ValueError(f"max_weight={self.max_weight!r} is not valid; valid: None or > 0")
        weights = None
        if calibration_weights is not None:
            weights = _check_weights("calibration_weights", calibration_weights, y.shape[0])
        estimator = self.estimator if self.estimator is not None else default_regressor()
        if cv == "prefit":
            check_prefit(estimator)
            X_cal, y_cal = X, y
        else:
            size = check_fraction("calibration_size", self.calibration_size)
            train, cal = train_test_split(
                np.arange(y.shape[0]), test_size=size, random_state=self.random_state
            )
            estimator = fit_clone(estimator, take_rows(X, train), y[train], None)
            X_cal, y_cal = take_rows(X, cal), y[cal]
            weights = None if weights is None else weights[cal]
        check_has_method(estimator, "predict")
        self.estimator_ = estimator
        if method == "cqr":
            bounds = _quantile_bounds(estimator, X_cal)
            scores = np.maximum(bounds[:, 0] - y_cal, y_cal - bounds[:, 1])
        else:
            scores = np.abs(y_cal - np.asarray(estimator.predict(X_cal), dtype=np.float64))
        self.conformity_scores_ = scores
        # The calibration covariates are kept: fit_shift weighs them against the target ones.
        self.X_calibration_ = X_cal
        self._set_calibration_weights(weights)
        self.domain_classifier_ = None
        return self

    def _set_calibration_weights(self, weights: np.ndarray | None) -> None:
        self.calibration_weights_ = weights
        if weights is None:
            self.effective_sample_size_ = float(self.conformity_scores_.shape[0])
        else:
            self.effective_sample_size_ = float(weights.sum() ** 2 / np.sum(weights**2))

    def fit_shift(self, X_target: Any) -> WeightedConformalRegressor:
        """Estimate ``w(x)`` from unlabelled target covariates and weigh the calibration rows.

        A classifier is trained on calibration (0) against target (1) rows; by Bayes' rule
        ``w(x) = P(1 | x) / P(0 | x) * n_cal / n_target`` (the odds, corrected for the class
        sizes). The calibration rows' own weights come from the same classifier.

        Parameters
        ----------
        X_target : array-like (n_target, n_features)
            Covariates of the population the intervals are for (the test rows, or a sample of
            them); no labels needed.
        """
        check_is_fitted(self, "conformity_scores_")
        X_target = validate_input(self, X_target, reset=False)
        X_cal = self.X_calibration_
        n_cal, n_target = n_rows(X_cal), n_rows(X_target)
        if n_target < 2:
            raise ValueError(f"X_target has {n_target} rows; valid: at least 2")
        if hasattr(X_cal, "iloc"):
            import pandas as pd

            stacked = pd.concat([X_cal, X_target], ignore_index=True)
        else:
            stacked = np.vstack([np.asarray(X_cal), np.asarray(X_target)])
        domain = np.r_[np.zeros(n_cal), np.ones(n_target)].astype(int)
        classifier = clone(
            self.domain_classifier
            if self.domain_classifier is not None
            else default_domain_classifier()
        )
        check_has_method(classifier, "predict_proba", "domain_classifier")
        self.domain_classifier_ = classifier.fit(stacked, domain)
        self.domain_size_ratio_ = n_cal / n_target
        self._set_calibration_weights(self.likelihood_ratio(X_cal))
        return self

    def likelihood_ratio(self, X: Any) -> np.ndarray:
        """Estimated ``w(x) = dP_target / dP_calibration`` at the rows of ``X`` (after
        :meth:`fit_shift`)."""
        if getattr(self, "domain_classifier_", None) is None:
            raise ValueError("no domain classifier: call fit_shift(X_target) first")
        proba = np.asarray(self.domain_classifier_.predict_proba(X), dtype=np.float64)
        classes = list(self.domain_classifier_.classes_)
        p_target = proba[:, classes.index(1)]
        # Odds are unbounded as p -> 1; the floor keeps a sure classifier from dividing by 0.
        odds = p_target / np.maximum(1.0 - p_target, 1e-12)
        weights = odds * self.domain_size_ratio_
        if self.max_weight is not None:
            weights = np.minimum(weights, float(self.max_weight))
        return weights

    # -- prediction ---------------------------------------------------------------------------
    def predict(self, X: Any) -> np.ndarray:
        """Point predictions (CQR: the middle of the quantile interval)."""
        check_is_fitted(self, "conformity_scores_")
        X = validate_input(self, X, reset=False)
        if self.method == "cqr":
            return _quantile_bounds(self.estimator_, X).mean(axis=1)
        return np.asarray(self.estimator_.predict(X), dtype=np.float64)

    def predict_interval(self, X: Any, alpha: Any = 0.1, test_weights: Any = None) -> np.ndarray:
        """Intervals with coverage ``>= 1 - alpha`` under the covariate shift the weights
        describe.

        Parameters
        ----------
        X : array-like (n_samples, n_features)
        alpha : float or sequence of floats in (0, 1)
        test_weights : array-like (n_samples,), optional
            ``w(x)`` of the rows of ``X``; None estimates them with the domain classifier
            (:meth:`fit_shift`). Without calibration weights from either source the weights are
            all 1 and the intervals are the plain split ones.

        Returns
        -------
        ndarray
            (n_samples, 2) for one ``alpha``, (n_samples, n_alphas, 2) for a sequence. A row
            whose own weight is too large a share of the total gets infinite bounds.
        """
        check_is_fitted(self, "conformity_scores_")
        X = validate_input(self, X, reset=False)
        alphas, single = check_alphas(alpha)
        m = n_rows(X)
        cal_weights = self.calibration_weights_
        if test_weights is not None:
            test = _check_weights("test_weights", test_weights, m)
        elif self.domain_classifier_ is not None:
            test = self.likelihood_ratio(X)
        elif cal_weights is None:
            test = np.ones(m)
        else:
            raise ValueError(
                "calibration_weights were given but test_weights were not; pass test_weights "
                "(one per row of X) or call fit_shift(X_target)"
            )
        if cal_weights is None:
            cal_weights = np.ones(self.conformity_scores_.shape[0])
        if self.method == "cqr":
            bounds = _quantile_bounds(self.estimator_, X)
            low, high = bounds[:, 0], bounds[:, 1]
        else:
            low = high = np.asarray(self.estimator_.predict(X), dtype=np.float64)
        out = np.empty((m, alphas.shape[0], 2))
        for j, a in enumerate(alphas):
            q = weighted_conformal_quantile(self.conformity_scores_, cal_weights, test, a)
            out[:, j, 0] = low - q
            out[:, j, 1] = high + q
        return out[:, 0, :] if single else out
