"""Metrics that clinical and scientific studies report for classifiers, calibrators and
conformal predictors: discrimination (ROC AUC, average precision), decisions at a threshold
(sensitivity, specificity, F1, accuracy), probability quality (Brier score, log loss, ECE, ACE,
reliability curve), interval and set quality (coverage, mean width, mean set size), and a
bootstrap confidence interval for any of them.

Conventions. ``y_true`` holds binary labels 0/1 (or bools) unless a function says it takes class
indices; ``y_prob`` is either the probability of class 1, shape (n,), or a probability matrix,
shape (n, n_classes), whose column ``k`` belongs to class index ``k``. Where scikit-learn has the
same metric the result equals scikit-learn's (tests check it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .checks import check_fraction, check_positive_int

__all__ = [
    "BootstrapResult",
    "accuracy",
    "ace",
    "average_precision",
    "bootstrap_ci",
    "brier_score",
    "class_coverage",
    "coverage",
    "ece",
    "f1",
    "log_loss",
    "mean_set_size",
    "mean_width",
    "reliability_curve",
    "roc_auc",
    "sensitivity",
    "specificity",
]


# -- input handling ---------------------------------------------------------------------------
def _binary_labels(y_true: Any) -> np.ndarray:
    y = np.asarray(y_true)
    if y.ndim != 1:
        raise ValueError(f"y_true must be 1-d; got shape {y.shape}")
    if y.dtype == np.bool_:
        return y.astype(np.float64)
    y = y.astype(np.float64)
    bad = np.flatnonzero((y != 0) & (y != 1))
    if bad.size:
        raise ValueError(
            f"y_true[{bad[0]}] = {y[bad[0]].item()!r}: binary labels must be 0 or 1 (or bools); "
            "encode the positive class as 1"
        )
    return y


def _class_labels(y_true: Any, n_classes: int) -> np.ndarray:
    y = np.asarray(y_true)
    if y.ndim != 1:
        raise ValueError(f"y_true must be 1-d; got shape {y.shape}")
    as_int = y.astype(np.int64)
    bad = np.flatnonzero((as_int != y) | (as_int < 0) | (as_int >= n_classes))
    if bad.size:
        raise ValueError(
            f"y_true[{bad[0]}] = {y[bad[0]].item()!r}: labels must be class indices "
            f"0..{n_classes - 1} matching the {n_classes} columns of the probabilities"
        )
    return as_int


def _scores(name: str, values: Any, n: int) -> np.ndarray:
    p = np.asarray(values, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if p.ndim not in (1, 2) or p.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},) or ({n}, n_classes); got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name} holds NaN or infinite values")
    return p


def _probabilities(name: str, values: Any, n: int) -> np.ndarray:
    p = _scores(name, values, n)
    if np.any(p < 0) or np.any(p > 1):
        raise ValueError(f"{name} must hold probabilities in [0, 1]")
    return p


def _weights(sample_weight: Any, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},); got {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("sample_weight must be finite and non-negative")
    return w


def _weighted_mean(values: np.ndarray, w: np.ndarray) -> float:
    total = w.sum()
    return float(np.dot(w, values) / total) if total > 0 else float("nan")


def _positive_column(y_prob: np.ndarray) -> np.ndarray:
    """P(class 1) from a 1-d vector or the second column of a two-column matrix."""
    if y_prob.ndim == 1:
        return y_prob
    if y_prob.shape[1] != 2:
        raise ValueError(f"this metric is binary; got probabilities for {y_prob.shape[1]} classes")
    return y_prob[:, 1]


# -- discrimination ---------------------------------------------------------------------------
def _binary_roc_auc(y: np.ndarray, score: np.ndarray, w: np.ndarray) -> float:
    pos, neg = w * y, w * (1.0 - y)
    total_pos, total_neg = pos.sum(), neg.sum()
    if total_pos <= 0 or total_neg <= 0:
        return float("nan")
    order = np.argsort(-score, kind="stable")
    sorted_score = score[order]
    starts = np.flatnonzero(np.r_[True, sorted_score[1:] != sorted_score[:-1]])
    step_pos = np.add.reduceat(pos[order], starts)
    step_neg = np.add.reduceat(neg[order], starts)
    # Each negative is beaten by the positives scored above it; a tie counts one half.
    pos_above = np.cumsum(step_pos) - step_pos
    return float(np.dot(step_neg, pos_above + 0.5 * step_pos) / (total_pos * total_neg))


def _binary_average_precision(y: np.ndarray, score: np.ndarray, w: np.ndarray) -> float:
    pos = w * y
    if pos.sum() <= 0:
        return float("nan")
    order = np.argsort(-score, kind="stable")
    sorted_score = score[order]
    # One threshold per distinct score: the last row of each run of equal scores.
    ends = np.r_[np.flatnonzero(sorted_score[1:] != sorted_score[:-1]), score.shape[0] - 1]
    true_pos = np.cumsum(pos[order])[ends]
    predicted_pos = np.cumsum(w[order])[ends]
    precision = np.divide(
        true_pos, predicted_pos, out=np.ones_like(true_pos), where=predicted_pos > 0
    )
    recall = true_pos / pos.sum()
    # AP = sum over thresholds of (recall gain) * precision: no interpolation between points.
    return float(np.dot(np.diff(np.r_[0.0, recall]), precision))


def _per_class(
    binary_metric: Callable[[np.ndarray, np.ndarray, np.ndarray], float],
    y_true: Any,
    y_score: np.ndarray,
    w: np.ndarray,
) -> float:
    """Macro average of a binary metric over the one-vs-rest problems of each class."""
    classes = _class_labels(y_true, y_score.shape[1])
    values = [
        binary_metric((classes == k).astype(np.float64), y_score[:, k], w)
        for k in range(y_score.shape[1])
    ]
    return float(np.mean(values))


def roc_auc(y_true: Any, y_score: Any, sample_weight: Any = None) -> float:
    """Area under the ROC curve (AUROC).

    Binary: ``y_true`` 0/1, ``y_score`` any score that grows with P(class 1), shape (n,) or
    (n, 2). Multiclass: ``y_true`` class indices and ``y_score`` shape (n, k); the result is the
    unweighted mean of the k one-vs-rest AUCs (scikit-learn's ``multi_class="ovr",
    average="macro"``). Tied scores count one half. NaN when a class is absent.
    """
    y_true = np.asarray(y_true)
    score = _scores("y_score", y_score, y_true.shape[0])
    w = _weights(sample_weight, y_true.shape[0])
    if score.ndim == 2 and score.shape[1] > 2:
        return _per_class(_binary_roc_auc, y_true, score, w)
    return _binary_roc_auc(_binary_labels(y_true), _positive_column(score), w)


def average_precision(y_true: Any, y_score: Any, sample_weight: Any = None) -> float:
    """Average precision, the step-wise area under the precision-recall curve (AUPRC).

    ``sum_t (R_t - R_{t-1}) P_t`` over the distinct score thresholds, without interpolation
    (scikit-learn's ``average_precision_score``). Multiclass scores (n, k) give the macro mean
    over one-vs-rest problems. NaN when there is no positive row.
    """
    y_true = np.asarray(y_true)
    score = _scores("y_score", y_score, y_true.shape[0])
    w = _weights(sample_weight, y_true.shape[0])
    if score.ndim == 2 and score.shape[1] > 2:
        return _per_class(_binary_average_precision, y_true, score, w)
    return _binary_average_precision(_binary_labels(y_true), _positive_column(score), w)


# -- decisions at a threshold -----------------------------------------------------------------
def _confusion(y_true: Any, y_score: Any, threshold: float, sample_weight: Any) -> tuple:
    y = _binary_labels(y_true)
    score = _positive_column(_scores("y_score", y_score, y.shape[0]))
    w = _weights(sample_weight, y.shape[0])
    predicted = score > threshold
    true_pos = float(np.sum(w * y * predicted))
    false_pos = float(np.sum(w * (1 - y) * predicted))
    false_neg = float(np.sum(w * y * ~predicted))
    true_neg = float(np.sum(w * (1 - y) * ~predicted))
    return true_pos, false_pos, false_neg, true_neg


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("nan")


def sensitivity(
    y_true: Any, y_score: Any, threshold: float = 0.5, sample_weight: Any = None
) -> float:
    """True positive rate (recall) when rows with ``y_score > threshold`` are called positive.

    ``y_score`` may be P(class 1) or hard 0/1 predictions. NaN without positive rows.
    """
    tp, _, fn, _ = _confusion(y_true, y_score, threshold, sample_weight)
    return _ratio(tp, tp + fn)


def specificity(
    y_true: Any, y_score: Any, threshold: float = 0.5, sample_weight: Any = None
) -> float:
    """True negative rate when rows with ``y_score > threshold`` are called positive."""
    _, fp, _, tn = _confusion(y_true, y_score, threshold, sample_weight)
    return _ratio(tn, tn + fp)


def f1(y_true: Any, y_score: Any, threshold: float = 0.5, sample_weight: Any = None) -> float:
    """F1 score of the positive class, ``2 TP / (2 TP + FP + FN)``, at ``threshold``
    (0.0 when there is no true and no predicted positive, as scikit-learn reports it)."""
    tp, fp, fn, _ = _confusion(y_true, y_score, threshold, sample_weight)
    denominator = 2 * tp + fp + fn
    return 2 * tp / denominator if denominator > 0 else 0.0


def accuracy(y_true: Any, y_score: Any, threshold: float = 0.5, sample_weight: Any = None) -> float:
    """Fraction of rows classified correctly.

    Binary: ``y_score`` is P(class 1) (or 0/1 predictions) and a row is called positive when it
    exceeds ``threshold``. Multiclass: ``y_score`` (n, k) and the call is the most probable
    class (``threshold`` unused).
    """
    y_true = np.asarray(y_true)
    score = _scores("y_score", y_score, y_true.shape[0])
    w = _weights(sample_weight, y_true.shape[0])
    if score.ndim == 2 and score.shape[1] > 2:
        classes = _class_labels(y_true, score.shape[1])
        return _weighted_mean((np.argmax(score, axis=1) == classes).astype(float), w)
    y = _binary_labels(y_true)
    predicted = (_positive_column(score) > threshold).astype(np.float64)
    return _weighted_mean((predicted == y).astype(np.float64), w)


# -- probability quality ----------------------------------------------------------------------
def _one_hot(y_true: Any, y_prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Probability matrix and one-hot labels for binary or multiclass input."""
    if y_prob.ndim == 1:
        y = _binary_labels(y_true)
        return np.column_stack([1 - y_prob, y_prob]), np.column_stack([1 - y, y])
    classes = _class_labels(y_true, y_prob.shape[1])
    return y_prob, np.eye(y_prob.shape[1])[classes]


def brier_score(y_true: Any, y_prob: Any, sample_weight: Any = None) -> float:
    """Mean squared error of the probabilities.

    Binary (``y_prob`` shape (n,)): mean of ``(p - y)^2``. Multiclass (n, k): mean over rows of
    ``sum_k (p_k - [y = k])^2`` (Brier's original score, twice the binary one for two
    columns), as scikit-learn's ``brier_score_loss`` computes each.
    """
    y_true = np.asarray(y_true)
    p = _probabilities("y_prob", y_prob, y_true.shape[0])
    w = _weights(sample_weight, y_true.shape[0])
    if p.ndim == 1:
        return _weighted_mean((p - _binary_labels(y_true)) ** 2, w)
    prob, onehot = _one_hot(y_true, p)
    return _weighted_mean(np.sum((prob - onehot) ** 2, axis=1), w)


def log_loss(y_true: Any, y_prob: Any, sample_weight: Any = None) -> float:
    """Mean negative log-likelihood (cross-entropy) of the labels, in nats.

    Probabilities are clipped to ``[eps, 1 - eps]`` with ``eps`` the float64 machine epsilon,
    as scikit-learn does, so one confident mistake costs about 36 nats, not infinity.
    """
    y_true = np.asarray(y_true)
    p = _probabilities("y_prob", y_prob, y_true.shape[0])
    w = _weights(sample_weight, y_true.shape[0])
    prob, onehot = _one_hot(y_true, p)
    eps = np.finfo(np.float64).eps
    prob = np.clip(prob, eps, 1 - eps)
    prob = prob / prob.sum(axis=1, keepdims=True)
    return _weighted_mean(-np.sum(onehot * np.log(prob), axis=1), w)


def _check_n_bins(n_bins: Any) -> int:
    return check_positive_int("n_bins", n_bins)


def ece(y_true: Any, y_prob: Any, n_bins: int = 15) -> float:
    """Expected calibration error with equal-width bins.

    Binary (``y_prob`` shape (n,)): rows are binned on P(class 1) into ``n_bins`` equal-width
    bins of [0, 1] (right edges inclusive, the first bin includes 0), and
    ``ECE = sum_b (n_b / n) |mean(y in b) - mean(p in b)|``. Multiclass (n, k): the same on the
    top-label confidence ``max_k p_k`` against whether the top label is right (Guo et al. 2017).
    """
    y_true = np.asarray(y_true)
    p = _probabilities("y_prob", y_prob, y_true.shape[0])
    n_bins = _check_n_bins(n_bins)
    if p.ndim == 2 and p.shape[1] > 2:
        classes = _class_labels(y_true, p.shape[1])
        confidence = p.max(axis=1)
        outcome = (np.argmax(p, axis=1) == classes).astype(np.float64)
    else:
        confidence = _positive_column(p)
        outcome = _binary_labels(y_true)
    bins = np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins).astype(np.float64)
    gap = np.abs(
        np.bincount(bins, weights=outcome, minlength=n_bins)
        - np.bincount(bins, weights=confidence, minlength=n_bins)
    )
    return float(gap.sum() / counts.sum())


