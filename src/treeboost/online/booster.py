"""OnlineBooster: gradient boosted trees trained like a neural network.

An outer loss computed anywhere (a policy-gradient loss, an actor-critic loss) gives a gradient
per sample and per output; each :meth:`OnlineBooster.step` fits one new multi-output tree to
those gradients and adds it to the ensemble (the scheme of GBRL, Fuhrer et al., ICML 2025).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..kernels.online import (
    SCORE_COSINE,
    SCORE_L2,
    grow_online_tree,
    predict_online,
    predict_online_serial,
)
from ..model.booster import Booster
from ..model.params import validate_params
from ..objectives import get_objective
from .checks import as_bias, as_gradient, as_rows, check_choice, check_int
from .convert import heap_to_trees, trees_to_heap
from .ensemble import ARRAYS, TreeStore, leaf_table
from .optimizers import Optimizer, resolve_optimizers
from .thresholds import BINNINGS, batch_thresholds, bin_rows, fixed_thresholds

GROW_POLICIES = ("greedy", "oblivious")
SPLIT_SCORES = ("l2", "cosine")
# Below this many rows x trees, one thread predicts faster than waking the pool.
SERIAL_WORK = 200_000


class OnlineBooster:
    """A tree ensemble grown one tree per :meth:`step` from externally computed gradients.

    Parameters
    ----------
    n_outputs : int
        Outputs per row (e.g. action logits plus a value).
    max_depth : int, default=4
        Depth of every tree (complete trees; a node that cannot improve stays a leaf).
    grow_policy : {"greedy", "oblivious"}, default="greedy"
        Best split per node, or one split per level shared by all its nodes (CatBoost, GBRL).
    max_bin : int, default=256
        At most ``max_bin - 1`` candidate thresholds per feature and step.
    split_score : {"cosine", "l2"}, default="cosine"
        How a split is scored; see docs/online.md.
    optimizers : Optimizer or list of Optimizer, default SGD(lr=0.1)
        Leaf-value rule of each output slice; the slices must cover every output exactly once.
    init_bias : float or array of n_outputs, default=0
        The prediction before any tree.
    max_trees : int, optional
        Tree cap: after a step that exceeds it, the oldest trees are folded into the bias
        (see :meth:`compress`).
    binning : {"quantile", "uniform"}, default="quantile"
        How each batch's candidate thresholds are found (ignored with ``bin_edges``).
    bin_edges : BinMapper or list of arrays, optional
        Fixed thresholds per feature used for every batch (e.g. the bins of ``tb.train``).
    min_samples_leaf : int, default=1
        Fewest rows on each side of a greedy split.
    n_features : int, optional
        Input width; taken from the first batch when not given.
    """

    def __init__(
        self,
        n_outputs: int,
        max_depth: int = 4,
        grow_policy: str = "greedy",
        max_bin: int = 256,
        split_score: str = "cosine",
        optimizers: Optimizer | list[Optimizer] | None = None,
        init_bias: Any = 0.0,
        max_trees: int | None = None,
        binning: str = "quantile",
        bin_edges: Any = None,
        min_samples_leaf: int = 1,
        n_features: int | None = None,
    ) -> None:
        self.n_outputs = check_int("n_outputs", n_outputs, 1)
        self.max_depth = check_int("max_depth", max_depth, 1)
        if self.max_depth > 16:
            raise ValueError(f"max_depth must be an int in 1..16; got {max_depth!r}")
        self.grow_policy = check_choice("grow_policy", grow_policy, GROW_POLICIES)
        self.max_bin = check_int("max_bin", max_bin, 2)
        if self.max_bin > 65536:
            raise ValueError(f"max_bin must be an int in 2..65536; got {max_bin!r}")
        self.split_score = check_choice("split_score", split_score, SPLIT_SCORES)
        self.optimizers = resolve_optimizers(optimizers, self.n_outputs)
        self.init_bias = as_bias(init_bias, self.n_outputs)
        self.bias = self.init_bias.copy()
        self.max_trees = check_int("max_trees", max_trees, 1, allow_none=True)
        self.binning = check_choice("binning", binning, BINNINGS)
        self.min_samples_leaf = check_int("min_samples_leaf", min_samples_leaf, 1)
        self.n_features = check_int("n_features", n_features, 1, allow_none=True)
        self.bin_edges = None
        if bin_edges is not None:
            edges = getattr(bin_edges, "bin_upper_bounds_", bin_edges)
            width = self.n_features
            if width is None:
                width = len(edges) if isinstance(edges, (list, tuple)) else 0
            self.bin_edges = fixed_thresholds(bin_edges, width, self.max_bin)
            self.n_features = len(self.bin_edges)
        self.n_steps = 0
        self.folded_trees = 0
        self._store = TreeStore(self.max_depth, self.n_outputs)

    # -- growing ---------------------------------------------------------------------------
    @property
    def n_trees(self) -> int:
        return self._store.n_trees

    def step(self, X: Any, grad: Any, hess: Any = None) -> dict[str, Any]:
        """Fit one multi-output tree to ``grad`` (n, n_outputs) at rows ``X`` and add it.

        With ``hess`` (same shape, > 0) a leaf's direction is the Newton step ``G / H``,
        otherwise the mean gradient; each output's optimizer turns it into the leaf value (a
        gradient *descent* step: values move against the gradient).

        Returns
        -------
        dict
            ``tree`` (its index), ``gain`` (summed split gain), ``n_leaves`` (leaves holding
            rows), ``features`` / ``thresholds`` / ``gains`` of the 2^D - 1 heap split nodes
            (feature -1: no split), ``leaf_values`` (2^D, n_outputs) and ``leaf_counts``.
        """
        X = as_rows(X, self.n_features)
        n_rows = X.shape[0]
        if n_rows == 0:
            raise ValueError("X has 0 rows; valid: a batch of at least one row")
        grad = as_gradient("grad", grad, n_rows, self.n_outputs, positive=False)
        hess = (
            np.ones((n_rows, self.n_outputs), dtype=np.float32)
            if hess is None
            else as_gradient("hess", hess, n_rows, self.n_outputs, positive=True)
        )
        self.n_features = X.shape[1]
        thresholds = self.bin_edges or batch_thresholds(X, self.max_bin, self.binning)
        bins, n_bins = bin_rows(X, thresholds)
        tree = self._grow(bins, n_bins, grad, hess)
        split = tree["features"] >= 0
        tree["thresholds"] = np.array(
            [
                thresholds[f][b] if f >= 0 else 0.0
                for f, b in zip(tree["features"], tree["split_bins"])
            ]
        )
        self._set_values(tree, grad)
        index = self._store.append(**tree)
        self.n_steps += 1
        first_leaf = (1 << self.max_depth) - 1
        info = {
            "tree": index,
            "gain": float(tree["gains"][split].sum()),
            "n_leaves": int(np.count_nonzero(tree["node_counts"][first_leaf:])),
            "features": tree["features"].copy(),
            "thresholds": tree["thresholds"].copy(),
            "gains": tree["gains"].copy(),
            "leaf_values": tree["leaves"].copy(),
            "leaf_counts": tree["node_counts"][first_leaf:].copy(),
        }
        if self.max_trees is not None and self.n_trees > self.max_trees:
            self.compress(self.max_trees)
            info["tree"] = self.n_trees - 1
        return info

    def _score_scale(self, grad: np.ndarray) -> np.ndarray:
        if self.split_score == "cosine":
            return np.ones(self.n_outputs)
        # L2 scores standardised gradients: dividing each output by its batch standard
        # deviation gives every output the same say in the split.
        std = grad.std(axis=0, dtype=np.float64)
        return np.where(std > 0, 1.0 / np.where(std > 0, std, 1.0), 1.0)

    def _grow(self, bins, n_bins, grad, hess) -> dict[str, np.ndarray]:
        d, k = self.max_depth, self.n_outputs
        n_split, n_nodes = (1 << d) - 1, (2 << d) - 1
        tree = {
            "features": np.empty(n_split, dtype=np.int32),
            "split_bins": np.empty(n_split, dtype=np.int32),
            "gains": np.empty(n_split, dtype=np.float64),
            "node_g": np.empty((n_nodes, k), dtype=np.float64),
            "node_hess": np.empty((n_nodes, k), dtype=np.float64),
            "node_counts": np.empty(n_nodes, dtype=np.int64),
        }
        row_leaf = np.empty(bins.shape[0], dtype=np.int32)
        grow_online_tree(
            bins, n_bins, grad, hess, self._score_scale(grad), d,
            self.grow_policy == "oblivious",
            SCORE_L2 if self.split_score == "l2" else SCORE_COSINE,
            self.min_samples_leaf,
            tree["features"], tree["split_bins"], tree["gains"],
            tree["node_g"], tree["node_hess"], tree["node_counts"], row_leaf,
        )  # fmt: skip
        return tree

    def _set_values(self, tree: dict[str, np.ndarray], grad: np.ndarray) -> None:
        h = tree["node_hess"]
        direction = np.divide(tree["node_g"], h, out=np.zeros_like(h), where=h > 0)
        values = np.zeros_like(direction)
        for opt in self.optimizers:
            start, stop = opt.bound(self.n_outputs)
            opt.observe(grad[:, start:stop])
            values[:, start:stop] = opt.values(direction[:, start:stop])
        tree["node_values"] = values
        tree["leaves"] = leaf_table(tree["features"], values, self.max_depth)
        del tree["node_g"]

    # -- prediction ------------------------------------------------------------------------
    def predict(self, X: Any) -> np.ndarray:
        """Predictions (n, n_outputs): the bias plus every tree's leaf values. A 1-d ``X`` of
        ``n_features`` values is one row."""
        X = as_rows(X, self.n_features)
        out = np.empty((X.shape[0], self.n_outputs), dtype=np.float64)
        out[:] = self.bias
        if self.n_trees and X.shape[0]:
            kernel = (
                predict_online_serial if X.shape[0] * self.n_trees < SERIAL_WORK else predict_online
            )
            store = self._store
            kernel(
                X, store.view("features"), store.view("thresholds"), store.view("leaves"),
                self.max_depth, self.grow_policy == "oblivious", out,
            )  # fmt: skip
        return out

    # -- size ------------------------------------------------------------------------------
    def compress(self, max_trees: int) -> int:
        """Keep the newest ``max_trees`` trees; fold each older tree into the bias as its mean
        leaf value over the rows it was grown on (its expected value, as TreeSHAP computes it).

        Folding is exact on average over a tree's own batch and loses the tree's variation
        across states; returns the number of trees folded.
        """
        max_trees = check_int("max_trees", max_trees, 0)
        drop = self.n_trees - max_trees
        if drop <= 0:
            return 0
        self.bias = self.bias + self._store.expected_values(0, drop)
        self._store.drop_oldest(drop)
        self.folded_trees += drop
        return drop

    # -- explain and persist ---------------------------------------------------------------
    def tree_arrays(self, index: int) -> dict[str, np.ndarray]:
        """Copies of one tree's heap arrays (names as in ``ensemble.ARRAYS``)."""
        if not -self.n_trees <= index < self.n_trees:
            raise IndexError(f"tree {index} is out of range for {self.n_trees} trees")
        return {name: self._store.view(name)[index].copy() for name in ARRAYS}

    def to_booster(self) -> Booster:
        """The ensemble as a ``reg:squarederror`` Booster with ``num_target = n_outputs``: one
        tree per output per step, ``tree_outputs`` set, base margin = the bias. TreeSHAP
        (``pred_contribs`` and ``treeboost.explain``) and ``save_model`` work on it."""
        params = validate_params(
            {
                "objective": "reg:squarederror",
                "num_target": self.n_outputs,
                "max_depth": self.max_depth,
                "max_bin": min(self.max_bin, 65536),
                "learning_rate": 1.0,
                "reg_lambda": 0.0,
            }
        )
        params.pop("n_jobs", None)
        booster = Booster(
            params,
            get_objective("reg:squarederror", params),
            self.bias,
            [f"f{i}" for i in range(self.n_features or 1)],
            ["float"] * (self.n_features or 1),
        )
        for t in range(self.n_trees):
            for output, tree in enumerate(heap_to_trees(self.tree_arrays(t), self.max_depth)):
                booster.append_tree(tree, output)
        return booster

    def _append_from_booster(self, booster: Booster) -> None:
        k = self.n_outputs
        for r in range(len(booster.trees) // k):
            self._store.append(**trees_to_heap(booster.trees[r * k : (r + 1) * k], self.max_depth))

    def save_model(self, path: str | os.PathLike) -> None:
        """Write the booster as JSON (docs/online.md: a treeboost model file plus the online
        state); :meth:`load_model` gives back identical predictions."""
        from .model_file import write_online

        with open(path, "w", encoding="utf-8") as fh:
            fh.write(write_online(self))

    @classmethod
    def load_model(cls, path_or_text: str | bytes | os.PathLike) -> OnlineBooster:
        """Read a file written by :meth:`save_model` (a path, or the JSON text)."""
        from .model_file import read_online

        return read_online(cls, path_or_text)

    def __repr__(self) -> str:
        return (
            f"OnlineBooster(n_outputs={self.n_outputs}, max_depth={self.max_depth}, "
            f"grow_policy={self.grow_policy!r}, split_score={self.split_score!r}, "
            f"trees={self.n_trees})"
        )
