"""Map raw feature values to bin indices.

The bin rule is the "Bins" convention of docs/architecture.md: NaN goes to bin 0, and a value ``v``
of a feature with sorted upper bounds ``ub`` goes to bin ``1 + searchsorted(ub, v, side="left")``.
The upper bounds of all features are passed as one flat float64 array, feature ``f`` owning
``upper_bounds[bound_offsets[f]:bound_offsets[f + 1]]``.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_parallel, njit_serial, prange


@njit_serial
def count_bounds_below(upper_bounds, start, stop, value):
    """Return how many of ``upper_bounds[start:stop]`` are ``< value`` (searchsorted, side="left").

    ``value`` must not be NaN.
    """
    n_left = stop - start
    if n_left == 0:
        return 0
    base = start
    # Halving search without an early exit: the trip count depends only on the number of bounds,
    # and the comparison compiles to a conditional move, so the CPU never mispredicts on the data.
    while n_left > 1:
        half = n_left >> 1
        base = base + half if upper_bounds[base + half] < value else base
        n_left -= half
    if upper_bounds[base] < value:
        base += 1
    return base - start


@njit_parallel
def map_to_bins(values, is_transposed, upper_bounds, bound_offsets, rows_per_chunk, binned):
    """Write the bin of every value into ``binned`` (n_rows, n_features), in parallel over row chunks.

    Parameters
    ----------
    values : ndarray of float32 or float64, C-contiguous
        The raw matrix, shape (n_rows, n_features); or, when ``is_transposed``, its transpose
        (n_features, n_rows), which is how an F-ordered matrix is passed without a copy.
    is_transposed : bool
        Whether ``values`` holds features along its first axis.
    upper_bounds : ndarray of float64
        Sorted upper bounds of all features, concatenated.
    bound_offsets : ndarray of int64, shape (n_features + 1,)
        Start of each feature's bounds in ``upper_bounds``.
    rows_per_chunk : int
        Rows handled by one parallel task; the chunking depends only on the data size.
    binned : ndarray of uint8 or uint16, shape (n_rows, n_features), C-contiguous
        Output.
    """
    n_rows, n_features = binned.shape
    n_chunks = (n_rows + rows_per_chunk - 1) // rows_per_chunk
    for chunk in prange(n_chunks):
        row_start = chunk * rows_per_chunk
        row_stop = min(row_start + rows_per_chunk, n_rows)
        # Feature-outer inside a chunk keeps one feature's bounds hot in L1 cache, while the chunk's
        # rows stay in L2 for the next feature.
        for feature in range(n_features):
            start = bound_offsets[feature]
            stop = bound_offsets[feature + 1]
            for row in range(row_start, row_stop):
                if is_transposed:
                    value = np.float64(values[feature, row])
                else:
                    value = np.float64(values[row, feature])
                if np.isnan(value):
                    binned[row, feature] = 0
                else:
                    binned[row, feature] = 1 + count_bounds_below(upper_bounds, start, stop, value)


def map_to_bins_naive(values, is_transposed, upper_bounds, bound_offsets, rows_per_chunk, binned):
    """Plain NumPy twin of :func:`map_to_bins`, used by tests (``rows_per_chunk`` is ignored)."""
    matrix = values.T if is_transposed else values
    for feature in range(binned.shape[1]):
        bounds = upper_bounds[bound_offsets[feature] : bound_offsets[feature + 1]]
        column = matrix[:, feature].astype(np.float64)
        bins = 1 + np.searchsorted(bounds, column, side="left")
        bins[np.isnan(column)] = 0
        binned[:, feature] = bins
