"""Interventional TreeSHAP: Shapley values of ``E_r[f(x_S, r_rest)]`` over background rows r
(Lundberg et al. 2020, "Interventional Tree SHAP"), exact, one (row, reference) pair at a time.

For one pair and one tree, the walk follows x and r together. Where both take the same child,
the split decides nothing; where they differ, the feature joins the path on the x side (taken
when it is in S) or the r side (not in S), unless it is already on the path, which fixes the
side. A leaf reached with ``nx`` features on the x side and ``nr`` on the r side is the value of
the game "every x-side feature in S and no r-side feature in S", whose Shapley values are
``+v (nx-1)! nr! / (nx+nr)!`` for each x-side feature and ``-v nx! (nr-1)! / (nx+nr)!`` for
each r-side one (``pos_weight[nx, nr]`` / ``neg_weight[nx, nr]``, tabulated by the caller).
The leaf with ``nx = 0`` is the one r reaches: it goes to the bias column.

Forest layout as in kernels/predict.py (children adjacent, leaves point at themselves).
"""

from __future__ import annotations

import math

import numpy as np

from ._presets import njit_parallel, njit_serial, prange
from .shap import goes_left
from .shap_fast import leaf_patterns

# Rows explained together against one reference: the trees stay cached across the block.
ROW_BLOCK = 16


@njit_serial
def _pair_tree(
    X, row, R, ref, root, split_code, threshold, cats, left, value, pos_weight, neg_weight, phi,
    st_node, st_level, st_nx, st_feat, st_side, path_feat, path_side,
):  # fmt: skip
    """``phi[:m] +=`` the Shapley values of one tree for the pair (x, r) = (``X[row]``,
    ``R[ref]``); ``phi[m] +=`` the tree's value at r."""
    bias = phi.shape[0] - 1
    st_node[0] = root
    st_level[0] = 0
    st_nx[0] = 0
    st_feat[0] = -1
    st_side[0] = 0
    sp = 1
    while sp > 0:
        sp -= 1
        node = st_node[sp]
        level = st_level[sp]
        nx = st_nx[sp]
        if st_feat[sp] >= 0:
            path_feat[level - 1] = st_feat[sp]
            path_side[level - 1] = st_side[sp]
        lc = left[node]
        if lc == node:
            v = value[node]
            if nx == 0:
                phi[bias] += v
            if level > 0:
                nr = level - nx
                wp = v * pos_weight[nx, nr]
                wn = v * neg_weight[nx, nr]
                for p in range(level):
                    if path_side[p] == 1:
                        phi[path_feat[p]] += wp
                    else:
                        phi[path_feat[p]] -= wn
            continue
        code = split_code[node]
        x_child = lc + 1 - np.int64(goes_left(X, row, code, threshold, cats, node))
        r_child = lc + 1 - np.int64(goes_left(R, ref, code, threshold, cats, node))
        if x_child == r_child:
            _push(st_node, st_level, st_nx, st_feat, st_side, sp, x_child, level, nx, -1, 0)
            sp += 1
            continue
        f = code >> 1
        side = -1
        for p in range(level):
            if path_feat[p] == f:
                side = path_side[p]
                break
        if side == 1:
            _push(st_node, st_level, st_nx, st_feat, st_side, sp, x_child, level, nx, -1, 0)
            sp += 1
        elif side == 0:
            _push(st_node, st_level, st_nx, st_feat, st_side, sp, r_child, level, nx, -1, 0)
            sp += 1
        else:
            _push(st_node, st_level, st_nx, st_feat, st_side, sp, r_child, level + 1, nx, f, 0)
            _push(
                st_node, st_level, st_nx, st_feat, st_side, sp + 1, x_child, level + 1, nx + 1,
                f, 1,
            )  # fmt: skip
            sp += 2


@njit_serial
def _push(st_node, st_level, st_nx, st_feat, st_side, sp, node, level, nx, feat, side):
    st_node[sp] = node
    st_level[sp] = level
    st_nx[sp] = nx
    st_feat[sp] = feat
    st_side[sp] = side


