"""Stable in-place partition of a node's row indices into left child then right child.

Stability keeps each child's indices ascending, so later histogram passes read the binned matrix
in memory order. The kernels read one contiguous binned column (a column of the column-major copy
of the binned matrix): ascending rows of one column are close in memory, where the same rows of a
row-major matrix would each cost a cache line.

The loops are branch-free: whether a row goes left is close to a coin flip, and a mispredicted
branch per row cost more than writing every row to both destinations and advancing one cursor.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_parallel, njit_serial, prange
from .intrinsics import PREFETCH_DISTANCE, prefetch


@njit_serial
def direction_table(split_bin, default_left, n_bins):
    """``table[b]`` = 1 if bin ``b`` goes left: bins 1..split_bin, and bin 0 (missing) when
    ``default_left``. A lookup replaces the per-row comparisons (measured 30% faster), and the
    same kernels then serve categorical splits, whose tables list their left categories."""
    table = np.zeros(n_bins, dtype=np.uint8)
    fill_direction_table(table, split_bin, default_left)
    return table


@njit_serial
def fill_direction_table(table, split_bin, default_left):
    """Write :func:`direction_table` into ``table`` (zeroed, one entry per bin) in place."""
    table[0] = 1 if default_left else 0
    table[1 : min(split_bin + 1, table.shape[0])] = 1


@njit_serial
def _split_segment(column, sample_indices, lo, hi, table, rights, rights_at):
    """Lefts to the front of ``sample_indices[lo:hi]`` (in place: a left row is written at or
    before its own position), rights to ``rights[rights_at:]``; returns the left count."""
    n_left = 0
    n_right = 0
    for i in range(lo, hi):
        if i + PREFETCH_DISTANCE < hi:
            prefetch(column, sample_indices[i + PREFETCH_DISTANCE])
        row = sample_indices[i]
        left = np.int64(table[column[row]])
        sample_indices[lo + n_left] = row
        rights[rights_at + n_right] = row
        n_left += left
        n_right += 1 - left
    return n_left


@njit_parallel
def partition_rows_table(
    column, sample_indices, start, end, table, n_chunks, scratch, chunk_counts
):
    """Partition ``sample_indices[start:end]`` by the bins in ``column`` (``table[bin]`` = 1
    goes left); returns the number of rows that go left.

    ``scratch`` has at least ``2 * (end - start)`` int32 slots, ``chunk_counts`` at least
    ``n_chunks``. The result is the same for any ``n_chunks``.
    """
    n_rows = end - start
    if n_chunks <= 1:
        n_left = _split_segment(column, sample_indices, start, end, table, scratch, 0)
        for j in range(n_rows - n_left):
            sample_indices[start + n_left + j] = scratch[j]
        return n_left
    step = (n_rows + n_chunks - 1) // n_chunks
    # Pass 1: each chunk splits its own segment (lefts in place, rights to scratch).
    for c in prange(n_chunks):
        lo = start + c * step
        hi = min(end, lo + step)
        chunk_counts[c] = _split_segment(column, sample_indices, lo, hi, table, scratch, lo - start)
    n_left = 0
    for c in range(n_chunks):
        n_left += chunk_counts[c]
    # Pass 2: gather every chunk's lefts, then rights, in chunk order into the second half of
    # scratch; pass 3 copies the result back.
    out = scratch[n_rows : 2 * n_rows]
    for c in prange(n_chunks):
        lo = start + c * step
        hi = min(end, lo + step)
        left_before = 0
        for d in range(c):
            left_before += chunk_counts[d]
        count = chunk_counts[c]
        right_before = (lo - start) - left_before
        for j in range(count):
            out[left_before + j] = sample_indices[lo + j]
        for j in range(hi - lo - count):
            out[n_left + right_before + j] = scratch[lo - start + j]
    for i in prange(n_rows):
        sample_indices[start + i] = out[i]
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


@njit_serial
def _apply_segment(column, sample_indices, lo, hi, table, left_value, right_value, margin, output):
    """``margin[row, output] +=`` each row's leaf value for ``sample_indices[lo:hi]``; returns
    the number of rows that go left."""
    n_outputs = margin.shape[1]
    flat = margin.reshape(margin.size)
    count = 0
    for i in range(lo, hi):
        if i + PREFETCH_DISTANCE < hi:
            ahead = sample_indices[i + PREFETCH_DISTANCE]
            prefetch(column, ahead)
            prefetch(flat, ahead * n_outputs + output)
        row = sample_indices[i]
        left = table[column[row]]
        margin[row, output] += left_value if left else right_value
        count += np.int64(left)
    return count


@njit_parallel
def apply_final_split_table(
    column,
    sample_indices,
    start,
    end,
    table,
    left_value,
    right_value,
    margin,
    output,
    n_chunks,
    chunk_counts,
):
    """For a split whose children are both leaves: add each row's leaf value to
    ``margin[row, output]`` directly, without partitioning (nothing will read the children's
    rows again); returns the number of rows that go left."""
    n_rows = end - start
    if n_chunks <= 1:
        # One chunk: no parallel region (its start costs more than a small node's rows).
        return _apply_segment(
            column, sample_indices, start, end, table, left_value, right_value, margin, output
        )
    step = (n_rows + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        lo = start + c * step
        hi = min(end, lo + step)
        chunk_counts[c] = _apply_segment(
            column, sample_indices, lo, hi, table, left_value, right_value, margin, output
        )
    n_left = 0
    for c in range(n_chunks):
        n_left += chunk_counts[c]
    return n_left

