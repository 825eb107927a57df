"""Adaptive conformal inference for sequences (Gibbs and Candes 2021, "Adaptive conformal
inference under distribution shift").

An online wrapper around any point forecaster's predictions. Each interval is
``prediction +/- q_t``, where ``q_t`` is the conformal ``1 - alpha_t`` quantile of the absolute
errors seen so far (all of them, or the last ``window``). When the outcome arrives the working
level moves by ``alpha_{t+1} = alpha_t + gamma (alpha - err_t)`` (their eq. 2), ``err_t`` being 1
when the outcome fell outside. Misses lower ``alpha_t`` and widen the next intervals; long runs
of hits narrow them. Whatever the sequence, the long-run miss rate obeys (their Proposition 1)

    |mean(err_1..err_T) - alpha| <= (max(alpha_1, 1 - alpha_1) + gamma) / (gamma T).

The bound needs ``alpha_t <= 0`` to give an interval that always covers and ``alpha_t >= 1`` one
that never does; here they are ``(-inf, inf)`` and the empty interval (``lower = +inf``,
``upper = -inf``).
"""

from __future__ import annotations

import math
import numbers
from collections import deque
from typing import Any

import numpy as np

from ...metrics.checks import check_alpha
from .._quantile import conformal_quantile

__all__ = ["AdaptiveConformal", "aci_coverage_bound"]


def aci_coverage_bound(alpha_init: float, gamma: float, n_steps: int) -> float:
    """Largest ``|mean err - alpha|`` that adaptive conformal inference allows after
    ``n_steps`` outcomes: ``(max(alpha_1, 1 - alpha_1) + gamma) / (gamma n_steps)``."""
    return (max(alpha_init, 1.0 - alpha_init) + gamma) / (gamma * n_steps)


def _finite_number(name: str, value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}={value!r} is not valid; valid: a finite number")
    if not math.isfinite(float(value)):
        raise ValueError(f"{name}={value!r} is not valid; valid: a finite number")
    return float(value)


