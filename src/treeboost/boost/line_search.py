"""One-dimensional minimisers for the step of a boosting stage.

The loss along a base learner's output, ``rho -> L(F + rho * h)``, is convex in ``rho`` for every
loss in :mod:`.losses`, so its derivative is non-decreasing. :func:`newton_1d` uses that: it keeps
a bracket on which the derivative changes sign and takes Newton steps inside it, falling back to
bisection when a step would leave the bracket. That converges for the smooth losses (logistic,
multinomial) in a few Newton iterations and for Huber, whose second derivative jumps, too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# (first derivative, second derivative) of the loss along the direction, at rho
Derivatives = Callable[[float], "tuple[float, float]"]


def newton_1d(
    derivatives: Derivatives, start: float = 1.0, tol: float = 1e-12, max_iter: int = 100
) -> float:
    """Minimise a convex function of one variable from its first two derivatives.

    Parameters
    ----------
    derivatives : callable
        ``rho -> (d, d2)``: the first and second derivative at ``rho``.
    start : float, default=1.0
        Where the search starts (the unit step of plain gradient boosting).
    tol : float, default=1e-12
        Stop when the bracket or the Newton step is shorter than ``tol * (1 + |rho|)``.
    max_iter : int, default=100
        Most Newton or bisection iterations.

    Returns
    -------
    float
        The minimiser; 0.0 when the function is flat (the direction is zero).
    """
    rho = float(start)
    d, d2 = derivatives(rho)
    if d == 0.0:
        return rho
    # Grow a bracket [low, high] with d(low) < 0 < d(high), from the Newton step's side.
    step = abs(d / d2) if d2 > 0 else 1.0
    low, high = (rho, None) if d < 0 else (None, rho)
    probe = rho
    for _ in range(200):
        probe = probe + step if d < 0 else probe - step
        dp, _ = derivatives(probe)
        if (dp < 0) == (d < 0) and dp != 0.0:
            if d < 0:
                low = probe
            else:
                high = probe
            step *= 2.0
            continue
        if d < 0:
            high = probe
        else:
            low = probe
        break
    else:  # the derivative never changed sign: unbounded below along this direction
        return probe
    if dp == 0.0:
        return probe
    for _ in range(max_iter):
        d, d2 = derivatives(rho)
        if d == 0.0:
            return rho
        if d < 0:
            low = max(low, rho)
        else:
            high = min(high, rho)
        candidate = rho - d / d2 if d2 > 0 else np.inf
        if not low < candidate < high:
            candidate = 0.5 * (low + high)
        if abs(candidate - rho) <= tol * (1.0 + abs(rho)) or high - low <= tol * (1.0 + abs(rho)):
            return candidate
        rho = candidate
    return rho


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The value minimising ``sum(weights * |values - m|)`` over ``m``.

    Parameters
    ----------
    values, weights : ndarray of shape (n,)
        Weights are non-negative with a positive sum.

    Returns
    -------
    float
        The smallest value at which the cumulative weight reaches half the total (any point
        between it and the next value minimises too when the halves are exactly equal; the
        midpoint is returned then).
    """
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cumulative = np.cumsum(w)
    half = 0.5 * cumulative[-1]
    i = int(np.searchsorted(cumulative, half))
    if np.isclose(cumulative[i], half, rtol=1e-12, atol=0.0) and i + 1 < len(v):
        return 0.5 * (float(v[i]) + float(v[i + 1]))
    return float(v[i])
