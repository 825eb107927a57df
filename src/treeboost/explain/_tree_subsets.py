"""Margins of a Booster with some columns shuffled, from only the trees that split on them.

Shuffling a unit's columns changes the output of exactly the trees ``T`` that split on one of
them; every other tree gives each row the value it gave the unshuffled data. So the permuted
margin is

    base + (sum of the other trees' leaf values on X) + margin_T(X_permuted).

The leaf values of every tree on X are found once (``pred_leaf``); each shuffled copy then
walks only the trees in ``T``, a fraction of the forest for most features of a wide table.
Rows that reach the same leaves get bit-identical margins, as in a full prediction, so ties
(which rank metrics such as ROC AUC count) are kept; other rows agree with a full prediction
up to the order of floating-point additions.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

__all__ = ["TreeSubsetMargins", "fits_in_memory"]

# Upper bound on the cells of the per-row, per-tree leaf value matrix (128 MiB of float64).
MAX_LEAF_VALUE_CELLS = 1 << 24


def fits_in_memory(booster: Any, n_rows: int) -> bool:
    begin, end = booster._tree_range(None)
    return n_rows * (end - begin) <= MAX_LEAF_VALUE_CELLS


def _sub_booster(booster: Any, tree_indices: list[int]) -> Any:
    """A shallow copy of ``booster`` holding only ``tree_indices``, with a zero base margin."""
    sub = copy.copy(booster)
    sub.trees = [booster.trees[t] for t in tree_indices]
    sub.tree_outputs = [booster.tree_outputs[t] for t in tree_indices]
    sub.base_margin = np.zeros_like(booster.base_margin)
    sub.best_iteration = None
    sub._forest_cache = None  # the copy must build its own prediction layout
    return sub


class TreeSubsetMargins:
    """Permuted-unit margins of ``booster`` on the float matrix ``X``.

    Parameters
    ----------
    booster : Booster
    X : ndarray of shape (n_rows, n_features)
        The unpermuted data.
    unit_columns : list of ndarray of int
        Columns of each unit.
    """

    def __init__(self, booster: Any, X: np.ndarray, unit_columns: list[np.ndarray]):
        begin, end = booster._tree_range(None)  # the trees predict() uses
        trees = booster.trees[begin:end]
        leaves = booster.predict(X, pred_leaf=True)
        # Leaf value of every row in every tree, one column per tree.
        self.values = np.empty(leaves.shape, dtype=np.float64)
        for i, tree in enumerate(trees):
            self.values[:, i] = tree.value[leaves[:, i]]
        self.outputs = np.asarray(booster.tree_outputs[begin:end], dtype=np.int64)
        self.base = np.asarray(booster.base_margin, dtype=np.float64)
        self.margin = self._margin_of(np.ones(len(trees), dtype=bool))
        split_features = [set(tree.feature[tree.left >= 0].tolist()) for tree in trees]
        self.changed: list[np.ndarray] = []
        self.subsets: list[Any] = []
        for columns in unit_columns:
            wanted = set(columns.tolist())
            changed = np.array([bool(used & wanted) for used in split_features], dtype=bool)
            self.changed.append(changed)
            indices = [begin + i for i in np.flatnonzero(changed)]
            self.subsets.append(_sub_booster(booster, indices) if indices else None)

    def _margin_of(self, keep: np.ndarray) -> np.ndarray:
        """base + the leaf values of the trees in ``keep``, per output: (n_rows, n_outputs)."""
        margin = np.empty((self.values.shape[0], self.base.size), dtype=np.float64)
        for output in range(self.base.size):
            columns = keep & (self.outputs == output)
            margin[:, output] = self.base[output] + self.values[:, columns].sum(axis=1)
        return margin

    def n_trees(self, unit: int) -> int:
        return int(self.changed[unit].sum())

    def permuted_margin(self, unit: int, X_permuted: np.ndarray) -> np.ndarray:
        """Margins (n_rows, n_outputs) of ``X_permuted``, which differs from X only in the
        unit's columns."""
        sub = self.subsets[unit]
        if sub is None:
            return self.margin
        unchanged = self._margin_of(~self.changed[unit])
        return unchanged + sub.predict_margin_matrix(X_permuted, 0, len(sub.trees))
