"""Kernels over sparse (CSR/CSC) input: binning, histograms, partition columns and prediction.

A sparse matrix's absent entries are zeros. After binning, each feature's *zero bin* (the bin
holding 0.0) is left implicit: the binned CSR/CSC arrays list only the entries whose bin differs
from it, so memory follows the non-zeros. A node's histogram is accumulated from the listed
entries of its rows, and each feature's zero bin is then the node's gradient total minus the
feature's other bins: one pass over the node's non-zeros plus one over the bins.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_parallel, njit_serial, prange
from .binning import bin_of_value
from .histogram import sum_chunk_bins, zero_feature_bins
from .intrinsics import PREFETCH_DISTANCE, prefetch
from .predict import _walk_block

# Rows per parallel task when binning CSR entries.
_BIN_ROWS_PER_CHUNK = 4096


@njit_parallel
def bin_csr_values(indptr, indices, data, search_index, out_bins):
    """``out_bins[p]`` = the bin of the stored value ``data[p]`` of feature ``indices[p]``."""
    bounds, bound_offsets, bucket_origin, bucket_scale, table_offsets, bucket_first = search_index
    n_rows = indptr.shape[0] - 1
    n_chunks = (n_rows + _BIN_ROWS_PER_CHUNK - 1) // _BIN_ROWS_PER_CHUNK
    for chunk in prange(n_chunks):
        lo = chunk * _BIN_ROWS_PER_CHUNK
        hi = min(n_rows, lo + _BIN_ROWS_PER_CHUNK)
        for p in range(indptr[lo], indptr[hi]):
            f = indices[p]
            table_start = table_offsets[f]
            out_bins[p] = bin_of_value(
                np.float64(data[p]),
                bounds,
                bound_offsets[f],
                bucket_origin[f],
                bucket_scale[f],
                table_offsets[f + 1] - table_start - 1,
                bucket_first,
                table_start,
            )


@njit_parallel
def count_listed_per_row(indptr, indices, bins, zero_bin, counts):
    """``counts[r]`` = entries of row ``r`` whose bin is not their feature's zero bin."""
    for r in prange(indptr.shape[0] - 1):
        c = 0
        for p in range(indptr[r], indptr[r + 1]):
            c += np.int64(bins[p] != zero_bin[indices[p]])
        counts[r] = c


@njit_parallel
def fill_listed(indptr, indices, bins, zero_bin, new_indptr, new_indices, new_bins):
    """Copy the entries counted by :func:`count_listed_per_row` into the new CSR arrays."""
    for r in prange(indptr.shape[0] - 1):
        q = new_indptr[r]
        for p in range(indptr[r], indptr[r + 1]):
            f = indices[p]
            if bins[p] != zero_bin[f]:
                new_indices[q] = f
                new_bins[q] = bins[p]
                q += 1


@njit_serial
def csr_to_csc(indptr, indices, bins, n_features, col_ptr, row_idx, col_bins):
    """Transpose binned CSR arrays into CSC (rows ascending within every column).

    ``col_ptr`` has ``n_features + 1`` slots; ``row_idx`` and ``col_bins`` one per entry."""
    col_ptr[:] = 0
    for p in range(indices.shape[0]):
        col_ptr[indices[p] + 1] += 1
    for f in range(n_features):
        col_ptr[f + 1] += col_ptr[f]
    cursor = col_ptr[:-1].copy()
    for r in range(indptr.shape[0] - 1):
        for p in range(indptr[r], indptr[r + 1]):
            f = indices[p]
            q = cursor[f]
            row_idx[q] = r
            col_bins[q] = bins[p]
            cursor[f] = q + 1


