"""Stable in-place partition of a node's row indices into left child then right child.

Stability keeps each child's indices ascending, so later histogram passes read the binned matrix
in memory order. The kernels read one contiguous binned column (a column of the column-major copy
of the binned matrix): ascending rows of one column are close in memory, where the same rows of a
row-major matrix would each cost a cache line.
"""

from __future__ import annotations

from ._presets import njit_parallel, njit_serial, prange
from .intrinsics import PREFETCH_DISTANCE, prefetch


@njit_serial
def _goes_left(bin_value, split_bin, default_left):
    if bin_value == 0:
        return default_left
    return bin_value <= split_bin


@njit_serial
def _partition_serial(column, sample_indices, start, end, split_bin, default_left, scratch):
    n_left = 0
    n_right = 0
    for i in range(start, end):
        if i + PREFETCH_DISTANCE < end:
            prefetch(column, sample_indices[i + PREFETCH_DISTANCE])
        row = sample_indices[i]
        if _goes_left(column[row], split_bin, default_left):
            sample_indices[start + n_left] = row
            n_left += 1
        else:
            scratch[n_right] = row
            n_right += 1
    for j in range(n_right):
        sample_indices[start + n_left + j] = scratch[j]
    return n_left


@njit_parallel
def partition_rows(
    column, sample_indices, start, end, split_bin, default_left, n_chunks, scratch, chunk_counts
):
    """Partition ``sample_indices[start:end]`` by the bins in ``column``; returns the number of
    rows that go left.

    ``scratch`` has at least ``end - start`` int32 slots, ``chunk_counts`` at least ``n_chunks``.
    The result is the same for any ``n_chunks``.
    """
    if n_chunks <= 1:
        return _partition_serial(
            column, sample_indices, start, end, split_bin, default_left, scratch
        )
    n_rows = end - start
    step = (n_rows + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        lo = start + c * step
        hi = min(end, lo + step)
        count = 0
        for i in range(lo, hi):
            if i + PREFETCH_DISTANCE < hi:
                prefetch(column, sample_indices[i + PREFETCH_DISTANCE])
            if _goes_left(column[sample_indices[i]], split_bin, default_left):
                count += 1
        chunk_counts[c] = count
    n_left = 0
    for c in range(n_chunks):
        n_left += chunk_counts[c]
    for c in prange(n_chunks):
        lo = start + c * step
        hi = min(end, lo + step)
        left_before = 0
        for d in range(c):
            left_before += chunk_counts[d]
        right_before = (lo - start) - left_before
        li = left_before
        ri = n_left + right_before
        for i in range(lo, hi):
            if i + PREFETCH_DISTANCE < hi:
                prefetch(column, sample_indices[i + PREFETCH_DISTANCE])
            row = sample_indices[i]
            if _goes_left(column[row], split_bin, default_left):
                scratch[li] = row
                li += 1
            else:
                scratch[ri] = row
                ri += 1
    for i in prange(n_rows):
        sample_indices[start + i] = scratch[i]
    return n_left


@njit_parallel
def add_leaf_values(margin, output, sample_indices, leaf_starts, leaf_ends, leaf_values):
    """``margin[row, output] += value`` for the rows of every leaf, read off the partition."""
    for leaf in prange(leaf_starts.shape[0]):
        value = leaf_values[leaf]
        end = leaf_ends[leaf]
        n_outputs = margin.shape[1]
        flat = margin.reshape(margin.size)
        for i in range(leaf_starts[leaf], end):
            if i + PREFETCH_DISTANCE < end:
                prefetch(flat, sample_indices[i + PREFETCH_DISTANCE] * n_outputs + output)
            margin[sample_indices[i], output] += value
