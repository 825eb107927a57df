"""Evaluation metrics computed on evaluation sets during training.

Every metric takes the labels, the *transformed* predictions (values for regression, the
probability of class 1 for binary, an (n, k) probability matrix for multiclass) and optional
sample weights, and returns a weighted average as a Python float. Build one by name with
:func:`get_metric`, or call the module-level functions directly.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

import numpy as np

from . import ranking as _ranking
from . import survival as _survival
from .base import Metric

__all__ = [
    "METRIC_NAMES",
    "Metric",
    "auc",
    "aucpr",
    "expectile_loss",
    "gamma_deviance",
    "gamma_nloglik",
    "mape",
    "mphe",
    "poisson_nloglik",
    "quantile_loss",
    "rmsle",
    "tweedie_nloglik",
    "error",
    "get_metric",
    "logloss",
    "mae",
    "merror",
    "mlogloss",
    "rmse",
]

# Probabilities are clipped before taking logs so that one confident mistake costs ~34.5 nats
# instead of an infinite loss.
_PROB_CLIP = 1e-15


def _labels(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"labels must be 1-d; got shape {y.shape}")
    return y


def _weights(weight: np.ndarray | None, n: int) -> np.ndarray:
    if weight is None:
        return np.ones(n, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    if weight.shape != (n,):
        raise ValueError(f"weight must have shape ({n},); got {weight.shape}")
    return weight


def _vector_prediction(prediction: np.ndarray, n: int, metric: str) -> np.ndarray:
    p = np.asarray(prediction, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if p.shape != (n,):
        raise ValueError(f"{metric} needs predictions of shape ({n},); got {p.shape}")
    return p


def _matrix_prediction(prediction: np.ndarray, n: int, metric: str) -> np.ndarray:
    p = np.asarray(prediction, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] != n:
        raise ValueError(
            f"{metric} needs class probabilities of shape ({n}, n_classes); got {p.shape}"
        )
    return p


def _class_indices(y: np.ndarray, n_classes: int, metric: str) -> np.ndarray:
    classes = y.astype(np.intp)
    if np.any(classes != y) or np.any(classes < 0) or np.any(classes >= n_classes):
        raise ValueError(f"{metric} needs integer labels in 0..{n_classes - 1}")
    return classes


def _weighted_mean(values: np.ndarray, w: np.ndarray) -> float:
    total = w.sum()
    if total <= 0:
        return float("nan")
    return float(np.dot(w, values) / total)


def _targets(y, prediction, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Labels and predictions of the same shape, (n,) or (n, k) for multi-output regression."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 2:
        p = np.asarray(prediction, dtype=np.float64)
        if p.shape != y.shape:
            raise ValueError(f"{metric} needs predictions of shape {y.shape}; got {p.shape}")
        return y, p
    y = _labels(y)
    return y, _vector_prediction(prediction, y.shape[0], metric)


def _row_mean(values: np.ndarray) -> np.ndarray:
    return values.mean(axis=1) if values.ndim == 2 else values


def rmse(y: np.ndarray, prediction: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Root of the weighted mean squared error (over all targets for a 2-d label)."""
    y, p = _targets(y, prediction, "rmse")
    return float(np.sqrt(_weighted_mean(_row_mean((p - y) ** 2), _weights(weight, y.shape[0]))))


