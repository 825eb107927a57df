"""Tree traversal: margins and leaf indices for raw or binned rows.

Forests are flat node arrays (struct of arrays) with ``node_offsets[t]`` the first node of tree t;
child indices are local to their tree and ``-1`` marks a leaf. Raw rows go left when
``value <= threshold``; NaN follows the node's default direction.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_parallel, njit_serial, prange

# Rows handled together: the block's rows walk one tree before the next, so tree nodes stay cached.
ROW_BLOCK = 64


@njit_serial
def _leaf_of_raw(X, i, base, left, right, feature, threshold, default_left):
    node = 0
    while left[base + node] >= 0:
        v = X[i, feature[base + node]]
        if np.isnan(v):
            go_left = default_left[base + node] != 0
        else:
            go_left = v <= threshold[base + node]
        node = left[base + node] if go_left else right[base + node]
    return node


@njit_parallel
def predict_margin_raw(
    X,
    node_offsets,
    tree_outputs,
    tree_begin,
    tree_end,
    left,
    right,
    feature,
    threshold,
    default_left,
    value,
    out,
):
    """``out[i, output(t)] += leaf value`` of every tree t in [tree_begin, tree_end), in tree
    order."""
    n_rows = X.shape[0]
    n_blocks = (n_rows + ROW_BLOCK - 1) // ROW_BLOCK
    for blk in prange(n_blocks):
        lo = blk * ROW_BLOCK
        hi = min(n_rows, lo + ROW_BLOCK)
        for t in range(tree_begin, tree_end):
            base = node_offsets[t]
            k = tree_outputs[t]
            for i in range(lo, hi):
                node = _leaf_of_raw(X, i, base, left, right, feature, threshold, default_left)
                out[i, k] += value[base + node]


@njit_parallel
def predict_leaf_raw(
    X, node_offsets, tree_begin, tree_end, left, right, feature, threshold, default_left, out
):
    """``out[i, t - tree_begin]`` = the leaf (node index within its tree) that row i reaches in
    tree t."""
    n_rows = X.shape[0]
    n_blocks = (n_rows + ROW_BLOCK - 1) // ROW_BLOCK
    for blk in prange(n_blocks):
        lo = blk * ROW_BLOCK
        hi = min(n_rows, lo + ROW_BLOCK)
        for t in range(tree_begin, tree_end):
            base = node_offsets[t]
            for i in range(lo, hi):
                out[i, t - tree_begin] = _leaf_of_raw(
                    X, i, base, left, right, feature, threshold, default_left
                )


@njit_parallel
def add_tree_binned(binned, left, right, feature, split_bin, default_left, value, output, out):
    """``out[i, output] += leaf value`` of one tree for binned rows (bin 0 = missing)."""
    n_rows = binned.shape[0]
    for i in prange(n_rows):
        node = 0
        while left[node] >= 0:
            b = binned[i, feature[node]]
            if b == 0:
                go_left = default_left[node] != 0
            else:
                go_left = b <= split_bin[node]
            node = left[node] if go_left else right[node]
        out[i, output] += value[node]


def predict_margin_naive(X, trees, tree_outputs, out):
    """Obviously-correct twin of :func:`predict_margin_raw` over a list of per-tree dicts."""
    for t, tree in enumerate(trees):
        for i in range(X.shape[0]):
            node = 0
            while tree["left"][node] >= 0:
                v = X[i, tree["feature"][node]]
                if np.isnan(v):
                    go_left = bool(tree["default_left"][node])
                else:
                    go_left = v <= tree["threshold"][node]
                node = tree["left"][node] if go_left else tree["right"][node]
            out[i, tree_outputs[t]] += tree["value"][node]
    return out
