"""Gradient histograms: per feature and bin, the sums of gradients and hessians of a node's rows.

Sums are float64 although gradients are float32: the larger child's histogram is the parent's minus
the smaller child's, and in float32 that subtraction would cancel away the small child's signal.
Quantized gradients (int8, kernels/quantize.py) are added into int32 bins by the same kernels:
each row's pair is added as it comes, widened to the histogram's type by the addition itself.

Parallel work is cut into chunks whose number depends only on the node size, never on the thread
count, and the chunk histograms are added in chunk order, so the sums are bit-identical for any
``n_jobs``.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_inline, njit_parallel, njit_serial, prange
from .intrinsics import PREFETCH_DISTANCE, prefetch

# Parallel work is cut into chunks by node size alone. Measured on 2 cores (1M x 28 rows): 2-4
# chunks beat 8-16 at every node size (each chunk zeroes and reduces a whole histogram), and even
# 4,000-row nodes gain from 2 chunks; the count still grows for very large nodes so more cores
# have work.
MAX_CHUNKS = 16


@njit_serial
def n_chunks_for(n_rows):
    """Number of chunks a node of ``n_rows`` rows is split into (independent of threads)."""
    if n_rows < 1024:
        return 1
    if n_rows < 16384:
        return 2
    return int(min(MAX_CHUNKS, max(4, n_rows // 262144)))


@njit_serial
def _prefetch_row(flat_binned, flat_gh, row, n_features):
    # The row's bins may straddle two cache lines: ask for its first and last byte.
    prefetch(flat_binned, row * n_features)
    prefetch(flat_binned, row * n_features + n_features - 1)
    prefetch(flat_gh, 2 * row)


@njit_serial
def _accumulate_rows(binned, gh, sample_indices, start, end, features, bin_offsets, hist):
    n_selected = features.shape[0]
    n_features = binned.shape[1]
    flat_binned = binned.reshape(binned.size)
    flat_gh = gh.reshape(gh.size)
    if n_selected == n_features:
        # Every feature: no indirection through ``features`` (measured ~40% faster).
        flat = hist.reshape(hist.size)
        for i in range(start, end):
            if i + PREFETCH_DISTANCE < end:
                _prefetch_row(
                    flat_binned, flat_gh, sample_indices[i + PREFETCH_DISTANCE], n_features
                )
            row = sample_indices[i]
            g = gh[row, 0]
            h = gh[row, 1]
            for f in range(n_selected):
                b = 2 * (bin_offsets[f] + binned[row, f])
                flat[b] += g
                flat[b + 1] += h
        return
    for i in range(start, end):
        if i + PREFETCH_DISTANCE < end:
            _prefetch_row(flat_binned, flat_gh, sample_indices[i + PREFETCH_DISTANCE], n_features)
        row = sample_indices[i]
        g = gh[row, 0]
        h = gh[row, 1]
        for j in range(n_selected):
            f = features[j]
            b = bin_offsets[f] + binned[row, f]
            hist[b, 0] += g
            hist[b, 1] += h


@njit_inline
def zero_feature_bins(hist, features, bin_offsets):
    """Zero the bins of ``features`` in ``hist`` (total_bins, 2)."""
    for j in range(features.shape[0]):
        f = features[j]
        for b in range(bin_offsets[f], bin_offsets[f + 1]):
            hist[b, 0] = 0
            hist[b, 1] = 0


@njit_inline
def sum_chunk_bins(chunk_hists, n_chunks, lo, hi, hist_out):
    """``hist_out[lo:hi]`` = the sum of the first ``n_chunks`` chunk histograms, in chunk order
    (so the sums do not depend on which thread built which chunk)."""
    for b in range(lo, hi):
        g = chunk_hists[0, b, 0]
        h = chunk_hists[0, b, 1]
        for c in range(1, n_chunks):
            g += chunk_hists[c, b, 0]
            h += chunk_hists[c, b, 1]
        hist_out[b, 0] = g
        hist_out[b, 1] = h


@njit_parallel
def build_histogram(
    binned, gh, sample_indices, start, end, features, bin_offsets, n_chunks, chunk_hists, hist_out
):
    """Fill ``hist_out`` (total_bins, 2) with the gradient/hessian sums of rows
    ``sample_indices[start:end]`` for the given features (other features' bins may be left as
    they were or filled too, and must not be read).

    ``chunk_hists`` is scratch of shape (>= n_chunks, total_bins, 2), used when ``n_chunks > 1``.
    """
    n_selected = features.shape[0]
    n_features = binned.shape[1]
    if n_selected < n_features and 4 * n_selected >= 3 * n_features:
        # Most features selected (column sampling): adding every feature's bins, unread ones
        # included, beats the indirection through ``features`` (measured on 0.8 of the columns).
        # The selected features' sums are the same, added in the same order.
        features = np.arange(n_features).astype(features.dtype)
        n_selected = n_features
    if n_chunks <= 1:
        zero_feature_bins(hist_out, features, bin_offsets)
        _accumulate_rows(binned, gh, sample_indices, start, end, features, bin_offsets, hist_out)
        return
    n_rows = end - start
    step = (n_rows + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        local = chunk_hists[c]
        zero_feature_bins(local, features, bin_offsets)
        lo = start + c * step
        hi = min(end, lo + step)
        _accumulate_rows(binned, gh, sample_indices, lo, hi, features, bin_offsets, local)
    # Fixed-order reduction, parallel over features.
    for j in prange(n_selected):
        f = features[j]
        sum_chunk_bins(chunk_hists, n_chunks, bin_offsets[f], bin_offsets[f + 1], hist_out)


@njit_serial
def subtract_histogram(parent, child, features, bin_offsets):
    """In place: ``parent -= child`` on the selected features; the parent becomes the sibling."""
    for j in range(features.shape[0]):
        f = features[j]
        for b in range(bin_offsets[f], bin_offsets[f + 1]):
            parent[b, 0] -= child[b, 0]
            parent[b, 1] -= child[b, 1]


def build_histogram_naive(binned, gh, rows, features, bin_offsets, total_bins):
    """Obviously-correct twin of :func:`build_histogram`, for tests."""
    hist = np.zeros((total_bins, 2))
    for f in features:
        bins = bin_offsets[f] + binned[rows, f].astype(np.int64)
        np.add.at(hist[:, 0], bins, gh[rows, 0].astype(np.float64))
        np.add.at(hist[:, 1], bins, gh[rows, 1].astype(np.float64))
    return hist


# -- Histograms that skip each feature's most frequent bin ---------------------------------------
# Real tables are full of columns dominated by one value (zero counts, flags, a common level):
# such a column's most frequent bin can hold most of the rows. Rows listed as their other bins
# only (``row_ptr``/``entries``: per row, the global bins of the features whose value is not
# their feature's most frequent one) make a histogram pass touch those entries alone; the most
# frequent bin of each feature is then the node's total minus the feature's other bins. Gradient
# sums are float64 sums of float32 values, exact on all but huge inputs, so the histogram equals
# the one added row by row.


# Relative size of a most-frequent-bin remainder below which it is rounding, not rows.
_EMPTY_REMAINDER = 1e-10


@njit_serial
def _accumulate_entries(row_ptr, entries, gh, sample_indices, start, end, hist):
    flat = hist.reshape(hist.size)
    flat_gh = gh.reshape(gh.size)
    for i in range(start, end):
        if i + PREFETCH_DISTANCE < end:
            ahead = sample_indices[i + PREFETCH_DISTANCE]
            prefetch(entries, row_ptr[ahead])
            prefetch(flat_gh, 2 * ahead)
        row = sample_indices[i]
        g = gh[row, 0]
        h = gh[row, 1]
        for k in range(row_ptr[row], row_ptr[row + 1]):
            b = 2 * np.int64(entries[k])
            flat[b] += g
            flat[b + 1] += h


@njit_inline
def _fill_mode_bins(hist, features, bin_offsets, mode_bins, sum_g, sum_h):
    """Each selected feature's most frequent bin: the node's totals minus the other bins."""
    for j in range(features.shape[0]):
        f = features[j]
        m = mode_bins[f]
        if m < 0:
            continue
        g = sum_g
        h = sum_h
        for b in range(bin_offsets[f], bin_offsets[f + 1]):
            if b != m:
                g -= hist[b, 0]
                h -= hist[b, 1]
        # A bin no row of the node falls in is exactly zero when the sums are exact; where they
        # are not, rounding must not make it look occupied (category splits list the
        # categories present), so a remainder at rounding level is taken as empty.
        if abs(h) <= _EMPTY_REMAINDER * sum_h and abs(g) <= _EMPTY_REMAINDER * (abs(sum_g) + sum_h):
            g = 0.0
            h = 0.0
        hist[m, 0] = g
        hist[m, 1] = h


@njit_parallel
def build_histogram_skipping(
    row_ptr, entries, gh, sample_indices, start, end, features, bin_offsets, mode_bins, sum_g,
    sum_h, n_chunks, chunk_hists, hist_out,
):  # fmt: skip
    """:func:`build_histogram` from the rows' listed entries (see above): ``mode_bins[f]`` is
    feature ``f``'s unlisted bin (-1: every bin listed), ``sum_g``/``sum_h`` the node's totals.
    Every feature's bins are written; the selected ones are complete."""
    n_bins_total = hist_out.shape[0]
    if n_chunks <= 1:
        hist_out[:] = 0
        _accumulate_entries(row_ptr, entries, gh, sample_indices, start, end, hist_out)
        _fill_mode_bins(hist_out, features, bin_offsets, mode_bins, sum_g, sum_h)
        return
    n_rows = end - start
    step = (n_rows + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        local = chunk_hists[c]
        local[:n_bins_total] = 0
        lo = start + c * step
        hi = min(end, lo + step)
        _accumulate_entries(row_ptr, entries, gh, sample_indices, lo, hi, local)
    for j in prange(features.shape[0]):
        f = features[j]
        sum_chunk_bins(chunk_hists, n_chunks, bin_offsets[f], bin_offsets[f + 1], hist_out)
    _fill_mode_bins(hist_out, features, bin_offsets, mode_bins, sum_g, sum_h)


def listed_entries(binned: np.ndarray, bin_offsets: np.ndarray, skippable: np.ndarray,
                   max_density: float):  # fmt: skip
    """``(row_ptr, entries, mode_bins)`` of a dense bin matrix for
    :func:`build_histogram_skipping`, or None when the listed entries would be more than
    ``max_density`` of the matrix. Only ``skippable`` features have a bin left unlisted: the
    most frequent of their value bins (bin 0, missing values, is always listed)."""
    n_rows, n_features = binned.shape
    mode_bins = np.full(n_features, -1, dtype=np.int64)
    local_modes = np.full(n_features, -1, dtype=np.int64)
    unlisted = 0
    for f in np.flatnonzero(skippable):
        n_bins = int(bin_offsets[f + 1] - bin_offsets[f])
        counts = np.bincount(binned[:, f], minlength=n_bins)
        if n_bins < 2:
            continue
        mode = int(np.argmax(counts[1:])) + 1
        local_modes[f] = mode
        mode_bins[f] = int(bin_offsets[f]) + mode
        unlisted += int(counts[mode])
    if n_rows == 0 or n_rows * n_features - unlisted > max_density * n_rows * n_features:
        return None
    row_ptr = np.zeros(n_rows + 1, dtype=np.int64)
    entries = _list_entries(binned, bin_offsets.astype(np.int64), local_modes, row_ptr,
                            n_rows * n_features - unlisted)  # fmt: skip
    return row_ptr, entries, mode_bins


@njit_serial
def _list_entries(binned, bin_offsets, local_modes, row_ptr, n_entries):
    entries = np.empty(n_entries, dtype=np.int32)
    at = 0
    for i in range(binned.shape[0]):
        for f in range(binned.shape[1]):
            b = np.int64(binned[i, f])
            if b != local_modes[f]:
                entries[at] = bin_offsets[f] + b
                at += 1
        row_ptr[i + 1] = at
    return entries