@njit_serial
def _sigmoid(z):
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@njit_parallel
def interventional_contribs(
    X, R, roots, outputs, tree_begin, tree_end, split_code, threshold, cats, left, value, max_depth,
    pos_weight, neg_weight, base_margin, margin_x, logistic, tree_skip, out,
):  # fmt: skip
    """``out`` (n_rows, n_outputs, m + 1), zeroed: the mean over background rows ``R`` of each
    pair's Shapley values of trees [tree_begin, tree_end); the last column the mean model
    output at the background rows.

    ``logistic``: explain ``sigmoid(margin)`` instead of the margin, as the shap package does:
    each pair's margin values are scaled by ``(sigmoid(m_x) - sigmoid(m_r)) / (m_x - m_r)`` so
    they add up to the probability difference (``margin_x`` (n_rows, n_outputs): the rows'
    margins, ``base_margin`` (n_outputs,) the model's starting margins). Trees with
    ``tree_skip[t - tree_begin]`` are left out (explained from tables instead).
    """
    n_rows = X.shape[0]
    n_ref = R.shape[0]
    n_outputs = out.shape[1]
    width = out.shape[2]
    m = width - 1
    n_blocks = (n_rows + ROW_BLOCK - 1) // ROW_BLOCK
    stack = 2 * max_depth + 4
    for blk in prange(n_blocks):
        lo = blk * ROW_BLOCK
        hi = min(n_rows, lo + ROW_BLOCK)
        tmp = np.zeros((hi - lo, n_outputs, width), dtype=np.float64)
        st_node = np.empty(stack, dtype=np.int64)
        st_level = np.empty(stack, dtype=np.int64)
        st_nx = np.empty(stack, dtype=np.int64)
        st_feat = np.empty(stack, dtype=np.int64)
        st_side = np.empty(stack, dtype=np.int64)
        path_feat = np.empty(max_depth + 1, dtype=np.int64)
        path_side = np.empty(max_depth + 1, dtype=np.int64)
        for j in range(n_ref):
            tmp[:] = 0.0
            for t in range(tree_begin, tree_end):
                if tree_skip[t - tree_begin]:
                    continue
                k = outputs[t]
                for row in range(lo, hi):
                    _pair_tree(
                        X, row, R, j, roots[t], split_code, threshold, cats, left, value,
                        pos_weight, neg_weight, tmp[row - lo, k], st_node, st_level, st_nx,
                        st_feat, st_side, path_feat, path_side,
                    )  # fmt: skip
            for row in range(lo, hi):
                for k in range(n_outputs):
                    m_r = base_margin[k] + tmp[row - lo, k, m]
                    scale = 1.0
                    if logistic:
                        m_x = margin_x[row, k]
                        if m_x != m_r:
                            scale = (_sigmoid(m_x) - _sigmoid(m_r)) / (m_x - m_r)
                        out[row, k, m] += _sigmoid(m_r)
                    else:
                        out[row, k, m] += m_r
                    for f in range(m):
                        out[row, k, f] += tmp[row - lo, k, f] * scale
        for row in range(lo, hi):
            for k in range(n_outputs):
                for f in range(width):
                    out[row, k, f] /= n_ref


# -- margin output from per-leaf tables ---------------------------------------------------------
#
# For one leaf with distinct path features U (d of them), let s_x and s_r be the sets of those
# features whose every split on the path x (resp. r) follows. The hybrid row (x_S, r_rest)
# reaches the leaf exactly when every feature of U is in S and s_x, or outside S and in s_r:
# features in both sets are not players, and nx = |s_x \ s_r|, nr = |U \ s_x| (every feature
# outside s_x must be in s_r, or the pair never reaches the leaf). So the pair's values at the
# leaf depend on (s_x, s_r) only, and averaging over the background needs, per leaf, only how
# many background rows have each s_r. Tabulating, for every s_x, the resulting value of each
# path feature makes a row cost one node pass and d lookups per leaf, whatever the background
# size.


