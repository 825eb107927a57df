"""Regression objectives."""

from __future__ import annotations

import numpy as np

from treeboost.kernels.objectives import fill_squared_error_gradients
from treeboost.objectives.base import (
    Objective,
    as_labels,
    as_margin,
    as_weight,
    check_gh_out,
    margin_rows,
    weights_or_ones,
)


class SquaredErrorObjective(Objective):
    """``reg:squarederror``: loss 0.5 * (margin - y)**2, identity link.

    The gradient is ``margin - y`` and the hessian 1, each times the sample weight.
    """

    name = "reg:squarederror"
    is_multiclass = False
    default_metric = "rmse"

    def __init__(self) -> None:
        super().__init__(n_outputs=1)

    def validate_labels(self, y: np.ndarray, weight: np.ndarray | None) -> None:
        """Accept any finite 1-d label."""
        as_labels(y, self.name)

    def init_margin(self, y: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
        """Return the weighted mean label (0 when the weights sum to 0), shape (1,)."""
        y = as_labels(y, self.name)
        w = weights_or_ones(weight, y.shape[0])
        total = w.sum()
        mean = float(np.dot(w, y) / total) if total > 0 else 0.0
        return np.array([mean], dtype=np.float64)

    def base_score_to_margin(self, base_score: float) -> np.ndarray:
        """Return ``[base_score]``: the link is the identity."""
        base_score = float(base_score)
        if not np.isfinite(base_score):
            raise ValueError(f"base_score must be finite for {self.name}; got {base_score!r}")
        return np.array([base_score], dtype=np.float64)

    def gradient_hessian(
        self,
        y: np.ndarray,
        margin: np.ndarray,
        weight: np.ndarray | None,
        gh_out: np.ndarray,
        n_threads: int = 1,
    ) -> None:
        """Write g = w * (margin - y) and h = w into ``gh_out[0]``; see :class:`Objective`."""
        y = np.ascontiguousarray(y, dtype=np.float64)
        n = y.shape[0]
        check_gh_out(gh_out, n, 1)
        fill_squared_error_gradients(y, as_margin(margin, n, 1), as_weight(weight, n), gh_out)

    def transform(self, margin: np.ndarray) -> np.ndarray:
        """Return the margin as predictions, shape (n_rows,)."""
        return margin_rows(margin)[:, 0].copy()
