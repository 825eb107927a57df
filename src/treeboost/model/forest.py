"""The forest: every tree of a model in one set of node arrays, laid out for prediction.

Prediction on raw values (dense float matrices, canonical CSR, categorical codes) and TreeSHAP
read these arrays; :meth:`Forest.predict_margin` and :meth:`Forest.predict_leaf` are the one
place that picks the kernel for a kind of input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.dataset import NotSupportedYetError
from ..data.sparse import is_sparse
from ..kernels.categorical import predict_leaf_raw_categorical, predict_margin_raw_categorical
from ..kernels.predict import (
    ROW_BLOCK,
    TOP_LEVELS,
    predict_leaf_raw,
    predict_margin_raw,
    predict_margin_raw_top,
    slot_addresses,
)
from ..kernels.sparse import predict_csr
from ..tree.tree import Tree

# Values in one dense row-block buffer of raw sparse prediction (8 MiB of float64).
CSR_BLOCK_VALUES = 1 << 20

# Placeholders for the output predict_csr does not fill.
_NO_LEAVES = np.zeros((0, 0), dtype=np.int32)
_NO_MARGINS = np.zeros((0, 0), dtype=np.float64)


@dataclass
class Forest:
    """Every tree's nodes in one set of arrays, laid out for the lockstep walk of
    kernels/predict.py: children adjacent, leaves pointing at themselves."""

    roots: np.ndarray  # int64, global index of each tree's root
    depths: np.ndarray  # int64, steps that bring every row of a tree to a leaf
    outputs: np.ndarray  # int32, output each tree adds to
    split_code: np.ndarray  # int32, 2 * feature + default_left
    threshold: np.ndarray  # float64, +inf at leaves
    left: np.ndarray  # int64, global index of the left child (the node itself at leaves)
    value: np.ndarray  # float64
    node_ids: np.ndarray  # int32, node id within its own tree (for pred_leaf)
    cover: np.ndarray  # float64, sum of training hessians in the node (for pred_contribs)
    # Categorical splits (empty when there are none): per node the offset of its table over
    # category codes +1 (entry 0 unused) in cat_tables, or -1; cat_sizes the codes it covers.
    cat_offset: np.ndarray | None = None
    cat_tables: np.ndarray | None = None
    cat_sizes: np.ndarray | None = None

    # The implicit complete-tree layout of each tree's top levels (kernels/predict.py:
    # predict_margin_raw_top), built on first use.
    _top: tuple | None = None
    _addr: tuple | None = None  # (n_features, top slot addresses, node addresses)

    @property
    def has_categorical(self) -> bool:
        return self.cat_offset is not None

    def top_layout(self, float32_thresholds: bool, n_features: int) -> tuple:
        """The arguments of ``predict_margin_raw_top`` from ``top_levels`` to ``node_addr``."""
        if self._top is None:
            self._top = _build_top_layout(self)
        levels, top_offset, bottom_offset, code, thr64, thr32, bottom, bottom_value = self._top
        if self._addr is None or self._addr[0] != n_features:
            addr = (slot_addresses(code, n_features), slot_addresses(self.split_code, n_features))
            self._addr = (n_features, *addr)
        _, top_addr, node_addr = self._addr
        thr = thr32 if float32_thresholds else thr64
        return levels, top_offset, bottom_offset, top_addr, thr, bottom, bottom_value, node_addr

    # -- walks over raw rows: the one place that picks a kernel for the input ----------------
    def predict_margin(self, X, tree_begin: int, tree_end: int, out: np.ndarray) -> None:
        """``out[:, k] +=`` the leaf values of trees [tree_begin, tree_end) for raw rows ``X``
        (a float matrix or canonical CSR)."""
        if is_sparse(X):
            self._walk_csr(X, tree_begin, tree_end, out, _NO_LEAVES)
            return
        if self.has_categorical:
            predict_margin_raw_categorical(
                X,
                self.roots,
                self.outputs,
                tree_begin,
                tree_end,
                self.split_code,
                self.threshold,
                self.left,
                self.value,
                self.cat_offset,
                self.cat_tables,
                self.cat_sizes,
                out,
            )
            return
        # The top-layout kernel copies each block of rows twice; for a wide input and few trees
        # that copy would cost more than the walks it speeds up.
        if tree_end - tree_begin == 1 or X.shape[1] > 4 * int(
            self.depths[tree_begin:tree_end].sum()
        ):
            predict_margin_raw(
                X,
                self.roots,
                self.depths,
                self.outputs,
                tree_begin,
                tree_end,
                self.split_code,
                self.threshold,
                self.left,
                self.value,
                out,
            )
            return
        predict_margin_raw_top(
            X,
            *self.top_layout(X.dtype == np.float32, X.shape[1]),
            self.depths,
            self.outputs,
            tree_begin,
            tree_end,
            self.threshold,
            self.left,
            self.value,
            out,
        )

    def predict_leaf(self, X, tree_begin: int, tree_end: int, out: np.ndarray) -> None:
        """``out[i, t - tree_begin]`` = the leaf (node id within its tree) row ``i`` reaches in
        tree ``t``, for raw rows ``X``."""
        if is_sparse(X):
            self._walk_csr(X, tree_begin, tree_end, _NO_MARGINS, out)
            return
        if self.has_categorical:
            predict_leaf_raw_categorical(
                X,
                self.roots,
                tree_begin,
                tree_end,
                self.split_code,
                self.threshold,
                self.left,
                self.node_ids,
                self.cat_offset,
                self.cat_tables,
                self.cat_sizes,
                out,
            )
            return
        predict_leaf_raw(
            X,
            self.roots,
            self.depths,
            tree_begin,
            tree_end,
            self.split_code,
            self.threshold,
            self.left,
            self.node_ids,
            out,
        )

    def check_sparse_input(self) -> None:
        """Raise when sparse input cannot be walked: a sparse matrix carries no categories."""
        if self.has_categorical:
            raise NotSupportedYetError(
                "this model has categorical splits, which need dense or table input; sparse "
                "input has no categories"
            )

    def _walk_csr(self, X, tree_begin: int, tree_end: int, margins, leaves) -> None:
        """Margins (``leaves`` empty) or leaf ids (``margins`` empty) of raw CSR rows ``X``."""
        self.check_sparse_input()
        predict_csr(
            X.indptr,
            X.indices,
            X.data,
            X.shape[1],
            *_csr_plan(X),
            self.roots,
            self.depths,
            self.outputs,
            tree_begin,
            tree_end,
            self.split_code,
            self.threshold,
            self.left,
            self.value,
            self.node_ids,
            margins,
            leaves,
        )

    @classmethod
    def build(cls, trees: list[Tree], outputs: list[int]) -> Forest:
        parts = []
        base = 0
        cat_offset = cat_sizes = None
        if any(tree.categories for tree in trees):
            total = sum(t.n_nodes for t in trees)
            cat_offset = np.full(total, -1, dtype=np.int64)
            cat_sizes = np.zeros(total, dtype=np.int64)
            pool = [np.zeros(0, dtype=np.uint8)]
            pool_size = 0
        for tree in trees:
            order = _sibling_adjacent_order(tree)
            new_id = np.empty(tree.n_nodes, dtype=np.int64)
            new_id[order] = np.arange(tree.n_nodes)
            if cat_offset is not None:
                for node, table in tree.categories.items():
                    at = base + new_id[node]
                    cat_offset[at] = pool_size
                    cat_sizes[at] = table.shape[0] - 1
                    pool.append(table)
                    pool_size += table.shape[0]
            is_leaf = tree.left[order] < 0
            left = np.where(is_leaf, np.arange(tree.n_nodes), new_id[tree.left[order]]) + base
            code = np.where(is_leaf, 1, 2 * tree.feature[order] + tree.default_left[order])
            threshold = np.where(is_leaf, np.inf, tree.threshold[order])
            parts.append((left, code, threshold, tree.value[order], order, tree.cover[order]))
            base += tree.n_nodes

        def cat(i, dtype):
            if not parts:
                return np.empty(0, dtype=dtype)
            return np.ascontiguousarray(np.concatenate([p[i] for p in parts]), dtype=dtype)

        sizes = np.array([t.n_nodes for t in trees], dtype=np.int64)
        return cls(
            roots=np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
            if len(trees)
            else np.empty(0, dtype=np.int64),
            depths=np.array([t.max_depth() for t in trees], dtype=np.int64),
            outputs=np.asarray(outputs, dtype=np.int32),
            split_code=cat(1, np.int32),
            threshold=cat(2, np.float64),
            left=cat(0, np.int64),
            value=cat(3, np.float64),
            node_ids=cat(4, np.int32),
            cover=cat(5, np.float64),
            cat_offset=cat_offset,
            cat_tables=None if cat_offset is None else np.concatenate(pool),
            cat_sizes=cat_sizes,
        )


def _build_top_layout(f: Forest) -> tuple:
    """Each tree's first min(depth, TOP_LEVELS) levels as a complete binary tree of slots."""
    levels = np.minimum(f.depths, TOP_LEVELS).astype(np.int64)
    n_top = (np.int64(1) << levels) - 1
    top_offset = np.concatenate([[0], np.cumsum(n_top)[:-1]]).astype(np.int64)
    bottom_offset = np.concatenate([[0], np.cumsum(n_top + 1)[:-1]]).astype(np.int64)
    # Padding slots (below a leaf) always go left: +inf threshold, missing values left.
    code = np.ones(int(n_top.sum()), dtype=np.int32)
    thr64 = np.full(int(n_top.sum()), np.inf)
    bottom = np.zeros(int((n_top + 1).sum()), dtype=np.int64)
    for t in range(f.roots.shape[0]):
        width = 1 << int(levels[t])
        # Forest node of every slot, level by level (slot i's children: 2i + 1, 2i + 2).
        slot_node = np.empty(2 * width - 1, dtype=np.int64)
        slot_node[0] = f.roots[t]
        for slot in range(width - 1):
            node = slot_node[slot]
            if f.left[node] != node:
                code[top_offset[t] + slot] = f.split_code[node]
                thr64[top_offset[t] + slot] = f.threshold[node]
                slot_node[2 * slot + 1] = f.left[node]
                slot_node[2 * slot + 2] = f.left[node] + 1
            else:
                slot_node[2 * slot + 1] = slot_node[2 * slot + 2] = node
        bottom[bottom_offset[t] : bottom_offset[t] + width] = slot_node[width - 1 :]
    # float32 input compares against the largest float32 not above each threshold: the same
    # decision for every float32 value, without widening each value to float64.
    with np.errstate(over="ignore"):  # beyond float32's range: inf, lowered just below
        thr32 = thr64.astype(np.float32)
    above = thr32.astype(np.float64) > thr64
    thr32[above] = np.nextafter(thr32[above], np.float32(-np.inf))
    # Trees no deeper than their top levels end every walk in a leaf slot: its value is read
    # straight from the slot (other slots hold 0 and are never read that way).
    is_leaf = f.left[bottom] == bottom
    bottom_value = np.where(is_leaf, f.value[bottom], 0.0)
    return levels, top_offset, bottom_offset, code, thr64, thr32, bottom, bottom_value


