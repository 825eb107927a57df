"""TreeSHAP over a ``Booster`` forest: path-dependent contributions and interaction values,
and interventional contributions over a background set.

Chooses per tree between the per-leaf tables of ``kernels/shap_fast.py`` (one pass over the
nodes and O(depth) work per leaf and row) and path extension (``kernels/shap.py``; any depth, no
precomputation). Trees are taken in chunks so that the tables of one chunk stay within
``TABLE_BUDGET`` entries: memory is bounded whatever the depth or number of trees.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..kernels.shap import finish_interactions, tree_expected_values, tree_features
from ..kernels.shap_fast import (
    MAX_TABLE_PATH,
    describe_leaf_paths,
    fill_leaf_tables,
    shap_contribs_fast,
    shap_interactions_fast,
)
from ..kernels.shap_interventional import (
    count_background_patterns,
    fill_interventional_tables,
    interventional_contribs,
    interventional_table_contribs,
)

# float64 table entries per chunk of trees (32 MiB; as much again for the interaction tables).
TABLE_BUDGET = 1 << 22
# Leaves described per chunk (their per-leaf path arrays hold up to MAX_TABLE_PATH entries).
LEAF_BUDGET = 1 << 16
# A tree gets tables when building them costs at most this many times the rows' path-extension
# work; below that (a handful of rows) path extension is cheaper.
TABLE_COST_RATIO = 4.0


def expected_values(forest: Any, tree_begin: int, tree_end: int) -> np.ndarray:
    """Each tree's expected value (cover-weighted mean of its leaves), trees [begin, end)."""
    out = np.empty(tree_end - tree_begin, dtype=np.float64)
    if tree_end > tree_begin:
        max_depth = int(forest.depths[tree_begin:tree_end].max())
        tree_expected_values(
            forest.roots, tree_begin, tree_end, forest.left, forest.value, forest.cover,
            max_depth, out,
        )  # fmt: skip
    return out


