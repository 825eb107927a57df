"""Online boosting: one multi-output tree from external gradients, and the complete-tree walk.

Trees are complete binary trees of a fixed depth D in heap order: node i has children 2i + 1
and 2i + 2; split nodes are 0 .. 2^D - 2 and leaves 2^D - 1 .. 2^(D+1) - 2 (leaf j is node
2^D - 1 + j). A node that did not split has feature -1: growing sends all its rows left, and
every leaf below it holds its values for prediction, so the walk is always exactly D steps
with no "is this a leaf" branch. Rows go left when ``bin <= split_bin`` (binned) or
``value <= threshold`` (raw); NaN goes right.

Gradients arrive as float32 and every sum is float64 (sums of many small gradients, then the
differences of cumulative sums, cancel).
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_inline, njit_parallel, njit_serial, prange
from .split import GAIN_TIE_TOLERANCE

SCORE_L2 = 0
SCORE_COSINE = 1
# Rows predicted together, tree by tree.
ROW_BLOCK = 32


@njit_serial
def _side_l2(g, h, scale, n_outputs):
    """L2 score of one side: sum over outputs of (scale * G)^2 / H (0 where H is 0)."""
    s = 0.0
    for c in range(n_outputs):
        if h[c] > 0.0:
            sg = scale[c] * g[c]
            s += sg * sg / h[c]
    return s


@njit_serial
def _side_cosine(g, count, n_outputs):
    """Cosine terms of one side: n |gbar|^2 = |G|^2 / n, which is also sum_i g_i . gbar."""
    if count == 0:
        return 0.0
    s = 0.0
    for c in range(n_outputs):
        s += g[c] * g[c]
    return s / count


@njit_serial
def _cosine(num, den):
    return num / np.sqrt(den) if den > 0.0 else 0.0


@njit_serial
def _fill_histograms(bins, grad, hess, row_node, first, dead, hg, hh, hn):
    n_rows, n_features = bins.shape
    n_outputs = grad.shape[1]
    hg[:] = 0.0
    hh[:] = 0.0
    hn[:] = 0
    for i in range(n_rows):
        node = row_node[i] - first
        if dead[node]:
            continue
        for f in range(n_features):
            b = bins[i, f]
            hn[node, f, b] += 1
            for c in range(n_outputs):
                hg[node, f, b, c] += grad[i, c]
                hh[node, f, b, c] += hess[i, c]


@njit_serial
def _parent_score(node_g, node_h, node_n, node, scale, score_kind):
    k = node_g.shape[1]
    if score_kind == SCORE_L2:
        return _side_l2(node_g[node], node_h[node], scale, k)
    return _side_cosine(node_g[node], node_n[node], k)


@njit_serial
def _best_greedy(
    hg, hh, hn, n_bins, j, node, node_g, node_h, node_n, scale, score_kind, min_leaf, out
):
    """Best (gain, feature, bin) of one node; gain -inf when no split is valid."""
    n_features = hg.shape[1]
    k = hg.shape[3]
    gl = np.empty(k)
    hl = np.empty(k)
    gr = np.empty(k)
    hr = np.empty(k)
    total_n = node_n[node]
    parent = _parent_score(node_g, node_h, node_n, node, scale, score_kind)
    if score_kind == SCORE_COSINE:
        parent = np.sqrt(parent)
    best_gain = -np.inf
    best_f = -1
    best_b = -1
    for f in range(n_features):
        gl[:] = 0.0
        hl[:] = 0.0
        nl = 0
        for b in range(n_bins[f] - 1):
            nl += hn[j, f, b]
            for c in range(k):
                gl[c] += hg[j, f, b, c]
                hl[c] += hh[j, f, b, c]
            nr = total_n - nl
            if nl < min_leaf or nr < min_leaf:
                continue
            for c in range(k):
                gr[c] = node_g[node, c] - gl[c]
                hr[c] = node_h[node, c] - hl[c]
            if score_kind == SCORE_L2:
                score = _side_l2(gl, hl, scale, k) + _side_l2(gr, hr, scale, k)
            else:
                num = _side_cosine(gl, nl, k) + _side_cosine(gr, nr, k)
                score = _cosine(num, num)
            gain = score - parent
            # Ties (within rounding) keep the first candidate: lowest feature, then lowest bin.
            if best_f < 0 or gain > best_gain + GAIN_TIE_TOLERANCE * abs(best_gain):
                best_gain = gain
                best_f = f
                best_b = b
    out[0] = best_gain
    out[1] = best_f
    out[2] = best_b
    out[3] = parent


@njit_serial
def _best_oblivious(
    hg, hh, hn, n_bins, first, n_level, dead, node_g, node_h, node_n, scale, score_kind, out
):
    """Best (gain, feature, bin) shared by every node of a level (empty children allowed)."""
    n_features = hg.shape[1]
    max_bins = hg.shape[2]
    k = hg.shape[3]
    gl = np.empty(k)
    hl = np.empty(k)
    gr = np.empty(k)
    hr = np.empty(k)
    acc = np.empty(max_bins)
    splits_some = np.empty(max_bins, dtype=np.bool_)
    parent = 0.0
    for j in range(n_level):
        if not dead[j]:
            parent += _parent_score(node_g, node_h, node_n, first + j, scale, score_kind)
    if score_kind == SCORE_COSINE:
        parent = np.sqrt(parent)
    best_gain = -np.inf
    best_f = -1
    best_b = -1
    for f in range(n_features):
        acc[:] = 0.0
        splits_some[:] = False
        for j in range(n_level):
            if dead[j]:
                continue
            node = first + j
            gl[:] = 0.0
            hl[:] = 0.0
            nl = 0
            for b in range(n_bins[f] - 1):
                nl += hn[j, f, b]
                for c in range(k):
                    gl[c] += hg[j, f, b, c]
                    hl[c] += hh[j, f, b, c]
                nr = node_n[node] - nl
                if nl > 0 and nr > 0:
                    splits_some[b] = True
                for c in range(k):
                    gr[c] = node_g[node, c] - gl[c]
                    hr[c] = node_h[node, c] - hl[c]
                if score_kind == SCORE_L2:
                    acc[b] += _side_l2(gl, hl, scale, k) + _side_l2(gr, hr, scale, k)
                else:
                    acc[b] += _side_cosine(gl, nl, k) + _side_cosine(gr, nr, k)
        for b in range(n_bins[f] - 1):
            if not splits_some[b]:
                continue
            score = acc[b] if score_kind == SCORE_L2 else _cosine(acc[b], acc[b])
            gain = score - parent
            if best_f < 0 or gain > best_gain + GAIN_TIE_TOLERANCE * abs(best_gain):
                best_gain = gain
                best_f = f
                best_b = b
    out[0] = best_gain
    out[1] = best_f
    out[2] = best_b
    out[3] = parent


@njit_serial
def _splits(gain, parent):
    # A split must improve the score by more than rounding noise.
    return gain > 0.0 and gain > 1e-10 * abs(parent)


@njit_serial
def grow_online_tree(
    bins,
    n_bins,
    grad,
    hess,
    scale,
    depth,
    oblivious,
    score_kind,
    min_leaf,
    split_feature,
    split_bin,
    split_gain,
    node_g,
    node_h,
    node_n,
    row_leaf,
):
    """Grow one complete tree of ``depth`` levels on binned rows.

    bins (n, m) uint16; n_bins (m,) int64 (value bins per feature: bins are 0 .. n_bins - 1);
    grad, hess (n, k) float32; scale (k,) float64 multiplies each output's gradient in the L2
    score. Fills split_feature / split_bin / split_gain (2^D - 1,), node_g / node_h (2^(D+1) - 1,
    k) float64 and node_n (2^(D+1) - 1,) int64 (sums of every node, leaves included), and
    row_leaf (n,) int32 (each row's leaf, 0 .. 2^D - 1).
    """
    n_rows = bins.shape[0]
    k = grad.shape[1]
    max_bins = 1
    for f in range(n_bins.shape[0]):
        max_bins = max(max_bins, n_bins[f])
    width = 1 << max(depth - 1, 0)
    hg = np.empty((width, bins.shape[1], max_bins, k))
    hh = np.empty((width, bins.shape[1], max_bins, k))
    hn = np.empty((width, bins.shape[1], max_bins), dtype=np.int64)
    node_g[:] = 0.0
    node_h[:] = 0.0
    node_n[:] = 0
    split_feature[:] = -1
    split_bin[:] = 0
    split_gain[:] = 0.0
    row_node = np.zeros(n_rows, dtype=np.int32)
    for i in range(n_rows):
        for c in range(k):
            node_g[0, c] += grad[i, c]
            node_h[0, c] += hess[i, c]
    node_n[0] = n_rows
    dead = np.zeros(width, dtype=np.bool_)
    child_dead = np.zeros(2 * width, dtype=np.bool_)
    best = np.empty(4)
    for level in range(depth):
        first = (1 << level) - 1
        n_level = 1 << level
        for j in range(n_level):
            # Oblivious trees keep one split per level in every node, even a node with
            # fewer than two rows (its empty child predicts 0), so prediction can read the
            # level's split once; only a level that found no split stops the tree.
            dead[j] = child_dead[j] or (not oblivious and node_n[first + j] < 2 * min_leaf)
        _fill_histograms(bins, grad, hess, row_node, first, dead, hg, hh, hn)
        if oblivious:
            _best_oblivious(
                hg,
                hh,
                hn,
                n_bins,
                first,
                n_level,
                dead,
                node_g,
                node_h,
                node_n,
                scale,
                score_kind,
                best,
            )
            if best[1] >= 0 and _splits(best[0], best[3]):
                for j in range(n_level):
                    if not dead[j]:
                        split_feature[first + j] = np.int32(best[1])
                        split_bin[first + j] = np.int32(best[2])
                        split_gain[first + j] = best[0]
        else:
            for j in range(n_level):
                if dead[j]:
                    continue
                _best_greedy(
                    hg,
                    hh,
                    hn,
                    n_bins,
                    j,
                    first + j,
                    node_g,
                    node_h,
                    node_n,
                    scale,
                    score_kind,
                    min_leaf,
                    best,
                )
                if best[1] >= 0 and _splits(best[0], best[3]):
                    split_feature[first + j] = np.int32(best[1])
                    split_bin[first + j] = np.int32(best[2])
                    split_gain[first + j] = best[0]
        # A node that did not split, and everything below it, can split no more.
        for j in range(n_level):
            stopped = dead[j] or split_feature[first + j] < 0
            child_dead[2 * j] = stopped
            child_dead[2 * j + 1] = stopped
        for i in range(n_rows):
            node = row_node[i]
            f = split_feature[node]
            child = 2 * node + 1
            if f >= 0 and bins[i, f] > split_bin[node]:
                child += 1
            row_node[i] = child
            node_n[child] += 1
            for c in range(k):
                node_g[child, c] += grad[i, c]
                node_h[child, c] += hess[i, c]
    first_leaf = (1 << depth) - 1
    for i in range(n_rows):
        row_leaf[i] = row_node[i] - first_leaf


@njit_inline
def _walk(X, i, features, thresholds, t, depth):
    node = 0
    for _ in range(depth):
        # NaN fails ``<=`` and goes right. Every leaf below an unsplit node (feature -1) holds
        # that node's values, so the side taken there does not matter: no branch, whatever
        # the data (mispredicted branches cost more than the whole walk).
        f = max(features[t, node], 0)
        node = 2 * node + 2 - np.int64(X[i, f] <= thresholds[t, node])
    return node - ((1 << depth) - 1)


@njit_inline
def _walk_oblivious(X, i, features, thresholds, t, depth):
    # One split per level (at the level's first heap node): the comparisons do not depend on
    # each other, so they overlap, and the leaf index is their bits, the root's first.
    leaf = 0
    for d in range(depth):
        node = (1 << d) - 1
        f = max(features[t, node], 0)
        leaf = 2 * leaf + 1 - np.int64(X[i, f] <= thresholds[t, node])
    return leaf


@njit_inline
def _predict_block(X, lo, hi, features, thresholds, leaves, depth, oblivious, out):
    # Trees outer, rows inner: a tree's arrays stay in cache for the whole block of rows.
    k = leaves.shape[2]
    for t in range(features.shape[0]):
        for i in range(lo, hi):
            if oblivious:
                leaf = _walk_oblivious(X, i, features, thresholds, t, depth)
            else:
                leaf = _walk(X, i, features, thresholds, t, depth)
            for c in range(k):
                out[i, c] += leaves[t, leaf, c]


@njit_serial
def predict_online_serial(X, features, thresholds, leaves, depth, oblivious, out):
    """``out[i] += leaves[t, leaf of row i in tree t]`` over every tree; one thread."""
    for lo in range(0, X.shape[0], ROW_BLOCK):
        hi = min(lo + ROW_BLOCK, X.shape[0])
        _predict_block(X, lo, hi, features, thresholds, leaves, depth, oblivious, out)


@njit_parallel
def predict_online(X, features, thresholds, leaves, depth, oblivious, out):
    """:func:`predict_online_serial` with blocks of rows in parallel."""
    n_blocks = (X.shape[0] + ROW_BLOCK - 1) // ROW_BLOCK
    for blk in prange(n_blocks):
        lo = blk * ROW_BLOCK
        hi = min(lo + ROW_BLOCK, X.shape[0])
        _predict_block(X, lo, hi, features, thresholds, leaves, depth, oblivious, out)


@njit_serial
def leaves_online(X, features, thresholds, depth, out):
    """``out[i, t]`` = leaf (0 .. 2^D - 1) of row i in tree t."""
    for i in range(X.shape[0]):
        for t in range(features.shape[0]):
            out[i, t] = _walk(X, i, features, thresholds, t, depth)


@njit_serial
def bin_rows_online(X, thresholds, offsets, out):
    """``out[i, f]`` = number of thresholds of feature f below ``X[i, f]`` (binary search over
    ``thresholds[offsets[f]:offsets[f + 1]]``): bin b holds ``t[b-1] < x <= t[b]``; NaN gets
    the last bin."""
    n_rows, n_features = X.shape
    for f in range(n_features):
        lo0 = offsets[f]
        hi0 = offsets[f + 1]
        for i in range(n_rows):
            x = X[i, f]
            if x != x:
                out[i, f] = hi0 - lo0
                continue
            lo = lo0
            hi = hi0
            while lo < hi:
                mid = (lo + hi) >> 1
                if thresholds[mid] < x:
                    lo = mid + 1
                else:
                    hi = mid
            out[i, f] = lo - lo0
