"""Candidate split thresholds of an online step, and the bins of a batch.

An online step has no fixed data set, so by default the thresholds are recomputed from each
batch: for every feature, the midpoints between neighbouring distinct values when there are at
most ``max_bin`` of them, else the midpoints after the batch's ``j / max_bin`` quantiles
(``binning="quantile"``, the default), or ``max_bin - 1`` evenly spaced values between the
batch's minimum and maximum (``binning="uniform"``). Quantiles put the candidates where the rows
are, which matters for RL states that crowd in a small part of their range. Fixed thresholds
(``bin_edges``: a fitted :class:`~treeboost.BinMapper` or one increasing array per feature) are
used for every batch instead, as ``tb.train`` uses its bins.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels.online import bin_rows_online

BINNINGS = ("quantile", "uniform")


def _midpoints(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    middle = 0.5 * lower + 0.5 * upper
    # Neighbouring floats have no value strictly between them; ``lower`` still splits them.
    return np.where((lower < middle) & (middle < upper), middle, lower)


def _quantile_column(column: np.ndarray, max_bin: int) -> np.ndarray:
    values = np.sort(column)
    values = values[: np.searchsorted(values, np.nan)]  # NaN sorts last
    if values.size < 2:
        return np.empty(0)
    distinct = values[np.concatenate(([True], values[1:] != values[:-1]))]
    if distinct.size <= max_bin:
        return _midpoints(distinct[:-1], distinct[1:])
    positions = (np.arange(1, max_bin) * values.size) // max_bin
    cut = np.unique(values[positions - 1])
    cut = cut[cut < distinct[-1]]
    upper = distinct[np.searchsorted(distinct, cut, side="right")]
    return _midpoints(cut, upper)


def _uniform_column(column: np.ndarray, max_bin: int) -> np.ndarray:
    finite = column[~np.isnan(column)]
    if finite.size < 2:
        return np.empty(0)
    low, high = float(finite.min()), float(finite.max())
    if not low < high:
        return np.empty(0)
    return np.unique(np.linspace(low, high, max_bin + 1)[1:-1])


def batch_thresholds(X: np.ndarray, max_bin: int, binning: str) -> list[np.ndarray]:
    """Per feature, increasing float64 thresholds (at most ``max_bin - 1``) from one batch."""
    column_thresholds = _quantile_column if binning == "quantile" else _uniform_column
    return [column_thresholds(X[:, f], max_bin) for f in range(X.shape[1])]


def fixed_thresholds(bin_edges: Any, n_features: int, max_bin: int) -> list[np.ndarray]:
    """Validate ``bin_edges``: a fitted BinMapper or a list of increasing arrays, one a feature."""
    edges = getattr(bin_edges, "bin_upper_bounds_", bin_edges)
    if not isinstance(edges, (list, tuple)) or len(edges) != n_features:
        raise ValueError(
            f"bin_edges must be a fitted BinMapper or a list of {n_features} arrays (one per "
            f"feature); got {type(bin_edges).__name__} of length "
            f"{len(edges) if hasattr(edges, '__len__') else 'n/a'}"
        )
    out = []
    for f, e in enumerate(edges):
        e = np.asarray(e, dtype=np.float64).ravel()
        if e.size > max_bin - 1 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
            raise ValueError(
                f"bin_edges[{f}] must hold at most max_bin - 1 = {max_bin - 1} finite, strictly "
                f"increasing thresholds; got {e.size} values"
            )
        out.append(e)
    return out


def bin_rows(X: np.ndarray, thresholds: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Bins (n, m) uint16 and bin counts (m,) int64: bin b holds ``t[b-1] < x <= t[b]``, so a
    split after bin b is the rule ``x <= t[b]``; NaN lands in the last bin (goes right)."""
    n_bins = np.array([t.size + 1 for t in thresholds], dtype=np.int64)
    offsets = np.zeros(len(thresholds) + 1, dtype=np.int64)
    np.cumsum(n_bins - 1, out=offsets[1:])
    flat = np.concatenate(thresholds) if thresholds else np.empty(0)
    bins = np.empty(X.shape, dtype=np.uint16)
    bin_rows_online(X, flat.astype(np.float64, copy=False), offsets, bins)
    return bins, n_bins