def split_categories(forest: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(cat_offset, cat_tables, cat_sizes)`` of the forest's categorical splits, as the
    kernels' ``goes_left`` reads them; empty arrays when every split is numeric."""
    if getattr(forest, "cat_offset", None) is None:
        return (np.empty(0, np.int64), np.empty(0, np.uint8), np.empty(0, np.int64))
    return (
        np.ascontiguousarray(forest.cat_offset, dtype=np.int64),
        np.ascontiguousarray(forest.cat_tables, dtype=np.uint8),
        np.ascontiguousarray(forest.cat_sizes, dtype=np.int64),
    )


def contributions(forest: Any, X: np.ndarray, tree_begin: int, tree_end: int, out: np.ndarray):
    """``out`` (n, k, m + 1) float64, C order ``+=`` the Shapley values of trees [begin, end),
    each tree's expected value in the last column."""
    cats = split_categories(forest)
    expected = expected_values(forest, tree_begin, tree_end)
    for chunk in _chunks(forest, tree_begin, tree_end, X.shape[0], with_pairs=False):
        b, e = chunk["begin"], chunk["end"]
        shap_contribs_fast(
            X, forest.roots, forest.outputs, b, e, forest.split_code, forest.threshold, cats,
            forest.left, forest.value, forest.cover, chunk["max_depth"],
            expected[b - tree_begin : e - tree_begin], chunk["tree_fast"], chunk["node_bit"],
            chunk["leaf_start"], chunk["leaf_node"], chunk["leaf_n_unique"],
            chunk["leaf_feature"], chunk["leaf_ratio"], chunk["table_offset"],
            chunk["table_single"], chunk["max_nodes"], out,
        )  # fmt: skip


def interactions(
    forest: Any, X: np.ndarray, tree_begin: int, tree_end: int, bias: np.ndarray, out: np.ndarray
):
    """Fill zeroed ``out`` (n, k, m + 1, m + 1) with SHAP interaction values of trees [begin,
    end); ``bias`` (n, k): the starting margins, to which the trees' expected values are added
    at ``[m, m]``."""
    n_features = out.shape[2] - 1
    cats = split_categories(forest)
    expected = expected_values(forest, tree_begin, tree_end)
    bias = np.array(bias, dtype=np.float64)
    for t in range(tree_begin, tree_end):
        bias[:, forest.outputs[t]] += expected[t - tree_begin]
    for chunk in _chunks(forest, tree_begin, tree_end, X.shape[0], with_pairs=True):
        b, e = chunk["begin"], chunk["end"]
        feature_start, features = tree_features(
            forest.roots, b, e, forest.split_code, forest.left, n_features
        )
        shap_interactions_fast(
            X, forest.roots, forest.outputs, b, e, forest.split_code, forest.threshold, cats,
            forest.left, forest.value, forest.cover, chunk["max_depth"], chunk["tree_fast"],
            chunk["node_bit"], chunk["leaf_start"], chunk["leaf_node"], chunk["leaf_n_unique"],
            chunk["leaf_feature"], chunk["leaf_ratio"], chunk["table_offset"],
            chunk["table_single"], chunk["table_pair"], chunk["max_nodes"], feature_start,
            features, out,
        )  # fmt: skip
    finish_interactions(out, bias)


def _tree_stops(forest: Any) -> np.ndarray:
    return np.append(forest.roots[1:], forest.left.shape[0]).astype(np.int64)


def _chunks(forest: Any, tree_begin: int, tree_end: int, n_rows: int, with_pairs: bool):
    """Yield consecutive tree ranges with their tables built (a dict of kernel arguments)."""
    stops = _tree_stops(forest)
    is_leaf = forest.left == np.arange(forest.left.shape[0])
    leaf_counts = np.add.reduceat(is_leaf.astype(np.int64), forest.roots) if len(stops) else None
    node_bit = np.zeros(forest.left.shape[0], dtype=np.int8)
    t = tree_begin
    while t < tree_end:
        # Trees [t, end) whose leaves fit the leaf budget (at least one tree).
        counts = np.cumsum(leaf_counts[t:tree_end])
        end = t + max(1, int(np.searchsorted(counts, LEAF_BUDGET, side="right")))
        chunk = _describe(forest, t, end, stops, is_leaf, node_bit)
        sizes = _plan_tables(chunk, n_rows, with_pairs)
        # Cut the chunk where its fast trees' tables pass the budget.
        cum = np.cumsum(sizes)
        keep = max(1, int(np.searchsorted(cum, TABLE_BUDGET, side="right")))
        if keep < end - t:
            end = t + keep
            _trim(chunk, keep)
        _build_tables(chunk, forest, with_pairs)
        yield chunk
        t = end


def _describe(forest, begin, end, stops, is_leaf, node_bit) -> dict[str, Any]:
    lo, hi = int(forest.roots[begin]), int(stops[end - 1])
    leaf_node = lo + np.flatnonzero(is_leaf[lo:hi])
    leaf_start = np.searchsorted(leaf_node, forest.roots[begin:end]).astype(np.int64)
    leaf_start = np.append(leaf_start, leaf_node.shape[0]).astype(np.int64)
    max_depth = int(forest.depths[begin:end].max())
    width = max(1, min(max_depth, MAX_TABLE_PATH))
    n_leaves = leaf_node.shape[0]
    chunk = {
        "begin": begin,
        "end": end,
        "max_depth": max_depth,
        "max_nodes": int((stops[begin:end] - forest.roots[begin:end]).max()),
        "node_bit": node_bit,
        "leaf_start": leaf_start,
        "leaf_node": leaf_node.astype(np.int64),
        "leaf_n_unique": np.zeros(n_leaves, dtype=np.int64),
        "leaf_feature": np.zeros((n_leaves, width), dtype=np.int64),
        "leaf_zero": np.ones((n_leaves, width), dtype=np.float64),
        "tree_fast": np.zeros(end - begin, dtype=np.bool_),
    }
    describe_leaf_paths(
        forest.roots, begin, end, forest.depths, forest.split_code, forest.left, forest.cover,
        chunk["leaf_start"], chunk["leaf_node"], node_bit, chunk["leaf_n_unique"],
        chunk["leaf_feature"], chunk["leaf_zero"], chunk["tree_fast"],
    )  # fmt: skip
    return chunk


def _plan_tables(chunk: dict[str, Any], n_rows: int, with_pairs: bool) -> np.ndarray:
    """Decide which trees get tables (``tree_fast``); return each tree's table entries."""
    d = chunk["leaf_n_unique"]
    starts = chunk["leaf_start"][:-1]
    entries = np.add.reduceat(np.left_shift(np.int64(1), d), starts)
    build = np.add.reduceat(d * np.left_shift(np.int64(1), d), starts).astype(np.float64)
    per_row = np.add.reduceat(d * d + 1, starts).astype(np.float64)
    if with_pairs:
        # Conditioned path extension runs twice per distinct feature of the tree.
        build *= 2.0
        per_row *= 2.0 * np.maximum.reduceat(d, starts)
    fast = (
        chunk["tree_fast"]
        & (entries <= TABLE_BUDGET)
        & (build <= TABLE_COST_RATIO * n_rows * per_row)
    )
    chunk["tree_fast"] = fast
    return np.where(fast, entries, 0)


def _trim(chunk: dict[str, Any], n_trees: int) -> None:
    n_leaves = int(chunk["leaf_start"][n_trees])
    chunk["end"] = chunk["begin"] + n_trees
    chunk["tree_fast"] = chunk["tree_fast"][:n_trees]
    chunk["leaf_start"] = chunk["leaf_start"][: n_trees + 1]
    for name in ("leaf_node", "leaf_n_unique", "leaf_feature", "leaf_zero"):
        chunk[name] = chunk[name][:n_leaves]


def _build_tables(chunk: dict[str, Any], forest: Any, with_pairs: bool) -> None:
    d = chunk["leaf_n_unique"]
    starts = chunk["leaf_start"]
    leaf_fast = np.repeat(chunk["tree_fast"], np.diff(starts))
    sizes = np.where(leaf_fast, np.left_shift(np.int64(1), d), 0)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    chunk["table_offset"] = np.where(leaf_fast, offsets, -1).astype(np.int64)
    total = int(sizes.sum())
    chunk["table_single"] = np.empty(total, dtype=np.float64)
    chunk["table_pair"] = np.empty(total if with_pairs else 0, dtype=np.float64)
    chunk["leaf_ratio"] = np.zeros_like(chunk["leaf_zero"])
    if total:
        fill_leaf_tables(
            chunk["leaf_node"], d, chunk["leaf_zero"], forest.value, chunk["table_offset"],
            with_pairs, chunk["leaf_ratio"], chunk["table_single"], chunk["table_pair"],
        )  # fmt: skip


# -- interventional ----------------------------------------------------------------------------

# Per leaf, tabulating the background costs ~ d 3^d; a tree gets tables when that is at most
# this many times the pair-by-pair walk it replaces (rows x background x path length).
INTERVENTIONAL_COST_RATIO = 1.0


def pair_weights(max_depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Interventional leaf weights for nx features on the row's side and nr on the reference's:
    ``pos[nx, nr] = (nx-1)! nr! / (nx+nr)!``, ``neg[nx, nr] = nx! (nr-1)! / (nx+nr)!``."""
    size = max_depth + 1
    pos = np.zeros((size, size), dtype=np.float64)
    neg = np.zeros((size, size), dtype=np.float64)
    for nx in range(size):
        for nr in range(size - nx):
            n = nx + nr
            if nx > 0:
                pos[nx, nr] = math.factorial(nx - 1) * math.factorial(nr) / math.factorial(n)
            if nr > 0:
                neg[nx, nr] = math.factorial(nx) * math.factorial(nr - 1) / math.factorial(n)
    return pos, neg


def interventional_contributions(
    forest: Any,
    X: np.ndarray,
    R: np.ndarray,
    tree_begin: int,
    tree_end: int,
    base_margin: np.ndarray,
    margin_x: np.ndarray,
    logistic: bool,
    out: np.ndarray,
) -> None:
    """Fill zeroed ``out`` (n, k, m + 1) with interventional Shapley values over background
    rows ``R``, the mean background output in the last column (see
    kernels/shap_interventional.py). The margin takes per-leaf tables where they pay off;
    ``logistic`` (probability output) scales each (row, reference) pair's values, so it walks
    every pair."""
    n_trees = tree_end - tree_begin
    cats = split_categories(forest)
    max_depth = int(forest.depths[tree_begin:tree_end].max()) if n_trees else 0
    pos, neg = pair_weights(max_depth)
    tree_skip = np.zeros(n_trees, dtype=np.bool_)
    if not logistic and n_trees:
        tree_skip = _interventional_tables(forest, X, R, tree_begin, tree_end, pos, neg, out)
        for k in range(out.shape[1]):
            out[:, k, -1] += base_margin[k]
    if logistic or not tree_skip.all():
        pair_out = np.zeros_like(out)
        base = base_margin if logistic else np.zeros_like(base_margin)
        interventional_contribs(
            X, R, forest.roots, forest.outputs, tree_begin, tree_end, forest.split_code,
            forest.threshold, cats, forest.left, forest.value, max_depth, pos, neg, base, margin_x,
            logistic, tree_skip, pair_out,
        )  # fmt: skip
        out += pair_out


def _interventional_tables(forest, X, R, tree_begin, tree_end, pos, neg, out) -> np.ndarray:
    """Explain the trees that suit tables into ``out``; return which trees were done."""
    done = np.zeros(tree_end - tree_begin, dtype=np.bool_)
    cats = split_categories(forest)
    stops = _tree_stops(forest)
    is_leaf = forest.left == np.arange(forest.left.shape[0])
    node_bit = np.zeros(forest.left.shape[0], dtype=np.int8)
    leaf_counts = np.add.reduceat(is_leaf.astype(np.int64), forest.roots)
    n_ref = R.shape[0]
    t = tree_begin
    while t < tree_end:
        counts_cum = np.cumsum(leaf_counts[t:tree_end])
        end = t + max(1, int(np.searchsorted(counts_cum, LEAF_BUDGET, side="right")))
        chunk = _describe(forest, t, end, stops, is_leaf, node_bit)
        d = chunk["leaf_n_unique"]
        starts = chunk["leaf_start"][:-1]
        entries = np.add.reduceat(d * np.left_shift(np.int64(1), d), starts)
        build = np.add.reduceat(d * 3.0**d, starts)
        walk = float(X.shape[0]) * n_ref * (forest.depths[t:end] + 1)
        fast = (
            chunk["tree_fast"]
            & (entries <= TABLE_BUDGET)
            & (build <= INTERVENTIONAL_COST_RATIO * walk)
        )
        cum = np.cumsum(np.where(fast, entries, 0))
        keep = max(1, int(np.searchsorted(cum, TABLE_BUDGET, side="right")))
        if keep < end - t:
            end = t + keep
            chunk["tree_fast"] = fast
            _trim(chunk, keep)
            fast = chunk["tree_fast"]
            d = chunk["leaf_n_unique"]
        leaf_fast = np.repeat(fast, np.diff(chunk["leaf_start"]))
        n_patterns = np.where(leaf_fast, np.left_shift(np.int64(1), d), 0)
        count_offset = np.concatenate([[0], np.cumsum(n_patterns)[:-1]]).astype(np.int64)
        count_offset = np.where(leaf_fast, count_offset, -1).astype(np.int64)
        n_entries = n_patterns * d
        table_offset = np.concatenate([[0], np.cumsum(n_entries)[:-1]]).astype(np.int64)
        counts = np.zeros(int(n_patterns.sum()), dtype=np.float64)
        table = np.zeros(int(n_entries.sum()), dtype=np.float64)
        if fast.any():
            count_background_patterns(
                R, forest.roots, t, end, forest.split_code, forest.threshold, cats, forest.left,
                node_bit, chunk["leaf_start"], chunk["leaf_node"], d, count_offset, fast,
                chunk["max_nodes"], counts,
            )  # fmt: skip
            fill_interventional_tables(
                chunk["leaf_node"], d, forest.value, float(n_ref), count_offset, counts,
                table_offset, pos, neg, table,
            )  # fmt: skip
            # Each tree's mean on the background: the leaves its rows reach (all bits set).
            reached = np.where(leaf_fast, counts[count_offset + n_patterns - 1], 0.0)
            per_leaf = reached * forest.value[chunk["leaf_node"]] / n_ref
            tree_bias = np.add.reduceat(per_leaf, chunk["leaf_start"][:-1])
            interventional_table_contribs(
                X, forest.roots, forest.outputs, t, end, forest.split_code, forest.threshold, cats,
                forest.left, fast, node_bit, chunk["leaf_start"], chunk["leaf_node"], d,
                chunk["leaf_feature"], table_offset, table, tree_bias, chunk["max_nodes"], out,
            )  # fmt: skip
        done[t - tree_begin : end - tree_begin] = fast
        t = end
    return done