@njit_serial
def _accumulate_csr_rows(
    indptr, gbins, gh, sample_indices, lo, hi, selected_bins, all_selected, hist, totals
):
    flat = hist.reshape(hist.size)
    flat_gh = gh.reshape(gh.size)
    g_total = 0.0
    h_total = 0.0
    for i in range(lo, hi):
        if i + PREFETCH_DISTANCE < hi:
            ahead = sample_indices[i + PREFETCH_DISTANCE]
            prefetch(indptr, ahead)
            prefetch(flat_gh, 2 * ahead)
        row = sample_indices[i]
        g = np.float64(gh[row, 0])
        h = np.float64(gh[row, 1])
        g_total += g
        h_total += h
        if all_selected:
            for p in range(indptr[row], indptr[row + 1]):
                b = 2 * np.int64(gbins[p])
                flat[b] += g
                flat[b + 1] += h
        else:
            for p in range(indptr[row], indptr[row + 1]):
                b = np.int64(gbins[p])
                if selected_bins[b]:
                    flat[2 * b] += g
                    flat[2 * b + 1] += h
    totals[0] = g_total
    totals[1] = h_total


@njit_parallel
def build_histogram_csr(
    indptr,
    gbins,
    zero_bin,
    gh,
    sample_indices,
    start,
    end,
    features,
    selected_bins,
    all_selected,
    bin_offsets,
    n_chunks,
    chunk_hists,
    chunk_totals,
    hist_out,
    active_out,
):
    """Histogram (total_bins, 2) of rows ``sample_indices[start:end]`` over ``features`` from
    binned CSR rows of global bin indices (``gbins``: the feature's bin offset plus its bin),
    which omit each feature's ``zero_bin``. Unless ``all_selected``, ``selected_bins[b]`` is 1
    for the bins of the features in ``features``. Bins of other features are left untouched.

    Chunking follows ``build_histogram`` (the sums do not depend on the thread count);
    ``chunk_hists`` (>= n_chunks, total_bins, 2) and ``chunk_totals`` (>= n_chunks, 2) are
    scratch. ``active_out[j]`` becomes 1 when ``features[j]`` has gradient mass outside its zero
    bin, 0 when every row sits in the zero bin (the feature cannot split these rows).

    Every listed entry of these rows must belong to ``features`` or be filtered out by
    ``selected_bins``; ``features`` may leave out features the rows never list."""
    n_rows = end - start
    step = (n_rows + n_chunks - 1) // n_chunks
    if n_chunks <= 1:
        for j in prange(features.shape[0]):
            zero_feature_bins(hist_out, features[j : j + 1], bin_offsets)
        _accumulate_csr_rows(
            indptr,
            gbins,
            gh,
            sample_indices,
            start,
            end,
            selected_bins,
            all_selected,
            hist_out,
            chunk_totals[0],
        )
    else:
        for c in prange(n_chunks):
            local = chunk_hists[c]
            zero_feature_bins(local, features, bin_offsets)
            lo = start + c * step
            hi = min(end, lo + step)
            _accumulate_csr_rows(
                indptr,
                gbins,
                gh,
                sample_indices,
                lo,
                hi,
                selected_bins,
                all_selected,
                local,
                chunk_totals[c],
            )
        for j in prange(features.shape[0]):
            f = features[j]
            sum_chunk_bins(chunk_hists, n_chunks, bin_offsets[f], bin_offsets[f + 1], hist_out)
    g_total = 0.0
    h_total = 0.0
    for c in range(max(n_chunks, 1)):
        g_total += chunk_totals[c, 0]
        h_total += chunk_totals[c, 1]
    # Each feature's zero bin holds every row that lists no other bin of it.
    for j in prange(features.shape[0]):
        f = features[j]
        g = 0.0
        h = 0.0
        for b in range(bin_offsets[f], bin_offsets[f + 1]):
            g += hist_out[b, 0]
            h += hist_out[b, 1]
        z = bin_offsets[f] + zero_bin[f]
        hist_out[z, 0] = g_total - g
        hist_out[z, 1] = h_total - h
        active_out[j] = 1 if (g != 0.0 or h != 0.0) else 0


