"""Grow one tree from gradient pairs: depthwise (level by level) or lossguide (best leaf first).

Orchestration per node lives here; every per-row loop is a kernel (histogram, split scan,
partition). Each node owns a contiguous segment ``[start, end)`` of ``sample_indices``; splitting a
node partitions its segment in place, so leaves end up as segments and training margins are updated
from them without walking the tree.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from ..kernels.categorical import best_categorical_splits
from ..kernels.grow import N_FLOAT_COLUMNS, N_INT_COLUMNS, grow_dense_tree, node_capacity
from ..kernels.histogram import listed_entries, n_chunks_for
from ..kernels.partition import (
    add_leaf_values,
    apply_final_split_table,
    direction_table,
    partition_rows_table,
)
from ..kernels.quantize import quantize_gradients
from ..kernels.split import find_best_split, find_best_split_bounded, leaf_weight
from .matrix import BinnedMatrix
from .split import MIN_SPLIT_GAIN, CategoricalParams, GrowthParams, SplitParams, TreeConstraints
from .tree import NODE_ARRAYS, Tree


@dataclass
class _Node:
    node_id: int
    start: int
    end: int
    depth: int
    sum_g: float
    sum_h: float
    hist: np.ndarray | None = None
    gain: float = -np.inf
    feature: int = -1
    split_bin: int = 0
    default_left: bool = False
    left_g: float = 0.0
    left_h: float = 0.0
    # Monotone constraints: bounds on the node's (unscaled) weight, inherited down the tree.
    lower: float = -np.inf
    upper: float = np.inf
    # Interaction constraints: the features split on above this node.
    path: frozenset = frozenset()
    # A categorical split: table over the feature's bins, 1 = goes left.
    cat_table: np.ndarray | None = None
    # True once the node's leaf value is in the margins (a final split applied it directly and
    # the node's rows were never gathered into its own segment).
    applied: bool = False
    # Features that can split the node's rows, a subset of the tree's (set by the histogram
    # builder): on sparse data those with gradient mass outside their zero bin, on dense data
    # all of them. The others cannot split the node, and their histogram bins are not kept.
    active: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return self.end - self.start


@dataclass
class _SplitPlan:
    """A chosen split's row rule and children's values (see TreeGrower._plan_split)."""

    table: np.ndarray  # per bin of the feature, 1 = the row goes left
    left_bounds: tuple[float, float]
    right_bounds: tuple[float, float]
    apply_now: bool  # both children stay leaves: their values go straight into the margins
    left_value: float
    right_value: float


@dataclass
class GrownTree:
    """A tree plus where its leaves' rows sit in ``sample_indices``. When the grower was given
    margins to update it has applied every leaf, and no leaves are listed."""

    tree: Tree
    leaf_starts: np.ndarray
    leaf_ends: np.ndarray
    leaf_values: np.ndarray
    leaf_nodes: np.ndarray


_NO_INDICES = np.zeros(0, dtype=np.int64)
_NO_VALUES = np.zeros(0, dtype=np.float64)


def applied(tree: Tree) -> GrownTree:
    """The GrownTree of a tree whose leaf values are all in the margins already."""
    return GrownTree(tree, _NO_INDICES, _NO_INDICES, _NO_VALUES, _NO_INDICES)


def _grown(tree, leaf_nodes, leaf_starts, leaf_ends, margin, output, sample_indices) -> GrownTree:
    """The GrownTree of ``tree`` whose leaves ``leaf_nodes`` (ascending, those whose values are
    not in the margins yet) hold rows ``sample_indices[start:end]``; with ``margin``, their values
    are added to it."""
    starts = np.ascontiguousarray(leaf_starts, dtype=np.int64)
    ends = np.ascontiguousarray(leaf_ends, dtype=np.int64)
    values = tree.value[leaf_nodes].astype(np.float64)
    if margin is not None:
        if values.size:
            add_leaf_values(margin, output, sample_indices, starts, ends, values)
        return applied(tree)
    return GrownTree(tree, starts, ends, values, leaf_nodes)


def sample_features(
    features: np.ndarray,
    fraction: float,
    rng: np.random.Generator,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Sorted random subset of ``features`` of size ``max(1, floor(fraction * len))``.

    ``weights`` (one per feature index, not per entry of ``features``) makes a feature's chance
    of being drawn proportional to its weight; zero-weight features are never drawn, so fewer
    than the requested count come back when too few have weight.
    """
    if fraction >= 1.0 or features.shape[0] <= 1:
        return features
    n_keep = max(1, int(fraction * features.shape[0]))
    if weights is None:
        chosen = rng.choice(features.shape[0], size=n_keep, replace=False)
    else:
        w = weights[features].astype(np.float64)
        n_keep = min(n_keep, int(np.count_nonzero(w > 0)))
        if n_keep == 0:
            return features[:0]
        chosen = rng.choice(features.shape[0], size=n_keep, replace=False, p=w / w.sum())
    return np.ascontiguousarray(np.sort(features[chosen]), dtype=np.int32)