class AdaptiveConformal:
    """Online prediction intervals whose level adapts to the misses of the recent past.

    Parameters
    ----------
    alpha : float in (0, 1), default 0.1
        Target miss rate: the long-run fraction of outcomes outside their interval.
    gamma : float > 0, default 0.005
        Step size of the level update. Larger values react faster to a change of regime and
        make the long-run miss rate converge faster (the bound falls as ``1 / (gamma T)``), at
        the price of intervals whose width jitters more from step to step.
    window : int, optional
        Use only the last ``window`` absolute errors for the quantile (a rolling window that
        forgets the old regime); None keeps every error since :meth:`fit`.
    alpha_init : float in (0, 1), optional
        ``alpha_1``, the level of the first interval; None means ``alpha``.

    Attributes
    ----------
    alpha_t_ : float
        The level the next interval will be issued at.
    alphas_ : ndarray
        The level each issued interval used, in issue order.
    errors_ : ndarray
        1.0 for every resolved interval that missed its outcome, else 0.0, in issue order.
    scores_ : ndarray
        The absolute errors the next quantile is taken over (calibration ones first).

    Examples
    --------
    >>> aci = AdaptiveConformal(alpha=0.1, gamma=0.01).fit(y_calibration, forecast_calibration)
    >>> for forecast, outcome in zip(forecasts, outcomes):
    ...     lower, upper = aci.predict_interval(forecast)
    ...     aci.update(outcome)
    """

    def __init__(
        self,
        alpha: float = 0.1,
        gamma: float = 0.005,
        window: int | None = None,
        alpha_init: float | None = None,
    ) -> None:
        self.alpha = check_alpha(alpha)
        gamma_value = _finite_number("gamma", gamma)
        if gamma_value <= 0:
            raise ValueError(f"gamma={gamma!r} is not valid; valid: a number > 0")
        self.gamma = gamma_value
        if window is not None and (
            isinstance(window, (bool, np.bool_))
            or not isinstance(window, numbers.Integral)
            or window < 1
        ):
            raise ValueError(f"window={window!r} is not valid; valid: None or an integer >= 1")
        self.window = window
        self.alpha_init = (
            self.alpha if alpha_init is None else check_alpha(alpha_init, "alpha_init")
        )
        self.reset()

    def reset(self) -> AdaptiveConformal:
        """Forget every score, interval and update; the next interval uses ``alpha_init``."""
        self.alpha_t_ = self.alpha_init
        self._scores: deque[float] = deque(maxlen=self.window)
        # Intervals issued and still waiting for their outcome, oldest first: a forecast k steps
        # ahead is resolved k steps after it was issued.
        self._pending: deque[tuple[float, float, float]] = deque()
        self._alphas: list[float] = []
        self._errors: list[float] = []
        return self

    def fit(self, y_true: Any, y_pred: Any) -> AdaptiveConformal:
        """Start from the absolute errors of a calibration block (and reset the level).

        Parameters
        ----------
        y_true, y_pred : array-like (n,)
            Outcomes and the forecaster's predictions of them, not used to train it.
        """
        y_true = _series("y_true", y_true)
        y_pred = _series("y_pred", y_pred)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"y_true has shape {y_true.shape} and y_pred {y_pred.shape}; valid: equal shapes"
            )
        self.reset()
        self._scores.extend(np.abs(y_true - y_pred).tolist())
        return self

    @property
    def alphas_(self) -> np.ndarray:
        return np.asarray(self._alphas)

    @property
    def errors_(self) -> np.ndarray:
        return np.asarray(self._errors)

    @property
    def scores_(self) -> np.ndarray:
        return np.asarray(self._scores)

    def _threshold(self, level: float) -> float:
        if level <= 0.0:
            return math.inf
        if level >= 1.0:
            return -math.inf  # the empty interval: it misses every outcome
        return conformal_quantile(np.asarray(self._scores), level)

    def predict_interval(self, prediction: float) -> np.ndarray:
        """Issue the interval for one forecast at the current level ``alpha_t_``.

        Parameters
        ----------
        prediction : float
            The point forecast of the next outcome to be passed to :meth:`update`.

        Returns
        -------
        ndarray (2,)
            ``(lower, upper)``; infinite until there are enough errors for the level, and
            ``(+inf, -inf)`` (empty) when ``alpha_t_ >= 1``.
        """
        centre = _finite_number("prediction", prediction)
        q = self._threshold(self.alpha_t_)
        lower, upper = centre - q, centre + q
        self._pending.append((centre, lower, upper))
        self._alphas.append(self.alpha_t_)
        return np.array([lower, upper])

    def update(self, y: float) -> bool:
        """Resolve the oldest interval still waiting with its outcome ``y``: record the miss,
        add ``|y - prediction|`` to the scores and move ``alpha_t_``.

        Returns
        -------
        bool
            Whether the outcome was covered.
        """
        outcome = _finite_number("y", y)
        if not self._pending:
            raise ValueError("update(y) has no interval to resolve; call predict_interval first")
        centre, lower, upper = self._pending.popleft()
        error = 0.0 if lower <= outcome <= upper else 1.0
        self._errors.append(error)
        self._scores.append(abs(outcome - centre))
        self.alpha_t_ = self.alpha_t_ + self.gamma * (self.alpha - error)
        return error == 0.0

    def run(self, y_pred: Any, y_true: Any, delay: int = 1) -> np.ndarray:
        """Play a whole sequence online: interval ``t`` is issued before outcome ``t``.

        Parameters
        ----------
        y_pred, y_true : array-like (T,)
            Forecasts and outcomes in time order.
        delay : int, default 1
            Steps between issuing a forecast and seeing its outcome: ``k`` for a forecast ``k``
            steps ahead, so that interval ``t`` only knows the outcomes up to ``t - k``.

        Returns
        -------
        ndarray (T, 2)
            The intervals as they were issued; :attr:`errors_` holds their misses.
        """
        y_pred = _series("y_pred", y_pred)
        y_true = _series("y_true", y_true)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"y_true has shape {y_true.shape} and y_pred {y_pred.shape}; valid: equal shapes"
            )
        if (
            isinstance(delay, (bool, np.bool_))
            or not isinstance(delay, numbers.Integral)
            or delay < 1
        ):
            raise ValueError(f"delay={delay!r} is not valid; valid: an integer >= 1")
        intervals = np.empty((y_pred.shape[0], 2))
        for t, prediction in enumerate(y_pred):
            intervals[t] = self.predict_interval(prediction)
            if t - delay + 1 >= 0:
                self.update(y_true[t - delay + 1])
        for t in range(max(y_pred.shape[0] - delay + 1, 0), y_pred.shape[0]):
            self.update(y_true[t])
        return intervals


def _series(name: str, values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} has shape {array.shape}; valid: a 1-d sequence")
    if not np.all(np.isfinite(array)):
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ValueError(f"{name}[{bad}]={array[bad]!r} is not valid; valid: a finite number")
    return array
