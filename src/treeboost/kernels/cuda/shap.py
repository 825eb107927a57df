"""Path-dependent TreeSHAP on the device: kernels/shap.py's ``tree_shap_row`` (Lundberg et al.
2020, Algorithm 2, EXTEND / UNWIND with an explicit stack), one thread per row, numeric splits.

The forest layout is model/forest.py's (children adjacent, a leaf's ``left`` is itself,
``split_code = 2 * feature + default_left``, ``cover`` per node). Each thread works in its own
rows of the workspaces: the CPU's flat path arrays (depth ``d`` at ``[d * size, (d + 1) *
size)``, ``size = max_depth + 2``) and its stacks, in global memory, since their length is only
known at run time. The arithmetic is the CPU's, term for term, so contributions agree with it to
float64 rounding.
"""

from __future__ import annotations

from numba import cuda

# Rows of the int workspace: path features, then the stacks (node, level, path length, feature).
_FEAT, _ST_NODE, _ST_LEVEL, _ST_UD, _ST_PI = 0, 1, 2, 3, 4
N_INT_ROWS = 5
# Rows of the float workspace: path fractions and weights, stack fractions, leaf sums.
_ZERO, _ONE, _PWEIGHT, _ST_PZ, _ST_PO, _SA, _SC, _SNXT, _STOT = 0, 1, 2, 3, 4, 5, 6, 7, 8
N_FLOAT_ROWS = 9


@cuda.jit(device=True)
def _child_fraction(cover, child, node):
    c = cover[node]
    if c > 0.0:
        return cover[child] / c
    return 0.5


@cuda.jit(device=True)
def _extend(feat, zero, one, pweight, b, ud, pz, po, pi):
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


@cuda.jit(device=True)
def _unwind(feat, zero, one, pweight, b, ud, k, inv):
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


@cuda.jit(device=True)
def _leaf_contribs(feat, zero, one, pweight, b, ud, v, inv, phi, sa, sc, snxt, stot):
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
        phi[feat[b + j]] += stot[j] * (one[b + j] - zero[b + j]) * v


@cuda.jit(device=True)
def _tree_shap_row(X, row, root, split_code, threshold, left, value, cover, phi, size, wi, wf,
                   inv):  # fmt: skip
    """One tree's contributions of ``X[row]`` added to ``phi`` (the row's output slice)."""
    feat, st_node, st_level = wi[_FEAT], wi[_ST_NODE], wi[_ST_LEVEL]
    st_ud, st_pi = wi[_ST_UD], wi[_ST_PI]
    zero, one, pweight = wf[_ZERO], wf[_ONE], wf[_PWEIGHT]
    st_pz, st_po = wf[_ST_PZ], wf[_ST_PO]
    st_node[0] = root
    st_level[0] = 0
    st_ud[0] = 0
    st_pz[0] = 1.0
    st_po[0] = 1.0
    st_pi[0] = -1
    sp = 1
    while sp > 0:
        sp -= 1
        node = st_node[sp]
        level = st_level[sp]
        ud = st_ud[sp]
        b = level * size
        if level > 0:
            pb = b - size
            for i in range(ud):
                feat[b + i] = feat[pb + i]
                zero[b + i] = zero[pb + i]
                one[b + i] = one[pb + i]
                pweight[b + i] = pweight[pb + i]
        _extend(feat, zero, one, pweight, b, ud, st_pz[sp], st_po[sp], st_pi[sp])
        lc = left[node]
        if lc == node:  # leaf
            _leaf_contribs(feat, zero, one, pweight, b, ud, value[node], inv, phi, wf[_SA],
                           wf[_SC], wf[_SNXT], wf[_STOT])  # fmt: skip
            continue
        code = split_code[node]
        fi = code >> 1
        x = X[row, fi]
        go_left = x <= threshold[node]
        if x != x:
            go_left = (code & 1) != 0
        if go_left:
            hot = lc
            cold = lc + 1
        else:
            hot = lc + 1
            cold = lc
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
            sp += 1
        hz = _child_fraction(cover, hot, node) * iz
        if hz != 0.0 or io != 0.0:
            st_node[sp] = hot
            st_level[sp] = level + 1
            st_ud[sp] = ud + 1
            st_pz[sp] = hz
            st_po[sp] = io
            st_pi[sp] = fi
            sp += 1


@cuda.jit
def shap_contribs(X, roots, outputs, tree_begin, tree_end, split_code, threshold, left, value,
                  cover, size, expected, ws_int, ws_float, inv, out):  # fmt: skip
    """``out[i, output(t), f] +=`` feature f's contribution in tree t for every row i, and
    ``out[i, output(t), -1] += expected[t - tree_begin]``; ``out`` (n_rows, n_outputs,
    n_features + 1). Thread ``j`` of the grid uses workspace rows ``ws_*[j]``."""
    tid = cuda.grid(1)
    if tid >= ws_int.shape[0]:
        return
    wi = ws_int[tid]
    wf = ws_float[tid]
    width = out.shape[2]
    for row in range(tid, X.shape[0], cuda.gridsize(1)):
        for t in range(tree_begin, tree_end):
            phi = out[row, outputs[t]]
            _tree_shap_row(X, row, roots[t], split_code, threshold, left, value, cover, phi,
                           size, wi, wf, inv)  # fmt: skip
            phi[width - 1] += expected[t - tree_begin]
