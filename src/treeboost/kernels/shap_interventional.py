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

# Rows explained together against one reference: the trees stay cached across the block.
ROW_BLOCK = 16


@njit_serial
def _goes_left(row, code, threshold_at):
    v = row[code >> 1]
    if v != v:
        return (code & 1) != 0
    return v <= threshold_at


@njit_serial
def _pair_tree(
    x, r, root, split_code, threshold, left, value, pos_weight, neg_weight, phi,
    st_node, st_level, st_nx, st_feat, st_side, path_feat, path_side,
):  # fmt: skip
    """``phi[:m] +=`` the Shapley values of one tree for the pair (x, r); ``phi[m] +=`` the
    tree's value at r."""
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
        t = threshold[node]
        x_child = lc + 1 - np.int64(_goes_left(x, code, t))
        r_child = lc + 1 - np.int64(_goes_left(r, code, t))
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
    X, R, roots, outputs, tree_begin, tree_end, split_code, threshold, left, value, max_depth,
    pos_weight, neg_weight, base_margin, margin_x, logistic, out,
):  # fmt: skip
    """``out`` (n_rows, n_outputs, m + 1), zeroed: the mean over background rows ``R`` of each
    pair's Shapley values of trees [tree_begin, tree_end); the last column the mean model
    output at the background rows.

    ``logistic``: explain ``sigmoid(margin)`` instead of the margin, as the shap package does:
    each pair's margin values are scaled by ``(sigmoid(m_x) - sigmoid(m_r)) / (m_x - m_r)`` so
    they add up to the probability difference (``margin_x`` (n_rows, n_outputs): the rows'
    margins, ``base_margin`` (n_outputs,) the model's starting margins).
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
            r = R[j]
            tmp[:] = 0.0
            for t in range(tree_begin, tree_end):
                k = outputs[t]
                for row in range(lo, hi):
                    _pair_tree(
                        X[row], r, roots[t], split_code, threshold, left, value, pos_weight,
                        neg_weight, tmp[row - lo, k], st_node, st_level, st_nx, st_feat,
                        st_side, path_feat, path_side,
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
