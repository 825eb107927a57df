"""Map raw feature values to bin indices.

The bin rule is the "Bins" convention of docs/architecture.md: NaN goes to bin 0, and a value ``v``
of a feature with sorted upper bounds ``ub`` goes to bin ``1 + searchsorted(ub, v, side="left")``.

A plain binary search costs about eight dependent, unpredictable steps per value. The kernel first
looks the value up in a per-feature table of equal-width buckets over ``[ub[0], ub[-1]]``, which
narrows the search to the bounds in the value's bucket: usually zero or one, so one comparison
finishes it. The bucket map is monotone, which is all that exactness needs: a bound in a lower
bucket than ``v`` is below ``v``, a bound in a higher bucket is not.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_inline, njit_parallel, njit_serial, prange

# Buckets per bound: four keeps most buckets at <= 1 bound for smooth (quantile) bounds; the cap
# keeps a table at 16 KiB, in L1 cache, when max_bin is large.
_BUCKETS_PER_BOUND = 4
_MAX_BUCKETS = 4096


def build_search_index(bin_upper_bounds: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Pack per-feature upper bounds into the flat arrays :func:`map_to_bins` reads.

    Parameters
    ----------
    bin_upper_bounds : list of ndarray of float64
        Strictly increasing upper bounds of each feature.

    Returns
    -------
    tuple of ndarray
        ``(bounds, bound_offsets, bucket_origin, bucket_scale, table_offsets, bucket_first)``:
        feature ``f``'s bounds are ``bounds[bound_offsets[f]:bound_offsets[f + 1] - 1]``, followed
        by a ``+inf`` sentinel; a value ``v`` falls in bucket
        ``clip(floor((v - bucket_origin[f]) * bucket_scale[f]), 0, n_buckets - 1)``, and
        ``bucket_first[table_offsets[f] + b]`` counts the feature's bounds in buckets below ``b``
        (the table has ``n_buckets + 1`` entries).
    """
    n_features = len(bin_upper_bounds)
    sizes = np.array([b.size for b in bin_upper_bounds], dtype=np.int64)
    flat = np.concatenate([np.empty(0)] + list(bin_upper_bounds)).astype(np.float64)
    owner = np.repeat(np.arange(n_features), sizes)
    ends = np.cumsum(sizes)
    bucket_origin = np.zeros(n_features, dtype=np.float64)
    bucket_scale = np.zeros(n_features, dtype=np.float64)
    n_buckets = np.ones(n_features, dtype=np.int64)
    wide = np.flatnonzero(sizes >= 2)
    if wide.size:
        first = flat[ends[wide] - sizes[wide]]
        last = flat[ends[wide] - 1]
        candidate = np.minimum(_BUCKETS_PER_BOUND * sizes[wide], _MAX_BUCKETS)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            scale = candidate / (last - first)
        # An infinite bound or span makes the scale 0 or inf: fall back to one bucket.
        usable = np.isfinite(scale) & (scale > 0)
        chosen = wide[usable]
        n_buckets[chosen] = candidate[usable]
        bucket_origin[chosen] = first[usable]
        bucket_scale[chosen] = scale[usable]
    with np.errstate(invalid="ignore", over="ignore"):
        position = (flat - bucket_origin[owner]) * bucket_scale[owner]
    # Same arithmetic as the kernel (NaN, from 0 * inf, fails both tests and lands in 0).
    bucket = np.zeros(flat.size, dtype=np.int64)
    inside = position >= 0
    bucket[inside] = np.minimum(np.floor(position[inside]), (n_buckets[owner] - 1)[inside])
    # bucket_first[table_offsets[f] + b] counts feature f's bounds in buckets below b: a
    # per-feature running sum of a histogram of buckets shifted by one.
    table_offsets = np.zeros(n_features + 1, dtype=np.int64)
    table_offsets[1:] = np.cumsum(n_buckets + 1)
    counts = np.bincount(table_offsets[owner] + bucket + 1, minlength=int(table_offsets[-1]))
    running = np.cumsum(counts)
    segment_base = np.repeat(
        running[table_offsets[:-1]] - counts[table_offsets[:-1]], n_buckets + 1
    )
    bucket_first = (running - segment_base).astype(np.int32)

    bound_offsets = np.zeros(n_features + 1, dtype=np.int64)
    bound_offsets[1:] = np.cumsum(sizes + 1)
    # Each feature's bounds followed by a +inf sentinel.
    bounds = np.full(int(bound_offsets[-1]), np.inf)
    bounds[np.arange(flat.size) + owner] = flat
    return (
        bounds,
        bound_offsets,
        bucket_origin,
        bucket_scale,
        table_offsets,
        bucket_first,
    )


