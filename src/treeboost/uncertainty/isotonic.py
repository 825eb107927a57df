"""Isotonic regression by the pool-adjacent-violators algorithm, and the isotonic and sigmoid
(Platt) calibration maps built on a classifier's scores."""

from __future__ import annotations

import numpy as np


def tied_groups(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by ``x`` and merge equal ``x`` values: (distinct x, summed weight, summed w * y)."""
    if weight is None:
        weight = np.ones_like(x)
    order = np.argsort(x, kind="stable")
    x_sorted = x[order]
    starts = np.flatnonzero(np.r_[True, x_sorted[1:] != x_sorted[:-1]])
    sum_weight = np.add.reduceat(weight[order], starts)
    sum_wy = np.add.reduceat((weight * y)[order], starts)
    return x_sorted[starts], sum_weight, sum_wy


def pool_adjacent_violators(values: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted least-squares non-decreasing fit of ``values`` (already in x order).

    One pass with a stack of blocks: a new value that is below the last block's mean is pooled
    with it, and pooling repeats while the merged block still violates the order. O(n).
    """
    block_sum: list[float] = []
    block_weight: list[float] = []
    block_size: list[int] = []
    for value, w in zip(values.tolist(), weight.tolist()):
        s, v, m = value * w, w, 1
        while block_weight and block_sum[-1] * v >= s * block_weight[-1]:
            # The previous block's mean is >= this one's: pool them.
            s += block_sum.pop()
            v += block_weight.pop()
            m += block_size.pop()
        block_sum.append(s)
        block_weight.append(v)
        block_size.append(m)
    means = np.array(block_sum) / np.array(block_weight)
    return np.repeat(means, block_size)


class IsotonicCalibrator:
    """Non-decreasing map from scores to probabilities, fitted by isotonic regression.

    Between the distinct calibration scores the map interpolates linearly; outside their range
    it stays at the end values (scikit-learn's ``IsotonicRegression(out_of_bounds="clip")``).
    """

    def fit(self, scores: np.ndarray, labels: np.ndarray, weight: np.ndarray | None = None):
        x, sum_weight, sum_wy = tied_groups(scores, labels.astype(np.float64), weight)
        positive = sum_weight > 0
        x, sum_weight, sum_wy = x[positive], sum_weight[positive], sum_wy[positive]
        self.x_ = x
        self.fitted_ = pool_adjacent_violators(sum_wy / sum_weight, sum_weight)
        return self

    def predict(self, scores: np.ndarray) -> np.ndarray:
        return np.interp(scores, self.x_, self.fitted_)


class SigmoidCalibrator:
    """Platt scaling: ``P(y = 1 | s) = 1 / (1 + exp(a * s + b))``.

    ``a`` and ``b`` minimise the cross-entropy against Platt's smoothed targets
    ``(n_pos + 1) / (n_pos + 2)`` and ``1 / (n_neg + 2)`` (Platt 1999, section 2.2), by Newton's
    method with a backtracking line search (Lin, Lin and Weng 2007), run to a gradient of
    ~1e-12 so the optimum is reproducible to many digits.
    """

    max_iterations = 100

    def fit(self, scores: np.ndarray, labels: np.ndarray, weight: np.ndarray | None = None):
        s = np.asarray(scores, dtype=np.float64)
        w = np.ones_like(s) if weight is None else np.asarray(weight, dtype=np.float64)
        positive = labels > 0
        prior1, prior0 = w[positive].sum(), w[~positive].sum()
        target = np.where(positive, (prior1 + 1.0) / (prior1 + 2.0), 1.0 / (prior0 + 2.0))
        # Rescale large scores (e.g. margins) so that the Hessian stays well conditioned; the
        # model is linear in s, so the fitted probabilities do not depend on the scale.
        scale = max(1.0, float(np.max(np.abs(s)))) if s.size else 1.0
        s = s / scale

        def loss(a: float, b: float) -> float:
            u = a * s + b
            return float(np.dot(w, np.logaddexp(0.0, u) - (1.0 - target) * u))

        a, b = 0.0, float(np.log((prior0 + 1.0) / (prior1 + 1.0)))
        current = loss(a, b)
        for _ in range(self.max_iterations):
            p = 0.5 * (1.0 - np.tanh(0.5 * (a * s + b)))  # 1 / (1 + exp(u)), overflow-free
            residual = w * (target - p)
            gradient = np.array([np.dot(residual, s), residual.sum()])
            curvature = w * p * (1.0 - p)
            hessian = np.array(
                [
                    [np.dot(curvature, s * s), np.dot(curvature, s)],
                    [np.dot(curvature, s), curvature.sum()],
                ]
            )
            hessian += 1e-12 * np.eye(2)
            if np.max(np.abs(gradient)) < 1e-12 * max(1.0, w.sum()):
                break
            step = np.linalg.solve(hessian, gradient)
            t = 1.0
            while t > 1e-10:
                trial = loss(a - t * step[0], b - t * step[1])
                if trial <= current + 1e-4 * t * float(np.dot(gradient, -step)):
                    break
                t *= 0.5
            if t <= 1e-10:
                break
            a, b, current = a - t * step[0], b - t * step[1], trial
        self.a_ = a / scale
        self.b_ = b
        return self

    def predict(self, scores: np.ndarray) -> np.ndarray:
        u = self.a_ * np.asarray(scores, dtype=np.float64) + self.b_
        return 0.5 * (1.0 - np.tanh(0.5 * u))
