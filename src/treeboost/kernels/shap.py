"""Exact path-dependent TreeSHAP by path extension (Lundberg et al. 2020, Algorithm 2: EXTEND /
UNWIND), one row and one tree at a time.

This is the general algorithm: it needs no per-tree precomputation, so it serves any tree depth
and trees with zero-cover children. ``kernels/shap_fast.py`` is faster on the usual trees and
falls back to the per-tree routines here; ``shap_contribs_raw`` and ``shap_interactions_raw``
(every tree by this algorithm) are its plain twins in the tests.

Reads the raw-prediction forest layout of ``Booster._forest`` (see kernels/predict.py): global
node arrays, children adjacent (right = left + 1), a leaf's ``left`` points at itself,
``split_code = 2 * feature + default_left``, and ``cover`` in the same node order.

For one row and one tree, the walk is a depth-first traversal with an explicit stack. The
feature path of a node at depth ``d`` lives in slice ``[d * size, (d + 1) * size)`` of the flat
path arrays (``feat``, ``zero``, ``one``, ``pweight``); a child copies its parent's (possibly
unwound) path and extends it. Depth-first order keeps slice ``d`` intact until both children of a
depth-``d`` node have copied it. The per-node helpers are inlined (``njit_inline``) and take flat
arrays with offsets rather than 2-D row views: measured 6.5 s -> 3.4 s on 10k rows x 100 depth-6
trees (2 threads), the calls and views costing more than the arithmetic.

"Hot" child: the one the row takes (``value <= threshold`` goes left; NaN follows the default
direction). Zero fractions are ``cover[child] / cover[node]`` (0.5 each when the node has no
cover), one fractions are 1 on the hot side and 0 on the cold side. A child whose zero and one
fractions are both 0 contributes nothing (every term of its subtree carries one of them as a
factor) and is not visited, which also keeps the unwinding free of divisions by zero.

Interactions condition on one feature at a time (Lundberg et al. 2020, "SHAP interaction
values"): with ``cond_sign = +1`` the feature is always known (only the hot child is followed),
with ``-1`` never (both children, weighted by cover); either way it is not a player, so its
splits do not extend the path. Half the difference of the two runs is the interaction.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_inline, njit_parallel, njit_serial, prange

# Rows handled together: a block's rows walk one tree before the next, so its nodes stay cached.
SHAP_ROW_BLOCK = 32
# ``st_pi`` marker: the child was reached through a split on the conditioned feature and does
# not extend the path.
NO_EXTENSION = -2


@njit_inline
def _child_fraction(cover, child, node):
    c = cover[node]
    if c > 0.0:
        return cover[child] / c
    return 0.5


@njit_inline
def _extend(feat, zero, one, pweight, b, ud, pz, po, pi):
    """Append (pi, pz, po) to the path at offset ``b`` whose last element is at ``ud - 1``;
    update the weights of the subset sizes."""
    feat[b + ud] = pi
    zero[b + ud] = pz
    one[b + ud] = po
    pweight[b + ud] = 1.0 if ud == 0 else 0.0
    scale = 1.0 / (ud + 1)
    po_s = po * scale
    pz_s = pz * scale
    for i in range(ud - 1, -1, -1):
        pweight[b + i + 1] += po_s * pweight[b + i] * (i + 1)
        pweight[b + i] = pz_s * pweight[b + i] * (ud - i)


@njit_inline
def _unwind(feat, zero, one, pweight, b, ud, k, inv):
    """Remove element ``k`` from the path at offset ``b`` whose last element is at ``ud`` (undo
    its EXTEND). ``inv[j] = 1 / j``."""
    o = one[b + k]
    z = zero[b + k]
    if o != 0.0:
        a = (ud + 1) / o
        c = z / (ud + 1)
        nxt = pweight[b + ud]
        for i in range(ud - 1, -1, -1):
            tmp = pweight[b + i]
            pweight[b + i] = nxt * a * inv[i + 1]
            nxt = tmp - pweight[b + i] * c * (ud - i)
    else:
        a = (ud + 1) / z
        for i in range(ud - 1, -1, -1):
            pweight[b + i] = pweight[b + i] * a * inv[ud - i]
    for i in range(k, ud):
        feat[b + i] = feat[b + i + 1]
        zero[b + i] = zero[b + i + 1]
        one[b + i] = one[b + i + 1]


@njit_inline
def _leaf_contribs(feat, zero, one, pweight, b, ud, v, inv, phi, phi_base, sa, sc, snxt, stot):
    """``phi[phi_base + feat[j]] +=`` the contribution of path element j (1..ud) at a leaf of
    value ``v``. The unwound path sums of all elements advance together: independent chains that
    the CPU overlaps (one element at a time is a chain of dependent multiply-adds)."""
    top = pweight[b + ud]
    for j in range(1, ud + 1):
        snxt[j] = top
        stot[j] = 0.0
        o = one[b + j]
        if o != 0.0:
            sa[j] = (ud + 1) / o
            sc[j] = zero[b + j] / (ud + 1)
        else:
            sa[j] = (ud + 1) / zero[b + j]
            sc[j] = 0.0
    for i in range(ud - 1, -1, -1):
        wi = pweight[b + i]
        up = inv[i + 1]
        down = inv[ud - i]
        d = ud - i
        for j in range(1, ud + 1):
            if one[b + j] != 0.0:
                tmp = snxt[j] * sa[j] * up
                stot[j] += tmp
                snxt[j] = wi - tmp * sc[j] * d
            else:
                stot[j] += wi * sa[j] * down
    for j in range(1, ud + 1):
        phi[phi_base + feat[b + j]] += stot[j] * (one[b + j] - zero[b + j]) * v


@njit_inline
def goes_left(X, row, code, threshold, cats, node):
    """Whether row ``X[row]`` takes the left child of ``node``. NaN follows the default
    direction. ``cats = (cat_offset, cat_tables, cat_sizes)`` of ``Booster._forest`` (empty
    arrays when no split is categorical): a categorical split sends code c left when its table
    entry ``cat_tables[cat_offset[node] + 1 + c]`` is set; codes it does not know (negative,
    fractional, too large) take the default direction, as in kernels/categorical.py."""
    x = X[row, code >> 1]
    if x != x:
        return (code & 1) != 0
    cat_offset, cat_tables, cat_sizes = cats
    if cat_offset.shape[0] > 0 and cat_offset[node] >= 0:
        c = np.int64(x)
        if c < 0 or c >= cat_sizes[node] or c != x:
            return (code & 1) != 0
        return cat_tables[cat_offset[node] + 1 + c] != 0
    return x <= threshold[node]


@njit_serial
def tree_shap_row(
    X, row, root, split_code, threshold, cats, left, value, cover, phi, phi_base, cond_feature,
    cond_sign, size, feat, zero, one, pweight, st_node, st_level, st_ud, st_pz, st_po, st_pi,
    st_cf, inv, sa, sc, snxt, stot,
):  # fmt: skip
    """Add one tree's Shapley contributions for ``X[row]`` to ``phi[phi_base + feature]``.

    ``cond_sign`` 0: plain values. +1 / -1: values with feature ``cond_feature`` always / never
    known (it is then not a player). The path of depth ``d`` is ``[d * size, (d + 1) * size)``
    of the flat path arrays; stacks hold ``2 * size`` entries.
    """
    st_node[0] = root
    st_level[0] = 0
    st_ud[0] = 0
    st_pz[0] = 1.0
    st_po[0] = 1.0
    st_pi[0] = -1
    st_cf[0] = 1.0
    sp = 1
    while sp > 0:
        sp -= 1
        node = st_node[sp]
        level = st_level[sp]
        ud = st_ud[sp]
        cf = st_cf[sp]
        b = level * size
        if level > 0:
            pb = b - size
            for i in range(ud):
                feat[b + i] = feat[pb + i]
                zero[b + i] = zero[pb + i]
                one[b + i] = one[pb + i]
                pweight[b + i] = pweight[pb + i]
        if st_pi[sp] != NO_EXTENSION:
            _extend(feat, zero, one, pweight, b, ud, st_pz[sp], st_po[sp], st_pi[sp])
        else:
            ud -= 1  # the path is the parent's, unchanged
        lc = left[node]
        if lc == node:  # leaf
            _leaf_contribs(
                feat, zero, one, pweight, b, ud, value[node] * cf, inv, phi, phi_base,
                sa, sc, snxt, stot,
            )  # fmt: skip
            continue
        code = split_code[node]
        fi = code >> 1
        if goes_left(X, row, code, threshold, cats, node):
            hot = lc
            cold = lc + 1
        else:
            hot = lc + 1
            cold = lc
        if cond_sign != 0 and fi == cond_feature:
            # Not a player: the path goes on unchanged (the child's ud is this node's).
            if cond_sign > 0:
                hot_cf = cf
                cold_cf = 0.0
            else:
                hot_cf = cf * _child_fraction(cover, hot, node)
                cold_cf = cf * _child_fraction(cover, cold, node)
            for child, ccf in ((cold, cold_cf), (hot, hot_cf)):
                if ccf != 0.0:
                    st_node[sp] = child
                    st_level[sp] = level + 1
                    st_ud[sp] = ud + 1
                    st_pz[sp] = 1.0
                    st_po[sp] = 1.0
                    st_pi[sp] = NO_EXTENSION
                    st_cf[sp] = ccf
                    sp += 1
            continue
        iz = 1.0
        io = 1.0
        for p in range(1, ud + 1):
            if feat[b + p] == fi:
                iz = zero[b + p]
                io = one[b + p]
                _unwind(feat, zero, one, pweight, b, ud, p, inv)
                ud -= 1
                break
        cz = _child_fraction(cover, cold, node) * iz
        if cz != 0.0:
            st_node[sp] = cold
            st_level[sp] = level + 1
            st_ud[sp] = ud + 1
            st_pz[sp] = cz
            st_po[sp] = 0.0
            st_pi[sp] = fi
            st_cf[sp] = cf
            sp += 1
        hz = _child_fraction(cover, hot, node) * iz
        if hz != 0.0 or io != 0.0:
            st_node[sp] = hot
            st_level[sp] = level + 1
            st_ud[sp] = ud + 1
            st_pz[sp] = hz
            st_po[sp] = io
            st_pi[sp] = fi
            st_cf[sp] = cf
            sp += 1


@njit_serial
def new_path_workspace(max_depth):
    """Scratch arrays of ``tree_shap_row`` for trees of depth up to ``max_depth``."""
    size = max_depth + 2
    feat = np.empty(size * size, dtype=np.int64)
    zero = np.empty(size * size, dtype=np.float64)
    one = np.empty(size * size, dtype=np.float64)
    pweight = np.empty(size * size, dtype=np.float64)
    st_int = np.empty((4, 2 * size), dtype=np.int64)
    st_float = np.empty((3, 2 * size), dtype=np.float64)
    inv = np.empty(size + 2, dtype=np.float64)
    inv[0] = 0.0
    for j in range(1, size + 2):
        inv[j] = 1.0 / j
    scratch = np.empty((4, size), dtype=np.float64)
    return feat, zero, one, pweight, st_int, st_float, inv, scratch


@njit_serial
def path_shap(
    X, row, root, split_code, threshold, cats, left, value, cover, phi, phi_base, cond_feature,
    cond_sign, max_depth, ws,
):  # fmt: skip
    """``tree_shap_row`` with the scratch arrays of ``new_path_workspace(max_depth)``."""
    feat, zero, one, pweight, st_int, st_float, inv, scratch = ws
    tree_shap_row(
        X, row, root, split_code, threshold, cats, left, value, cover, phi, phi_base, cond_feature,
        cond_sign, max_depth + 2, feat, zero, one, pweight, st_int[0], st_int[1], st_int[2],
        st_float[0], st_float[1], st_int[3], st_float[2], inv, scratch[0], scratch[1],
        scratch[2], scratch[3],
    )  # fmt: skip


@njit_serial
def tree_expected_values(roots, tree_begin, tree_end, left, value, cover, max_depth, out):
    """``out[t - tree_begin]`` = the expected value of tree t: its leaf values weighted by the
    product of the cover fractions along their paths (``cover_leaf / cover_root``)."""
    st_node = np.empty(2 * max_depth + 4, dtype=np.int64)
    st_w = np.empty(2 * max_depth + 4, dtype=np.float64)
    for t in range(tree_begin, tree_end):
        total = 0.0
        st_node[0] = roots[t]
        st_w[0] = 1.0
        sp = 1
        while sp > 0:
            sp -= 1
            node = st_node[sp]
            wt = st_w[sp]
            lc = left[node]
            if lc == node:
                total += wt * value[node]
                continue
            for child in (lc, lc + 1):
                st_node[sp] = child
                st_w[sp] = wt * _child_fraction(cover, child, node)
                sp += 1
        out[t - tree_begin] = total


@njit_parallel
def shap_contribs_raw(
    X, roots, outputs, tree_begin, tree_end, split_code, threshold, cats, left, value, cover,
    max_depth, expected, out,
):  # fmt: skip
    """Path-dependent TreeSHAP of trees [tree_begin, tree_end) for raw rows ``X``, every tree by
    path extension.

    ``out`` (n_rows, n_outputs, n_features + 1) float64, C order: ``out[i, output(t), f] +=``
    feature f's contribution in tree t, and ``out[i, output(t), n_features] +=
    expected[t - tree_begin]`` (the tree's expected value). ``max_depth``: the deepest leaf of
    those trees.
    """
    n_rows = X.shape[0]
    n_outputs = out.shape[1]
    width = out.shape[2]
    flat = out.reshape(-1)
    n_blocks = (n_rows + SHAP_ROW_BLOCK - 1) // SHAP_ROW_BLOCK
    for blk in prange(n_blocks):
        lo = blk * SHAP_ROW_BLOCK
        hi = min(n_rows, lo + SHAP_ROW_BLOCK)
        ws = new_path_workspace(max_depth)
        for t in range(tree_begin, tree_end):
            k = outputs[t]
            for row in range(lo, hi):
                base = (row * n_outputs + k) * width
                path_shap(
                    X, row, roots[t], split_code, threshold, cats, left, value, cover, flat, base,
                    -1, 0, max_depth, ws,
                )  # fmt: skip
                flat[base + width - 1] += expected[t - tree_begin]


@njit_serial
def tree_features(roots, tree_begin, tree_end, split_code, left, n_features):
    """The distinct split features of each tree: ``(start, features)`` with tree t's features
    in ``features[start[t - tree_begin]:start[t - tree_begin + 1]]`` (ascending)."""
    n_trees = tree_end - tree_begin
    seen = np.zeros((n_trees, n_features), dtype=np.bool_)
    for t in range(tree_begin, tree_end):
        stop = roots[t + 1] if t + 1 < roots.shape[0] else left.shape[0]
        for node in range(roots[t], stop):
            if left[node] != node:
                seen[t - tree_begin, split_code[node] >> 1] = True
    start = np.zeros(n_trees + 1, dtype=np.int64)
    for i in range(n_trees):
        start[i + 1] = start[i] + seen[i].sum()
    features = np.empty(start[n_trees], dtype=np.int64)
    for i in range(n_trees):
        at = start[i]
        for f in range(n_features):
            if seen[i, f]:
                features[at] = f
                at += 1
    return start, features


@njit_serial
def path_interactions_row(
    X, row, root, split_code, threshold, cats, left, value, cover, used, out, row_base, width,
    max_depth, ws, plus, minus,
):  # fmt: skip
    """Add one tree's interaction values for ``X[row]`` to the flat matrix ``out[row_base +
    i * width + j]``: the plain contributions on the diagonal and, for every ordered pair of
    the tree's features ``used``, half the difference between conditioning on j known and
    unknown. (The diagonal is completed once every tree is in; see ``finish_interactions``.)
    ``plus`` and ``minus``: zeroed scratch vectors of length ``width``, left zeroed."""
    diag_step = width + 1
    path_shap(
        X, row, root, split_code, threshold, cats, left, value, cover, plus, 0, -1, 0, max_depth, ws
    )
    for i in used:
        out[row_base + i * diag_step] += plus[i]
        plus[i] = 0.0
    for j in used:
        path_shap(
            X,
            row,
            root,
            split_code,
            threshold,
            cats,
            left,
            value,
            cover,
            plus,
            0,
            j,
            1,
            max_depth,
            ws,
        )
        path_shap(
            X, row, root, split_code, threshold, cats, left, value, cover, minus, 0, j, -1,
            max_depth, ws,
        )  # fmt: skip
        for i in used:
            if i != j:
                out[row_base + i * width + j] += 0.5 * (plus[i] - minus[i])
            plus[i] = 0.0
            minus[i] = 0.0


@njit_serial
def finish_interactions(out, bias):
    """Complete interaction matrices ``out`` (n, k, m + 1, m + 1) whose diagonals hold the
    contributions: ``Phi_ii = phi_i - sum_{j != i} Phi_ij``; ``Phi[m, m] = bias[i, k]``."""
    n, k_outputs, width = out.shape[0], out.shape[1], out.shape[2]
    m = width - 1
    for r in range(n):
        for k in range(k_outputs):
            for i in range(m):
                s = 0.0
                for j in range(m):
                    if j != i:
                        s += out[r, k, i, j]
                out[r, k, i, i] -= s
            out[r, k, m, m] = bias[r, k]


@njit_parallel
def shap_interactions_raw(
    X, roots, outputs, tree_begin, tree_end, split_code, threshold, cats, left, value, cover,
    max_depth, feature_start, features, out,
):  # fmt: skip
    """SHAP interaction values of trees [tree_begin, tree_end), every tree by conditioned path
    extension. ``out`` (n_rows, n_outputs, m + 1, m + 1) float64, C order, zeroed;
    ``feature_start``/``features`` from ``tree_features``. Leaves the contributions on the
    diagonal: call ``finish_interactions`` after."""
    n_rows = X.shape[0]
    n_outputs = out.shape[1]
    width = out.shape[2]
    flat = out.reshape(-1)
    n_blocks = (n_rows + SHAP_ROW_BLOCK - 1) // SHAP_ROW_BLOCK
    for blk in prange(n_blocks):
        lo = blk * SHAP_ROW_BLOCK
        hi = min(n_rows, lo + SHAP_ROW_BLOCK)
        ws = new_path_workspace(max_depth)
        plus = np.zeros(width, dtype=np.float64)
        minus = np.zeros(width, dtype=np.float64)
        for t in range(tree_begin, tree_end):
            i = t - tree_begin
            used = features[feature_start[i] : feature_start[i + 1]]
            k = outputs[t]
            for row in range(lo, hi):
                path_interactions_row(
                    X, row, roots[t], split_code, threshold, cats, left, value, cover, used, flat,
                    (row * n_outputs + k) * width * width, width, max_depth, ws, plus, minus,
                )  # fmt: skip
