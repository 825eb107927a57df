"""Losses of the boosting loop: value, negative gradient, starting constant and the step.

Shapes: ``y`` is (n,) (targets, or class codes 0/1 for the logistic loss) or (n, k) one-hot
rows for the multinomial loss; ``raw`` and a base learner's output ``h`` are (n,) or (n, k).
Every loss minimises the weighted mean over rows; ``step`` minimises the loss along ``h``:
``argmin_rho L(raw + rho * h)`` (the line search of Friedman 2001, eq. 12).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logsumexp, softmax

from .line_search import newton_1d, weighted_median


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    i = min(int(np.searchsorted(cumulative, q * cumulative[-1])), len(values) - 1)
    return float(values[order][i])


class Loss:
    """Base of the losses: one per-row function, its gradient and the line search."""

    name = ""
    is_classification = False

    def init_raw(self, y: np.ndarray, w: np.ndarray) -> np.ndarray:
        """The constant raw prediction that minimises the loss: shape (k,) or ()."""
        raise NotImplementedError

    def __call__(self, y: np.ndarray, raw: np.ndarray, w: np.ndarray) -> float:
        """Weighted mean loss."""
        raise NotImplementedError

    def negative_gradient(self, y: np.ndarray, raw: np.ndarray) -> np.ndarray:
        """The pseudo-residuals the next base learner is fitted to."""
        raise NotImplementedError

    def step(self, y: np.ndarray, raw: np.ndarray, h: np.ndarray, w: np.ndarray) -> float:
        """``argmin_rho L(raw + rho * h)``."""
        raise NotImplementedError

    def prepare(self, y: np.ndarray, raw: np.ndarray, w: np.ndarray) -> None:
        """Set per-stage state before the negative gradient (Huber's threshold)."""


class SquaredError(Loss):
    """``(y - F)^2 / 2``; the step has a closed form."""

    name = "squared_error"

    def init_raw(self, y, w):
        return np.asarray(np.average(y, weights=w))

    def __call__(self, y, raw, w):
        return float(np.average(0.5 * (y - raw) ** 2, weights=w))

    def negative_gradient(self, y, raw):
        return y - raw

    def step(self, y, raw, h, w):
        # d/drho sum w (r - rho h)^2 = 0  =>  rho = sum w r h / sum w h^2
        denominator = float(np.sum(w * h * h))
        return float(np.sum(w * (y - raw) * h)) / denominator if denominator > 0 else 0.0


class AbsoluteError(Loss):
    """``|y - F|``; the step is a weighted median."""

    name = "absolute_error"

    def init_raw(self, y, w):
        return np.asarray(weighted_median(y, w))

    def __call__(self, y, raw, w):
        return float(np.average(np.abs(y - raw), weights=w))

    def negative_gradient(self, y, raw):
        return np.sign(y - raw)

    def step(self, y, raw, h, w):
        # sum w |r - rho h| = sum (w |h|) |r/h - rho| over rows with h != 0: a weighted median.
        moving = h != 0
        if not np.any(moving & (w > 0)):
            return 0.0
        r = (y - raw)[moving] / h[moving]
        return weighted_median(r, (w * np.abs(h))[moving])


class Huber(Loss):
    """Squared error within ``delta`` of the target, absolute error beyond it.

    ``delta`` is the ``alpha`` quantile of ``|y - F|`` at the start of each stage (as in
    Friedman 2001, algorithm 4), then held fixed for the stage's gradient and step.
    """

    name = "huber"

    def __init__(self, alpha: float = 0.9):
        self.alpha = alpha
        self.delta = 1.0

    def init_raw(self, y, w):
        return np.asarray(weighted_median(y, w))

    def prepare(self, y, raw, w):
        self.delta = max(_weighted_quantile(np.abs(y - raw), w, self.alpha), 1e-12)

    def __call__(self, y, raw, w):
        r = np.abs(y - raw)
        d = self.delta
        per_row = np.where(r <= d, 0.5 * r * r, d * (r - 0.5 * d))
        return float(np.average(per_row, weights=w))

    def negative_gradient(self, y, raw):
        return np.clip(y - raw, -self.delta, self.delta)

    def step(self, y, raw, h, w):
        r = y - raw
        d = self.delta

        def derivatives(rho):
            residual = r - rho * h
            inside = np.abs(residual) <= d
            first = -float(np.sum(w * h * np.clip(residual, -d, d)))
            return first, float(np.sum(w * h * h * inside))

        return newton_1d(derivatives) if np.any(h * w != 0) else 0.0


class Logistic(Loss):
    """Binary log loss on the log-odds ``F``: ``log(1 + e^F) - y F``."""

    name = "log_loss"
    is_classification = True

    def init_raw(self, y, w):
        p = np.clip(np.average(y, weights=w), 1e-12, 1 - 1e-12)
        return np.asarray(np.log(p / (1 - p)))

    def __call__(self, y, raw, w):
        return float(np.average(np.logaddexp(0.0, raw) - y * raw, weights=w))

    def negative_gradient(self, y, raw):
        return y - expit(raw)

    def step(self, y, raw, h, w):
        def derivatives(rho):
            p = expit(raw + rho * h)
            return float(np.sum(w * h * (p - y))), float(np.sum(w * h * h * p * (1 - p)))

        return newton_1d(derivatives) if np.any(h * w != 0) else 0.0


class Multinomial(Loss):
    """Multiclass log loss on k raw scores: ``logsumexp(F) - F[y]``; ``y`` one-hot (n, k)."""

    name = "log_loss"
    is_classification = True

    def init_raw(self, y, w):
        prior = np.clip(np.average(y, weights=w, axis=0), 1e-12, None)
        log_prior = np.log(prior)
        return log_prior - log_prior.mean()

    def __call__(self, y, raw, w):
        per_row = logsumexp(raw, axis=1) - np.sum(y * raw, axis=1)
        return float(np.average(per_row, weights=w))

    def negative_gradient(self, y, raw):
        return y - softmax(raw, axis=1)

    def step(self, y, raw, h, w):
        # One step for all k outputs: the base learner is one multi-output model.
        def derivatives(rho):
            p = softmax(raw + rho * h, axis=1)
            ph = np.sum(p * h, axis=1)
            first = float(np.sum(w * (ph - np.sum(y * h, axis=1))))
            second = float(np.sum(w * (np.sum(p * h * h, axis=1) - ph * ph)))
            return first, second

        return newton_1d(derivatives) if np.any(h * w[:, None] != 0) else 0.0


REGRESSION_LOSSES = ("squared_error", "absolute_error", "huber")
CLASSIFICATION_LOSSES = ("log_loss",)


def get_loss(name: str, n_classes: int = 0, alpha: float = 0.9) -> Loss:
    """The loss object for ``name``: a regression loss, or ``log_loss`` with ``n_classes``."""
    if n_classes:
        if name not in CLASSIFICATION_LOSSES:
            raise ValueError(f"loss={name!r} is not supported; use one of {CLASSIFICATION_LOSSES}")
        return Logistic() if n_classes == 2 else Multinomial()
    if name == "squared_error":
        return SquaredError()
    if name == "absolute_error":
        return AbsoluteError()
    if name == "huber":
        return Huber(alpha)
    raise ValueError(f"loss={name!r} is not supported; use one of {REGRESSION_LOSSES}")
