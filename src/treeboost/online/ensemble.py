"""The trees of an online booster in flat arrays that grow by doubling.

Every tree is complete, of depth D, in heap order (see kernels/online.py): per tree the split
features and thresholds of its 2^D - 1 split nodes, and per node (leaves included) the value,
hessian sum and row count of every output. Prediction walks all trees in one kernel call over
the first ``n_trees`` rows of these arrays.
"""

from __future__ import annotations

import numpy as np

# Room for this many trees before the first doubling.
INITIAL_CAPACITY = 64

ARRAYS = {
    # name: (dtype, shape after the tree axis given depth D and k outputs)
    "features": (np.int32, lambda d, k: ((1 << d) - 1,)),
    "split_bins": (np.int32, lambda d, k: ((1 << d) - 1,)),
    "thresholds": (np.float64, lambda d, k: ((1 << d) - 1,)),
    "gains": (np.float64, lambda d, k: ((1 << d) - 1,)),
    "leaves": (np.float64, lambda d, k: (1 << d, k)),
    "node_values": (np.float64, lambda d, k: ((2 << d) - 1, k)),
    "node_hess": (np.float64, lambda d, k: ((2 << d) - 1, k)),
    "node_counts": (np.int64, lambda d, k: ((2 << d) - 1,)),
}


class TreeStore:
    """Growing arrays of complete trees of one depth with ``n_outputs`` values per node."""

    def __init__(self, depth: int, n_outputs: int) -> None:
        self.depth = int(depth)
        self.n_outputs = int(n_outputs)
        self.n_trees = 0
        self._arrays = {
            name: np.zeros((INITIAL_CAPACITY, *shape(self.depth, self.n_outputs)), dtype=dt)
            for name, (dt, shape) in ARRAYS.items()
        }

    def view(self, name: str) -> np.ndarray:
        """The first ``n_trees`` entries of one array (contiguous, no copy)."""
        return self._arrays[name][: self.n_trees]

    def append(self, **tree: np.ndarray) -> int:
        """Add one tree (every array of ARRAYS, without the tree axis); returns its index."""
        capacity = self._arrays["features"].shape[0]
        if self.n_trees == capacity:
            for name, array in self._arrays.items():
                grown = np.zeros((2 * capacity, *array.shape[1:]), dtype=array.dtype)
                grown[:capacity] = array
                self._arrays[name] = grown
        for name in ARRAYS:
            self._arrays[name][self.n_trees] = tree[name]
        self.n_trees += 1
        return self.n_trees - 1

    def drop_oldest(self, count: int) -> None:
        """Remove the first ``count`` trees (the rest move to the front)."""
        count = min(int(count), self.n_trees)
        keep = self.n_trees - count
        for array in self._arrays.values():
            array[:keep] = array[count : self.n_trees]
        self.n_trees = keep

    def expected_values(self, first: int, last: int) -> np.ndarray:
        """Sum over trees [first, last) of each tree's mean leaf value over the rows it was
        grown on, (k,): what folding those trees into the bias adds."""
        counts = self.view("node_counts")[first:last, (1 << self.depth) - 1 :]
        leaves = self.view("leaves")[first:last]
        totals = np.maximum(counts.sum(axis=1, keepdims=True), 1)
        weights = (counts / totals)[:, :, None]
        return (weights * leaves).sum(axis=(0, 1))


def leaf_table(features: np.ndarray, node_values: np.ndarray, depth: int) -> np.ndarray:
    """Leaf values for prediction (2^D, k): a leaf below an unsplit node (feature -1) holds
    that node's values, so the prediction walk may take either side there."""
    values = node_values.copy()
    for node in range((1 << depth) - 1):  # parents before children
        if features[node] < 0:
            values[2 * node + 1] = values[node]
            values[2 * node + 2] = values[node]
    return values[(1 << depth) - 1 :]