# Node histograms the compiled path may keep at once (beyond this, deep or wide trees grow
# node by node from Python, whose pool grows on demand).
_POOL_BYTES = 64 << 20
# Rows are listed without their features' most frequent bins when that leaves at most this share
# of the matrix: a listed entry (4 bytes) costs more to read than a dense bin (1 byte), and
# skipping pays once it saves about half of the histogram additions.
LISTED_DENSITY = 0.5


class TreeGrower:
    """Grows trees over one binned matrix; reusable across rounds and outputs.

    Trees on dense numeric bins without constraints grow in one compiled call
    (kernels/grow.py); every other case node by node from here. Both give the same trees
    (``use_python = True`` forces the node-by-node path, for tests that compare them).
    """

    use_python = False
    # Histograms of the one-call kernel skip each feature's most frequent bin when the
    # matrix is mostly such bins (False: always read the dense rows; tests compare the two).
    skip_frequent_bins = True
    # Nodes of the one-call kernel scan only the numeric features with a valid split in their
    # parent, which loses nothing while hessians are not negative: true of every built-in
    # objective; the training session turns it off for custom objectives.
    prune_features = True

    def __init__(
        self,
        matrix: BinnedMatrix,
        bin_upper_bounds: list,
        split_params: SplitParams,
        growth_params: GrowthParams,
        constraints: TreeConstraints | None = None,
        categorical: np.ndarray | None = None,
        categorical_params: CategoricalParams | None = None,
    ):
        self.matrix = matrix
        self.bin_offsets = matrix.bin_offsets
        self.bin_upper_bounds = bin_upper_bounds
        self.split = split_params
        self.growth = growth_params
        self.constraints = constraints or TreeConstraints()
        # Which features are categorical (their bins are category codes, see data/dataset.py).
        self.categorical = (
            np.zeros(matrix.n_features, dtype=bool) if categorical is None else categorical
        )
        self.has_categorical = bool(self.categorical.any())
        self.categorical_params = categorical_params or CategoricalParams()
        if self.has_categorical and self.constraints.monotone is not None:
            bad = np.flatnonzero(self.categorical & (self.constraints.monotone != 0))
            if bad.size:
                raise ValueError(
                    f"monotone_constraints sets a direction for feature {int(bad[0])}, which is "
                    "categorical: categories have no order, leave it 0"
                )
        self.histograms = matrix.histograms()
        self._kinds: tuple | None = None
        self._scratch = np.empty(2 * matrix.n_rows, dtype=np.int32)
        self._chunk_counts = np.empty(64, dtype=np.int64)
        self._compiled = self._compiled_buffers()
        self._check_quantized()

    def _check_quantized(self) -> None:
        """Quantized gradients are a mode of the one-call kernel: refuse them elsewhere."""
        levels = self.growth.grad_quant_levels
        if not levels:
            return
        if self._compiled is None:
            raise ValueError(
                "use_quantized_grad=True needs trees grown in one compiled call: dense input, "
                "no monotone or interaction constraints, colsample_bylevel and "
                "colsample_bynode 1, max_depth or max_leaves set, and the CPU; this run has "
                "one of those otherwise (set use_quantized_grad=False)"
            )
        # Integer bins hold sums of up to every row's level, in int32.
        if self.matrix.n_rows * (levels + 1) >= 2**31:
            raise ValueError(
                f"use_quantized_grad=True with num_grad_quant_bins={levels} supports up to "
                f"{(2**31 - 1) // (levels + 1):,} rows; the data has {self.matrix.n_rows:,}"
            )

    # -- the compiled path -----------------------------------------------------------------
    def _compiled_buffers(self) -> dict | None:
        """Buffers of the one-call tree kernel (kernels/grow.py), or None where it does not
        apply: it covers dense bins, numeric and categorical, without constraints or
        per-level/per-node column sampling, trees of bounded size, and node histograms that fit
        in ``_POOL_BYTES``."""
        layout = self.matrix.dense_layout()
        g = self.growth
        if (
            layout is None
            or self.constraints.monotone is not None
            or self.constraints.interaction_sets is not None
            or g.colsample_bylevel < 1.0
            or g.colsample_bynode < 1.0
        ):
            return None
        capacity = int(node_capacity(g.max_depth, g.max_leaves))
        n_slots = (capacity + 1) // 2 + 2
        if capacity < 0 or n_slots * self.histograms.total_bins * 16 > _POOL_BYTES:
            return None
        bounds = [np.asarray(b, dtype=np.float64) for b in self.bin_upper_bounds]
        sizes = np.array([b.shape[0] for b in bounds], dtype=np.int64)
        n_bins = np.diff(self.bin_offsets)
        width = int(n_bins[self.categorical].max()) if self.has_categorical else 1
        quantized = self.growth.grad_quant_levels > 0
        total_bins = self.histograms.total_bins
        return {
            "n_bins": n_bins,
            "is_categorical": self.categorical.astype(np.uint8),
            "cat_tables": np.zeros((capacity, width), dtype=np.uint8),
            "binned": layout[0],
            "columns": layout[1],
            "upper_bounds": np.concatenate(bounds) if bounds else np.zeros(0),
            "upper_offsets": np.concatenate(([0], np.cumsum(sizes))).astype(np.int64),
            "pool": np.empty((n_slots, total_bins, 2), dtype=np.int32 if quantized else np.float64),
            # Quantized trees: int8 gradient pairs, int32 chunk histograms, and one float64
            # histogram each node is scanned from.
            "quantized_gh": np.zeros((self.matrix.n_rows, 2), dtype=np.int8) if quantized else None,
            "quantized_chunks": (
                np.empty(self.histograms._chunk_hists.shape, dtype=np.int32) if quantized else None
            ),
            "scan_hist": np.empty((total_bins, 2), dtype=np.float64) if quantized else None,
            "ints": np.empty((capacity, N_INT_COLUMNS), dtype=np.int64),
            "floats": np.empty((capacity, N_FLOAT_COLUMNS), dtype=np.float64),
            "nodes": {name: np.empty(capacity, dtype=dt) for name, dt in NODE_ARRAYS.items()},
            "no_margin": np.zeros((1, 1), dtype=np.float64),
            "no_rows": np.zeros(0, dtype=np.int64),
            # Listed rows carry float totals into a feature's most frequent bin; quantized
            # trees read the dense rows.
            "listed": self._listed_entries(None if quantized else layout[0]),
        }

    def _listed_entries(self, binned: np.ndarray | None) -> tuple:
        """The rows as listed entries for histograms that skip each feature's most frequent
        value bin (kernels/histogram.py), when that lists at most ``LISTED_DENSITY`` of the
        matrix; else empty arrays (histograms read the dense rows)."""
        listed = None
        if self.skip_frequent_bins and binned is not None:
            every = np.ones(self.matrix.n_features, dtype=bool)
            listed = listed_entries(binned, self.bin_offsets, every, LISTED_DENSITY)
        if listed is None:
            return (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32),
                    np.zeros(0, dtype=np.int64))  # fmt: skip
        return listed

    def _grow_compiled(
        self, gh, sample_indices, tree_features, margin, output, left_out, quant_key
    ) -> GrownTree:
        c = self._compiled
        p = self.split
        nodes = c["nodes"]
        chunk_hists = self.histograms._chunk_hists
        scan_hist, scales = None, (1.0, 1.0)
        if self.growth.grad_quant_levels:
            scales = quantize_gradients(gh, sample_indices, self.growth.grad_quant_levels,
                                        np.uint64(quant_key), c["quantized_gh"])  # fmt: skip
            gh, chunk_hists, scan_hist = (
                c["quantized_gh"], c["quantized_chunks"], c["scan_hist"]
            )
        n_nodes = grow_dense_tree(
            c["binned"],
            c["columns"],
            gh,
            sample_indices,
            tree_features,
            self.bin_offsets,
            c["upper_bounds"],
            c["upper_offsets"],
            c["is_categorical"],
            c["cat_tables"],
            self.categorical_params.max_cat_to_onehot,
            self.categorical_params.max_cat_threshold,
            self.categorical_params.cat_smooth,
            self.categorical_params.cat_l2,
            self.categorical_params.min_data_per_group,
            p.reg_lambda,
            p.reg_alpha,
            p.gamma,
            MIN_SPLIT_GAIN,
            p.min_child_weight,
            p.max_delta_step,
            p.learning_rate,
            self.growth.max_depth,
            self.growth.max_leaves,
            self.growth.grow_policy == "lossguide",
            self.prune_features,
            c["no_margin"] if margin is None else margin,
            output,
            margin is not None,
            c["no_rows"] if left_out is None else left_out,
            *c["listed"],
            scan_hist,
            scales,
            chunk_hists,
            c["pool"],
            self._scratch,
            self._chunk_counts,
            c["ints"],
            c["floats"],
            *(nodes[name] for name in NODE_ARRAYS),
        )
        ints = c["ints"][:n_nodes]
        tree = Tree(**{name: nodes[name][:n_nodes].copy() for name in NODE_ARRAYS},
                    categories={}, _depth=ints[:, 2].astype(np.int32))  # fmt: skip
        if self.has_categorical and ints[:, 8].any():
            cat_nodes = np.flatnonzero((ints[:, 8] == 1) & (tree.left >= 0))
            if cat_nodes.size:
                n_bins = c["n_bins"][tree.feature[cat_nodes]].tolist()
                tables = c["cat_tables"]
                for node, width in zip(cat_nodes.tolist(), n_bins):
                    tree.categories[node] = tables[node, :width].copy()
        if margin is not None:
            return applied(tree)  # the kernel applied every leaf
        leaf_nodes = np.flatnonzero(tree.left < 0).astype(np.int64)
        return _grown(tree, leaf_nodes, ints[leaf_nodes, 0], ints[leaf_nodes, 1], None,
                      output, sample_indices)  # fmt: skip

    # -- node operations -------------------------------------------------------------------
    def _can_split(self, node: _Node) -> bool:
        max_depth = self.growth.max_depth
        if max_depth > 0 and node.depth >= max_depth:
            return False
        return node.n_rows >= 2 and node.sum_h >= 2.0 * self.split.min_child_weight

    def _feature_kinds(self, features: np.ndarray) -> tuple:
        """(numeric, categorical, width of the widest categorical feature) of a feature set;
        the last set is remembered, since most nodes see the same array (the tree's)."""
        cached = self._kinds
        if cached is not None and cached[0] is features:
            return cached[1]
        is_cat = self.categorical[features]
        categorical = np.ascontiguousarray(features[is_cat], dtype=np.int32)
        width = 0
        if categorical.size:
            width = int((self.bin_offsets[categorical + 1] - self.bin_offsets[categorical]).max())
        kinds = (np.ascontiguousarray(features[~is_cat]), categorical, width)
        self._kinds = (features, kinds)
        return kinds

    def _evaluate(self, node: _Node, features: np.ndarray) -> None:
        node.cat_table = None
        if self.has_categorical:
            numeric, categorical, width = self._feature_kinds(features)
            if categorical.size:
                self._evaluate_mixed(node, numeric, categorical, width)
                return
        self._evaluate_numeric(node, features)

    def _evaluate_mixed(
        self, node: _Node, numeric: np.ndarray, categorical: np.ndarray, width: int
    ) -> None:
        """Best numeric split, then each categorical feature's best set; the highest gain wins
        (on a tie, the lower feature index, as among numeric features)."""
        self._evaluate_numeric(node, numeric)
        p, c = self.split, self.categorical_params
        tables = np.zeros((categorical.shape[0], width), dtype=np.uint8)
        results = np.empty((categorical.shape[0], 3), dtype=np.float64)
        best_categorical_splits(
            node.hist,
            categorical,
            self.bin_offsets,
            node.sum_g,
            node.sum_h,
            p.reg_lambda,
            p.reg_alpha,
            p.max_delta_step,
            p.min_child_weight,
            c.max_cat_to_onehot,
            c.max_cat_threshold,
            c.cat_smooth,
            tables,
            results,
            node.n_rows,
            c.cat_l2,
            c.min_data_per_group,
        )
        for j, f in enumerate(categorical):
            gain = results[j, 0]
            if gain == -np.inf:
                continue
            tol = 1e-6 * abs(node.gain) if np.isfinite(node.gain) else 0.0
            better = gain > node.gain + tol
            tie = abs(gain - node.gain) <= tol and f < node.feature
            if node.feature < 0 or better or tie:
                n_bins = int(self.bin_offsets[f + 1] - self.bin_offsets[f])
                node.gain = gain
                node.feature = int(f)
                node.split_bin = 0
                node.cat_table = tables[j, :n_bins].copy()
                node.default_left = bool(node.cat_table[0])
                node.left_g = float(results[j, 1])
                node.left_h = float(results[j, 2])

    def _evaluate_numeric(self, node: _Node, features: np.ndarray) -> None:
        p = self.split
        monotone = self.constraints.monotone
        if monotone is None:
            result = find_best_split(
                node.hist,
                features,
                self.bin_offsets,
                node.sum_g,
                node.sum_h,
                p.reg_lambda,
                p.reg_alpha,
                p.max_delta_step,
                p.min_child_weight,
            )
        else:
            result = find_best_split_bounded(
                node.hist,
                features,
                self.bin_offsets,
                node.sum_g,
                node.sum_h,
                p.reg_lambda,
                p.reg_alpha,
                p.max_delta_step,
                p.min_child_weight,
                monotone,
                node.lower,
                node.upper,
            )
        self._take_split(node, result)

    @staticmethod
    def _take_split(node: _Node, result: tuple) -> None:
        """Record a split scan's (gain, feature, split_bin, default_left, left_g, left_h)."""
        gain, feature, split_bin, default_left, left_g, left_h = result
        node.gain = gain if feature >= 0 else -np.inf
        node.feature = int(feature)
        node.split_bin = int(split_bin)
        node.default_left = bool(default_left)
        node.left_g = float(left_g)
        node.left_h = float(left_h)

    def _raw_weight(
        self, sum_g: float, sum_h: float, lower: float = -np.inf, upper: float = np.inf
    ) -> float:
        p = self.split
        w = leaf_weight(sum_g, sum_h, p.reg_lambda, p.reg_alpha, p.max_delta_step)
        return min(max(w, lower), upper)

    def _weight(
        self, sum_g: float, sum_h: float, lower: float = -np.inf, upper: float = np.inf
    ) -> float:
        return self.split.learning_rate * self._raw_weight(sum_g, sum_h, lower, upper)

    # -- growth ----------------------------------------------------------------------------
    def grow(
        self,
        gh: np.ndarray,
        sample_indices: np.ndarray,
        tree_features: np.ndarray,
        rng: np.random.Generator,
        margin: np.ndarray | None = None,
        output: int = 0,
        feature_weights: np.ndarray | None = None,
        left_out: np.ndarray | None = None,
        quant_key: int = 0,
    ) -> GrownTree:
        """Grow a tree on rows ``sample_indices`` (reordered in place) using ``tree_features``.

        With ``margin`` given, ``margin[row, output]`` gets every row's leaf value: splits whose
        children are both leaves are applied while scanning their rows (they are never
        partitioned), the other leaves from their segments; the rows ``left_out`` (int64, rows
        of the matrix not in the sample) get theirs from a walk of the new tree. With quantized
        gradients (``GrowthParams.grad_quant_levels``) ``quant_key`` keys the rounding draws.
        """
        if self.growth.grad_quant_levels and self.use_python:
            raise ValueError("quantized gradients have no node-by-node path")
        if self._compiled is not None and tree_features.shape[0] and not self.use_python:
            return self._grow_compiled(gh, sample_indices, tree_features, margin, output,
                                       left_out, quant_key)  # fmt: skip
        n = sample_indices.shape[0]
        root_hist, root_active = self.histograms.build(gh, sample_indices, 0, n, tree_features)
        self._gh = gh
        self._sample_indices = sample_indices
        leaves, tree = self._grow_from(
            root_hist, root_active, n, tree_features, rng, feature_weights, margin, output
        )
        grown = _grown(
            tree,
            np.array([leaf.node_id for leaf in leaves], dtype=np.int64),
            np.array([leaf.start for leaf in leaves], dtype=np.int64),
            np.array([leaf.end for leaf in leaves], dtype=np.int64),
            margin,
            output,
            sample_indices,
        )
        self._gh = self._sample_indices = self._margin = None
        if margin is not None and left_out is not None and left_out.size:
            self.matrix.add_tree(tree, output, margin, left_out)
        return grown

    def _grow_from(
        self, root_hist, root_active, n_rows, tree_features, rng, feature_weights, margin, output
    ) -> tuple[list[_Node], Tree]:
        """Grow from the root's histogram (over ``n_rows`` rows): the leaves whose values are
        not in the margins yet (by node id) and the tree."""
        # The root's totals are read off its histogram (any one feature's bins hold every row),
        # which saves a pass over the gradients.
        f = tree_features[0]
        sums = root_hist[self.bin_offsets[f] : self.bin_offsets[f + 1]].sum(axis=0)
        columns: dict[str, list] = {name: [] for name in NODE_ARRAYS}
        root = self._new_node(columns, 0, n_rows, 0, float(sums[0]), float(sums[1]))
        root.hist = root_hist
        root.active = root_active
        self._tree_features = tree_features
        self._rng = rng
        self._weights = feature_weights
        self._margin = margin
        self._output = output
        self._level_features: dict[int, np.ndarray] = {}
        self._categories: dict[int, np.ndarray] = {}
        if self.growth.grow_policy == "lossguide":
            leaves = self._grow_lossguide(root, columns)
        else:
            leaves = self._grow_depthwise(root, columns)
        leaves = sorted((leaf for leaf in leaves if not leaf.applied), key=lambda n: n.node_id)
        return leaves, Tree.from_lists(columns, self._categories)

    def _new_node(
        self, columns, start, end, depth, sum_g, sum_h, lower=-np.inf, upper=np.inf, path=None
    ) -> _Node:
        node = _Node(len(columns["left"]), start, end, depth, sum_g, sum_h)
        node.lower, node.upper = lower, upper
        node.path = path if path is not None else frozenset()
        columns["left"].append(-1)
        columns["right"].append(-1)
        columns["feature"].append(-1)
        columns["threshold"].append(0.0)
        columns["split_bin"].append(0)
        columns["default_left"].append(0)
        columns["value"].append(self._weight(sum_g, sum_h, lower, upper))
        columns["cover"].append(sum_h)
        columns["gain"].append(0.0)
        columns["sample_count"].append(end - start)
        return node

    def _features_for(self, node: _Node) -> np.ndarray:
        """Column sampling by level, then by node, nested inside the tree's features."""
        level = self._level_features.get(node.depth)
        if level is None:
            level = sample_features(
                self._tree_features, self.growth.colsample_bylevel, self._rng, self._weights
            )
            self._level_features[node.depth] = level
        chosen = sample_features(level, self.growth.colsample_bynode, self._rng, self._weights)
        return self.constraints.allowed_features(chosen, node.path)

    def _prepare(self, node: _Node) -> bool:
        """Histogram and best split for a node that may be split; False if it stays a leaf."""
        if not self._can_split(node):
            self.histograms.release(node.hist)
            node.hist = None
            return False
        if node.hist is None:
            self._build_histogram(node)
        features = self._within_active(self._features_for(node), node.active)
        self._evaluate(node, features)
        return self.split.accepts(node.gain)

    def _plan_split(self, node: _Node, final: bool) -> _SplitPlan:
        """Everything a split of ``node`` needs besides its rows; ``final`` says both children
        will stay leaves."""
        f = node.feature
        n_bins = int(self.bin_offsets[f + 1] - self.bin_offsets[f])
        right_g, right_h = node.sum_g - node.left_g, node.sum_h - node.left_h
        left_bounds = right_bounds = (node.lower, node.upper)
        monotone = self.constraints.monotone
        if monotone is not None and monotone[f] != 0:
            # Children's weights meet at the midpoint: everything grown under the left child
            # stays on one side of it, everything under the right child on the other.
            wl = self._raw_weight(node.left_g, node.left_h, node.lower, node.upper)
            wr = self._raw_weight(right_g, right_h, node.lower, node.upper)
            midpoint = 0.5 * (wl + wr)
            if monotone[f] > 0:
                left_bounds, right_bounds = (node.lower, midpoint), (midpoint, node.upper)
            else:
                left_bounds, right_bounds = (midpoint, node.upper), (node.lower, midpoint)
        table = node.cat_table
        if table is None:
            table = direction_table(node.split_bin, node.default_left, n_bins)
        return _SplitPlan(
            table=table,
            left_bounds=left_bounds,
            right_bounds=right_bounds,
            apply_now=final and self._margin is not None,
            left_value=self._weight(node.left_g, node.left_h, *left_bounds),
            right_value=self._weight(right_g, right_h, *right_bounds),
        )

    def _partition(self, node: _Node, plan: _SplitPlan) -> int:
        """Partition the node's segment by the plan (applying the children's values to the
        margins instead when ``plan.apply_now``); the rows that go left."""
        n_chunks = n_chunks_for(node.n_rows)
        column = self.matrix.column(node.feature)
        if plan.apply_now:
            return int(
                apply_final_split_table(
                    column,
                    self._sample_indices,
                    node.start,
                    node.end,
                    plan.table,
                    plan.left_value,
                    plan.right_value,
                    self._margin,
                    self._output,
                    n_chunks,
                    self._chunk_counts,
                )
            )
        return int(
            partition_rows_table(
                column,
                self._sample_indices,
                node.start,
                node.end,
                plan.table,
                n_chunks,
                self._scratch,
                self._chunk_counts,
            )
        )

    def _attach_children(
        self, node: _Node, plan: _SplitPlan, n_left: int, columns
    ) -> tuple[_Node, _Node]:
        """The two children of ``node`` once its rows are partitioned, ``n_left`` going left."""
        f = node.feature
        right_g, right_h = node.sum_g - node.left_g, node.sum_h - node.left_h
        child_path = node.path | {f} if self.constraints.interaction_sets is not None else None
        if node.cat_table is not None:
            self._categories[node.node_id] = node.cat_table
        mid = node.start + n_left
        left = self._new_node(
            columns,
            node.start,
            mid,
            node.depth + 1,
            node.left_g,
            node.left_h,
            *plan.left_bounds,
            child_path,
        )
        right = self._new_node(
            columns, mid, node.end, node.depth + 1, right_g, right_h, *plan.right_bounds,
            child_path,
        )  # fmt: skip
        left.applied = right.applied = plan.apply_now
        i = node.node_id
        columns["left"][i] = left.node_id
        columns["right"][i] = right.node_id
        columns["feature"][i] = node.feature
        columns["split_bin"][i] = node.split_bin
        columns["threshold"][i] = (
            0.0
            if node.cat_table is not None
            else float(self.bin_upper_bounds[node.feature][node.split_bin - 1])
        )
        columns["default_left"][i] = int(node.default_left)
        columns["gain"][i] = float(node.gain)
        return left, right

    def _split_nodes(self, requests: list[tuple[_Node, bool]], columns) -> list[tuple]:
        """Split each ``(node, final)`` in order (children are numbered in this order); a
        distributed grower partitions all of them in one exchange."""
        out = []
        for node, final in requests:
            plan = self._plan_split(node, final)
            out.append(self._attach_children(node, plan, self._partition(node, plan), columns))
        return out

    def _children_histograms(self, families: list[tuple[_Node, _Node, _Node]]) -> None:
        """For each (parent, left, right): build the smaller child's histogram (all of them at
        once), the larger one is the parent's minus it."""
        pending = []
        for parent, left, right in families:
            if not (self._can_split(left) or self._can_split(right)):
                self.histograms.release(parent.hist)
                parent.hist = None
                continue
            small, large = (left, right) if left.n_rows <= right.n_rows else (right, left)
            # Only the parent's active features can be active in its children.
            small.active = large.active = parent.active
            pending.append((parent, small, large))
        self._build_histograms([small for _, small, _ in pending])
        for parent, small, large in pending:
            large.hist = self.histograms.subtract_into_parent(
                parent.hist, small.hist, parent.active
            )
            parent.hist = None

    def _build_histograms(self, nodes: list[_Node]) -> None:
        for node in nodes:
            self._build_histogram(node)

    def _build_histogram(self, node: _Node) -> None:
        node.hist, node.active = self.histograms.build(
            self._gh, self._sample_indices, node.start, node.end, self._tree_features, node.active
        )

    def _within_active(self, features: np.ndarray, active: np.ndarray) -> np.ndarray:
        """The candidate ``features`` that are active (both ascending)."""
        if active is self._tree_features:
            return features  # every feature of the tree is active (dense bins)
        if features is self._tree_features:
            return active  # a subset of the tree's features
        mark = np.zeros(self.matrix.n_features, dtype=bool)
        mark[active] = True
        return features[mark[features]]

    def _grow_depthwise(self, root: _Node, columns) -> list[_Node]:
        max_leaves = self.growth.max_leaves
        leaves: list[_Node] = []
        n_leaves = 1
        frontier = [root]
        self._prepare(root)
        while frontier:
            requests = []
            for node in frontier:
                budget_left = max_leaves <= 0 or n_leaves < max_leaves
                if node.feature < 0 or not self.split.accepts(node.gain) or not budget_left:
                    self.histograms.release(node.hist)
                    node.hist = None
                    leaves.append(node)
                    continue
                final = self.growth.max_depth > 0 and node.depth + 1 >= self.growth.max_depth
                requests.append((node, final))
                n_leaves += 1
            families, next_frontier = [], []
            for (node, final), (left, right) in zip(requests, self._split_nodes(requests, columns)):
                if final:
                    self.histograms.release(node.hist)
                    node.hist = None
                    leaves.extend((left, right))
                    continue
                families.append((node, left, right))
                next_frontier.extend((left, right))
            self._children_histograms(families)
            for child in next_frontier:
                self._prepare(child)
            frontier = next_frontier
        return leaves

    def _grow_lossguide(self, root: _Node, columns) -> list[_Node]:
        max_leaves = self.growth.max_leaves
        leaves: list[_Node] = []
        heap: list[tuple[float, int, _Node]] = []
        if self._prepare(root):
            heap.append((-root.gain, root.node_id, root))
        else:
            leaves.append(root)
        n_leaves = 1
        while heap and (max_leaves <= 0 or n_leaves < max_leaves):
            _, _, node = heapq.heappop(heap)
            last = max_leaves > 0 and n_leaves + 1 >= max_leaves
            depth_capped = self.growth.max_depth > 0 and node.depth + 1 >= self.growth.max_depth
            [(left, right)] = self._split_nodes([(node, last or depth_capped)], columns)
            n_leaves += 1
            if last or depth_capped:
                self.histograms.release(node.hist)
                node.hist = None
                leaves.extend((left, right))
                if last:
                    break
                continue
            self._children_histograms([(node, left, right)])
            for child in (left, right):
                if self._prepare(child):
                    heapq.heappush(heap, (-child.gain, child.node_id, child))
                else:
                    leaves.append(child)
        for _, _, node in heap:
            self.histograms.release(node.hist)
            node.hist = None
            leaves.append(node)
        return leaves
