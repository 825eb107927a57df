"""Path-dependent TreeSHAP from per-leaf tables (the idea of Fast TreeSHAP v2, Yang 2021).

For one leaf, let U be the distinct features on its path (d of them, in order of first
appearance from the root), z_j the product of the cover fractions of the splits on feature j
along the path, and s the set of features in U whose every split on the path the row follows.
The leaf's game is the product game ``v(S) = value * prod_{j in S} [j in s] * prod_{j in U \\ S}
z_j``, and its Shapley values depend on the row only through s:

    phi_j  = c_j * A(s \\ {j}),          c_j = (1 - z_j) / z_j if j in s, else -1
    Phi_ij = c_i * c_j * B(s \\ {i, j})  (i != j, SHAP interaction value)

with ``A(t) = value * sum_{S subset t} |S|! (d-1-|S|)! / d! * prod_{k in U \\ S} z_k`` and
``B(t) = value / 2 * sum_{S subset t} |S|! (d-2-|S|)! / (d-1)! * prod_{k in U \\ S} z_k``
(t never holds the features that were removed, so the z_j of the removed features divide out
exactly). A and B are tabulated for all 2^d subsets t per leaf (a subset-sum transform,
O(d 2^d)); a row then costs one pass over the tree's nodes to find every leaf's s (a bit mask:
a node clears the bit of its feature on the side the row does not take) and O(d) lookups per
leaf for contributions, O(d^2) for interactions.

Trees the tables do not suit (a zero cover fraction, which the division by z_j cannot take;
children stored before their parent; tables over the memory budget) are marked in
``describe_leaf_paths`` / by the caller and explained by path extension (``kernels/shap.py``).
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_parallel, njit_serial, prange
from .shap import (
    SHAP_ROW_BLOCK,
    _child_fraction,
    goes_left,
    new_path_workspace,
    path_interactions_row,
    path_shap,
)

# Longest root-to-leaf path (in splits) whose leaves are tabulated; deeper trees use path
# extension (their 2^d tables could not be afforded anyway).
MAX_TABLE_PATH = 30


@njit_serial
def describe_leaf_paths(
    roots, tree_begin, tree_end, depths, split_code, left, cover, leaf_start, leaf_node,
    node_bit, leaf_n_unique, leaf_feature, leaf_zero, tree_ok,
):  # fmt: skip
    """Per tree t in [tree_begin, tree_end): its leaves ``leaf_node[leaf_start[i]:leaf_start[i
    + 1]]`` (i = t - tree_begin) get ``leaf_n_unique`` (d), ``leaf_feature[l, :d]`` (distinct
    path features by first appearance) and ``leaf_zero[l, :d]`` (their cover-fraction products);
    every split node gets ``node_bit`` (its feature's position in that order, the same for all
    leaves below it). ``tree_ok[i]`` is False when the tables cannot serve the tree."""
    path = np.empty(MAX_TABLE_PATH + 1, dtype=np.int64)
    uniq = np.empty(MAX_TABLE_PATH + 1, dtype=np.int64)
    zbuf = np.empty(MAX_TABLE_PATH + 1, dtype=np.float64)
    for t in range(tree_begin, tree_end):
        i = t - tree_begin
        root = roots[t]
        stop = roots[t + 1] if t + 1 < roots.shape[0] else left.shape[0]
        ok = depths[t] <= MAX_TABLE_PATH
        parent = np.full(stop - root, -1, dtype=np.int64)
        for node in range(root, stop):
            lc = left[node]
            if lc != node:
                if lc <= node or lc + 1 >= stop:
                    ok = False  # children must follow their parent for the one-pass row walk
                else:
                    parent[lc - root] = node
                    parent[lc + 1 - root] = node
                    if cover[node] > 0.0 and (cover[lc] <= 0.0 or cover[lc + 1] <= 0.0):
                        ok = False  # a zero (or negative) cover fraction
        tree_ok[i] = ok
        if not ok:
            continue
        for node in range(root, stop):
            # Root-to-node path into path[0:h] (the node itself last).
            h = 0
            cur = node
            while cur >= 0:
                h += 1
                cur = parent[cur - root]
            cur = node
            for p in range(h - 1, -1, -1):
                path[p] = cur
                cur = parent[cur - root]
            is_leaf = left[node] == node
            n_splits = h - 1 if is_leaf else h
            d = 0
            for p in range(n_splits):
                f = split_code[path[p]] >> 1
                pos = d
                for q in range(d):
                    if uniq[q] == f:
                        pos = q
                        break
                if pos == d:
                    uniq[d] = f
                    zbuf[d] = 1.0
                    d += 1
                if is_leaf:
                    zbuf[pos] *= _child_fraction(cover, path[p + 1], path[p])
                elif p == n_splits - 1:
                    node_bit[node] = pos
            if is_leaf:
                # leaves of tree t are in ascending node order in leaf_node
                lo = leaf_start[i]
                li = lo + np.searchsorted(leaf_node[lo : leaf_start[i + 1]], node)
                leaf_n_unique[li] = d
                _copy_path(leaf_feature, leaf_zero, li, uniq, zbuf, d)


@njit_serial
def _copy_path(leaf_feature, leaf_zero, li, uniq, zbuf, d):
    q = 0
    while q < d:
        leaf_feature[li, q] = uniq[q]
        leaf_zero[li, q] = zbuf[q]
        q += 1


@njit_parallel
def fill_leaf_tables(
    leaf_node, leaf_n_unique, leaf_zero, value, table_offset, with_pairs, leaf_ratio,
    table_single, table_pair,
):  # fmt: skip
    """Tabulate A (``table_single``) and, when ``with_pairs``, B (``table_pair``) of every leaf
    with ``table_offset[l] >= 0``, at ``[table_offset[l], table_offset[l] + 2^d)``; set
    ``leaf_ratio[l, j] = (1 - z_j) / z_j``."""
    for li in prange(leaf_node.shape[0]):
        off = table_offset[li]
        if off < 0:
            continue
        d = leaf_n_unique[li]
        v = value[leaf_node[li]]
        size = 1 << d
        full = size - 1
        for j in range(d):
            z = leaf_zero[li, j]
            leaf_ratio[li, j] = (1.0 - z) / z
        # prod[mask] = prod of z over the features in mask; count[mask] = its size
        prod = np.empty(size, dtype=np.float64)
        count = np.empty(size, dtype=np.int64)
        prod[0] = 1.0
        count[0] = 0
        for j in range(d):
            bj = 1 << j
            for mask in range(bj):
                prod[mask | bj] = prod[mask] * leaf_zero[li, j]
                count[mask | bj] = count[mask] + 1
        fact = np.empty(d + 1, dtype=np.float64)
        fact[0] = 1.0
        for j in range(1, d + 1):
            fact[j] = fact[j - 1] * j
        _tabulate(table_single, off, d, full, prod, count, fact, d, v)
        if with_pairs:
            if d >= 2:
                _tabulate(table_pair, off, d, full, prod, count, fact, d - 1, 0.5 * v)
            else:
                table_pair[off : off + size] = 0.0


@njit_serial
def _tabulate(table, off, d, full, prod, count, fact, n, scale):
    """``table[off + t] = scale * sum_{S subset t} |S|! (n-1-|S|)! / n! * prod_{U \\ S} z``:
    the weighted terms, then the subset-sum (zeta) transform, one feature at a time."""
    size = full + 1
    for mask in range(size):
        k = count[mask]
        if k <= n - 1:
            table[off + mask] = scale * fact[k] * fact[n - 1 - k] / fact[n] * prod[full ^ mask]
        else:
            table[off + mask] = 0.0
    for j in range(d):
        bj = 1 << j
        for mask in range(size):
            if mask & bj:
                table[off + mask] += table[off + (mask ^ bj)]


@njit_serial
def leaf_patterns(X, row, root, stop, split_code, threshold, cats, left, node_bit, pattern):
    """``pattern[node - root]``: bit q set when the row follows every split on the path's q-th
    feature down to the node. Parents come before their children in the node order."""
    pattern[0] = -1  # every bit set
    numeric = cats[0].shape[0] == 0
    for node in range(root, stop):
        lc = left[node]
        if lc != node:
            p = pattern[node - root]
            cleared = p & ~(np.int64(1) << node_bit[node])
            code = split_code[node]
            if numeric:  # the common case, without the categorical lookup
                x = X[row, code >> 1]
                go = ((code & 1) != 0) if x != x else x <= threshold[node]
            else:
                go = goes_left(X, row, code, threshold, cats, node)
            # Branch-free: the hot child keeps the bits, the other loses this feature's bit.
            keep_left = np.int64(go)
            pattern[lc - root] = p if keep_left else cleared
            pattern[lc + 1 - root] = cleared if keep_left else p


@njit_parallel
def shap_contribs_fast(
    X, roots, outputs, tree_begin, tree_end, split_code, threshold, cats, left, value, cover,
    max_depth, expected, tree_fast, node_bit, leaf_start, leaf_node, leaf_n_unique,
    leaf_feature, leaf_ratio, table_offset, table, max_nodes, out,
):  # fmt: skip
    """Path-dependent TreeSHAP of trees [tree_begin, tree_end): tables for trees with
    ``tree_fast[t - tree_begin]``, path extension for the others. ``out`` as in
    ``shap.shap_contribs_raw``."""
    n_rows = X.shape[0]
    n_outputs = out.shape[1]
    width = out.shape[2]
    flat = out.reshape(-1)
    n_blocks = (n_rows + SHAP_ROW_BLOCK - 1) // SHAP_ROW_BLOCK
    for blk in prange(n_blocks):
        lo = blk * SHAP_ROW_BLOCK
        hi = min(n_rows, lo + SHAP_ROW_BLOCK)
        ws = new_path_workspace(max_depth)
        pattern = np.empty(max_nodes, dtype=np.int64)
        for t in range(tree_begin, tree_end):
            i = t - tree_begin
            k = outputs[t]
            root = roots[t]
            stop = roots[t + 1] if t + 1 < roots.shape[0] else left.shape[0]
            for row in range(lo, hi):
                base = (row * n_outputs + k) * width
                if not tree_fast[i]:
                    path_shap(
                        X, row, root, split_code, threshold, cats, left, value, cover, flat, base,
                        -1, 0, max_depth, ws,
                    )  # fmt: skip
                else:
                    leaf_patterns(X, row, root, stop, split_code, threshold, cats, left, node_bit,
                                   pattern)  # fmt: skip
                    for li in range(leaf_start[i], leaf_start[i + 1]):
                        d = leaf_n_unique[li]
                        s = pattern[leaf_node[li] - root] & ((np.int64(1) << d) - 1)
                        off = table_offset[li]
                        # Branch-free (the bits are unpredictable): c_j = r_j if bit j of s
                        # is set, else -1; without bit j, s & ~bit is s itself.
                        for j in range(d):
                            bit = (s >> j) & 1
                            coef = bit * (leaf_ratio[li, j] + 1.0) - 1.0
                            idx = s & ~(np.int64(1) << j)
                            flat[base + leaf_feature[li, j]] += coef * table[off + idx]
                flat[base + width - 1] += expected[i]


@njit_parallel
def shap_interactions_fast(
    X, roots, outputs, tree_begin, tree_end, split_code, threshold, cats, left, value, cover,
    max_depth, tree_fast, node_bit, leaf_start, leaf_node, leaf_n_unique, leaf_feature,
    leaf_ratio, table_offset, table_single, table_pair, max_nodes, feature_start, features,
    out,
):  # fmt: skip
    """SHAP interaction values of trees [tree_begin, tree_end) into zeroed ``out`` (n_rows,
    n_outputs, m + 1, m + 1): tables for fast trees, conditioned path extension for the others
    (``feature_start``/``features`` from ``shap.tree_features``). Leaves the contributions on
    the diagonal: call ``shap.finish_interactions`` after."""
    n_rows = X.shape[0]
    n_outputs = out.shape[1]
    width = out.shape[2]
    flat = out.reshape(-1)
    n_blocks = (n_rows + SHAP_ROW_BLOCK - 1) // SHAP_ROW_BLOCK
    for blk in prange(n_blocks):
        lo = blk * SHAP_ROW_BLOCK
        hi = min(n_rows, lo + SHAP_ROW_BLOCK)
        ws = new_path_workspace(max_depth)
        pattern = np.empty(max_nodes, dtype=np.int64)
        plus = np.zeros(width, dtype=np.float64)
        minus = np.zeros(width, dtype=np.float64)
        coef = np.empty(MAX_TABLE_PATH + 1, dtype=np.float64)
        for t in range(tree_begin, tree_end):
            i = t - tree_begin
            k = outputs[t]
            root = roots[t]
            stop = roots[t + 1] if t + 1 < roots.shape[0] else left.shape[0]
            for row in range(lo, hi):
                base = (row * n_outputs + k) * width * width
                if not tree_fast[i]:
                    used = features[feature_start[i] : feature_start[i + 1]]
                    path_interactions_row(
                        X, row, root, split_code, threshold, cats, left, value, cover, used, flat,
                        base, width, max_depth, ws, plus, minus,
                    )  # fmt: skip
                    continue
                leaf_patterns(X, row, root, stop, split_code, threshold, cats, left, node_bit,
                               pattern)  # fmt: skip
                for li in range(leaf_start[i], leaf_start[i + 1]):
                    d = leaf_n_unique[li]
                    s = pattern[leaf_node[li] - root] & ((np.int64(1) << d) - 1)
                    off = table_offset[li]
                    for j in range(d):
                        coef[j] = ((s >> j) & 1) * (leaf_ratio[li, j] + 1.0) - 1.0
                    for j in range(d):
                        bj = np.int64(1) << j
                        fj = leaf_feature[li, j]
                        sj = s & ~bj
                        flat[base + fj * (width + 1)] += coef[j] * table_single[off + sj]
                        for q in range(j):
                            val = coef[j] * coef[q] * table_pair[off + (sj & ~(np.int64(1) << q))]
                            fq = leaf_feature[li, q]
                            flat[base + fj * width + fq] += val
                            flat[base + fq * width + fj] += val
