"""Survival objectives under XGBoost's names: ``survival:cox`` (Cox proportional hazards,
negative log partial likelihood) and ``survival:aft`` (accelerated failure time), plus the
Breslow estimate of the Cox baseline hazard and the survival curves it gives.

Labels
------
``survival:cox`` reads the label: a positive value is the time of an observed event, a negative
value a row right-censored at ``|label|``. A label of 0 is refused: it could be neither.

``survival:aft`` reads ``label_lower_bound`` and ``label_upper_bound`` of the training Dataset:
equal bounds are an exact event time, an upper bound of ``inf`` a right-censored row, a lower
bound of 0 a left-censored one, anything else an interval. Without bounds the label is taken as
exact event times.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..kernels.survival import (
    AFT_EXTREME,
    AFT_LOGISTIC,
    AFT_NORMAL,
    aft_loss_rows,
    fill_aft_gradients,
    fill_cox_gradients,
)
from ..metrics.survival import cox_time_event, survival_bounds
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

__all__ = [
    "AFT_DISTRIBUTIONS",
    "AFTObjective",
    "BUILDERS",
    "CoxObjective",
    "breslow_baseline",
    "survival_function",
]

AFT_DISTRIBUTIONS: dict[str, int] = {
    "normal": AFT_NORMAL,
    "logistic": AFT_LOGISTIC,
    "extreme": AFT_EXTREME,
}
"""Distributions of the AFT noise term Z, by ``aft_loss_distribution`` name."""


def _log_base_score(name: str, base_score: float) -> np.ndarray:
    value = float(base_score)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(
            f"base_score must be a finite number > 0 for {name} (a hazard ratio or a time); "
            f"got {value!r}"
        )
    return np.array([np.log(value)], dtype=np.float64)


def _exp_transform(margin: np.ndarray) -> np.ndarray:
    return np.exp(margin_rows(margin)[:, 0])


# -- survival:cox ---------------------------------------------------------------------------------
class CoxObjective(Objective):
    """``survival:cox``: negative log partial likelihood of the Cox proportional hazards model.

    The margin is the log hazard ratio; :meth:`transform` returns the hazard ratio
    ``exp(margin)``. Tied times follow Breslow: every row at a time is in the risk set of the
    events at that time. Weights weigh both a row's event term and its share of the risk sets,
    so an integer weight acts as that many copies of the row.
    """

    name = "survival:cox"
    is_multiclass = False
    default_metric = "cox-nloglik"

    def __init__(self) -> None:
        super().__init__(n_outputs=1)
        # Labels, times, event flags and time order of the last label array seen: sorting
        # once per training run, not once per round.
        self._sorted: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def bind(self, data) -> None:
        """Check the training labels and sort the rows by time once."""
        if data.label_lower_bound is not None or data.label_upper_bound is not None:
            # Without a label the training loop fills it with the lower bound, which would read
            # every row as an event.
            raise ValueError(
                f"{self.name} reads the sign-coded label (> 0: event time, < 0: right-censored "
                "at |label|), not label_lower_bound / label_upper_bound (survival:aft); build "
                "the Dataset with label=np.where(event, time, -time)"
            )
        if data.label is None:
            raise ValueError(
                f"{self.name} needs a label: the event time (> 0) or minus the censoring time "
                "(< 0) of every row"
            )
        self._time_order(data.label)

    def _time_order(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cached = self._sorted
        if cached is not None and cached[0] is y:
            return cached[1], cached[2], cached[3]
        time, event = cox_time_event(y, self.name)
        order = np.argsort(time, kind="stable").astype(np.int64)
        self._sorted = (y, time, event, order)
        return time, event, order

    def validate_labels(self, y: np.ndarray, weight: np.ndarray | None) -> None:
        """Require finite nonzero labels and at least one event."""
        time, event, _ = self._time_order(y)
        if not event.any():
            raise ValueError(
                f"{self.name} needs at least one event (a positive label); all {time.size} "
                "rows are censored"
            )

    def init_margin(self, y: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
        """Return 0: a hazard ratio of 1. The partial likelihood does not change when every
        margin moves by the same constant, so no constant fits better than another."""
        return np.zeros(1, dtype=np.float64)

    def base_score_to_margin(self, base_score: float) -> np.ndarray:
        """Return ``[log(base_score)]``; ``base_score`` is a hazard ratio > 0."""
        return _log_base_score(self.name, base_score)

    def gradient_hessian(self, y, margin, weight, gh_out, n_threads: int = 1) -> None:
        """Write the gradient and the diagonal of the Hessian of the negative log partial
        likelihood; see :func:`treeboost.kernels.survival.fill_cox_gradients`."""
        time, event, order = self._time_order(y)
        n = time.shape[0]
        check_gh_out(gh_out, n, 1)
        fill_cox_gradients(
            time,
            event,
            as_margin(margin, n, 1),
            as_weight(weight, n),
            order,
            HESSIAN_FLOOR,
            gh_out,
        )

    def transform(self, margin: np.ndarray) -> np.ndarray:
        """Return the hazard ratio ``exp(margin)``."""
        return _exp_transform(margin)


# -- survival:aft ---------------------------------------------------------------------------------
class AFTObjective(Objective):
    """``survival:aft``: accelerated failure time, ``ln T = margin + sigma * Z``.

    The loss is the negative log likelihood of each row's observation: the density of T for
    an exact time, ``P(lower <= T <= upper)`` for a censored row. Its gradient and hessian are
    clipped to [-15, 15] and [1e-16, 15], and replaced by their limits where the likelihood
    underflows, as in XGBoost. :meth:`transform` returns the predicted time ``exp(margin)``.

    Parameters
    ----------
    distribution : {"normal", "logistic", "extreme"}, default="normal"
        Distribution of Z (``aft_loss_distribution``); "extreme" is the minimum extreme-value
        (Gumbel) distribution, which makes T Weibull.
    scale : float, default=1.0
        ``sigma`` (``aft_loss_distribution_scale``), > 0.
    """

    name = "survival:aft"
    is_multiclass = False
    default_metric = "aft-nloglik"

    def __init__(self, distribution: str = "normal", scale: float = 1.0) -> None:
        super().__init__(n_outputs=1)
        if distribution not in AFT_DISTRIBUTIONS:
            raise ValueError(
                f"aft_loss_distribution={distribution!r} is not valid; valid: "
                f"{', '.join(AFT_DISTRIBUTIONS)}"
            )
        scale = float(scale)
        if not (np.isfinite(scale) and scale > 0):
            raise ValueError(
                f"aft_loss_distribution_scale must be a finite number > 0; got {scale!r}"
            )
        self.distribution = distribution
        self.scale = scale
        self._code = AFT_DISTRIBUTIONS[distribution]
        self._bounds: tuple[np.ndarray, np.ndarray] | None = None

    def bind(self, data) -> None:
        """Read and check the censoring bounds of the training Dataset."""
        self._bounds = survival_bounds(
            data.label_lower_bound, data.label_upper_bound, data.label, self.name
        )

    def _rows(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The bounds read by :meth:`bind`, or ``y`` as exact times when none were read."""
        n = np.shape(y)[0]
        if self._bounds is not None:
            lower, upper = self._bounds
            if lower.shape[0] != n:
                raise ValueError(
                    f"{self.name} was bound to a Dataset of {lower.shape[0]} rows; the labels "
                    f"have {n}"
                )
            return lower, upper
        return survival_bounds(None, None, as_labels(y, self.name), self.name)

    def validate_labels(self, y: np.ndarray, weight: np.ndarray | None) -> None:
        """Check the bounds (or ``y`` as exact times when :meth:`bind` was not called)."""
        self._rows(y)

    def init_margin(self, y: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
        """Return the constant margin of least weighted loss (the likelihood is log-concave in
        the margin for all three distributions, so a bounded scalar search finds it)."""
        from scipy.optimize import minimize_scalar

        lower, upper = self._rows(y)
        n = lower.shape[0]
        w = weights_or_ones(weight, n)
        observed = np.concatenate([lower[lower > 0.0], upper[np.isfinite(upper)]])
        if observed.size == 0:
            return np.zeros(1, dtype=np.float64)
        logs = np.log(observed)
        span = 10.0 * self.scale
        buffer = np.empty(n, dtype=np.float64)

        def total_loss(m: float) -> float:
            aft_loss_rows(lower, upper, np.full(n, m), self._code, self.scale, buffer)
            return float(np.dot(w, buffer))

        best = minimize_scalar(
            total_loss,
            bounds=(float(logs.min()) - span, float(logs.max()) + span),
            method="bounded",
            options={"xatol": 1e-6},
        )
        return np.array([float(best.x)], dtype=np.float64)

    def base_score_to_margin(self, base_score: float) -> np.ndarray:
        """Return ``[log(base_score)]``; ``base_score`` is a time > 0."""
        return _log_base_score(self.name, base_score)

    def gradient_hessian(self, y, margin, weight, gh_out, n_threads: int = 1) -> None:
        """Write the weighted, clipped AFT gradients and hessians; see
        :func:`treeboost.kernels.survival.aft_gradient_hessian_row`."""
        lower, upper = self._rows(y)
        n = lower.shape[0]
        check_gh_out(gh_out, n, 1)
        fill_aft_gradients(
            lower,
            upper,
            as_margin(margin, n, 1),
            as_weight(weight, n),
            self._code,
            self.scale,
            gh_out,
        )

    def transform(self, margin: np.ndarray) -> np.ndarray:
        """Return the predicted time ``exp(margin)``."""
        return _exp_transform(margin)

    def __repr__(self) -> str:
        return f"AFTObjective(distribution={self.distribution!r}, scale={self.scale!r})"


# -- Breslow baseline and survival curves ------------------------------------------------------
def _vector(values, name: str, n: int | None = None) -> np.ndarray:
    out = np.ascontiguousarray(values, dtype=np.float64)
    if out.ndim != 1 or (n is not None and out.shape[0] != n):
        want = "1-d" if n is None else f"shape ({n},)"
        raise ValueError(f"{name} must be {want}; got shape {out.shape}")
    if out.size and not np.all(np.isfinite(out)):
        i = int(np.flatnonzero(~np.isfinite(out))[0])
        raise ValueError(f"{name} must be finite; {name}[{i}] = {float(out[i])!r}")
    return out


def breslow_baseline(time, event, margin, weight=None) -> tuple[np.ndarray, np.ndarray]:
    """Breslow's estimate of the baseline cumulative hazard of a Cox model.

    ``H0(t) = sum over event times s <= t of D(s) / R(s)``, where ``D(s)`` is the weight of the
    events at ``s`` and ``R(s)`` the sum of ``w_j * exp(margin_j)`` over the rows with
    ``time_j >= s`` (every row tied at ``s`` included). With all margins 0 it is the
    Nelson-Aalen estimator.

    Parameters
    ----------
    time : array-like of shape (n_rows,)
        Event or censoring times, >= 0.
    event : array-like of shape (n_rows,)
        True (or 1) where the row's event was observed, False (0) where it was censored.
    margin : array-like of shape (n_rows,)
        Log hazard ratios (``booster.predict(X, output_margin=True)`` of a ``survival:cox``
        model, on the rows it was trained on).
    weight : array-like of shape (n_rows,), optional
        Row weights, >= 0.

    Returns
    -------
    event_times : ndarray of shape (n_times,)
        The distinct times with an event (of positive weight), increasing.
    cumulative_hazard : ndarray of shape (n_times,)
        ``H0`` at each of them, non-decreasing.
    """
    time = _vector(time, "time")
    n = time.shape[0]
    if np.any(time < 0):
        i = int(np.flatnonzero(time < 0)[0])
        raise ValueError(f"time must be >= 0; time[{i}] = {float(time[i])!r}")
    event = np.asarray(event)
    if event.shape != (n,):
        raise ValueError(f"event must have shape ({n},); got {event.shape}")
    event = event.astype(bool)
    margin = _vector(margin, "margin", n)
    w = weights_or_ones(None if weight is None else _vector(weight, "weight", n), n)
    if np.any(w < 0):
        raise ValueError("weight must be >= 0")
    if n == 0 or not event.any():
        return np.empty(0), np.empty(0)
    order = np.argsort(time, kind="stable")
    t, m, ww = time[order], margin[order], w[order]
    top = float(m.max())
    # exp() relative to the largest margin cannot overflow; exp(-top) restores the scale.
    relative = ww * np.exp(m - top)
    at_risk_from = np.cumsum(relative[::-1])[::-1]
    times, first = np.unique(t, return_index=True)
    risk = at_risk_from[first]
    deaths = np.add.reduceat(ww * event[order], first)
    keep = deaths > 0
    increments = deaths[keep] / risk[keep] * np.exp(-top)
    return times[keep], np.cumsum(increments)


def survival_function(baseline_times, baseline_cumhaz, hazard_ratio, times) -> np.ndarray:
    """Survival curves of a Cox model: ``S(t | x) = exp(-H0(t) * hazard_ratio(x))``.

    ``H0`` is the step function of :func:`breslow_baseline`: constant between event times,
    0 (so S = 1) before the first.

    Parameters
    ----------
    baseline_times : array-like of shape (n_times,)
        Increasing event times of the baseline.
    baseline_cumhaz : array-like of shape (n_times,)
        Baseline cumulative hazard at those times.
    hazard_ratio : array-like of shape (n_rows,)
        ``exp(margin)`` of each row (``booster.predict(X)`` of a ``survival:cox`` model).
    times : array-like of shape (n_eval,)
        Times at which to evaluate the curves.

    Returns
    -------
    ndarray of shape (n_rows, n_eval)
        Survival probabilities, in [0, 1] and non-increasing along each row when ``times``
        increases.
    """
    baseline_times = _vector(baseline_times, "baseline_times")
    baseline_cumhaz = _vector(baseline_cumhaz, "baseline_cumhaz", baseline_times.shape[0])
    if np.any(np.diff(baseline_times) <= 0):
        raise ValueError("baseline_times must be strictly increasing")
    hazard_ratio = np.ascontiguousarray(hazard_ratio, dtype=np.float64)
    if hazard_ratio.ndim != 1 or np.any(~(hazard_ratio >= 0)):
        raise ValueError("hazard_ratio must be a 1-d array of numbers >= 0")
    times = _vector(times, "times")
    cumhaz = np.zeros(times.shape[0])
    if baseline_times.size:
        step = np.searchsorted(baseline_times, times, side="right") - 1
        cumhaz = np.where(step >= 0, baseline_cumhaz[np.maximum(step, 0)], 0.0)
    return np.exp(-np.outer(hazard_ratio, cumhaz))


# name -> builder(params)
BUILDERS: dict[str, Callable[[dict], Objective]] = {
    "survival:cox": lambda p: CoxObjective(),
    "survival:aft": lambda p: AFTObjective(
        p.get("aft_loss_distribution") or "normal",
        1.0 if p.get("aft_loss_distribution_scale") is None else p["aft_loss_distribution_scale"],
    ),
}