def ace(y_true: Any, y_prob: Any, n_bins: int = 15) -> float:
    """Adaptive calibration error (ACE) of Nixon et al. 2019, "Measuring Calibration in Deep
    Learning".

    Exactly this variant: for **every class** ``k`` (both classes in the binary case, where
    ``y_prob`` of shape (n,) is read as the columns ``1 - p`` and ``p``), the rows are sorted by
    ``p_k`` and cut into ``n_bins`` **equal-mass** bins (consecutive runs of the sorted rows
    whose sizes differ by at most one; tied probabilities on a boundary are split by the sort
    order). Each bin contributes ``|mean([y = k]) - mean(p_k)|`` over its rows, and

        ACE = 1 / (K * R) * sum_k sum_r |acc(r, k) - conf(r, k)|

    an **unweighted** average over all classes and all bins (empty bins, possible only when
    ``n < n_bins``, are left out of the average). There is no confidence threshold.
    Other packages differ: some bin only the top label, weight bins by size, or use a threshold.
    """
    y_true = np.asarray(y_true)
    p = _probabilities("y_prob", y_prob, y_true.shape[0])
    n_bins = _check_n_bins(n_bins)
    prob, onehot = _one_hot(y_true, p)
    gaps = []
    for k in range(prob.shape[1]):
        order = np.argsort(prob[:, k], kind="stable")
        for rows in np.array_split(order, n_bins):
            if rows.size:
                gaps.append(abs(onehot[rows, k].mean() - prob[rows, k].mean()))
    return float(np.mean(gaps))


