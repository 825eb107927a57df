"""A whole tree in one compiled call: depthwise or lossguide growth on dense bins.

The grower of tree/grower.py runs each node from Python (histogram, split scan, partition: one
kernel call each, plus the bookkeeping between them). On tables of a few thousand rows a node's
kernels take microseconds and that Python work is a quarter of the fit, so for the common case
(dense bins, numeric or categorical features, no constraints, no per-level or per-node column
sampling) the
same algorithm runs here, calling the same kernels in the same order with the same arithmetic:
the trees are identical to the Python grower's (tests/tree/test_grower.py compares them).

Node ids, the order nodes are split in, which child's histogram is built and which is
subtracted, and the lossguide priority (largest gain, then lowest node id) all follow
tree/grower.py; see there for the reasons.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_parallel, njit_serial, prange
from .categorical import best_categorical_split
from .histogram import (
    build_histogram,
    build_histogram_skipping,
    n_chunks_for,
    subtract_histogram,
)
from .partition import (
    add_leaf_values,
    apply_final_split_table,
    direction_table,
    partition_rows_table,
)
from .split import find_best_split_each, leaf_score, leaf_weight

# Node state columns (float64): sums and the best split found for the node.
_SUM_G, _SUM_H, _GAIN, _LEFT_G, _LEFT_H = 0, 1, 2, 3, 4
# Node state columns (int64).
_START, _END, _DEPTH, _HIST, _FEATURE, _BIN, _DEFAULT_LEFT, _APPLIED, _IS_CAT = range(9)
N_INT_COLUMNS, N_FLOAT_COLUMNS = 9, 5


@njit_serial
def node_capacity(max_depth, max_leaves):
    """Most nodes a tree can have under the limits (0 = no limit); -1 when unbounded."""
    cap = -1
    if max_depth > 0 and max_depth < 30:
        cap = (1 << (max_depth + 1)) - 1
    if max_leaves > 0:
        by_leaves = 2 * max_leaves - 1
        cap = by_leaves if cap < 0 else min(cap, by_leaves)
    return cap


@njit_serial
def _can_split(ints, floats, node, max_depth, min_child_weight):
    if max_depth > 0 and ints[node, _DEPTH] >= max_depth:
        return False
    n_rows = ints[node, _END] - ints[node, _START]
    return n_rows >= 2 and floats[node, _SUM_H] >= 2.0 * min_child_weight


@njit_serial
def _accepts(gain, gamma, min_split_gain):
    return gain > gamma and gain > min_split_gain


@njit_serial
def _build(
    binned, gh, sample_indices, start, end, features, bin_offsets, chunk_hists, hist, listed,
    sum_g, sum_h,
):  # fmt: skip
    """Histogram of rows ``sample_indices[start:end]`` (totals ``sum_g``, ``sum_h``) into
    ``hist``, chunked by the row count; from the rows' listed entries when there are any and
    at least half the features are wanted (every feature's entries are added)."""
    n_chunks = min(n_chunks_for(end - start), chunk_hists.shape[0])
    row_ptr, entries, mode_bins = listed
    if _lists_rows(listed) and 2 * features.shape[0] >= binned.shape[1]:
        build_histogram_skipping(
            row_ptr, entries, gh, sample_indices, start, end, features, bin_offsets, mode_bins,
            sum_g, sum_h, n_chunks, chunk_hists, hist,
        )  # fmt: skip
        return
    build_histogram(
        binned, gh, sample_indices, start, end, features, bin_offsets, n_chunks, chunk_hists, hist
    )


@njit_serial
def _lists_rows(listed):
    return listed[0].shape[0] > 0


@njit_serial
def _row_totals(gh, sample_indices, start, end):
    sum_g = 0.0
    sum_h = 0.0
    for i in range(start, end):
        sum_g += np.float64(gh[sample_indices[i], 0])
        sum_h += np.float64(gh[sample_indices[i], 1])
    return sum_g, sum_h


@njit_serial
def _release(ints, node, free_slots, n_free):
    slot = ints[node, _HIST]
    if slot >= 0:
        free_slots[n_free] = slot
        n_free += 1
        ints[node, _HIST] = -1
    return n_free


@njit_serial
def _finish(
    n_nodes, apply_margin, margin, output, sample_indices, walk_rows, binned, ints, cat_tables,
    out_left, out_right, out_feature, out_split_bin, out_default_left, out_value,
):  # fmt: skip
    """After growth, with ``apply_margin``: the leaves not yet in the margins, and the rows
    ``walk_rows`` walked through the tree. Returns ``n_nodes``."""
    if apply_margin:
        # Leaves not applied while their parent's rows were scanned take their values here.
        n_open = 0
        for node in range(n_nodes):
            if out_left[node] < 0 and ints[node, _APPLIED] == 0:
                n_open += 1
        if n_open:
            starts = np.empty(n_open, dtype=np.int64)
            ends = np.empty(n_open, dtype=np.int64)
            values = np.empty(n_open, dtype=np.float64)
            at = 0
            for node in range(n_nodes):
                if out_left[node] < 0 and ints[node, _APPLIED] == 0:
                    starts[at] = ints[node, _START]
                    ends[at] = ints[node, _END]
                    values[at] = out_value[node]
                    at += 1
            add_leaf_values(margin, output, sample_indices, starts, ends, values)
        if walk_rows.shape[0] > 0:
            _walk_rows(binned, walk_rows, ints, cat_tables, out_left, out_right, out_feature,
                       out_split_bin, out_default_left, out_value, output, margin)  # fmt: skip
    return n_nodes


@njit_parallel
def _walk_rows(
    binned, rows, ints, cat_tables, left, right, feature, split_bin, default_left, value,
    output, margin,
):  # fmt: skip
    """``margin[i, output] +=`` the grown tree's leaf value for the binned rows ``rows``."""
    for r in prange(rows.shape[0]):
        i = rows[r]
        node = 0
        while left[node] >= 0:
            b = binned[i, feature[node]]
            if ints[node, _IS_CAT] == 1:
                go_left = cat_tables[node, b] != 0
            elif b == 0:
                go_left = default_left[node] != 0
            else:
                go_left = b <= split_bin[node]
            node = left[node] if go_left else right[node]
        margin[i, output] += value[node]


@njit_serial
def grow_dense_tree(
    binned,
    columns,
    gh,
    sample_indices,
    features,
    bin_offsets,
    upper_bounds,
    upper_offsets,
    is_categorical,
    cat_tables,
    max_cat_to_onehot,
    max_cat_threshold,
    cat_smooth,
    cat_l2,
    min_data_per_group,
    reg_lambda,
    reg_alpha,
    gamma,
    min_split_gain,
    min_child_weight,
    max_delta_step,
    learning_rate,
    max_depth,
    max_leaves,
    lossguide,
    prune_features,
    margin,
    output,
    apply_margin,
    walk_rows,
    listed_rows,
    listed_entries,
    mode_bins,
    qhist,
    scales,
    chunk_hists,
    pool,
    scratch,
    chunk_counts,
    ints,
    floats,
    out_left,
    out_right,
    out_feature,
    out_threshold,
    out_split_bin,
    out_default_left,
    out_value,
    out_cover,
    out_gain,
    out_sample_count,
):
    """Grow one tree on rows ``sample_indices`` (reordered in place) over ``features``.

    With ``apply_margin``, every row of the sample has its leaf value added to
    ``margin[:, output]``, and so do the rows ``walk_rows`` (rows of the matrix outside
    ``sample_indices``, such as those a subsampled round left out), walked through the new
    tree's bins. Rows given as listed entries (``listed_rows`` non-empty; see
    kernels/histogram.py, :func:`build_histogram_skipping`) build histograms from those.

    ``gh`` holds float32 gradient pairs, or int8 quantized ones (kernels/quantize.py) whose
    sums times ``scales = (scale_g, scale_h)`` are gradient sums; then ``pool`` and
    ``chunk_hists`` are int32, and ``qhist`` (float64, one histogram) receives each node's
    histogram in gradient units before its split scan. With float gradients ``qhist`` is None
    (the branches that use it are not compiled) and ``scales`` is (1.0, 1.0).

    ``binned`` is the C-order bin matrix (histograms), ``columns`` its C-order transpose
    (partitions); feature ``f``'s raw bounds are ``upper_bounds[upper_offsets[f]:...]``.
    Features with ``is_categorical[f]`` are split by category sets (kernels/categorical.py); a
    node split so has ``ints[node, 8] = 1`` and its left-bin table in ``cat_tables[node]``.
    ``pool`` holds the node histograms (enough slots for every leaf plus one), ``ints`` and
    ``floats`` the per-node state, ``out_*`` the node arrays of tree/tree.py; all have room for
    ``node_capacity`` nodes. With ``apply_margin``, splits whose children stay leaves add their
    leaf values to ``margin[:, output]`` while scanning their rows (``ints[:, 7]`` marks those
    children). Returns the number of nodes.
    """
    # Numeric and categorical features apart, each in the given order (as tree/grower.py).
    n_cat = 0
    for j in range(features.shape[0]):
        if is_categorical[features[j]]:
            n_cat += 1
    numeric = np.empty(features.shape[0] - n_cat, dtype=features.dtype)
    categorical = np.empty(n_cat, dtype=features.dtype)
    i_num = 0
    i_cat = 0
    for j in range(features.shape[0]):
        if is_categorical[features[j]]:
            categorical[i_cat] = features[j]
            i_cat += 1
        else:
            numeric[i_num] = features[j]
            i_num += 1
    # The numeric features each node scans: a child scans only those with a valid split in its
    # parent. A split valid in a child is valid in its parent (each side of a child boundary is
    # part of the same side in the parent, and hessians are not negative), so no candidate is
    # lost, and small nodes deep in the tree skip the features that have become constant there.
    # Without that guarantee (``prune_features`` False) every node scans them all.
    capacity = ints.shape[0]
    node_numeric = np.empty((capacity, max(numeric.shape[0], 1)), dtype=features.dtype)
    node_counts = np.zeros(capacity, dtype=np.int64)
    per_feature = np.empty((max(numeric.shape[0], 1), 5), dtype=np.float64)
    scan = (node_numeric, node_counts, per_feature, prune_features)
    listed = (listed_rows, listed_entries, mode_bins)
    cat_scratch = np.empty(cat_tables.shape[1], dtype=np.uint8)
    cat = (categorical, cat_tables, cat_scratch, max_cat_to_onehot, max_cat_threshold, cat_smooth,
           cat_l2, min_data_per_group)  # fmt: skip
    n_pool = pool.shape[0]
    free_slots = np.empty(n_pool, dtype=np.int64)
    for s in range(n_pool):
        free_slots[s] = n_pool - 1 - s
    n_free = n_pool
    n = sample_indices.shape[0]
    # Node 0 and row 0 as int64 variables: a literal 0 passed on would compile every callee
    # (parallel kernels included) a second time, for the literal's own type.
    root = np.int64(ints.shape[0] * 0)

    # Root: its totals are read off its histogram (any one feature's bins hold every row).
    n_free -= 1
    root_slot = free_slots[n_free]
    if _lists_rows(listed):
        sum_g, sum_h = _row_totals(gh, sample_indices, root, n)
        _build(binned, gh, sample_indices, root, n, features, bin_offsets, chunk_hists,
               pool[root_slot], listed, sum_g, sum_h)  # fmt: skip
    else:
        _build(binned, gh, sample_indices, root, n, features, bin_offsets, chunk_hists,
               pool[root_slot], listed, 0.0, 0.0)  # fmt: skip
        f0 = features[0]
        sum_g = 0.0
        sum_h = 0.0
        for b in range(bin_offsets[f0], bin_offsets[f0 + 1]):
            sum_g += pool[root_slot, b, 0]
            sum_h += pool[root_slot, b, 1]
        sum_g *= scales[0]
        sum_h *= scales[1]
    node_numeric[root, : numeric.shape[0]] = numeric
    node_counts[root] = numeric.shape[0]
    n_nodes = _new_node(
        ints, floats, root, root, n, root, sum_g, sum_h, learning_rate, reg_lambda, reg_alpha,
        max_delta_step, out_left, out_right, out_feature, out_threshold, out_split_bin,
        out_default_left, out_value, out_cover, out_gain, out_sample_count,
    )  # fmt: skip
    ints[root, _HIST] = root_slot

    if lossguide:
        heap = np.empty(ints.shape[0], dtype=np.int64)  # candidate nodes, unordered
        n_heap = 0
        ok, n_free = _prepare(
            ints, floats, root, binned, gh, sample_indices, features, scan, cat, listed, qhist,
            scales, bin_offsets, reg_lambda, reg_alpha, max_delta_step, min_child_weight, gamma,
            min_split_gain, max_depth, chunk_hists, pool, free_slots, n_free,
        )  # fmt: skip
        if ok:
            heap[0] = root
            n_heap = 1
        n_leaves = 1
        while n_heap > 0 and (max_leaves <= 0 or n_leaves < max_leaves):
            # The largest gain; among equal gains the lowest node id.
            at = 0
            for i in range(1, n_heap):
                a, b = heap[i], heap[at]
                if floats[a, _GAIN] > floats[b, _GAIN] or (
                    floats[a, _GAIN] == floats[b, _GAIN] and a < b
                ):
                    at = i
            node = heap[at]
            n_heap -= 1
            heap[at] = heap[n_heap]
            last = max_leaves > 0 and n_leaves + 1 >= max_leaves
            capped = max_depth > 0 and ints[node, _DEPTH] + 1 >= max_depth
            left, n_nodes = _split(
                ints, floats, node, n_nodes, last or capped, apply_margin, columns,
                sample_indices, cat_tables, bin_offsets, upper_bounds, upper_offsets, learning_rate,
                reg_lambda, reg_alpha, max_delta_step, margin, output, scratch, chunk_counts,
                out_left, out_right, out_feature, out_threshold, out_split_bin,
                out_default_left, out_value, out_cover, out_gain, out_sample_count,
            )  # fmt: skip
            _inherit(scan, node, left)
            n_leaves += 1
            if last or capped:
                n_free = _release(ints, node, free_slots, n_free)
                if last:
                    break
                continue
            n_free = _child_histograms(
                ints, floats, node, left, binned, gh, sample_indices, features, listed, bin_offsets,
                max_depth, min_child_weight, chunk_hists, pool, free_slots, n_free,
            )  # fmt: skip
            for child in (left, left + 1):
                ok, n_free = _prepare(
                    ints, floats, child, binned, gh, sample_indices, features, scan, cat,
                    listed, qhist, scales, bin_offsets, reg_lambda, reg_alpha, max_delta_step,
                    min_child_weight, gamma, min_split_gain, max_depth, chunk_hists, pool,
                    free_slots, n_free,
                )  # fmt: skip
                if ok:
                    heap[n_heap] = child
                    n_heap += 1
        for i in range(n_heap):
            n_free = _release(ints, heap[i], free_slots, n_free)
        return _finish(n_nodes, apply_margin, margin, output, sample_indices, walk_rows, binned,
                       ints, cat_tables, out_left, out_right, out_feature, out_split_bin,
                       out_default_left, out_value)  # fmt: skip

    frontier = np.empty(ints.shape[0], dtype=np.int64)
    next_frontier = np.empty(ints.shape[0], dtype=np.int64)
    frontier[0] = root
    n_frontier = 1
    n_leaves = 1
    ok, n_free = _prepare(
        ints, floats, root, binned, gh, sample_indices, features, scan, cat, listed, qhist,
        scales, bin_offsets, reg_lambda, reg_alpha, max_delta_step, min_child_weight, gamma,
        min_split_gain, max_depth, chunk_hists, pool, free_slots, n_free,
    )  # fmt: skip
    while n_frontier > 0:
        n_next = 0
        for i in range(n_frontier):
            node = frontier[i]
            budget_left = max_leaves <= 0 or n_leaves < max_leaves
            if (
                ints[node, _FEATURE] < 0
                or not _accepts(floats[node, _GAIN], gamma, min_split_gain)
                or not budget_left
            ):
                n_free = _release(ints, node, free_slots, n_free)
                continue
            final = max_depth > 0 and ints[node, _DEPTH] + 1 >= max_depth
            left, n_nodes = _split(
                ints, floats, node, n_nodes, final, apply_margin, columns, sample_indices,
                cat_tables, bin_offsets, upper_bounds, upper_offsets, learning_rate, reg_lambda,
                reg_alpha,
                max_delta_step, margin, output, scratch, chunk_counts, out_left, out_right,
                out_feature, out_threshold, out_split_bin, out_default_left, out_value,
                out_cover, out_gain, out_sample_count,
            )  # fmt: skip
            _inherit(scan, node, left)
            n_leaves += 1
            if final:
                n_free = _release(ints, node, free_slots, n_free)
                continue
            n_free = _child_histograms(
                ints, floats, node, left, binned, gh, sample_indices, features, listed, bin_offsets,
                max_depth, min_child_weight, chunk_hists, pool, free_slots, n_free,
            )  # fmt: skip
            next_frontier[n_next] = left
            next_frontier[n_next + 1] = left + 1
            n_next += 2
        for i in range(n_next):
            ok, n_free = _prepare(
                ints, floats, next_frontier[i], binned, gh, sample_indices, features, scan,
                cat, listed, qhist, scales, bin_offsets, reg_lambda, reg_alpha, max_delta_step,
                min_child_weight, gamma, min_split_gain, max_depth, chunk_hists, pool, free_slots,
                n_free,
            )  # fmt: skip
        frontier, next_frontier = next_frontier, frontier
        n_frontier = n_next
    return _finish(n_nodes, apply_margin, margin, output, sample_indices, walk_rows, binned,
                   ints, cat_tables, out_left, out_right, out_feature, out_split_bin,
                   out_default_left, out_value)  # fmt: skip


@njit_serial
def _inherit(scan, parent, left):
    """Both children of ``parent`` (``left``, ``left + 1``) start from its numeric features."""
    node_numeric, node_counts, _, _ = scan
    n_numeric = node_counts[parent]
    for child in (left, left + 1):
        node_numeric[child, :n_numeric] = node_numeric[parent, :n_numeric]
        node_counts[child] = n_numeric


@njit_serial
def _new_node(
    ints, floats, node, start, end, depth, sum_g, sum_h, learning_rate, reg_lambda, reg_alpha,
    max_delta_step, out_left, out_right, out_feature, out_threshold, out_split_bin,
    out_default_left, out_value, out_cover, out_gain, out_sample_count,
):  # fmt: skip
    """Append node ``node`` as a leaf; returns the node count."""
    ints[node, _START] = start
    ints[node, _END] = end
    ints[node, _DEPTH] = depth
    ints[node, _HIST] = -1
    ints[node, _FEATURE] = -1
    ints[node, _BIN] = 0
    ints[node, _DEFAULT_LEFT] = 0
    ints[node, _APPLIED] = 0
    ints[node, _IS_CAT] = 0
    floats[node, _SUM_G] = sum_g
    floats[node, _SUM_H] = sum_h
    floats[node, _GAIN] = -np.inf
    floats[node, _LEFT_G] = 0.0
    floats[node, _LEFT_H] = 0.0
    out_left[node] = -1
    out_right[node] = -1
    out_feature[node] = -1
    out_threshold[node] = 0.0
    out_split_bin[node] = 0
    out_default_left[node] = 0
    out_value[node] = learning_rate * leaf_weight(
        sum_g, sum_h, reg_lambda, reg_alpha, max_delta_step
    )
    out_cover[node] = sum_h
    out_gain[node] = 0.0
    out_sample_count[node] = end - start
    return node + 1


@njit_serial
def _prepare(
    ints, floats, node, binned, gh, sample_indices, features, scan, cat, listed, qhist, scales,
    bin_offsets,
    reg_lambda, reg_alpha, max_delta_step, min_child_weight, gamma, min_split_gain, max_depth,
    chunk_hists, pool, free_slots, n_free,
):  # fmt: skip
    """Histogram and best split of a node that may be split; (False, ...) if it stays a leaf."""
    if not _can_split(ints, floats, node, max_depth, min_child_weight):
        n_free = _release(ints, node, free_slots, n_free)
        return False, n_free
    if ints[node, _HIST] < 0:
        n_free -= 1
        ints[node, _HIST] = free_slots[n_free]
        start, end = ints[node, _START], ints[node, _END]
        _build(binned, gh, sample_indices, start, end, features, bin_offsets, chunk_hists,
               pool[ints[node, _HIST]], listed, floats[node, _SUM_G],
               floats[node, _SUM_H])  # fmt: skip
    hist = pool[ints[node, _HIST]]
    if qhist is None:
        _find_split(ints, floats, node, hist, bin_offsets, scan, cat, reg_lambda, reg_alpha,
                    max_delta_step, min_child_weight)  # fmt: skip
    else:
        _dequantize(hist, features, bin_offsets, scales, qhist)
        _find_split(ints, floats, node, qhist, bin_offsets, scan, cat, reg_lambda, reg_alpha,
                    max_delta_step, min_child_weight)  # fmt: skip
    return _accepts(floats[node, _GAIN], gamma, min_split_gain), n_free


@njit_serial
def _dequantize(hist, features, bin_offsets, scales, out):
    """``out`` = the integer histogram ``hist`` in gradient units, on the bins of
    ``features``."""
    scale_g, scale_h = scales
    for j in range(features.shape[0]):
        f = features[j]
        for b in range(bin_offsets[f], bin_offsets[f + 1]):
            out[b, 0] = hist[b, 0] * scale_g
            out[b, 1] = hist[b, 1] * scale_h


@njit_serial
def _find_split(
    ints, floats, node, hist, bin_offsets, scan, cat, reg_lambda, reg_alpha, max_delta_step,
    min_child_weight,
):  # fmt: skip
    """The best split of ``node`` from its histogram, into its state columns: the numeric
    features it scans, then each categorical one against that."""
    node_numeric, node_counts, per_feature, prune_features = scan
    n_numeric = node_counts[node]
    numeric = node_numeric[node, :n_numeric]
    gain, feature, split_bin, default_left, left_g, left_h = find_best_split_each(
        hist,
        numeric,
        bin_offsets,
        floats[node, _SUM_G],
        floats[node, _SUM_H],
        reg_lambda,
        reg_alpha,
        max_delta_step,
        min_child_weight,
        per_feature[:n_numeric],
    )
    if prune_features:
        kept = 0
        for j in range(n_numeric):
            if per_feature[j, 0] > -np.inf:
                node_numeric[node, kept] = numeric[j]
                kept += 1
        node_counts[node] = kept
    floats[node, _GAIN] = gain if feature >= 0 else -np.inf
    ints[node, _FEATURE] = feature
    ints[node, _BIN] = split_bin
    ints[node, _DEFAULT_LEFT] = 1 if default_left else 0
    floats[node, _LEFT_G] = left_g
    floats[node, _LEFT_H] = left_h
    if cat[0].shape[0]:
        _best_categorical(ints, floats, node, hist, bin_offsets, reg_lambda, reg_alpha,
                          max_delta_step, min_child_weight, cat)  # fmt: skip


@njit_serial
def _best_categorical(
    ints, floats, node, hist, bin_offsets, reg_lambda, reg_alpha, max_delta_step,
    min_child_weight, cat,
):  # fmt: skip
    """Each categorical feature's best set against the node's best numeric split; the higher
    gain wins, a tie (within 1e-6 relative) going to the lower feature index, as in
    tree/grower.py."""
    (categorical, cat_tables, scratch, max_cat_to_onehot, max_cat_threshold, cat_smooth, cat_l2,
     min_data_per_group) = cat  # fmt: skip
    n_rows = ints[node, _END] - ints[node, _START]
    sum_g, sum_h = floats[node, _SUM_G], floats[node, _SUM_H]
    parent_score = leaf_score(sum_g, sum_h, reg_lambda, reg_alpha, max_delta_step)
    min_h = max(min_child_weight, 1e-300)
    for j in range(categorical.shape[0]):
        f = categorical[j]
        n_bins = bin_offsets[f + 1] - bin_offsets[f]
        table = scratch[:n_bins]
        gain, lg, lh = best_categorical_split(
            hist, bin_offsets[f], n_bins, sum_g, sum_h, parent_score, reg_lambda, reg_alpha,
            max_delta_step, min_h, max_cat_to_onehot, max_cat_threshold, cat_smooth, table,
            n_rows, cat_l2, min_data_per_group,
        )  # fmt: skip
        if gain == -np.inf:
            continue
        best = floats[node, _GAIN]
        tol = 1e-6 * abs(best) if np.isfinite(best) else 0.0
        better = gain > best + tol
        tie = abs(gain - best) <= tol and f < ints[node, _FEATURE]
        if ints[node, _FEATURE] < 0 or better or tie:
            floats[node, _GAIN] = gain
            ints[node, _FEATURE] = f
            ints[node, _BIN] = 0
            ints[node, _IS_CAT] = 1
            cat_tables[node, :n_bins] = table
            ints[node, _DEFAULT_LEFT] = 1 if table[0] else 0
            floats[node, _LEFT_G] = lg
            floats[node, _LEFT_H] = lh


@njit_serial
def _split(
    ints, floats, node, n_nodes, final, apply_margin, columns, sample_indices, cat_tables,
    bin_offsets,
    upper_bounds, upper_offsets, learning_rate, reg_lambda, reg_alpha, max_delta_step, margin,
    output, scratch, chunk_counts, out_left, out_right, out_feature, out_threshold,
    out_split_bin, out_default_left, out_value, out_cover, out_gain, out_sample_count,
):  # fmt: skip
    """Split ``node`` into two new leaves; returns (left child id, node count)."""
    start, end = ints[node, _START], ints[node, _END]
    f = ints[node, _FEATURE]
    split_bin = ints[node, _BIN]
    default_left = ints[node, _DEFAULT_LEFT]
    n_bins = bin_offsets[f + 1] - bin_offsets[f]
    sum_g, sum_h = floats[node, _SUM_G], floats[node, _SUM_H]
    left_g, left_h = floats[node, _LEFT_G], floats[node, _LEFT_H]
    right_g, right_h = sum_g - left_g, sum_h - left_h
    is_cat = ints[node, _IS_CAT] == 1
    if is_cat:
        table = cat_tables[node, :n_bins].copy()
    else:
        table = direction_table(split_bin, default_left, n_bins)
    column = columns[f]
    n_chunks = n_chunks_for(end - start)
    apply_now = final and apply_margin
    if apply_now:
        n_left = apply_final_split_table(
            column,
            sample_indices,
            start,
            end,
            table,
            learning_rate * leaf_weight(left_g, left_h, reg_lambda, reg_alpha, max_delta_step),
            learning_rate * leaf_weight(right_g, right_h, reg_lambda, reg_alpha, max_delta_step),
            margin,
            output,
            n_chunks,
            chunk_counts,
        )
    else:
        n_left = partition_rows_table(
            column, sample_indices, start, end, table, n_chunks, scratch, chunk_counts
        )
    mid = start + n_left
    depth = ints[node, _DEPTH] + 1
    left = n_nodes
    n_nodes = _new_node(
        ints, floats, left, start, mid, depth, left_g, left_h, learning_rate, reg_lambda,
        reg_alpha, max_delta_step, out_left, out_right, out_feature, out_threshold,
        out_split_bin, out_default_left, out_value, out_cover, out_gain, out_sample_count,
    )  # fmt: skip
    n_nodes = _new_node(
        ints, floats, left + 1, mid, end, depth, right_g, right_h, learning_rate, reg_lambda,
        reg_alpha, max_delta_step, out_left, out_right, out_feature, out_threshold,
        out_split_bin, out_default_left, out_value, out_cover, out_gain, out_sample_count,
    )  # fmt: skip
    if apply_now:
        ints[left, _APPLIED] = 1
        ints[left + 1, _APPLIED] = 1
    out_left[node] = left
    out_right[node] = left + 1
    out_feature[node] = f
    out_split_bin[node] = split_bin
    out_threshold[node] = 0.0 if is_cat else upper_bounds[upper_offsets[f] + split_bin - 1]
    out_default_left[node] = default_left
    out_gain[node] = floats[node, _GAIN]
    return left, n_nodes


@njit_serial
def _child_histograms(
    ints, floats, parent, left, binned, gh, sample_indices, features, listed, bin_offsets,
    max_depth, min_child_weight, chunk_hists, pool, free_slots, n_free,
):  # fmt: skip
    """Build the smaller child's histogram; the larger one is the parent's minus it."""
    right = left + 1
    if not (
        _can_split(ints, floats, left, max_depth, min_child_weight)
        or _can_split(ints, floats, right, max_depth, min_child_weight)
    ):
        return _release(ints, parent, free_slots, n_free)
    n_left = ints[left, _END] - ints[left, _START]
    n_right = ints[right, _END] - ints[right, _START]
    small, large = (left, right) if n_left <= n_right else (right, left)
    n_free -= 1
    slot = free_slots[n_free]
    ints[small, _HIST] = slot
    start, end = ints[small, _START], ints[small, _END]
    _build(binned, gh, sample_indices, start, end, features, bin_offsets, chunk_hists, pool[slot],
           listed, floats[small, _SUM_G], floats[small, _SUM_H])  # fmt: skip
    parent_slot = ints[parent, _HIST]
    subtract_histogram(pool[parent_slot], pool[slot], features, bin_offsets)
    ints[large, _HIST] = parent_slot
    ints[parent, _HIST] = -1
    return n_free
