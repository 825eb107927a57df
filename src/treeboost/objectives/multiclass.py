"""Multiclass objectives."""

from __future__ import annotations

import numpy as np

from ..kernels.objectives import fill_softmax_gradients
from .base import (
    HESSIAN_FLOOR,
    Objective,
    as_labels,
    as_margin,
    as_weight,
    check_gh_out,
    margin_rows,
    weights_or_ones,
)

# Class frequencies are clipped from below so that an absent class keeps a finite log.
_FREQUENCY_CLIP = 1e-6


class SoftprobObjective(Objective):
    """``multi:softprob``: softmax cross-entropy over ``num_class`` outputs.

    Labels are class indices 0..num_class-1 (stored as floats). Predictions are the class
    probabilities, shape (n_rows, num_class).

    Parameters
    ----------
    num_class : int
        Number of classes, at least 2.
    """

    name = "multi:softprob"
    is_multiclass = True
    default_metric = "mlogloss"

    def __init__(self, num_class: int) -> None:
        if isinstance(num_class, bool) or not isinstance(num_class, (int, np.integer)):
            raise ValueError(
                f"{self.name} needs num_class, an integer >= 2; got num_class={num_class!r}"
            )
        if num_class < 2:
            raise ValueError(
                f"{self.name} needs num_class >= 2 (the number of classes); "
                f"got num_class={int(num_class)}"
            )
        super().__init__(n_outputs=int(num_class))

    @property
    def num_class(self) -> int:
        """Number of classes (equal to ``n_outputs``)."""
        return self.n_outputs

    def validate_labels(self, y: np.ndarray, weight: np.ndarray | None) -> None:
        """Require integer labels in 0..num_class-1 with at least two distinct classes."""
        y = as_labels(y, self.name)
        k = self.n_outputs
        bad = (y != np.floor(y)) | (y < 0) | (y > k - 1)
        if bad.any():
            raise ValueError(
                f"{self.name} needs integer class labels in 0..{k - 1} (num_class={k}); "
                f"got {float(y[bad][0])!r} ({int(bad.sum())} of {y.size} labels invalid)"
            )
        present = np.unique(y)
        if present.size < 2:
            got = f"only class {int(present[0])}" if present.size else "no rows"
            raise ValueError(
                f"{self.name} needs at least 2 distinct classes in the label; got {got}"
            )

    def init_margin(self, y: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
        """Return the centred log of the weighted class frequencies, shape (num_class,).

        Each frequency is clipped to at least 1e-6; centring (subtracting the mean log) leaves
        the softmax unchanged and keeps margins near zero.
        """
        y = as_labels(y, self.name)
        k = self.n_outputs
        w = weights_or_ones(weight, y.shape[0])
        counts = np.bincount(y.astype(np.intp), weights=w, minlength=k)[:k]
        total = counts.sum()
        freq = counts / total if total > 0 else np.full(k, 1.0 / k)
        log_freq = np.log(np.maximum(freq, _FREQUENCY_CLIP))
        return (log_freq - log_freq.mean()).astype(np.float64)

    def base_score_to_margin(self, base_score: float) -> np.ndarray:
        """Return a zero margin for every class, whatever ``base_score`` is.

        A single scalar cannot describe k class probabilities; like XGBoost's multi:softprob,
        ``base_score`` has no effect here (all classes start equally likely).
        """
        return np.zeros(self.n_outputs, dtype=np.float64)

    def gradient_hessian(
        self,
        y: np.ndarray,
        margin: np.ndarray,
        weight: np.ndarray | None,
        gh_out: np.ndarray,
        n_threads: int = 1,
    ) -> None:
        """Write g_k = w (p_k - [y == k]), h_k = w max(2 p_k (1 - p_k), 1e-16).

        See :class:`Objective`. ``p`` is the softmax of the margin row.
        """
        y = np.ascontiguousarray(y, dtype=np.float64)
        n = y.shape[0]
        k = self.n_outputs
        check_gh_out(gh_out, n, k)
        fill_softmax_gradients(
            y, as_margin(margin, n, k), as_weight(weight, n), HESSIAN_FLOOR, gh_out
        )

    def transform(self, margin: np.ndarray) -> np.ndarray:
        """Return the class probabilities, shape (n_rows, num_class) (softmax, max-shifted)."""
        margin = margin_rows(margin)
        if margin.shape[1] != self.n_outputs:
            raise ValueError(
                f"margin must have {self.n_outputs} columns for {self.name}; "
                f"got shape {margin.shape}"
            )
        shifted = np.exp(margin - margin.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)


class SoftmaxObjective(SoftprobObjective):
    """``multi:softmax``: trained exactly like ``multi:softprob``; predictions are the most
    probable class index (as float), while evaluation metrics still see probabilities."""

    name = "multi:softmax"
    default_metric = "mlogloss"

    def transform(self, margin: np.ndarray) -> np.ndarray:
        """Return the index of the largest margin of each row, as float64 (n_rows,)."""
        return np.argmax(margin_rows(margin), axis=1).astype(np.float64)

    def eval_transform(self, margin: np.ndarray) -> np.ndarray:
        return SoftprobObjective.transform(self, margin)
