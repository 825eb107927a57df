"""Binary classification objectives."""

from __future__ import annotations

import numpy as np

from ..kernels.objectives import fill_logistic_gradients
from .base import (
    HESSIAN_FLOOR,
    Objective,
    as_labels,
    as_margin,
    as_weight,
    check_gh_out,
    exact_sum,
    margin_rows,
    weights_or_ones,
)

# The base rate is clipped away from 0 and 1 so that its logit stays finite.
_BASE_RATE_CLIP = 1e-6


class LogisticObjective(Objective):
    """``binary:logistic``: cross-entropy of labels in [0, 1] against ``sigmoid(margin)``.

    Parameters
    ----------
    scale_pos_weight : float, default=1.0
        Extra weight of the rows whose label is exactly 1 (as in XGBoost): their gradient and
        hessian, and their share of the base rate in :meth:`init_margin`, are multiplied by it.
    """

    name = "binary:logistic"
    is_multiclass = False
    default_metric = "logloss"

    def __init__(self, scale_pos_weight: float = 1.0) -> None:
        super().__init__(n_outputs=1)
        scale_pos_weight = float(scale_pos_weight)
        if not (np.isfinite(scale_pos_weight) and scale_pos_weight > 0):
            raise ValueError(
                f"scale_pos_weight must be a finite number > 0; got {scale_pos_weight!r}"
            )
        self.scale_pos_weight = scale_pos_weight

    def validate_labels(self, y: np.ndarray, weight: np.ndarray | None) -> None:
        """Require labels in [0, 1] (probabilities are allowed) that are not all identical."""
        y = as_labels(y, self.name)
        if y.size == 0:
            raise ValueError(f"{self.name} needs at least one labelled row")
        outside = (y < 0.0) | (y > 1.0)
        if outside.any():
            raise ValueError(
                f"{self.name} needs labels in [0, 1]; got {float(y[outside][0])!r} "
                f"({int(outside.sum())} of {y.size} labels outside)"
            )
        if np.all(y == y[0]):
            raise ValueError(
                f"{self.name} needs both classes in the label; got only {float(y[0])!r} "
                f"in all {y.size} rows"
            )

    def _row_weights(self, y: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
        w = weights_or_ones(weight, y.shape[0])
        if self.scale_pos_weight != 1.0:
            w = np.where(y == 1.0, w * self.scale_pos_weight, w)
        return w

    def init_margin(self, y: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
        """Return the logit of the weighted positive rate, clipped to [1e-6, 1 - 1e-6]."""
        y = as_labels(y, self.name)
        w = self._row_weights(y, weight)
        # Exact sums: the rate does not depend on row order (nor on how Dask splits the rows).
        total = exact_sum(w)
        rate = float(exact_sum(w * y) / total) if total > 0 else 0.5
        rate = min(max(rate, _BASE_RATE_CLIP), 1.0 - _BASE_RATE_CLIP)
        return np.array([np.log(rate / (1.0 - rate))], dtype=np.float64)

    def base_score_to_margin(self, base_score: float) -> np.ndarray:
        """Return ``[logit(base_score)]``; ``base_score`` is a probability in (0, 1)."""
        base_score = float(base_score)
        if not 0.0 < base_score < 1.0:
            raise ValueError(
                f"base_score must be a probability in (0, 1) for {self.name}; got {base_score!r}"
            )
        return np.array([np.log(base_score / (1.0 - base_score))], dtype=np.float64)

    def gradient_hessian(
        self,
        y: np.ndarray,
        margin: np.ndarray,
        weight: np.ndarray | None,
        gh_out: np.ndarray,
        n_threads: int = 1,
    ) -> None:
        """Write g = w' (p - y), h = w' max(p (1 - p), 1e-16); see :class:`Objective`.

        ``w'`` is the sample weight, times ``scale_pos_weight`` on rows labelled 1.
        """
        y = np.ascontiguousarray(y, dtype=np.float64)
        n = y.shape[0]
        check_gh_out(gh_out, n, 1)
        fill_logistic_gradients(
            y,
            as_margin(margin, n, 1),
            as_weight(weight, n),
            self.scale_pos_weight,
            HESSIAN_FLOOR,
            gh_out,
        )

    def transform(self, margin: np.ndarray) -> np.ndarray:
        """Return ``sigmoid(margin)``, the probability of class 1, shape (n_rows,)."""
        m = margin_rows(margin)[:, 0]
        # Stable sigmoid from exp(-|m|) (never overflows); scipy.special is not imported because
        # it would add a fifth of a second to ``import treeboost``.
        e = np.exp(-np.abs(m))
        return np.where(m >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class LogitRawObjective(LogisticObjective):
    """``binary:logitraw``: trained like ``binary:logistic``; predictions are the raw log-odds.
    Evaluation metrics (logloss, error, auc) see probabilities."""

    name = "binary:logitraw"
    default_metric = "auc"

    def transform(self, margin: np.ndarray) -> np.ndarray:
        """Return the margins (log-odds) unchanged, shape (n_rows,)."""
        return margin_rows(margin)[:, 0].copy()

    def eval_transform(self, margin: np.ndarray) -> np.ndarray:
        return LogisticObjective.transform(self, margin)
