"""The worker side of Dask training: one :class:`Shard` per worker, a Dask actor holding the binned
rows of that worker's partitions between calls.

A shard keeps its rows, labels, weights and margins for the whole run and answers the driver's
requests: gradients, the rows a round samples, node histograms, partitioning nodes by a split,
adding a tree to its margins, and its share of each evaluation metric. Only histograms, counts,
split decisions, trees and metric sums cross the network; rows never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..kernels.histogram import n_chunks_for
from ..kernels.partition import add_leaf_values, apply_final_split_table, partition_rows_table
from ..kernels.sampling import uniforms
from ..metrics import get_metric
from ..model.params import numba_threads
from ..objectives import get_objective
from ..objectives.base import exact_sum
from ..tree.matrix import binned_matrix
from ..tree.tree import Tree

# Metrics that are a weighted mean of a per-row loss (a shard sends its mean and its weight
# sum), and those that are the root of one; every other metric is computed on the driver from
# the shards' labels and predictions of the evaluation rows.
MEAN_METRICS = frozenset(
    {"mae", "mape", "mphe", "logloss", "mlogloss", "merror", "poisson-nloglik", "gamma-nloglik"}
)
ROOT_MEAN_METRICS = frozenset({"rmse", "rmsle"})


def metric_reduction(name: str) -> str:
    """How shards' shares of metric ``name`` combine: "mean", "root_mean" or "gather"."""
    if name in MEAN_METRICS or name == "error" or name.startswith("error@"):
        return "mean"
    if name in ROOT_MEAN_METRICS:
        return "root_mean"
    return "gather"


# Distinct labels a shard sends for a base margin that is not a weighted mean (class rates,
# medians); beyond this many, training asks for base_score.
MAX_LABEL_SUMMARY = 4096


@dataclass
class BinnedPart:
    """One partition after binning (what travels from the binning task to the worker's block,
    on the same worker)."""

    binned: np.ndarray
    label: np.ndarray | None
    weight: np.ndarray | None
    base_margin: np.ndarray | None

    @property
    def n_rows(self) -> int:
        return int(self.binned.shape[0])


def _stacked(parts: list[BinnedPart], field: str) -> np.ndarray | None:
    values = [getattr(p, field) for p in parts]
    if all(v is None for v in values):
        return None
    if any(v is None for v in values):
        raise ValueError(f"some partitions have {field} and others do not")
    return values[0] if len(values) == 1 else np.concatenate(values)


@dataclass
class Block:
    """A worker's partitions of one data set stacked in one array (the partitions' own copies
    are then let go, so a worker holds its binned rows once)."""

    binned: np.ndarray
    label: np.ndarray | None
    weight: np.ndarray | None
    base_margin: np.ndarray | None
    # (global position of the first row, rows) of each partition, in stacking order.
    segments: list

    @property
    def n_rows(self) -> int:
        return int(self.binned.shape[0])


def stack_parts(parts: list[BinnedPart], offsets: list[int]) -> Block:
    """Stack a worker's binned partitions (runs on that worker)."""
    binned = parts[0].binned if len(parts) == 1 else np.concatenate([p.binned for p in parts])
    return Block(
        binned=np.ascontiguousarray(binned),
        label=_stacked(parts, "label"),
        weight=_stacked(parts, "weight"),
        base_margin=_stacked(parts, "base_margin"),
        segments=[(int(o), p.n_rows) for p, o in zip(parts, offsets)],
    )


class _Rows:
    """Binned rows of one data set on this worker."""

    def __init__(self, block: Block | None, bin_offsets: np.ndarray, n_features: int):
        if block is None:
            block = Block(np.zeros((0, n_features), dtype=np.uint8), None, None, None, [])
        self.segments = block.segments
        self.bins = binned_matrix(block.binned, bin_offsets)
        self.label = block.label
        self.weight = block.weight
        self.base_margin = block.base_margin
        self.n_rows = block.n_rows
        self.margin: np.ndarray | None = None


