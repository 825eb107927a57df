"""A trained :class:`~treeboost.Booster` seen as a fitted scikit-learn classifier or regressor,
so that calibration and conformal prediction can wrap a model read from a file (``cv="prefit"``)
and save it again with :mod:`.persist`."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

__all__ = ["BoosterClassifier", "BoosterRegressor"]


class _BoosterModel(BaseEstimator):
    def __init__(self, booster: Any = None) -> None:
        self.booster = booster

    def fit(self, X: Any, y: Any) -> _BoosterModel:
        raise NotImplementedError(
            f"{type(self).__name__} wraps a trained Booster and is used as it is; train a new "
            "model with treeboost.train or a TreeBoost estimator instead"
        )

    def __sklearn_is_fitted__(self) -> bool:
        return self.booster is not None


class BoosterClassifier(ClassifierMixin, _BoosterModel):
    """A trained classification Booster (``binary:logistic``, ``multi:softprob``) as a fitted
    classifier with classes ``0 .. k-1``.

    Parameters
    ----------
    booster : Booster
        The trained model; it is used as it is (``fit`` is not available).
    """

    @property
    def classes_(self) -> np.ndarray:
        return np.arange(max(2, self.booster.n_outputs))

    def decision_function(self, X: Any) -> np.ndarray:
        """Raw margins (log-odds): what Platt scaling is defined on, and what calibration maps."""
        return self.booster.predict(X, output_margin=True)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes)."""
        prob = self.booster.predict(X)
        return np.column_stack([1.0 - prob, prob]) if prob.ndim == 1 else prob

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class index."""
        return np.argmax(self.predict_proba(X), axis=1)


class BoosterRegressor(RegressorMixin, _BoosterModel):
    """A trained regression Booster as a fitted regressor; a multi-quantile model
    (``reg:quantileerror`` with several ``quantile_alpha``) predicts (n, k) quantiles, which
    conformalized quantile regression reads.

    Parameters
    ----------
    booster : Booster
        The trained model; it is used as it is (``fit`` is not available).
    """

    def predict(self, X: Any) -> np.ndarray:
        """The Booster's predictions."""
        return self.booster.predict(X)
