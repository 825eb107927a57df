"""Reliability diagram: observed frequency of the positive class against predicted
probability, in bins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._common import axes_or_new, float_vector, positive_int

STRATEGIES = ("uniform", "quantile")


@dataclass
class ReliabilityBins:
    """Per non-empty bin: mean predicted probability, observed positive rate, row count."""

    mean_predicted: np.ndarray
    observed_rate: np.ndarray
    count: np.ndarray
    edges: np.ndarray

    @property
    def expected_calibration_error(self) -> float:
        """Count-weighted mean gap between observed rate and mean prediction."""
        gap = np.abs(self.observed_rate - self.mean_predicted)
        return float(np.sum(gap * self.count) / np.sum(self.count))


def reliability_bins(
    y_true: Any, y_prob: Any, n_bins: int = 10, strategy: str = "uniform"
) -> ReliabilityBins:
    """Bin predicted probabilities and compare each bin's mean with its observed rate.

    ``strategy="uniform"`` cuts [0, 1] into ``n_bins`` equal widths; ``"quantile"`` puts about
    the same number of rows in each bin (ties can merge bins). Empty bins are dropped.
    """
    n_bins = positive_int("n_bins", n_bins)
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy={strategy!r} is not valid; valid: {', '.join(STRATEGIES)}")
    prob = float_vector("y_prob", y_prob)
    y = float_vector("y_true", y_true, prob.shape[0])
    if prob.size == 0:
        raise ValueError("y_prob is empty")
    if not np.all((prob >= 0.0) & (prob <= 1.0)):
        raise ValueError("y_prob must hold probabilities in [0, 1] (no NaN)")
    if not np.all((y == 0.0) | (y == 1.0)):
        raise ValueError("y_true must hold binary labels 0 and 1")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:
        edges = np.unique(np.quantile(prob, np.linspace(0.0, 1.0, n_bins + 1)))
        if edges.size == 1:  # every prediction equal: one bin around it
            edges = np.array([edges[0], edges[0]])
    # Inner edges only: a probability equal to an edge falls in the bin on its left, and the
    # top edge belongs to the last bin.
    which = np.searchsorted(edges[1:-1], prob, side="left")
    n_cut = edges.size - 1
    count = np.bincount(which, minlength=n_cut).astype(np.float64)
    sum_prob = np.bincount(which, weights=prob, minlength=n_cut)
    sum_true = np.bincount(which, weights=y, minlength=n_cut)
    used = count > 0
    return ReliabilityBins(
        mean_predicted=sum_prob[used] / count[used],
        observed_rate=sum_true[used] / count[used],
        count=count[used].astype(np.int64),
        edges=edges,
    )


def plot_reliability(
    y_true: Any,
    y_prob: Any,
    n_bins: int = 10,
    strategy: str = "uniform",
    ax=None,
    label: str = "model",
    title: str | None = "Reliability diagram",
    show_counts: bool = False,
):
    """Reliability diagram of binary probabilities: one point per non-empty bin at (mean
    predicted probability, observed positive rate); the diagonal is perfect calibration.
    Marker area grows with the bin's row count; the legend gives the expected calibration
    error (ECE).

    Parameters
    ----------
    y_true : array of 0/1
    y_prob : array of probabilities of class 1
    n_bins : int
    strategy : {"uniform", "quantile"}
        Equal-width bins over [0, 1], or bins holding equal numbers of rows.
    ax : matplotlib Axes, optional
        Call again with the same ``ax`` to compare models.
    label : str
    title : str or None
    show_counts : bool
        Write each bin's row count beside its marker (small bins are noisy).

    Returns
    -------
    matplotlib Axes
    """
    bins = reliability_bins(y_true, y_prob, n_bins, strategy)
    ax = axes_or_new(ax, figsize=(5.5, 5.0))
    if not any(line.get_gid() == "diagonal" for line in ax.get_lines()):
        ax.plot([0, 1], [0, 1], linestyle="--", color="#888888", lw=1,
                label="perfectly calibrated", gid="diagonal")  # fmt: skip
    ece = bins.expected_calibration_error
    (line,) = ax.plot(bins.mean_predicted, bins.observed_rate, marker="o", markersize=0,
                      label=f"{label} (ECE {ece:.3f})")  # fmt: skip
    sizes = 20 + 180 * bins.count / bins.count.max()
    ax.scatter(bins.mean_predicted, bins.observed_rate, s=sizes, color=line.get_color(),
               zorder=3, edgecolors="white")  # fmt: skip
    if show_counts:
        for x, y, count in zip(bins.mean_predicted, bins.observed_rate, bins.count):
            ax.annotate(f"n={count}", (x, y), xytext=(6, -10), textcoords="offset points",
                        fontsize=7, color="#555555")  # fmt: skip
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed rate of class 1")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return ax