def reliability_curve(
    y_true: Any, y_prob: Any, n_bins: int = 10, strategy: str = "uniform"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Data for a reliability diagram of a binary classifier.

    Returns ``(mean_predicted, fraction_positive, count)`` for each non-empty bin, in increasing
    order of probability. ``strategy="uniform"`` cuts [0, 1] into ``n_bins`` equal-width bins;
    ``"quantile"`` uses the quantiles of ``y_prob`` as edges. The first two arrays equal
    scikit-learn's ``calibration_curve`` (which returns them in the other order).
    """
    y = _binary_labels(y_true)
    p = _positive_column(_probabilities("y_prob", y_prob, y.shape[0]))
    n_bins = _check_n_bins(n_bins)
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        edges = np.percentile(p, np.linspace(0, 100, n_bins + 1))
    else:
        raise ValueError(f"strategy={strategy!r} is not valid; valid: 'uniform', 'quantile'")
    # Interior edges; a probability equal to an edge goes to the bin on its left.
    bins = np.searchsorted(edges[1:-1], p, side="left")
    counts = np.bincount(bins, minlength=len(edges) - 1)
    sum_p = np.bincount(bins, weights=p, minlength=len(edges) - 1)
    sum_y = np.bincount(bins, weights=y, minlength=len(edges) - 1)
    kept = counts > 0
    return sum_p[kept] / counts[kept], sum_y[kept] / counts[kept], counts[kept]


# -- intervals and sets -----------------------------------------------------------------------
def _intervals(intervals: Any, n: int | None = None) -> np.ndarray:
    bounds = np.asarray(intervals, dtype=np.float64)
    if bounds.ndim != 2 or bounds.shape[1] != 2 or (n is not None and bounds.shape[0] != n):
        expected = "(n, 2)" if n is None else f"({n}, 2)"
        raise ValueError(f"intervals must have shape {expected} (lower, upper); got {bounds.shape}")
    return bounds


def _sets(sets: Any, n: int | None = None) -> np.ndarray:
    matrix = np.asarray(sets)
    if matrix.dtype != np.bool_ or matrix.ndim != 2 or (n is not None and matrix.shape[0] != n):
        raise ValueError(
            "prediction sets must be a boolean matrix of shape (n, n_classes); "
            f"got dtype {matrix.dtype} and shape {matrix.shape}"
        )
    return matrix


def coverage(y_true: Any, prediction: Any) -> float:
    """Empirical coverage: the fraction of rows whose truth lies in its prediction.

    ``prediction`` is either intervals, float shape (n, 2) with ``lower <= y <= upper``
    counted as covered, or prediction sets, a boolean matrix (n, n_classes) with ``y_true``
    the class indices.
    """
    y = np.asarray(y_true)
    if np.asarray(prediction).dtype == np.bool_:
        sets = _sets(prediction, y.shape[0])
        classes = _class_labels(y, sets.shape[1])
        return float(sets[np.arange(y.shape[0]), classes].mean())
    bounds = _intervals(prediction, y.shape[0])
    y = y.astype(np.float64)
    return float(np.mean((bounds[:, 0] <= y) & (y <= bounds[:, 1])))


def class_coverage(y_true: Any, sets: Any) -> np.ndarray:
    """Coverage of boolean prediction sets within each true class (NaN for an absent class)."""
    y = np.asarray(y_true)
    sets = _sets(sets, y.shape[0])
    classes = _class_labels(y, sets.shape[1])
    hit = sets[np.arange(y.shape[0]), classes].astype(np.float64)
    counts = np.bincount(classes, minlength=sets.shape[1]).astype(np.float64)
    hits = np.bincount(classes, weights=hit, minlength=sets.shape[1])
    return np.divide(hits, counts, out=np.full(sets.shape[1], np.nan), where=counts > 0)


def mean_width(intervals: Any) -> float:
    """Mean of ``upper - lower`` over the rows (``inf`` if any interval is unbounded)."""
    bounds = _intervals(intervals)
    return float(np.mean(bounds[:, 1] - bounds[:, 0]))


def mean_set_size(sets: Any) -> float:
    """Mean number of classes in the boolean prediction sets."""
    return float(_sets(sets).sum(axis=1).mean())


# -- bootstrap --------------------------------------------------------------------------------
class BootstrapResult(NamedTuple):
    """A metric on the full data and its percentile bootstrap interval."""

    estimate: float
    lower: float
    upper: float


def bootstrap_ci(
    metric: Callable[..., float],
    y_true: Any,
    *predictions: Any,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    stratify: bool = False,
    random_state: Any = None,
    **metric_kwargs: Any,
) -> BootstrapResult:
    """Percentile bootstrap confidence interval of ``metric(y_true, *predictions, **kwargs)``.

    Rows are resampled with replacement ``n_resamples`` times (within each label value when
    ``stratify=True``, which keeps both classes in every resample of a rare-event study); the
    interval is the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` percentiles of the
    resampled values, ignoring resamples where the metric is NaN (a class missing).
    Every array in ``predictions`` is resampled by the same rows as ``y_true``.

    Examples
    --------
    >>> bootstrap_ci(roc_auc, y, proba, n_resamples=500, random_state=0)  # doctest: +SKIP
    """
    if not callable(metric):
        raise TypeError(f"metric={metric!r} is not valid; valid: a callable metric(y, ...)")
    n_resamples = check_positive_int("n_resamples", n_resamples)
    confidence = check_fraction("confidence", confidence)
    y = np.asarray(y_true)
    arrays = [np.asarray(p) for p in predictions]
    for i, array in enumerate(arrays):
        if array.shape[0] != y.shape[0]:
            raise ValueError(
                f"predictions[{i}] has {array.shape[0]} rows but y_true has {y.shape[0]}"
            )
    rng = np.random.default_rng(random_state)
    estimate = float(metric(y, *arrays, **metric_kwargs))
    groups = [np.flatnonzero(y == v) for v in np.unique(y)] if stratify else [np.arange(len(y))]
    values = np.empty(n_resamples)
    for b in range(n_resamples):
        rows = np.concatenate([g[rng.integers(0, g.size, g.size)] for g in groups])
        values[b] = metric(y[rows], *(a[rows] for a in arrays), **metric_kwargs)
    tail = (1.0 - confidence) / 2.0 * 100.0
    if np.all(np.isnan(values)):
        return BootstrapResult(estimate, float("nan"), float("nan"))
    lower, upper = np.nanpercentile(values, [tail, 100.0 - tail])
    return BootstrapResult(estimate, float(lower), float(upper))