class Shard:
    """The state of one worker during a Dask training run (created as a Dask actor)."""

    def __init__(
        self,
        params: dict,
        bin_offsets: np.ndarray,
        n_features: int,
        train_block: Block | None,
        eval_blocks: list,
        n_threads: int,
    ):
        self.params = params
        self.n_threads = max(1, int(n_threads))
        self.bin_offsets = np.ascontiguousarray(bin_offsets, dtype=np.int64)
        self.total_bins = int(self.bin_offsets[-1])
        self.objective = get_objective(params["objective"], params)
        self.k = int(self.objective.n_outputs)
        self.train = _Rows(train_block, self.bin_offsets, n_features)
        self.evals = [_Rows(block, self.bin_offsets, n_features) for block in eval_blocks]
        if self.train.n_rows:
            self.objective.validate_labels(self.train.label, self.train.weight)
        self.histograms = self.train.bins.histograms()
        n = self.train.n_rows
        self.gh = np.empty((self.k, n, 2), dtype=np.float32)
        self.all_rows = np.arange(n, dtype=np.int32)
        self.rows = self.all_rows
        self.left_out: np.ndarray | None = None
        self.sample_indices = np.empty(0, dtype=np.int32)
        self.segments: dict[int, tuple[int, int]] = {}
        self._scratch = np.empty(2 * max(n, 1), dtype=np.int32)
        self._chunk_counts = np.empty(64, dtype=np.int64)

    # -- set-up ------------------------------------------------------------------------------
    def label_sums(self) -> tuple[Fraction, Fraction]:
        """Exact sums of weight * label and of the weights (for base margins that are weighted
        means: exact, so the driver's total equals one machine's)."""
        y = self.train.label
        if y is None or y.shape[0] == 0:
            return Fraction(0), Fraction(0)
        if self.train.weight is None:
            return exact_sum(y), Fraction(y.shape[0])
        return exact_sum(self.train.weight * y), exact_sum(self.train.weight)

    def label_summary(self) -> tuple[np.ndarray, np.ndarray] | None:
        """This worker's distinct labels with their summed weights, or None when there are
        more than a summary holds."""
        y = self.train.label
        if y is None or y.shape[0] == 0:
            return np.zeros(0), np.zeros(0)
        w = np.ones(y.shape[0]) if self.train.weight is None else self.train.weight
        values, inverse = np.unique(y, return_inverse=True)
        if values.shape[0] > MAX_LABEL_SUMMARY:
            return None
        return values, np.bincount(inverse.ravel(), weights=w, minlength=values.shape[0])

    def start(self, base_margin: np.ndarray) -> int:
        """Initial margins of every data set: the model's base margin plus each row's own."""
        for rows in [self.train, *self.evals]:
            margin = np.empty((rows.n_rows, self.k), dtype=np.float64)
            margin[:] = base_margin
            if rows.base_margin is not None:
                margin += rows.base_margin.reshape(rows.n_rows, -1)
            rows.margin = margin
        return self.train.n_rows

    # -- a round -----------------------------------------------------------------------------
    def gradients(self) -> None:
        if self.train.n_rows:
            with numba_threads(self.n_threads):
                self.objective.gradient_hessian(
                    self.train.label, self.train.margin, self.train.weight, self.gh, self.n_threads
                )

    def draw_rows(self, key: int | None, fraction: float) -> int:
        """The rows of the next tree: all (``key`` None), or each row with probability
        ``fraction``, by the draw of stream ``key`` at the row's global position
        (kernels/sampling.py), so the draw equals one machine's. Returns how many were
        drawn."""
        if key is None:
            self.rows, self.left_out = self.all_rows, None
            return self.train.n_rows
        drawn = np.empty(self.train.n_rows, dtype=bool)
        at = 0
        for offset, n_rows in self.train.segments:
            drawn[at : at + n_rows] = uniforms(np.uint64(key), offset, n_rows) < fraction
            at += n_rows
        self._set_drawn(drawn)
        return int(drawn.sum())

    def draw_one(self, global_row: int) -> int:
        """The round drew no row anywhere: take ``global_row`` alone, where it lives."""
        drawn = np.zeros(self.train.n_rows, dtype=bool)
        at = 0
        for offset, n_rows in self.train.segments:
            if offset <= global_row < offset + n_rows:
                drawn[at + global_row - offset] = True
            at += n_rows
        self._set_drawn(drawn)
        return int(drawn.sum())

    def _set_drawn(self, drawn: np.ndarray) -> None:
        self.rows = np.flatnonzero(drawn).astype(np.int32)
        self.left_out = np.flatnonzero(~drawn)

    def root(self, output: int, features: np.ndarray) -> np.ndarray:
        """The root histogram of a new tree for ``output`` over the drawn rows."""
        self.sample_indices = self.rows.copy()
        self.segments = {0: (0, self.sample_indices.shape[0])}
        return self.histograms_of(output, [0], features)[0]

    def histograms_of(self, output: int, nodes: list[int], features: np.ndarray) -> np.ndarray:
        """Histograms of ``nodes`` (stacked) over ``features``; other features' bins are 0."""
        out = np.zeros((len(nodes), self.total_bins, 2), dtype=np.float64)
        bins = _feature_bins(features, self.bin_offsets)
        with numba_threads(self.n_threads):
            for i, node in enumerate(nodes):
                start, end = self.segments[node]
                if end <= start:
                    continue
                hist, _ = self.histograms.build(
                    self.gh[output], self.sample_indices, start, end, features
                )
                out[i, bins] = hist[bins]
                self.histograms.release(hist)
        return out

    def split(self, output: int, requests: list[tuple]) -> np.ndarray:
        """Partition each node by its split: ``(node, feature, table, left, right, values)``
        where ``values`` is None, or the children's (left, right) values when both stay leaves
        (they go straight into the margins). Returns the rows sent left, per request."""
        n_left = np.zeros(len(requests), dtype=np.int64)
        margin = self.train.margin
        with numba_threads(self.n_threads):
            for i, (node, feature, table, left, right, values) in enumerate(requests):
                start, end = self.segments.pop(node)
                if end > start:
                    column = self.train.bins.column(feature)
                    n_chunks = n_chunks_for(end - start)
                    if values is not None:
                        n_left[i] = apply_final_split_table(
                            column, self.sample_indices, start, end, table, values[0],
                            values[1], margin, output, n_chunks, self._chunk_counts,
                        )  # fmt: skip
                    else:
                        n_left[i] = partition_rows_table(
                            column, self.sample_indices, start, end, table, n_chunks,
                            self._scratch, self._chunk_counts,
                        )  # fmt: skip
                mid = start + int(n_left[i])
                if values is None:
                    self.segments[left] = (start, mid)
                    self.segments[right] = (mid, end)
        return n_left

    def finish_tree(
        self, output: int, tree: Tree, leaf_nodes: np.ndarray, leaf_values: np.ndarray
    ) -> None:
        """Add the tree to every margin: its leaves not applied yet from their segments, the
        rows the round left out and the evaluation rows by walking their bins."""
        if leaf_nodes.size:
            starts = np.array([self.segments[n][0] for n in leaf_nodes], dtype=np.int64)
            ends = np.array([self.segments[n][1] for n in leaf_nodes], dtype=np.int64)
            add_leaf_values(
                self.train.margin, output, self.sample_indices, starts, ends,
                np.ascontiguousarray(leaf_values, dtype=np.float64),
            )  # fmt: skip
        with numba_threads(self.n_threads):
            if self.left_out is not None and self.left_out.size:
                self.train.bins.add_tree(tree, output, self.train.margin, self.left_out)
            for rows in self.evals:
                if rows.n_rows:
                    rows.bins.add_tree(tree, output, rows.margin)
        self.segments = {}

    # -- evaluation --------------------------------------------------------------------------
    def scores(self, eval_index: int, metric_names: list[str]) -> list:
        """This worker's share of each metric on evaluation set ``eval_index``: (value, weight
        sum) for metrics that average over rows, else (labels, predictions, weights). Index -1
        is the training data."""
        rows = self.train if eval_index < 0 else self.evals[eval_index]
        out = []
        if rows.n_rows == 0:
            return [None] * len(metric_names)
        prediction = self.objective.eval_transform(rows.margin)
        for name in metric_names:
            if metric_reduction(name) == "gather":
                out.append((rows.label, prediction, rows.weight))
                continue
            metric = get_metric(name, self.params)
            total = float(rows.n_rows if rows.weight is None else rows.weight.sum())
            out.append((metric(rows.label, prediction, rows.weight), total))
        return out


def _feature_bins(features: np.ndarray, bin_offsets: np.ndarray) -> np.ndarray:
    """Indices of the histogram bins of ``features``."""
    if features.shape[0] == bin_offsets.shape[0] - 1:
        return np.arange(int(bin_offsets[-1]))
    return np.concatenate([np.arange(bin_offsets[f], bin_offsets[f + 1]) for f in features]).astype(
        np.int64
    )