@njit_serial
def count_bounds_below(bounds, start, stop, value):
    """Return how many of ``bounds[start:stop]`` are ``< value`` (searchsorted, side="left")."""
    n_left = stop - start
    if n_left == 0:
        return 0
    base = start
    # No early exit: the trip count depends only on the range, and the comparison compiles to a
    # conditional move, so the data never causes a branch misprediction.
    while n_left > 1:
        half = n_left >> 1
        base = base + half if bounds[base + half] < value else base
        n_left -= half
    if bounds[base] < value:
        base += 1
    return base - start


@njit_inline
def bin_of_value(value, bounds, bounds_start, origin, scale, n_buckets, bucket_first, table_start):
    """The bin of one float64 ``value`` of a feature (see :func:`build_search_index`)."""
    position = (value - origin) * scale
    if position >= n_buckets:
        bucket = n_buckets - 1
    elif position >= 0:
        bucket = int(position)
    else:
        bucket = 0
    below = bucket_first[table_start + bucket]
    n_undecided = bucket_first[table_start + bucket + 1] - below
    if n_undecided > 1:
        start = bounds_start + below
        below += count_bounds_below(bounds, start, start + n_undecided, value)
    else:
        # One undecided bound, or none: then bounds[...] is the next bucket's first bound or
        # the +inf sentinel, both >= value, so the comparison adds nothing.
        below += bounds[bounds_start + below] < value
    # NaN flows through the lookup harmlessly (it compares false) and is replaced here.
    return 0 if np.isnan(value) else 1 + below


@njit_serial
def bin_column(
    column, bounds, bounds_start, origin, scale, n_buckets, bucket_first, table_start, binned_column
):
    """Bin one feature's values ``column`` into ``binned_column`` (same length)."""
    for row in range(column.shape[0]):
        binned_column[row] = bin_of_value(
            np.float64(column[row]),
            bounds,
            bounds_start,
            origin,
            scale,
            n_buckets,
            bucket_first,
            table_start,
        )


@njit_parallel
def map_to_bins(values, is_transposed, search_index, rows_per_chunk, binned):
    """Write the bin of every value into ``binned`` (n_rows, n_features), parallel over row chunks.

    Parameters
    ----------
    values : ndarray of float32 or float64, C-contiguous
        The raw matrix, shape (n_rows, n_features); or, when ``is_transposed``, its transpose
        (n_features, n_rows), which is how an F-ordered matrix is passed without a copy.
    is_transposed : bool
        Whether ``values`` holds features along its first axis.
    search_index : tuple of ndarray
        The output of :func:`build_search_index`.
    rows_per_chunk : int
        Rows per parallel task; the chunking depends only on the data size.
    binned : ndarray of uint8 or uint16, shape (n_rows, n_features), C-contiguous
        Output.
    """
    bounds, bound_offsets, bucket_origin, bucket_scale, table_offsets, bucket_first = search_index
    n_rows, n_features = binned.shape
    n_chunks = (n_rows + rows_per_chunk - 1) // rows_per_chunk
    for chunk in prange(n_chunks):
        row_start = chunk * rows_per_chunk
        row_stop = min(row_start + rows_per_chunk, n_rows)
        # Feature-outer within a chunk keeps one feature's table in L1 cache while the chunk's
        # rows stay in L2 for the next feature.
        for feature in range(n_features):
            table_start = table_offsets[feature]
            n_buckets = table_offsets[feature + 1] - table_start - 1
            origin = bucket_origin[feature]
            scale = bucket_scale[feature]
            bounds_start = bound_offsets[feature]
            out = binned[row_start:row_stop, feature]
            # Two calls, not one: the two column views have different numba types.
            if is_transposed:
                bin_column(
                    values[feature, row_start:row_stop],
                    bounds,
                    bounds_start,
                    origin,
                    scale,
                    n_buckets,
                    bucket_first,
                    table_start,
                    out,
                )
            else:
                bin_column(
                    values[row_start:row_stop, feature],
                    bounds,
                    bounds_start,
                    origin,
                    scale,
                    n_buckets,
                    bucket_first,
                    table_start,
                    out,
                )


def map_to_bins_naive(values: np.ndarray, bin_upper_bounds: list[np.ndarray]) -> np.ndarray:
    """Plain NumPy twin of :func:`map_to_bins`, used by tests.

    ``values`` is (n_rows, n_features) in any layout; returns the bins as int64.
    """
    binned = np.empty(values.shape, dtype=np.int64)
    for feature, bounds in enumerate(bin_upper_bounds):
        column = values[:, feature].astype(np.float64)
        binned[:, feature] = 1 + np.searchsorted(bounds, column, side="left")
        binned[np.isnan(column), feature] = 0
    return binned
