"""Booster: the trained model. Trees, objective and feature info; predict, importance, save/load."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data.dataset import NotSupportedYetError
from ..data.sparse import as_csr, is_sparse
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
from ..objectives import CustomObjective, Objective, get_objective
from ..tree.tree import Tree

IMPORTANCE_TYPES = ("weight", "gain", "cover", "total_gain", "total_cover")
# Values in one dense row-block buffer of raw sparse prediction (8 MiB of float64).
_CSR_BLOCK_VALUES = 1 << 20


@dataclass
class _Forest:
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

    @classmethod
    def build(cls, trees: list[Tree], outputs: list[int]) -> _Forest:
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


def _build_top_layout(f: _Forest) -> tuple:
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
    thr32 = thr64.astype(np.float32)
    above = thr32.astype(np.float64) > thr64
    thr32[above] = np.nextafter(thr32[above], np.float32(-np.inf))
    # Trees no deeper than their top levels end every walk in a leaf slot: its value is read
    # straight from the slot (other slots hold 0 and are never read that way).
    is_leaf = f.left[bottom] == bottom
    bottom_value = np.where(is_leaf, f.value[bottom], 0.0)
    return levels, top_offset, bottom_offset, code, thr64, thr32, bottom, bottom_value


def add_tree_margin_raw(tree: Tree, output: int, X: np.ndarray, margin: np.ndarray) -> None:
    """``margin[:, output] +=`` one tree's leaf values for raw rows ``X`` (no forest rebuild)."""
    f = _Forest.build([tree], [output])
    _predict_forest_margin(f, X, 0, 1, margin)