@njit_serial
def scatter_column(col_ptr, row_idx, col_bins, feature, zero_bin, out):
    """``out`` (n_rows) = feature ``feature``'s bin in every row (``zero_bin`` where unlisted)."""
    out[:] = zero_bin
    for p in range(col_ptr[feature], col_ptr[feature + 1]):
        out[row_idx[p]] = col_bins[p]


@njit_serial
def _listed_bin(indptr, gbins, row, feature, bin_offsets, zero_bin):
    """Bin of ``feature`` in ``row``: binary search of the row's ascending global bins for the
    feature's range; ``zero_bin`` when the row lists none of them."""
    first = bin_offsets[feature]
    lo = indptr[row]
    hi = indptr[row + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if gbins[mid] < first:
            lo = mid + 1
        else:
            hi = mid
    if lo < indptr[row + 1] and gbins[lo] < bin_offsets[feature + 1]:
        return np.int64(gbins[lo]) - first
    return np.int64(zero_bin[feature])


@njit_parallel
def add_tree_binned_csr(
    indptr,
    rows,
    gbins,
    zero_bin,
    bin_offsets,
    left,
    right,
    feature,
    table_offsets,
    tables,
    value,
    output,
    out,
):
    """``out[i, output] += leaf value`` of one tree for the binned CSR rows ``i`` in ``rows``;
    every split is a table over its feature's bins (``Tree.bin_tables``)."""
    for r in prange(rows.shape[0]):
        i = rows[r]
        node = 0
        while left[node] >= 0:
            f = feature[node]
            b = _listed_bin(indptr, gbins, i, f, bin_offsets, zero_bin)
            node = left[node] if tables[table_offsets[node] + b] else right[node]
        out[i, output] += value[node]


@njit_serial
def _scatter_block(indptr, indices, data, lo, n, dense):
    for r in range(n):
        for p in range(indptr[lo + r], indptr[lo + r + 1]):
            dense[r, indices[p]] = data[p]


@njit_serial
def _clear_block(indptr, indices, lo, n, dense):
    for r in range(n):
        for p in range(indptr[lo + r], indptr[lo + r + 1]):
            dense[r, indices[p]] = 0


@njit_parallel
def predict_csr(
    indptr,
    indices,
    data,
    n_features,
    block_rows,
    n_parts,
    roots,
    depths,
    tree_outputs,
    tree_begin,
    tree_end,
    split_code,
    threshold,
    left,
    value,
    node_ids,
    margin_out,
    leaf_out,
):
    """Walk raw CSR rows (absent entries are 0) through trees [tree_begin, tree_end):
    ``margin_out[i, output(t)] += leaf value``, or, when ``leaf_out`` has rows,
    ``leaf_out[i, t - tree_begin]`` = the leaf's node id within its tree (``node_ids``).

    Each of ``n_parts`` tasks keeps one dense (block_rows, n_features) buffer of zeros, writes a
    block's stored values into it, walks every tree as dense prediction does, and clears those
    values again, so the cost follows the non-zeros and the trees, not ``n_features`` per row."""
    n_rows = indptr.shape[0] - 1
    want_leaves = leaf_out.shape[0] > 0
    n_blocks = (n_rows + block_rows - 1) // block_rows
    per_part = (n_blocks + n_parts - 1) // n_parts
    for part in prange(n_parts):
        dense = np.zeros((block_rows, n_features), dtype=data.dtype)
        nodes = np.empty(block_rows, dtype=np.int64)
        for blk in range(part * per_part, min(n_blocks, (part + 1) * per_part)):
            lo = blk * block_rows
            n = min(n_rows, lo + block_rows) - lo
            _scatter_block(indptr, indices, data, lo, n, dense)
            for t in range(tree_begin, tree_end):
                _walk_block(dense, 0, n, roots[t], depths[t], split_code, threshold, left, nodes)
                if want_leaves:
                    for r in range(n):
                        leaf_out[lo + r, t - tree_begin] = node_ids[nodes[r]]
                else:
                    k = tree_outputs[t]
                    for r in range(n):
                        margin_out[lo + r, k] += value[nodes[r]]
            _clear_block(indptr, indices, lo, n, dense)


@njit_parallel
def sort_column_segments(col_ptr, values, mass):
    """Sort every column's stored ``values`` (with their ``mass``) ascending, in place; NaN last."""
    for f in prange(col_ptr.shape[0] - 1):
        lo = col_ptr[f]
        hi = col_ptr[f + 1]
        if hi - lo > 1:
            order = np.argsort(values[lo:hi], kind="mergesort")
            values[lo:hi] = values[lo:hi][order]
            mass[lo:hi] = mass[lo:hi][order]


@njit_serial
def group_distinct_values(col_ptr, values, mass, absent, out_feature, out_values, out_mass):
    """Merge each column's sorted values (NaN and zero-mass entries skipped) with its ``absent``
    mass at 0.0 into distinct (feature, value, summed mass) groups; returns the group count."""
    n = 0
    for f in range(col_ptr.shape[0] - 1):
        zero_pending = absent[f] > 0
        first = n
        for p in range(col_ptr[f], col_ptr[f + 1] + 1):
            at_end = p == col_ptr[f + 1]
            if not at_end:
                v = values[p]
                m = mass[p]
                if v != v or not m > 0:
                    continue
            if zero_pending and (at_end or v >= 0.0):
                # 0.0 and -0.0 are one value.
                if n > first and out_values[n - 1] == 0.0:
                    out_mass[n - 1] += absent[f]
                else:
                    out_feature[n] = f
                    out_values[n] = 0.0
                    out_mass[n] = absent[f]
                    n += 1
                zero_pending = False
            if at_end:
                break
            if n > first and out_values[n - 1] == v:
                out_mass[n - 1] += m
            else:
                out_feature[n] = f
                out_values[n] = v
                out_mass[n] = m
                n += 1
    return n


@njit_serial
def mark_node_rows(sample_indices, start, end, in_node, flag, gh, totals):
    """``in_node[row] = flag`` for the node's rows; with ``flag`` 1 also their gradient totals."""
    g_total = 0.0
    h_total = 0.0
    for i in range(start, end):
        row = sample_indices[i]
        in_node[row] = flag
        g_total += np.float64(gh[row, 0])
        h_total += np.float64(gh[row, 1])
    totals[0] = g_total
    totals[1] = h_total


@njit_parallel
def build_histogram_csc(
    col_ptr,
    row_idx,
    col_bins,
    zero_bin,
    gh,
    in_node,
    features,
    bin_offsets,
    totals,
    hist_out,
    active_out,
):
    """:func:`build_histogram_csr` for a large node, column by column: each task owns whole
    features, so there are no per-chunk copies to zero and add up. ``in_node`` marks the node's
    rows and ``totals`` holds their gradient sums (:func:`mark_node_rows`); ``active_out`` as
    in :func:`build_histogram_csr`."""
    for j in prange(features.shape[0]):
        f = features[j]
        base = bin_offsets[f]
        zero_feature_bins(hist_out, features[j : j + 1], bin_offsets)
        for p in range(col_ptr[f], col_ptr[f + 1]):
            # Branch-free: a row outside the node adds zeros (membership is a coin flip in
            # the middle levels, and a mispredicted branch costs more than the add).
            row = row_idx[p]
            b = base + col_bins[p]
            weight = np.float32(in_node[row])
            hist_out[b, 0] += np.float64(gh[row, 0] * weight)
            hist_out[b, 1] += np.float64(gh[row, 1] * weight)
        g = 0.0
        h = 0.0
        for b in range(base, bin_offsets[f + 1]):
            g += hist_out[b, 0]
            h += hist_out[b, 1]
        z = base + zero_bin[f]
        hist_out[z, 0] = totals[0] - g
        hist_out[z, 1] = totals[1] - h
        active_out[j] = 1 if (g != 0.0 or h != 0.0) else 0
