"""Prediction intervals against the true values."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import axes_or_new, float_vector, positive_int

COVERED = "#3b75af"
MISSED = "#d62728"


def plot_intervals(
    y_true: Any,
    lower: Any,
    upper: Any,
    y_pred: Any = None,
    max_points: int | None = 200,
    ax=None,
    title: str | None = "Prediction intervals",
    seed: int = 0,
):
    """Each row's interval as a vertical bar, with its true value as a dot: blue when the
    interval covers it, red when not. Rows are sorted by prediction (or interval centre), and
    the title reports the empirical coverage and mean width over all rows.

    Parameters
    ----------
    y_true, lower, upper : arrays of one value per row
    y_pred : array, optional
        Point predictions, drawn as small dashes; also the sort key.
    max_points : int or None
        Draw a seeded random subset of this many rows (coverage still uses all).
    ax : matplotlib Axes, optional
    title : str or None
        Coverage and width are appended.
    seed : int
        Seed of the subset.

    Returns
    -------
    matplotlib Axes
    """
    y = float_vector("y_true", y_true)
    n = y.shape[0]
    low = float_vector("lower", lower, n)
    high = float_vector("upper", upper, n)
    pred = None if y_pred is None else float_vector("y_pred", y_pred, n)
    max_points = positive_int("max_points", max_points, allow_none=True)
    if n == 0:
        raise ValueError("y_true is empty")
    if np.isnan(y).any() or np.isnan(low).any() or np.isnan(high).any():
        raise ValueError("y_true, lower and upper must not contain NaN")
    if np.any(low > high):
        row = int(np.flatnonzero(low > high)[0])
        raise ValueError(f"lower > upper at row {row} ({low[row]} > {high[row]})")
    covered = (low <= y) & (y <= high)
    coverage = float(covered.mean())
    width = float(np.mean(high - low))

    rows = np.arange(n)
    if max_points is not None and n > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))
    key = pred[rows] if pred is not None else 0.5 * (low[rows] + high[rows])
    rows = rows[np.argsort(key, kind="stable")]
    position = np.arange(rows.size)

    ax = axes_or_new(ax, figsize=(8.0, 4.5))
    ax.vlines(position, low[rows], high[rows], color="#b0c4de", lw=2, label="interval")
    hit = covered[rows]
    ax.scatter(position[hit], y[rows][hit], s=12, color=COVERED, zorder=3, label="covered")
    ax.scatter(position[~hit], y[rows][~hit], s=12, color=MISSED, zorder=3, label="not covered")
    if pred is not None:
        ax.scatter(position, pred[rows], s=14, marker="_", color="black", zorder=2,
                   label="prediction")  # fmt: skip
    ax.set_xlabel("rows, sorted by " + ("prediction" if pred is not None else "interval centre"))
    ax.set_ylabel("value")
    summary = f"coverage {coverage:.1%}, mean width {width:.3g}, {n} rows"
    ax.set_title(f"{title}\n{summary}" if title else summary)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    return ax