@njit_parallel
def count_background_patterns(
    R, roots, tree_begin, tree_end, split_code, threshold, cats, left, node_bit, leaf_start,
    leaf_node, leaf_n_unique, count_offset, tree_fast, max_nodes, counts,
):  # fmt: skip
    """``counts[count_offset[l] + s] +=`` 1 for every background row of pattern s at leaf l
    (trees with ``tree_fast``; ``counts`` zeroed)."""
    for i in prange(tree_end - tree_begin):
        if not tree_fast[i]:
            continue
        t = tree_begin + i
        root = roots[t]
        stop = roots[t + 1] if t + 1 < roots.shape[0] else left.shape[0]
        pattern = np.empty(max_nodes, dtype=np.int64)
        for j in range(R.shape[0]):
            leaf_patterns(R, j, root, stop, split_code, threshold, cats, left, node_bit, pattern)
            for li in range(leaf_start[i], leaf_start[i + 1]):
                s = pattern[leaf_node[li] - root] & ((np.int64(1) << leaf_n_unique[li]) - 1)
                counts[count_offset[li] + s] += 1.0


@njit_parallel
def fill_interventional_tables(
    leaf_node, leaf_n_unique, value, n_ref, count_offset, counts, table_offset, pos_weight,
    neg_weight, table,
):  # fmt: skip
    """``table[table_offset[l] + s_x * d + j]``: the background-mean value of path feature j
    at leaf l for a row of pattern s_x (leaves with ``count_offset[l] >= 0``)."""
    for li in prange(leaf_node.shape[0]):
        coff = count_offset[li]
        if coff < 0:
            continue
        d = leaf_n_unique[li]
        toff = table_offset[li]
        size = 1 << d
        full = size - 1
        v = value[leaf_node[li]] / n_ref
        ones = np.zeros(size, dtype=np.int64)
        for mask in range(1, size):
            ones[mask] = ones[mask & (mask - 1)] + 1
        table[toff : toff + size * d] = 0.0
        for sx in range(size):
            nr = d - ones[sx]
            out_of_sx = full ^ sx
            row = toff + sx * d
            t = sx
            while True:  # every subset t of sx: the background patterns s_r = (U \ s_x) | t
                c = counts[coff + (out_of_sx | t)]
                nx = ones[sx] - ones[t]
                if c != 0.0 and nx + nr > 0:
                    wp = v * c * pos_weight[nx, nr]
                    wn = v * c * neg_weight[nx, nr]
                    for j in range(d):
                        if (sx >> j) & 1:
                            if not (t >> j) & 1:
                                table[row + j] += wp
                        else:
                            table[row + j] -= wn
                if t == 0:
                    break
                t = (t - 1) & sx


@njit_parallel
def interventional_table_contribs(
    X, roots, outputs, tree_begin, tree_end, split_code, threshold, cats, left, tree_fast, node_bit,
    leaf_start, leaf_node, leaf_n_unique, leaf_feature, table_offset, table, tree_bias,
    max_nodes, out,
):  # fmt: skip
    """``out[i, output(t), :] +=`` the tabulated background-mean values of the trees with
    ``tree_fast``, and ``tree_bias`` (each tree's mean value on the background) in the last
    column."""
    n_rows = X.shape[0]
    m = out.shape[2] - 1
    n_blocks = (n_rows + ROW_BLOCK - 1) // ROW_BLOCK
    for blk in prange(n_blocks):
        lo = blk * ROW_BLOCK
        hi = min(n_rows, lo + ROW_BLOCK)
        pattern = np.empty(max_nodes, dtype=np.int64)
        for t in range(tree_begin, tree_end):
            i = t - tree_begin
            if not tree_fast[i]:
                continue
            k = outputs[t]
            root = roots[t]
            stop = roots[t + 1] if t + 1 < roots.shape[0] else left.shape[0]
            for row in range(lo, hi):
                leaf_patterns(
                    X, row, root, stop, split_code, threshold, cats, left, node_bit, pattern
                )
                for li in range(leaf_start[i], leaf_start[i + 1]):
                    d = leaf_n_unique[li]
                    s = pattern[leaf_node[li] - root] & ((np.int64(1) << d) - 1)
                    off = table_offset[li] + s * d
                    for j in range(d):
                        out[row, k, leaf_feature[li, j]] += table[off + j]
                out[row, k, m] += tree_bias[i]
