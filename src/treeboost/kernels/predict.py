"""Tree traversal: margins and leaf indices for raw or binned rows.

Raw-row prediction uses a layout made for it (see ``Booster._forest``): global node arrays where
the two children of a node are adjacent (right = left + 1), ``split_code = 2 * feature +
default_left``, and a leaf points to itself with threshold +inf and default left. A step
``node = left[node] + 1 - goes_left`` is then valid at every node, so a block of rows walks a
tree in lockstep (up to ``LOCKSTEP_LEVELS`` steps) with no branch on "is this a leaf": the walks
of different rows are independent, and the CPU overlaps their memory loads. Rows go left when
``value <= threshold``; NaN follows the node's default direction.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_parallel, njit_serial, prange

# Rows handled together: the block's rows walk one tree before the next, so tree nodes stay cached.
ROW_BLOCK = 64
# Levels walked in lockstep by a whole block. Below them each row finishes alone: in leaf-wise
# trees (depth ~12 for 63 leaves) most rows reach a leaf long before the deepest one, and
# stepping every row to the full depth cost 45% more time (measured, 100k rows x 100 trees).
LOCKSTEP_LEVELS = 6


@njit_serial
def _walk_block(X, lo, n, root, depth, split_code, threshold, left, nodes):
    for r in range(n):
        nodes[r] = root
    lockstep = min(depth, LOCKSTEP_LEVELS)
    for _ in range(lockstep):
        for r in range(n):
            node = nodes[r]
            code = split_code[node]
            v = X[lo + r, code >> 1]
            goes_left = np.int64(v <= threshold[node]) | (np.int64(v != v) & (code & 1))
            nodes[r] = left[node] + 1 - goes_left
    # Deeper (leaf-wise) trees: paths differ in length, so each row finishes its own walk.
    if depth > lockstep:
        for r in range(n):
            node = nodes[r]
            while left[node] != node:
                code = split_code[node]
                v = X[lo + r, code >> 1]
                goes_left = np.int64(v <= threshold[node]) | (np.int64(v != v) & (code & 1))
                node = left[node] + 1 - goes_left
            nodes[r] = node


@njit_parallel
def predict_margin_raw(
    X, roots, depths, tree_outputs, tree_begin, tree_end, split_code, threshold, left, value, out
):
    """``out[i, output(t)] += leaf value`` of every tree t in [tree_begin, tree_end), in tree
    order."""
    n_rows = X.shape[0]
    n_blocks = (n_rows + ROW_BLOCK - 1) // ROW_BLOCK
    for blk in prange(n_blocks):
        lo = blk * ROW_BLOCK
        n = min(n_rows, lo + ROW_BLOCK) - lo
        nodes = np.empty(ROW_BLOCK, dtype=np.int64)
        for t in range(tree_begin, tree_end):
            _walk_block(X, lo, n, roots[t], depths[t], split_code, threshold, left, nodes)
            k = tree_outputs[t]
            for r in range(n):
                out[lo + r, k] += value[nodes[r]]


@njit_parallel
def predict_leaf_raw(
    X, roots, depths, tree_begin, tree_end, split_code, threshold, left, node_ids, out
):
    """``out[i, t - tree_begin]`` = the leaf (node id within its tree, ``node_ids``) that row i
    reaches in tree t."""
    n_rows = X.shape[0]
    n_blocks = (n_rows + ROW_BLOCK - 1) // ROW_BLOCK
    for blk in prange(n_blocks):
        lo = blk * ROW_BLOCK
        n = min(n_rows, lo + ROW_BLOCK) - lo
        nodes = np.empty(ROW_BLOCK, dtype=np.int64)
        for t in range(tree_begin, tree_end):
            _walk_block(X, lo, n, roots[t], depths[t], split_code, threshold, left, nodes)
            for r in range(n):
                out[lo + r, t - tree_begin] = node_ids[nodes[r]]


@njit_parallel
def add_tree_binned(
    binned, rows, left, right, feature, split_bin, default_left, value, output, out
):
    """``out[i, output] += leaf value`` of one tree for the binned rows ``i`` in ``rows`` (bin 0 =
    missing)."""
    for r in prange(rows.shape[0]):
        i = rows[r]
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


# Levels of every tree walked in the implicit complete-tree layout of predict_margin_raw_top (8
# beat 6 and 10 on leaf-wise trees of depth 7-19: 0.196 s against 0.229 and 0.206 for 100,000
# rows x 100 trees; depth-6 trees are walked in 6).
TOP_LEVELS = 8
# Rows per block of predict_margin_raw_top (32 to 256 measured the same within noise).
TOP_ROW_BLOCK = 64


def slot_addresses(split_code, n_features):
    """Where a node's value sits in the block copies of :func:`predict_margin_raw_top`: the
    copy of its default direction (missing as +inf for right, -inf for left), then its feature.
    Computed once per forest and input width, so a step is one load and one comparison."""
    side = TOP_ROW_BLOCK * n_features
    return (split_code & 1).astype(np.int64) * side + (split_code >> 1).astype(np.int64)


@njit_parallel
def predict_margin_raw_top(
    X,
    top_levels,
    top_offset,
    bottom_offset,
    top_addr,
    top_threshold,
    bottom_node,
    bottom_value,
    node_addr,
    tree_depths,
    tree_outputs,
    tree_begin,
    tree_end,
    threshold,
    left,
    value,
    out,
):
    """:func:`predict_margin_raw` with each tree's first ``top_levels[t]`` levels laid out as a
    complete binary tree (the children of slot ``i`` are ``2i + 1`` and ``2i + 2``; a leaf above
    the last level is padded with always-left slots), so a step needs no child-index load.

    Each block of rows is first copied twice, missing values as +inf in the first copy and as
    -inf in the second: ``value <= threshold`` then sends a missing value the default way when
    it is read from the copy of that direction, and ``top_addr`` / ``node_addr``
    (:func:`slot_addresses`) point each slot and node at that copy and its feature. A step is
    one load and one comparison, with no test for NaN.

    ``bottom_node`` maps the slots below the top levels to forest nodes: leaves, or (in deeper
    trees) the nodes where each row's own walk continues; ``bottom_value`` holds the leaf values
    of trees no deeper than their top levels (``tree_depths[t] <= top_levels[t]``).
    ``top_threshold`` may be float32 for float32 input when each threshold is rounded down to a
    float32 (then ``v <= t`` is unchanged for every float32 ``v``)."""
    n_rows, m = X.shape
    n_blocks = (n_rows + TOP_ROW_BLOCK - 1) // TOP_ROW_BLOCK
    side = TOP_ROW_BLOCK * m
    for blk in prange(n_blocks):
        lo = blk * TOP_ROW_BLOCK
        n = min(n_rows, lo + TOP_ROW_BLOCK) - lo
        slots = np.empty(TOP_ROW_BLOCK, dtype=np.int64)
        sides = np.empty(2 * side, dtype=X.dtype)
        for r in range(n):
            for f in range(m):
                v = X[lo + r, f]
                missing = v != v
                sides[r * m + f] = np.inf if missing else v
                sides[side + r * m + f] = -np.inf if missing else v
        for t in range(tree_begin, tree_end):
            levels = top_levels[t]
            base = top_offset[t]
            for r in range(n):
                slots[r] = 0
            for _ in range(levels):
                for r in range(n):
                    i = slots[r]
                    v = sides[top_addr[base + i] + r * m]
                    slots[r] = 2 * i + 2 - np.int64(v <= top_threshold[base + i])
            below = bottom_offset[t] - ((1 << levels) - 1)
            k = tree_outputs[t]
            if tree_depths[t] <= levels:
                # Every walk ended in a leaf: one load instead of three dependent ones.
                for r in range(n):
                    out[lo + r, k] += bottom_value[below + slots[r]]
                continue
            for r in range(n):
                node = bottom_node[below + slots[r]]
                while left[node] != node:
                    v = sides[node_addr[node] + r * m]
                    node = left[node] + 1 - np.int64(v <= threshold[node])
                out[lo + r, k] += value[node]