def add_tree_margin_raw(tree: Tree, output: int, X, margin: np.ndarray) -> None:
    """``margin[:, output] +=`` one tree's leaf values for raw rows ``X`` (no forest rebuild)."""
    Forest.build([tree], [output]).predict_margin(X, 0, 1, margin)


def _csr_plan(X) -> tuple[int, int]:
    """(rows per block, parallel parts) for raw CSR prediction: a part's dense block buffer
    stays within ``CSR_BLOCK_VALUES`` values."""
    import numba

    block_rows = int(min(ROW_BLOCK, max(1, CSR_BLOCK_VALUES // max(X.shape[1], 1))))
    n_blocks = -(-X.shape[0] // block_rows)
    return block_rows, int(max(1, min(numba.get_num_threads(), n_blocks)))


def _sibling_adjacent_order(tree: Tree) -> np.ndarray:
    """Node ids in an order where each right child directly follows its left sibling: the
    grower's own order when it already has that property, else breadth-first."""
    internal = tree.left >= 0
    if np.all(tree.right[internal] == tree.left[internal] + 1):
        return np.arange(tree.n_nodes)
    order = [0]
    for node in order:  # grows while iterating: a breadth-first walk
        if tree.left[node] >= 0:
            order.extend((int(tree.left[node]), int(tree.right[node])))
    return np.asarray(order, dtype=np.int64)