def _csr_plan(X) -> tuple[int, int]:
    """(rows per block, parallel parts) for raw CSR prediction: a part's dense block buffer
    stays within ``_CSR_BLOCK_VALUES`` values."""
    import numba

    block_rows = int(min(ROW_BLOCK, max(1, _CSR_BLOCK_VALUES // max(X.shape[1], 1))))
    n_blocks = -(-X.shape[0] // block_rows)
    return block_rows, int(max(1, min(numba.get_num_threads(), n_blocks)))


# Placeholders for the output predict_csr does not fill.
_NO_LEAVES = np.zeros((0, 0), dtype=np.int32)
_NO_MARGINS = np.zeros((0, 0), dtype=np.float64)


def _predict_csr(f: _Forest, X, tree_begin: int, tree_end: int, margins, leaves) -> None:
    """Margins (``leaves`` empty) or leaf ids of raw CSR rows ``X``."""
    _check_sparse_input(f)
    predict_csr(
        X.indptr,
        X.indices,
        X.data,
        X.shape[1],
        *_csr_plan(X),
        f.roots,
        f.depths,
        f.outputs,
        tree_begin,
        tree_end,
        f.split_code,
        f.threshold,
        f.left,
        f.value,
        f.node_ids,
        margins,
        leaves,
    )


def _check_sparse_input(f: _Forest) -> None:
    if f.has_categorical:
        raise NotSupportedYetError(
            "this model has categorical splits, which need dense or table input; sparse input "
            "has no categories"
        )


def _predict_forest_margin(f: _Forest, X, tree_begin: int, tree_end: int, out) -> None:
    if is_sparse(X):
        _predict_csr(f, X, tree_begin, tree_end, out, _NO_LEAVES)
        return
    if f.has_categorical:
        predict_margin_raw_categorical(
            X,
            f.roots,
            f.outputs,
            tree_begin,
            tree_end,
            f.split_code,
            f.threshold,
            f.left,
            f.value,
            f.cat_offset,
            f.cat_tables,
            f.cat_sizes,
            out,
        )
        return
    # The top-layout kernel copies each block of rows twice; for a wide input and few trees
    # that copy would cost more than the walks it speeds up.
    if tree_end - tree_begin == 1 or X.shape[1] > 4 * int(f.depths[tree_begin:tree_end].sum()):
        predict_margin_raw(
            X,
            f.roots,
            f.depths,
            f.outputs,
            tree_begin,
            tree_end,
            f.split_code,
            f.threshold,
            f.left,
            f.value,
            out,
        )
        return
    predict_margin_raw_top(
        X,
        *f.top_layout(X.dtype == np.float32, X.shape[1]),
        f.depths,
        f.outputs,
        tree_begin,
        tree_end,
        f.threshold,
        f.left,
        f.value,
        out,
    )


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


def _unusable_custom_objective(predt, dtrain):  # pragma: no cover - guarded by train()
    raise ValueError(
        "this model was trained with a custom objective, which is not stored in the "
        "model file; pass obj= again to continue training"
    )


class Booster:
    """A trained gradient boosted tree ensemble.

    Built by :func:`treeboost.train` or :meth:`load_model`. Rounds hold one tree per output
    (``n_outputs`` trees per round for multiclass).
    """

    def __init__(
        self,
        params: dict[str, Any],
        objective: Objective,
        base_margin: np.ndarray,
        feature_names: list[str],
        feature_types: list[str],
    ):
        self.params = dict(params)
        self.objective = objective
        self.n_outputs = int(objective.n_outputs)
        self.base_margin = np.asarray(base_margin, dtype=np.float64).reshape(self.n_outputs)
        self.feature_names = list(feature_names)
        self.feature_types = list(feature_types)
        # Per feature, the category labels in code order (None for numeric features).
        self.categories: list[list | None] = [None] * len(self.feature_names)
        self.trees: list[Tree] = []
        self.tree_outputs: list[int] = []
        self.best_iteration: int | None = None
        self.best_score: float | None = None
        self._forest_cache: _Forest | None = None

    # -- construction ----------------------------------------------------------------------
    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def append_tree(self, tree: Tree, output: int) -> None:
        self.trees.append(tree)
        self.tree_outputs.append(int(output))
        self._forest_cache = None

    @property
    def trees_per_round(self) -> int:
        """Trees added per boosting round: one per output, times ``num_parallel_tree``."""
        return self.n_outputs * int(self.params.get("num_parallel_tree", 1) or 1)

    def num_boosted_rounds(self) -> int:
        """Number of boosting rounds held."""
        return len(self.trees) // self.trees_per_round

    def set_param(self, name: str | dict, value: Any = None) -> None:
        """Change a training parameter recorded in the model (e.g. ``learning_rate`` between
        rounds, which :func:`treeboost.train` picks up for the next round)."""
        from .params import VALIDATORS, unknown_parameter_message

        updates = name if isinstance(name, dict) else {name: value}
        for key, val in updates.items():
            if key not in VALIDATORS:
                raise ValueError(unknown_parameter_message(str(key)))
            self.params[key] = VALIDATORS[key](val)

    def __getitem__(self, index: slice | int) -> Booster:
        """Rounds ``index`` (a slice with step 1, or one round) as a new Booster.

        The slice keeps the base margin, so ``booster[a:b].predict(X, output_margin=True)``
        equals ``booster.predict(X, output_margin=True, iteration_range=(a, b))``.
        """
        n_rounds = self.num_boosted_rounds()
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            i = int(index) + (n_rounds if index < 0 else 0)
            if not 0 <= i < n_rounds:
                raise IndexError(f"round {index} is out of range for {n_rounds} rounds")
            index = slice(i, i + 1)
        if not isinstance(index, slice):
            raise TypeError(f"a Booster is indexed by rounds: an int or a slice, got {index!r}")
        start, stop, step = index.indices(n_rounds)
        if step != 1:
            raise ValueError(f"slicing a Booster needs step 1; got step={index.step!r}")
        stop = max(start, stop)
        per = self.trees_per_round
        out = copy.copy(self)
        out.params = dict(self.params)
        out.trees = [copy.deepcopy(t) for t in self.trees[start * per : stop * per]]
        out.tree_outputs = list(self.tree_outputs[start * per : stop * per])
        out._forest_cache = None
        out.best_iteration = out.best_score = None
        return out

    def num_trees(self) -> int:
        return len(self.trees)

    def num_features(self) -> int:
        return self.n_features

    def set_best(self, iteration: int, score: float | None) -> None:
        self.best_iteration = int(iteration)
        self.best_score = None if score is None else float(score)

    def copy(self) -> Booster:
        return copy.deepcopy(self)

    def truncated(self, n_rounds: int) -> Booster:
        """A copy holding only the first ``n_rounds`` rounds."""
        out = copy.copy(self)
        k = self.trees_per_round
        out.params = dict(self.params)
        out.trees = list(self.trees[: n_rounds * k])
        out.tree_outputs = list(self.tree_outputs[: n_rounds * k])
        out._forest_cache = None
        if out.best_iteration is not None and out.best_iteration >= n_rounds:
            out.best_iteration = n_rounds - 1
        return out

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_forest_cache"] = None
        return state

    # -- prediction ------------------------------------------------------------------------
    def _forest(self) -> _Forest:
        """All trees in the prediction layout of kernels/predict.py (cached until a tree is
        added)."""
        if self._forest_cache is None:
            self._forest_cache = _Forest.build(self.trees, self.tree_outputs)
        return self._forest_cache

    def _tree_range(self, iteration_range: tuple[int, int] | None) -> tuple[int, int]:
        n_rounds = self.num_boosted_rounds()
        if iteration_range is None or tuple(iteration_range) == (0, 0):
            end = n_rounds if self.best_iteration is None else self.best_iteration + 1
            begin = 0
        else:
            try:
                begin, end = (int(v) for v in iteration_range)
            except (TypeError, ValueError):
                raise ValueError(
                    f"iteration_range={iteration_range!r} must be a pair of integers (begin, end)"
                ) from None
            if end == 0:
                end = n_rounds
            if not 0 <= begin <= end <= n_rounds:
                raise ValueError(
                    f"iteration_range={iteration_range!r} is out of range; valid: "
                    f"0 <= begin <= end <= {n_rounds}"
                )
        per = self.trees_per_round
        return begin * per, min(end, n_rounds) * per

    def _matrix(self, data: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """Raw float matrix and optional per-row base margin of prediction input."""
        from ..data import Dataset
        from ..data.adapters import to_float_matrix
        from ..data.frames import encode_columns, is_table, needs_column_encoding, table_columns

        categorical = np.array([c is not None for c in self.categories], dtype=bool)
        if isinstance(data, Dataset):
            X, names, base_margin = data.raw, data.feature_names, data.base_margin
            names_given = True
            if categorical.any() and list(data.categories) != list(self.categories):
                X = self._recode(data)
        elif is_sparse(data):
            X, names, names_given, base_margin = as_csr(data), None, False, None
        elif categorical.any() or is_table(data) and needs_column_encoding(data):
            columns = table_columns(data) if is_table(data) else None
            if columns is not None:
                names, names_given = [c.name for c in columns], True
                X = np.empty((columns[0].values.shape[0] if columns else 0, len(columns)))
            else:
                X, names, _ = to_float_matrix(data)
                names_given = names is not None
            if X.shape[1] == self.n_features and (
                not names_given or list(names) == self.feature_names
            ):
                X, _ = encode_columns(columns, X, self.feature_names, categorical, self.categories)
            base_margin = None
        else:
            X, names, _ = to_float_matrix(data)
            names_given = names is not None
            base_margin = None
        if X.shape[1] != self.n_features:
            raise ValueError(
                f"the model expects {self.n_features} features; the data has {X.shape[1]} columns"
            )
        if names_given and list(names) != self.feature_names:
            for i, (got, want) in enumerate(zip(names, self.feature_names)):
                if got != want:
                    raise ValueError(
                        f"feature names differ from the model's at column {i}: "
                        f"data has {got!r}, model expects {want!r}"
                    )
        return X, base_margin

    def _recode(self, data) -> np.ndarray:
        """A Dataset's category codes translated to the model's (matched by label)."""
        X = np.array(data.raw, dtype=np.float64)
        for f, (mine, theirs) in enumerate(zip(self.categories, data.categories)):
            if mine is None or theirs is None or list(mine) == list(theirs):
                continue
            lookup = {label: code for code, label in enumerate(mine)}
            table = np.array([lookup.get(label, np.nan) for label in theirs] + [np.nan])
            column = X[:, f]
            valid = ~np.isnan(column)
            X[valid, f] = table[column[valid].astype(np.int64)]
        return X

    def _base_margins(self, n: int, base_margin: np.ndarray | None) -> np.ndarray:
        """(n, n_outputs) starting margins: a Dataset's per-row base margin replaces the model's."""
        if base_margin is None:
            return np.tile(self.base_margin, (n, 1))
        return np.array(base_margin, dtype=np.float64).reshape(n, -1)

    def predict_margin_matrix(
        self, X: np.ndarray, tree_begin: int, tree_end: int, base_margin: np.ndarray | None = None
    ) -> np.ndarray:
        """Margins (n, n_outputs) of a validated raw matrix over trees [tree_begin, tree_end)."""
        n = X.shape[0]
        out = self._base_margins(n, base_margin)
        if tree_end > tree_begin and n:
            import numba

            from .params import numba_threads, threads_for_rows

            with numba_threads(threads_for_rows(numba.get_num_threads(), n)):
                _predict_forest_margin(self._forest(), X, tree_begin, tree_end, out)
        return out

    def _contribs(
        self, X: np.ndarray, tree_begin: int, tree_end: int, base_margin: np.ndarray | None
    ) -> np.ndarray:
        """TreeSHAP contributions of a validated raw matrix over trees [tree_begin, tree_end)."""
        from .treeshap import contributions

        n, k, m = X.shape[0], self.n_outputs, self.n_features
        out = np.zeros((n, k, m + 1), dtype=np.float64)
        out[:, :, m] = self._base_margins(n, base_margin)
        if tree_end > tree_begin and n:
            contributions(self._forest(), X, tree_begin, tree_end, out)
        return out[:, 0, :] if k == 1 else out

    def _interactions(
        self, X: np.ndarray, tree_begin: int, tree_end: int, base_margin: np.ndarray | None
    ) -> np.ndarray:
        """SHAP interaction values of a validated raw matrix over trees [tree_begin, tree_end)."""
        from .treeshap import interactions

        n, k, m = X.shape[0], self.n_outputs, self.n_features
        out = np.zeros((n, k, m + 1, m + 1), dtype=np.float64)
        bias = self._base_margins(n, base_margin)
        if n:
            interactions(self._forest(), X, tree_begin, tree_end, bias, out)
        return out[:, 0] if k == 1 else out

    def predict(
        self,
        data: Any,
        output_margin: bool = False,
        pred_leaf: bool = False,
        pred_contribs: bool = False,
        pred_interactions: bool = False,
        iteration_range: tuple[int, int] | None = None,
    ) -> np.ndarray:
        """Predict for ``data`` (array, DataFrame or Dataset).

        Parameters
        ----------
        output_margin : bool
            Return raw margins instead of transformed predictions.
        pred_leaf : bool
            Return the leaf index (node id within its tree) of every row in every tree,
            shape (n_rows, n_trees).
        pred_contribs : bool
            Return Shapley values (exact path-dependent TreeSHAP, weighted by node cover): shape
            (n_rows, n_features + 1) for one output, (n_rows, n_outputs, n_features + 1)
            otherwise. The last column is the bias (base margin plus every tree's expected
            value); each row sums to its margin (``output_margin=True``).
        pred_interactions : bool
            SHAP interaction values (exact, path-dependent): shape (n_rows, n_features + 1,
            n_features + 1) for one output, (n_rows, n_outputs, n_features + 1, n_features + 1)
            otherwise. Entry [i, j] (i != j) is half the Shapley interaction index of features
            i and j, the diagonal holds each feature's own effect, and [-1, -1] the bias; each
            row i sums to feature i's contribution (``pred_contribs``).
        iteration_range : (begin, end), optional
            Rounds to use. Default: up to the best iteration when early stopping set one,
            otherwise all rounds.

        Returns
        -------
        ndarray
            (n_rows,) for one output, (n_rows, n_outputs) otherwise.
        """
        X, base_margin = self._matrix(data)
        begin, end = self._tree_range(iteration_range)
        if is_sparse(X) and (pred_contribs or pred_interactions):
            # The output is dense (n_rows x n_features or more), so dense row blocks of the
            # input cost no more memory than the result.
            _check_sparse_input(self._forest())
            explain = self._interactions if pred_interactions else self._contribs
            step = max(1, 4 * _CSR_BLOCK_VALUES // max(X.shape[1], 1))
            return np.concatenate(
                [
                    explain(
                        X[lo : lo + step].toarray(),
                        begin,
                        end,
                        None if base_margin is None else base_margin[lo : lo + step],
                    )
                    for lo in range(0, max(X.shape[0], 1), step)
                ]
            )
        if pred_interactions:
            return self._interactions(X, begin, end, base_margin)
        if pred_contribs:
            return self._contribs(X, begin, end, base_margin)
        if pred_leaf:
            leaves = np.zeros((X.shape[0], end - begin), dtype=np.int32)
            if end > begin and X.shape[0]:
                f = self._forest()
                if is_sparse(X):
                    _predict_csr(f, X, begin, end, _NO_MARGINS, leaves)
                    return leaves
                if f.has_categorical:
                    predict_leaf_raw_categorical(
                        X,
                        f.roots,
                        begin,
                        end,
                        f.split_code,
                        f.threshold,
                        f.left,
                        f.node_ids,
                        f.cat_offset,
                        f.cat_tables,
                        f.cat_sizes,
                        leaves,
                    )
                    return leaves
                predict_leaf_raw(
                    X,
                    f.roots,
                    f.depths,
                    begin,
                    end,
                    f.split_code,
                    f.threshold,
                    f.left,
                    f.node_ids,
                    leaves,
                )
            return leaves
        margin = self.predict_margin_matrix(X, begin, end, base_margin)
        if output_margin:
            return margin[:, 0] if self.n_outputs == 1 else margin
        return self.objective.transform(margin)

    # -- importance ------------------------------------------------------------------------
    def get_score(self, importance_type: str = "weight") -> dict[str, float]:
        """Per-feature importance over the trees used by predict; unused features are absent.

        ``weight``: number of splits; ``total_gain``/``total_cover``: summed split gain/cover;
        ``gain``/``cover``: their averages per split.
        """
        if importance_type not in IMPORTANCE_TYPES:
            raise ValueError(
                f"importance_type={importance_type!r} is not valid; valid: "
                f"{', '.join(IMPORTANCE_TYPES)}"
            )
        n = self.n_features
        weight = np.zeros(n)
        gain = np.zeros(n)
        cover = np.zeros(n)
        begin, end = self._tree_range(None)
        for tree in self.trees[begin:end]:
            split = tree.left >= 0
            f = tree.feature[split]
            np.add.at(weight, f, 1.0)
            np.add.at(gain, f, tree.gain[split])
            np.add.at(cover, f, tree.cover[split])
        used = weight > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            values = {
                "weight": weight,
                "total_gain": gain,
                "total_cover": cover,
                "gain": gain / weight,
                "cover": cover / weight,
            }[importance_type]
        return {self.feature_names[i]: float(values[i]) for i in np.flatnonzero(used)}

    def feature_importances(self, importance_type: str = "gain") -> np.ndarray:
        """Importance of every feature as an array summing to 1 (zeros if no split was made)."""
        scores = self.get_score(importance_type)
        values = np.array([scores.get(name, 0.0) for name in self.feature_names])
        total = values.sum()
        return values / total if total > 0 else values

    # -- persistence -----------------------------------------------------------------------
    def save_model(self, path: str | os.PathLike) -> None:
        """Write the model as JSON (format documented in docs/model-format.md)."""
        from .model_file import dump_model

        text = dump_model(self)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)

    def save_raw(self) -> str:
        from .model_file import dump_model

        return dump_model(self)

    @classmethod
    def load_model(cls, path_or_text: str | bytes | os.PathLike) -> Booster:
        """Read a model written by :meth:`save_model`: a path, or the JSON text (str or bytes)."""
        from .model_file import load_model_text

        if isinstance(path_or_text, bytes) or (
            isinstance(path_or_text, str) and path_or_text.lstrip().startswith("{")
        ):
            return load_model_text(path_or_text)
        try:
            with open(os.fspath(path_or_text), "rb") as fh:
                content = fh.read()
        except (OSError, TypeError) as exc:
            raise ValueError(f"cannot read model file {path_or_text!r}: {exc}") from None
        return load_model_text(content)

    @staticmethod
    def _objective_for(params: dict[str, Any]) -> Objective:
        if params["objective"] == "custom":
            return CustomObjective(_unusable_custom_objective, max(1, params["num_class"]))
        return get_objective(params["objective"], params)

    def __repr__(self) -> str:
        return (
            f"Booster(objective={self.objective.name!r}, rounds={self.num_boosted_rounds()}, "
            f"features={self.n_features})"
        )
