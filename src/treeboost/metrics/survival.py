"""Survival metrics: the Cox and AFT negative log likelihoods, interval-regression accuracy
(XGBoost's names) and Harrell's concordance index.

Predictions are what the objective's ``eval_transform`` gives: hazard ratios ``exp(margin)``
for ``survival:cox``, predicted times ``exp(margin)`` for ``survival:aft``. Censoring bounds
come from the evaluation Dataset (``label_lower_bound`` / ``label_upper_bound``); without them
the label is read as exact event times (sign-coded times for ``survival:cox``).

The numba kernels are imported on first use, so importing this module needs numpy only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Metric

__all__ = [
    "aft_nloglik",
    "concordance_index",
    "cox_nloglik",
    "interval_regression_accuracy",
]

METRIC_NAMES: tuple[str, ...] = (
    "cox-nloglik",
    "aft-nloglik",
    "interval-regression-accuracy",
    "c-index",
)

_AFT_CODES = {"normal": 0, "logistic": 1, "extreme": 2}


# -- label forms shared with the survival objectives --------------------------------------------
def _finite_vector(values: Any, name: str, n: int | None = None) -> np.ndarray:
    out = np.ascontiguousarray(values, dtype=np.float64)
    if out.ndim != 1 or (n is not None and out.shape[0] != n):
        want = "1-d" if n is None else f"shape ({n},)"
        raise ValueError(f"{name} must be {want}; got shape {out.shape}")
    bad = np.flatnonzero(~np.isfinite(out))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{name} must be finite; {name}[{i}] = {float(out[i])!r}")
    return out


def _weight(weight: Any, n: int) -> np.ndarray:
    """Weights for the kernels: an empty array when there are none (every row weighs 1)."""
    if weight is None:
        return np.empty(0, dtype=np.float64)
    w = _finite_vector(weight, "weight", n)
    if np.any(w < 0):
        i = int(np.flatnonzero(w < 0)[0])
        raise ValueError(f"weight must be >= 0; weight[{i}] = {float(w[i])!r}")
    return w


def cox_time_event(y: Any, name: str = "survival:cox") -> tuple[np.ndarray, np.ndarray]:
    """Split sign-coded Cox labels into times ``|y|`` and event flags ``y > 0``.

    Raises
    ------
    ValueError
        For a label that is not finite, or 0 (neither an event time nor a censoring time).
    """
    y = np.ascontiguousarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"{name} needs a 1-d label; got shape {y.shape}")
    bad = np.flatnonzero(~np.isfinite(y) | (y == 0.0))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{name} needs finite nonzero labels (> 0: event time, < 0: right-censored at "
            f"|label|); label[{i}] = {float(y[i])!r}"
        )
    return np.abs(y), y > 0.0


def check_aft_bounds(
    lower: Any,
    upper: Any,
    name: str = "survival:aft",
    lower_name: str = "label_lower_bound",
    upper_name: str = "label_upper_bound",
) -> tuple[np.ndarray, np.ndarray]:
    """Return the bounds as float64 arrays, raising ValueError unless every row has a finite
    lower bound >= 0, an upper bound > 0 (inf allowed) and lower <= upper."""
    lower = np.ascontiguousarray(lower, dtype=np.float64)
    upper = np.ascontiguousarray(upper, dtype=np.float64)
    if lower.ndim != 1 or lower.shape != upper.shape:
        raise ValueError(
            f"{lower_name} and {upper_name} must be 1-d of one length; got shapes "
            f"{lower.shape} and {upper.shape}"
        )
    checks = (
        (~(lower >= 0.0), f"{name} needs times >= 0", lower_name, lower),
        (np.isinf(lower), f"{name} needs a finite lower bound", lower_name, lower),
        (
            ~(upper > 0.0),
            f"{name} needs upper bounds > 0 (time 0 has no log; use inf for right-censored rows)",
            upper_name,
            upper,
        ),
        (lower > upper, f"{name} needs {lower_name} <= {upper_name}", upper_name, upper),
    )
    for bad, message, field, values in checks:
        rows = np.flatnonzero(bad)
        if rows.size:
            i = int(rows[0])
            raise ValueError(f"{message}; {field}[{i}] = {float(values[i])!r}")
    return lower, upper


def survival_bounds(
    lower: Any, upper: Any, label: Any, name: str = "survival:aft"
) -> tuple[np.ndarray, np.ndarray]:
    """The validated (lower, upper) bounds; the label as exact event times (both bounds equal
    to it) when neither bound is given.

    Raises
    ------
    ValueError
        When only one bound is given, when neither bounds nor label are, and for bounds that
        :func:`check_aft_bounds` refuses.
    """
    if lower is None and upper is None:
        if label is None:
            raise ValueError(
                f"{name} needs label_lower_bound and label_upper_bound (or a label of exact "
                "event times); the Dataset has neither"
            )
        return check_aft_bounds(label, label, name, "label", "label")
    if lower is None or upper is None:
        given, missing = (
            ("label_lower_bound", "label_upper_bound")
            if upper is None
            else ("label_upper_bound", "label_lower_bound")
        )
        raise ValueError(
            f"{name} needs both bounds; {given} is set but {missing} is not (upper bound inf: "
            "right-censored, lower bound 0: left-censored)"
        )
    return check_aft_bounds(lower, upper, name)


def _prediction(prediction: Any, n: int, metric: str) -> np.ndarray:
    p = np.asarray(prediction, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if p.shape != (n,):
        raise ValueError(f"{metric} needs predictions of shape ({n},); got {p.shape}")
    return np.ascontiguousarray(p)


def _log_prediction(prediction: Any, n: int, metric: str) -> np.ndarray:
    """Margins back from predictions exp(margin); a prediction of 0 gives -inf."""
    p = _prediction(prediction, n, metric)
    if np.any(~(p >= 0)):
        raise ValueError(f"{metric} needs predictions >= 0 (hazard ratios or times)")
    with np.errstate(divide="ignore"):
        return np.log(p)


def _weighted_mean(values: np.ndarray, w: np.ndarray) -> float:
    if w.shape[0] == 0:
        return float(values.mean()) if values.size else float("nan")
    total = w.sum()
    return float(np.dot(w, values) / total) if total > 0 else float("nan")


# -- metrics --------------------------------------------------------------------------------------
def cox_nloglik(y: Any, prediction: Any, weight: Any = None) -> float:
    """Negative log partial likelihood of a Cox model per event (XGBoost's ``cox-nloglik``).

    ``sum over events i of w_i * (log sum_{j: t_j >= t_i} w_j hr_j - log hr_i)`` divided by the
    summed weight of the events; tied times as Breslow (every row tied with an event is in its
    risk set). Unweighted it equals XGBoost's value.

    Parameters
    ----------
    y : array-like of shape (n_rows,)
        Sign-coded times: > 0 event time, < 0 right-censored at ``|y|``.
    prediction : array-like of shape (n_rows,)
        Hazard ratios ``exp(margin)`` (>= 0).
    weight : array-like of shape (n_rows,), optional

    Returns
    -------
    float
        NaN when there is no event.
    """
    from ..kernels.survival import cox_negative_log_likelihood

    time, event = cox_time_event(y, "cox-nloglik")
    n = time.shape[0]
    log_hr = _log_prediction(prediction, n, "cox-nloglik")
    order = np.argsort(time, kind="stable").astype(np.int64)
    return float(cox_negative_log_likelihood(time, event, log_hr, _weight(weight, n), order))


def aft_nloglik(
    lower: Any,
    upper: Any,
    prediction: Any,
    weight: Any = None,
    distribution: str = "normal",
    scale: float = 1.0,
) -> float:
    """Weighted mean negative log likelihood of the AFT model (XGBoost's ``aft-nloglik``).

    An exact time (lower == upper) contributes ``-log(f(z) / (sigma * t))`` with
    ``z = (log t - log prediction) / sigma``; a censored row ``-log(F(z_upper) - F(z_lower))``.
    Each likelihood is floored at 1e-12 (as XGBoost), so one row costs at most ~27.6.

    Parameters
    ----------
    lower, upper : array-like of shape (n_rows,)
        Censoring bounds (upper ``inf``: right-censored; lower 0: left-censored).
    prediction : array-like of shape (n_rows,)
        Predicted times ``exp(margin)``.
    weight : array-like of shape (n_rows,), optional
    distribution : {"normal", "logistic", "extreme"}, default="normal"
    scale : float, default=1.0
        The distribution's scale ``sigma``.

    Returns
    -------
    float
    """
    from ..kernels.survival import aft_loss_rows

    if distribution not in _AFT_CODES:
        raise ValueError(
            f"aft_loss_distribution={distribution!r} is not valid; valid: {', '.join(_AFT_CODES)}"
        )
    scale = float(scale)
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"aft_loss_distribution_scale must be a finite number > 0; got {scale!r}")
    lower, upper = check_aft_bounds(lower, upper, "aft-nloglik")
    n = lower.shape[0]
    margin = _log_prediction(prediction, n, "aft-nloglik")
    losses = np.empty(n, dtype=np.float64)
    aft_loss_rows(lower, upper, margin, _AFT_CODES[distribution], scale, losses)
    return _weighted_mean(losses, _weight(weight, n))


def interval_regression_accuracy(
    lower: Any, upper: Any, prediction: Any, weight: Any = None
) -> float:
    """Weighted fraction of rows whose predicted time lies in ``[lower, upper]`` (XGBoost's
    ``interval-regression-accuracy``; both ends included).

    Parameters
    ----------
    lower, upper : array-like of shape (n_rows,)
        Censoring bounds (upper ``inf``: right-censored).
    prediction : array-like of shape (n_rows,)
        Predicted times.
    weight : array-like of shape (n_rows,), optional

    Returns
    -------
    float
    """
    lower, upper = check_aft_bounds(lower, upper, "interval-regression-accuracy")
    n = lower.shape[0]
    p = _prediction(prediction, n, "interval-regression-accuracy")
    inside = ((p >= lower) & (p <= upper)).astype(np.float64)
    return _weighted_mean(inside, _weight(weight, n))


def concordance_index(time: Any, risk_score: Any, event: Any = None, weight: Any = None) -> float:
    """Harrell's concordance index of risk scores against censored times.

    Orientation: a **higher risk score means an earlier event** (a Cox hazard ratio or log
    hazard ratio is a risk score as it is). For predicted times, where higher means longer
    survival, pass ``-predicted_time`` (or ``1 / predicted_time``, positive times). So
    ``concordance_index(t, risk, e) == lifelines.utils.concordance_index(t, -risk, e)``, and
    equals ``sksurv.metrics.concordance_index_censored(e, t, risk)[0]``.

    A pair of rows is comparable when the one with the earlier time had an event; when both
    times are equal, only when exactly one of the two had an event (the event counts as the
    earlier: the censored row was still event-free at that time). Two events at the same time,
    and two censored rows, are never comparable. A comparable pair is concordant when the
    earlier row has the higher risk score and counts 1; equal scores count 0.5. These are the
    conventions of lifelines and of scikit-survival (with ``tied_tol=0``). With weights, a pair
    weighs ``w_i * w_j``, so an integer weight acts as that many copies of a row.

    Runs in O(n log n).

    Parameters
    ----------
    time : array-like of shape (n_rows,)
        Observed times: of the event, or of censoring.
    risk_score : array-like of shape (n_rows,)
        Predicted risk; higher means an earlier event.
    event : array-like of shape (n_rows,), optional
        True (1) where the event was observed, False (0) where the time is censored. Default:
        every event observed.
    weight : array-like of shape (n_rows,), optional
        Row weights, >= 0.

    Returns
    -------
    float
        (concordant + 0.5 * tied) / comparable, in [0, 1]; 0.5 for random scores; NaN when no
        pair is comparable.

    Examples
    --------
    >>> from treeboost.metrics import concordance_index
    >>> concordance_index([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])
    1.0
    >>> concordance_index([1.0, 2.0, 3.0], [1.0, 1.0, 0.0], event=[True, True, False])
    0.75
    """
    from ..kernels.survival import concordance_counts

    time = _finite_vector(time, "time")
    n = time.shape[0]
    risk = _finite_vector(risk_score, "risk_score", n)
    if event is None:
        is_event = np.ones(n, dtype=np.bool_)
    else:
        is_event = np.asarray(event)
        if is_event.shape != (n,):
            raise ValueError(f"event must have shape ({n},); got {is_event.shape}")
        is_event = is_event.astype(np.bool_)
    w = _weight(weight, n)
    order = np.argsort(time, kind="stable")
    distinct, rank = np.unique(risk[order], return_inverse=True)
    concordant, tied, pairs = concordance_counts(
        np.ascontiguousarray(time[order]),
        np.ascontiguousarray(is_event[order]),
        rank.astype(np.int64).ravel(),
        np.ascontiguousarray(w[order]) if w.shape[0] else w,
        distinct.shape[0],
    )
    if pairs == 0:
        return float("nan")
    return float((concordant + 0.5 * tied) / pairs)


# -- metrics by name ------------------------------------------------------------------------------
def _dataset_bounds(y, data, metric: str) -> tuple[np.ndarray, np.ndarray]:
    return survival_bounds(
        getattr(data, "label_lower_bound", None),
        getattr(data, "label_upper_bound", None),
        y,
        metric,
    )


def _aft_metric(params: dict) -> Metric:
    distribution = params.get("aft_loss_distribution") or "normal"
    scale = params.get("aft_loss_distribution_scale")
    scale = 1.0 if scale is None else float(scale)

    def score(y, prediction, weight, data):
        lower, upper = _dataset_bounds(y, data, "aft-nloglik")
        return aft_nloglik(lower, upper, prediction, weight, distribution, scale)

    return Metric("aft-nloglik", score, maximize=False, needs_data=True)


def _interval_metric() -> Metric:
    def score(y, prediction, weight, data):
        lower, upper = _dataset_bounds(y, data, "interval-regression-accuracy")
        return interval_regression_accuracy(lower, upper, prediction, weight)

    return Metric("interval-regression-accuracy", score, maximize=True, needs_data=True)


def _concordance_metric(params: dict) -> Metric:
    """``c-index``: hazard ratios of ``survival:cox`` are risk scores as they are; every other
    objective's predictions are read as times (risk = -prediction). Times and events come from
    sign-coded labels for Cox, else from the bounds (time = lower bound, event where the bounds
    are equal: an interval-censored row counts as censored at its lower bound)."""
    is_cox = params.get("objective") == "survival:cox"

    def score(y, prediction, weight, data):
        n = np.shape(y)[0]
        p = _prediction(prediction, n, "c-index")
        if is_cox:
            time, event = cox_time_event(y, "c-index")
            return concordance_index(time, p, event, weight)
        lower, upper = _dataset_bounds(y, data, "c-index")
        return concordance_index(lower, -p, lower == upper, weight)

    return Metric("c-index", score, maximize=True, needs_data=True)


def parse_metric(name: str, params: dict) -> Metric | None:
    """The metric called ``name`` if it is one of this family's, else None.

    ``aft-nloglik`` reads ``aft_loss_distribution`` and ``aft_loss_distribution_scale`` from
    ``params``; ``c-index`` reads ``objective`` (hazard ratios or times).
    """
    if name == "cox-nloglik":
        return Metric(name, cox_nloglik, maximize=False)
    if name == "aft-nloglik":
        return _aft_metric(params)
    if name == "interval-regression-accuracy":
        return _interval_metric()
    if name == "c-index":
        return _concordance_metric(params)
    return None