def mae(y: np.ndarray, prediction: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Weighted mean absolute error (over all targets for a 2-d label)."""
    y, p = _targets(y, prediction, "mae")
    return _weighted_mean(_row_mean(np.abs(p - y)), _weights(weight, y.shape[0]))


def rmsle(y: np.ndarray, prediction: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Root mean squared error of log1p(prediction) against log1p(y); inputs must be > -1."""
    y, p = _targets(y, prediction, "rmsle")
    p = np.maximum(p, -1.0 + 1e-6)
    d = np.log1p(p) - np.log1p(y)
    return float(np.sqrt(_weighted_mean(_row_mean(d * d), _weights(weight, y.shape[0]))))


def mape(y: np.ndarray, prediction: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Weighted mean of |y - prediction| / |y| (rows with y = 0 are infinite, as XGBoost)."""
    y, p = _targets(y, prediction, "mape")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(y - p) / np.abs(y)
    return _weighted_mean(_row_mean(ratio), _weights(weight, y.shape[0]))


def mphe(
    y: np.ndarray, prediction: np.ndarray, weight: np.ndarray | None = None, slope: float = 1.0
) -> float:
    """Weighted mean pseudo-Huber error slope**2 * (sqrt(1 + ((p - y) / slope)**2) - 1)."""
    y, p = _targets(y, prediction, "mphe")
    z = (p - y) / slope
    return _weighted_mean(
        _row_mean(slope * slope * (np.sqrt(1.0 + z * z) - 1.0)), _weights(weight, y.shape[0])
    )


def _level_columns(y, prediction, levels, metric: str) -> tuple[np.ndarray, np.ndarray]:
    y = _labels(y)
    levels = np.atleast_1d(np.asarray(levels, dtype=np.float64))
    p = np.asarray(prediction, dtype=np.float64)
    if p.ndim == 1:
        p = p.reshape(-1, 1)
    if p.shape != (y.shape[0], levels.shape[0]):
        raise ValueError(
            f"{metric} with {levels.shape[0]} levels needs predictions of shape "
            f"({y.shape[0]}, {levels.shape[0]}); got {p.shape}"
        )
    return y, p


def quantile_loss(
    y: np.ndarray,
    prediction: np.ndarray,
    weight: np.ndarray | None = None,
    alpha: float | list[float] = 0.5,
) -> float:
    """Weighted mean pinball loss, averaged over the levels ``alpha`` (one prediction column
    per level): alpha * (y - q) above the quantile q, (1 - alpha) * (q - y) below it."""
    y, p = _level_columns(y, prediction, alpha, "quantile")
    a = np.atleast_1d(np.asarray(alpha, dtype=np.float64))
    d = y[:, None] - p
    loss = np.where(d >= 0, a * d, (a - 1.0) * d).mean(axis=1)
    return _weighted_mean(loss, _weights(weight, y.shape[0]))


def expectile_loss(
    y: np.ndarray,
    prediction: np.ndarray,
    weight: np.ndarray | None = None,
    alpha: float | list[float] = 0.5,
) -> float:
    """Weighted mean asymmetric squared loss |alpha - [y < e]| (y - e)**2, averaged over the
    levels."""
    y, p = _level_columns(y, prediction, alpha, "expectile")
    a = np.atleast_1d(np.asarray(alpha, dtype=np.float64))
    d = y[:, None] - p
    loss = (np.where(d >= 0, a, 1.0 - a) * d * d).mean(axis=1)
    return _weighted_mean(loss, _weights(weight, y.shape[0]))


def poisson_nloglik(
    y: np.ndarray, prediction: np.ndarray, weight: np.ndarray | None = None
) -> float:
    """Weighted mean Poisson negative log likelihood of counts ``y`` at means ``prediction``
    (with the log(y!) term, as XGBoost reports it)."""
    from math import lgamma

    y, p = _targets(y, prediction, "poisson-nloglik")
    p = np.maximum(p, 1e-16)
    log_factorial = np.array([lgamma(v + 1.0) for v in y.ravel()]).reshape(y.shape)
    loss = p - y * np.log(p) + log_factorial
    return _weighted_mean(_row_mean(loss), _weights(weight, y.shape[0]))


def gamma_deviance(
    y: np.ndarray, prediction: np.ndarray, weight: np.ndarray | None = None
) -> float:
    """Weighted mean gamma deviance 2 * (log(p / y) + y / p - 1), for y, p > 0."""
    y, p = _targets(y, prediction, "gamma-deviance")
    p = np.maximum(p, 1e-16)
    y = np.maximum(y, 1e-16)
    loss = 2.0 * (np.log(p / y) + y / p - 1.0)
    return _weighted_mean(_row_mean(loss), _weights(weight, y.shape[0]))


def gamma_nloglik(y: np.ndarray, prediction: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Weighted mean gamma negative log likelihood with unit shape: y / p + log(p)."""
    y, p = _targets(y, prediction, "gamma-nloglik")
    p = np.maximum(p, 1e-16)
    return _weighted_mean(_row_mean(y / p + np.log(p)), _weights(weight, y.shape[0]))


def tweedie_nloglik(
    y: np.ndarray, prediction: np.ndarray, weight: np.ndarray | None = None, rho: float = 1.5
) -> float:
    """Weighted mean Tweedie negative log likelihood (without the term free of the mean):
    -y p^(1-rho) / (1-rho) + p^(2-rho) / (2-rho)."""
    y, p = _targets(y, prediction, "tweedie-nloglik")
    p = np.maximum(p, 1e-16)
    loss = -y * p ** (1.0 - rho) / (1.0 - rho) + p ** (2.0 - rho) / (2.0 - rho)
    return _weighted_mean(_row_mean(loss), _weights(weight, y.shape[0]))


def aucpr(y: np.ndarray, prediction: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Weighted area under the precision-recall curve, as average precision: the precision at
    each distinct score weighted by the recall it adds (a step curve, no interpolation). NaN
    without positives."""
    y = _labels(y)
    p = _vector_prediction(prediction, y.shape[0], "aucpr")
    w = _weights(weight, y.shape[0])
    pos = w * y
    neg = w * (1.0 - y)
    total_pos = pos.sum()
    if total_pos <= 0:
        return float("nan")
    order = np.argsort(-p, kind="stable")
    p_sorted = p[order]
    starts = np.flatnonzero(np.r_[True, p_sorted[1:] != p_sorted[:-1]])
    tp = np.cumsum(np.add.reduceat(pos[order], starts))
    fp = np.cumsum(np.add.reduceat(neg[order], starts))
    precision = tp / np.maximum(tp + fp, 1e-300)
    recall_step = np.diff(np.r_[0.0, tp]) / total_pos
    return float(np.dot(precision, recall_step))


def logloss(y: np.ndarray, prediction: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Weighted mean binary cross-entropy; labels in [0, 1], predictions P(y = 1)."""
    y = _labels(y)
    p = np.clip(_vector_prediction(prediction, y.shape[0], "logloss"), _PROB_CLIP, 1 - _PROB_CLIP)
    losses = -(y * np.log(p) + (1.0 - y) * np.log1p(-p))
    return _weighted_mean(losses, _weights(weight, y.shape[0]))


def error(
    y: np.ndarray,
    prediction: np.ndarray,
    weight: np.ndarray | None = None,
    threshold: float = 0.5,
) -> float:
    """Weighted fraction of rows misclassified when predicting 1 where P(y = 1) > ``threshold``.

    For a label strictly between 0 and 1 a row counts as ``1 - y`` wrong when predicted
    positive and ``y`` wrong when predicted negative, which is the plain error for 0/1 labels.
    """
    y = _labels(y)
    p = _vector_prediction(prediction, y.shape[0], "error")
    wrong = np.where(p > threshold, 1.0 - y, y)
    return _weighted_mean(wrong, _weights(weight, y.shape[0]))


def auc(y: np.ndarray, prediction: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Weighted area under the ROC curve; NaN when only one class is present.

    Tied predictions are one step of the curve (a trapezoid, so a tie counts half). A label
    ``y`` in [0, 1] contributes weight ``w * y`` to the positives and ``w * (1 - y)`` to the
    negatives. Cost: one sort, O(n log n).
    """
    y = _labels(y)
    p = _vector_prediction(prediction, y.shape[0], "auc")
    w = _weights(weight, y.shape[0])
    pos = w * y
    neg = w * (1.0 - y)
    total_pos, total_neg = pos.sum(), neg.sum()
    if total_pos <= 0 or total_neg <= 0:
        return float("nan")
    order = np.argsort(-p, kind="stable")
    p_sorted = p[order]
    # One ROC step per distinct score, from the highest score down.
    starts = np.flatnonzero(np.r_[True, p_sorted[1:] != p_sorted[:-1]])
    step_pos = np.add.reduceat(pos[order], starts)
    step_neg = np.add.reduceat(neg[order], starts)
    pos_before = np.cumsum(step_pos) - step_pos
    area = np.dot(step_neg, pos_before + 0.5 * step_pos)
    return float(area / (total_pos * total_neg))


def mlogloss(y: np.ndarray, prediction: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Weighted mean multiclass cross-entropy of integer labels against (n, k) probabilities."""
    y = _labels(y)
    p = _matrix_prediction(prediction, y.shape[0], "mlogloss")
    classes = _class_indices(y, p.shape[1], "mlogloss")
    p_true = np.clip(p[np.arange(y.shape[0]), classes], _PROB_CLIP, 1 - _PROB_CLIP)
    return _weighted_mean(-np.log(p_true), _weights(weight, y.shape[0]))


def merror(y: np.ndarray, prediction: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Weighted fraction of rows whose most probable class is not the label."""
    y = _labels(y)
    p = _matrix_prediction(prediction, y.shape[0], "merror")
    classes = _class_indices(y, p.shape[1], "merror")
    wrong = (np.argmax(p, axis=1) != classes).astype(np.float64)
    return _weighted_mean(wrong, _weights(weight, y.shape[0]))


_METRICS: dict[str, tuple[Callable[..., float], bool]] = {
    "rmse": (rmse, False),
    "rmsle": (rmsle, False),
    "mae": (mae, False),
    "mape": (mape, False),
    "mphe": (mphe, False),
    "quantile": (quantile_loss, False),
    "expectile": (expectile_loss, False),
    "poisson-nloglik": (poisson_nloglik, False),
    "gamma-nloglik": (gamma_nloglik, False),
    "gamma-deviance": (gamma_deviance, False),
    "tweedie-nloglik": (tweedie_nloglik, False),
    "aucpr": (aucpr, True),
    "logloss": (logloss, False),
    "error": (error, False),
    "auc": (auc, True),
    "mlogloss": (mlogloss, False),
    "merror": (merror, False),
}

METRIC_NAMES: tuple[str, ...] = tuple(_METRICS)
"""Names accepted by :func:`get_metric` (plus ``"error@t"`` for a threshold ``t``)."""


def _threshold_error(name: str) -> Metric:
    text = name.partition("@")[2]
    try:
        threshold = float(text)
    except ValueError:
        threshold = float("nan")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(
            f"metric {name!r}: the threshold after 'error@' must be a number in [0, 1]; "
            f"got {text!r}"
        )

    def thresholded(y, prediction, weight):
        return error(y, prediction, weight, threshold=threshold)

    return Metric(name, thresholded, maximize=False)


def _tweedie(name: str, params: dict) -> Metric:
    text = name.partition("@")[2]
    try:
        rho = float(text) if text else float(params.get("tweedie_variance_power") or 1.5)
    except ValueError:
        rho = float("nan")
    if not 1.0 < rho < 2.0:
        raise ValueError(
            f"metric {name!r}: the power after 'tweedie-nloglik@' must be a number in (1, 2)"
        )
    return Metric(
        f"tweedie-nloglik@{rho:g}", lambda y, p, w: tweedie_nloglik(y, p, w, rho=rho), False
    )


def _with_params(name: str, params: dict) -> Metric | None:
    """Metrics that read a training parameter: their loss's own level or slope."""
    if name == "mphe":
        slope = float(params.get("huber_slope") or 1.0)
        return Metric(name, lambda y, p, w: mphe(y, p, w, slope=slope), False)
    if name in ("quantile", "expectile"):
        key = f"{name}_alpha"
        levels = params.get(key)
        if levels is None:
            raise ValueError(f"metric {name!r} needs the parameter {key} (its level or levels)")
        func = quantile_loss if name == "quantile" else expectile_loss
        return Metric(name, lambda y, p, w: func(y, p, w, alpha=levels), False)
    if name == "tweedie-nloglik" or name.startswith("tweedie-nloglik@"):
        return _tweedie(name, params)
    return None


def get_metric(name: str, params: dict | None = None) -> Metric:
    """Return the metric called ``name``.

    Parameters
    ----------
    name : str
        One of ``METRIC_NAMES``, or ``"error@t"`` for the error at threshold ``t`` in [0, 1],
        or ``"tweedie-nloglik@rho"``.
    params : dict, optional
        Training parameters read by ``mphe`` (``huber_slope``), ``quantile``
        (``quantile_alpha``), ``expectile`` (``expectile_alpha``) and ``tweedie-nloglik``
        (``tweedie_variance_power``, unless the name carries the power).

    Returns
    -------
    Metric

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names and the closest one.
    """
    if not isinstance(name, str):
        raise TypeError(f"metric name must be a str; got {type(name).__name__}")
    special = _with_params(name, params or {})
    if special is not None:
        return special
    for family in (_ranking, _survival):
        found = family.parse_metric(name, params or {})
        if found is not None:
            return found
    if name in _METRICS:
        func, maximize = _METRICS[name]
        return Metric(name, func, maximize)
    if name.startswith("error@"):
        return _threshold_error(name)
    known = (*METRIC_NAMES, *_ranking.METRIC_NAMES, *_survival.METRIC_NAMES)
    valid = ", ".join(repr(n) for n in (*known, "error@t"))
    message = f"eval_metric={name!r} is not a known metric; valid names are {valid}"
    closest = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    if closest:
        message += f". Did you mean {closest[0]!r}?"
    raise ValueError(message)
