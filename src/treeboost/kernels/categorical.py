"""Split finding, partition tables and prediction for categorical features.

A categorical feature with ``k`` categories has ``k + 1`` bins: bin 0 is missing, bin ``1 + c``
holds category code ``c``. A split sends a set of categories left; it is stored as a table over
the feature's bins (1 = left), bin 0's entry being the default direction of missing values.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_parallel, njit_serial, prange
from .partition import fill_direction_table
from .split import GAIN_TIE_TOLERANCE, leaf_score


@njit_serial
def _candidate_gain(lg, lh, sum_g, sum_h, parent_score, reg_lambda, reg_alpha, mds, min_h):
    rg = sum_g - lg
    rh = sum_h - lh
    if lh < min_h or rh < min_h:
        return -np.inf
    return (
        leaf_score(lg, lh, reg_lambda, reg_alpha, mds)
        + leaf_score(rg, rh, reg_lambda, reg_alpha, mds)
        - parent_score
    )


@njit_serial
def best_categorical_split(
    hist,
    off,
    n_bins,
    sum_g,
    sum_h,
    parent_score,
    reg_lambda,
    reg_alpha,
    max_delta_step,
    min_h,
    max_cat_to_onehot,
    max_cat_threshold,
    cat_smooth,
    table_out,
    n_rows,
    cat_l2,
    min_data_per_group,
):
    """Best split of one categorical feature; writes the left-going bins into ``table_out``
    (length ``n_bins``) and returns ``(gain, left_g, left_h)``, gain -inf if none is valid.

    Up to ``max_cat_to_onehot`` present categories: each category against the rest. More: the
    categories holding at least ``cat_smooth`` of the node's ``n_rows`` rows are ordered by
    ``G / (H + cat_smooth)`` (smoothing pulls rare categories to the middle, where they cannot
    decide a split alone) and prefixes of up to ``max_cat_threshold`` categories, from either
    end of the order, are candidates: a prefix is tried once the categories added since the
    last one tried hold ``min_data_per_group`` rows, and while the other side holds as many;
    the children's scores take ``cat_l2`` on top of ``reg_lambda``. Rarer categories go with
    the right side. Missing values are tried on both sides. Row counts are read off the
    hessians (a category's share of the node's hessian sum, times ``n_rows``), as LightGBM
    does.
    """
    miss_g = hist[off, 0]
    miss_h = hist[off, 1]
    has_missing = miss_h != 0.0 or miss_g != 0.0
    n_cats = n_bins - 1
    present = np.empty(n_cats, dtype=np.int64)
    n_present = 0
    for c in range(n_cats):
        if hist[off + 1 + c, 1] > 0.0 or hist[off + 1 + c, 0] != 0.0:
            present[n_present] = c
            n_present += 1
    for b in range(n_bins):
        table_out[b] = 0
    best_gain = -np.inf
    if n_present < 2 and not (n_present == 1 and has_missing):
        return best_gain, 0.0, 0.0
    best_lg = 0.0
    best_lh = 0.0
    best_missing_left = False
    best_kind = 0  # 1: one category left, 2: prefix of the order, 3: suffix of the order
    best_pos = 0
    order = present[:n_present].copy()
    if n_present <= max_cat_to_onehot:
        for i in range(n_present):
            c = order[i]
            g = hist[off + 1 + c, 0]
            h = hist[off + 1 + c, 1]
            for missing_left in range(2 if has_missing else 1):
                lg = g + (miss_g if missing_left else 0.0)
                lh = h + (miss_h if missing_left else 0.0)
                gain = _candidate_gain(
                    lg, lh, sum_g, sum_h, parent_score, reg_lambda, reg_alpha, max_delta_step, min_h
                )
                if gain > -np.inf and (
                    best_kind == 0 or gain > best_gain + GAIN_TIE_TOLERANCE * abs(best_gain)
                ):
                    best_gain, best_lg, best_lh = gain, lg, lh
                    best_missing_left = missing_left == 1
                    best_kind = 1
                    best_pos = i
    else:
        rows_per_hess = n_rows / sum_h if sum_h > 0.0 else 0.0
        n_kept = 0
        for i in range(n_present):
            c = order[i]
            if np.round(hist[off + 1 + c, 1] * rows_per_hess) >= cat_smooth:
                order[n_kept] = c
                n_kept += 1
        n_present = n_kept
        order = order[:n_present]
        ratio = np.empty(n_present, dtype=np.float64)
        for i in range(n_present):
            c = order[i]
            ratio[i] = hist[off + 1 + c, 0] / (hist[off + 1 + c, 1] + cat_smooth)
        order = order[np.argsort(ratio, kind="mergesort")]
        limit = min(max_cat_threshold, (n_present + 1) // 2, n_present - 1)
        cat_lambda = reg_lambda + cat_l2
        for direction in range(2):
            acc_g = 0.0
            acc_h = 0.0
            group = 0.0
            for i in range(limit):
                c = order[i] if direction == 0 else order[n_present - 1 - i]
                acc_g += hist[off + 1 + c, 0]
                acc_h += hist[off + 1 + c, 1]
                group += hist[off + 1 + c, 1] * rows_per_hess
                if (sum_h - acc_h) * rows_per_hess < min_data_per_group:
                    break
                if group < min_data_per_group:
                    continue
                group = 0.0
                for missing_left in range(2 if has_missing else 1):
                    lg = acc_g + (miss_g if missing_left else 0.0)
                    lh = acc_h + (miss_h if missing_left else 0.0)
                    gain = _candidate_gain(
                        lg,
                        lh,
                        sum_g,
                        sum_h,
                        parent_score,
                        cat_lambda,
                        reg_alpha,
                        max_delta_step,
                        min_h,
                    )
                    if gain > -np.inf and (
                        best_kind == 0 or gain > best_gain + GAIN_TIE_TOLERANCE * abs(best_gain)
                    ):
                        best_gain, best_lg, best_lh = gain, lg, lh
                        best_missing_left = missing_left == 1
                        best_kind = 2 + direction
                        best_pos = i
    if best_kind == 0:
        return best_gain, 0.0, 0.0
    if best_kind == 1:
        table_out[1 + order[best_pos]] = 1
    else:
        for i in range(best_pos + 1):
            c = order[i] if best_kind == 2 else order[n_present - 1 - i]
            table_out[1 + c] = 1
    if has_missing:
        table_out[0] = 1 if best_missing_left else 0
    else:
        # No missing values here: unseen ones follow the side with more hessian.
        table_out[0] = 1 if best_lh > sum_h - best_lh else 0
    return best_gain, best_lg, best_lh


@njit_parallel
def best_categorical_splits(
    hist,
    features,
    bin_offsets,
    sum_g,
    sum_h,
    reg_lambda,
    reg_alpha,
    max_delta_step,
    min_child_weight,
    max_cat_to_onehot,
    max_cat_threshold,
    cat_smooth,
    tables,
    results,
    n_rows,
    cat_l2,
    min_data_per_group,
):
    """:func:`best_categorical_split` for each of ``features`` in parallel: ``tables[j]`` gets
    feature j's left-bin table (first ``n_bins`` entries), ``results[j]`` its
    (gain, left_g, left_h)."""
    parent_score = leaf_score(sum_g, sum_h, reg_lambda, reg_alpha, max_delta_step)
    min_h = max(min_child_weight, 1e-300)
    for j in prange(features.shape[0]):
        f = features[j]
        gain, lg, lh = best_categorical_split(
            hist,
            bin_offsets[f],
            bin_offsets[f + 1] - bin_offsets[f],
            sum_g,
            sum_h,
            parent_score,
            reg_lambda,
            reg_alpha,
            max_delta_step,
            min_h,
            max_cat_to_onehot,
            max_cat_threshold,
            cat_smooth,
            tables[j],
            n_rows,
            cat_l2,
            min_data_per_group,
        )
        results[j, 0] = gain
        results[j, 1] = lg
        results[j, 2] = lh


@njit_parallel
def add_tree_binned_tables(
    binned, rows, left, right, feature, table_offset, tables, value, output, out
):
    """``out[i, output] +=`` one tree's leaf value for the binned rows ``i`` in ``rows``, every
    split given as a table over its feature's bins (``tables[table_offset[node] + bin]`` = 1
    goes left)."""
    for r in prange(rows.shape[0]):
        i = rows[r]
        node = 0
        while left[node] >= 0:
            go_left = tables[table_offset[node] + binned[i, feature[node]]] != 0
            node = left[node] if go_left else right[node]
        out[i, output] += value[node]


@njit_serial
def _leaf_of(X, i, root, split_code, threshold, left, cat_offset, cat_tables, cat_sizes):
    node = root
    while left[node] != node:
        code = split_code[node]
        v = X[i, code >> 1]
        if np.isnan(v):
            go_left = (code & 1) != 0
        elif cat_offset[node] >= 0:
            c = np.int64(v)
            if c < 0 or c >= cat_sizes[node] or c != v:
                go_left = (code & 1) != 0
            else:
                go_left = cat_tables[cat_offset[node] + 1 + c] != 0
        else:
            go_left = v <= threshold[node]
        node = left[node] + (0 if go_left else 1)
    return node


@njit_parallel
def predict_margin_raw_categorical(
    X,
    roots,
    outputs,
    tree_begin,
    tree_end,
    split_code,
    threshold,
    left,
    value,
    cat_offset,
    cat_tables,
    cat_sizes,
    out,
):
    """Margins of raw rows for a forest with categorical splits (forest layout of
    booster._Forest plus, per node, the offset of its bin table or -1 for a numeric split).
    Categorical columns hold category codes; a code the split has not seen follows the
    default direction, like a missing value."""
    for i in prange(X.shape[0]):
        for t in range(tree_begin, tree_end):
            node = _leaf_of(
                X, i, roots[t], split_code, threshold, left, cat_offset, cat_tables, cat_sizes
            )
            out[i, outputs[t]] += value[node]


@njit_parallel
def predict_leaf_raw_categorical(
    X,
    roots,
    tree_begin,
    tree_end,
    split_code,
    threshold,
    left,
    node_ids,
    cat_offset,
    cat_tables,
    cat_sizes,
    out,
):
    """Leaf node ids (within each tree) of raw rows, for forests with categorical splits."""
    for i in prange(X.shape[0]):
        for t in range(tree_begin, tree_end):
            node = _leaf_of(
                X, i, roots[t], split_code, threshold, left, cat_offset, cat_tables, cat_sizes
            )
            out[i, t - tree_begin] = node_ids[node]


@njit_serial
def split_bin_tables(left, feature, split_bin, default_left, n_bins, cat_node, cat_offset,
                     cat_tables):
    """Every split of a tree as a table over its feature's bins, for the binned-row walks:
    ``(table_offset per node, tables)``. Numeric splits send bins 1..split_bin left (and bin 0
    when ``default_left``); the categorical ones (``cat_node[j]``, its table at
    ``cat_tables[cat_offset[j]:cat_offset[j + 1]]``) list their own. ``tables[0]`` is unused."""
    n_nodes = left.shape[0]
    table_of = np.full(n_nodes, -1, dtype=np.int64)
    for j in range(cat_node.shape[0]):
        table_of[cat_node[j]] = j
    offsets = np.zeros(n_nodes, dtype=np.int64)
    size = 1
    for node in range(n_nodes):
        if left[node] >= 0:
            offsets[node] = size
            j = table_of[node]
            if j >= 0:
                size += cat_offset[j + 1] - cat_offset[j]
            else:
                size += n_bins[feature[node]]
    tables = np.zeros(size, dtype=np.uint8)
    for node in range(n_nodes):
        if left[node] < 0:
            continue
        at = offsets[node]
        j = table_of[node]
        if j >= 0:
            for b in range(cat_offset[j + 1] - cat_offset[j]):
                tables[at + b] = cat_tables[cat_offset[j] + b]
        else:
            fill_direction_table(tables[at : at + n_bins[feature[node]]], split_bin[node],
                                 default_left[node])
    return offsets, tables
