"""One regression tree as flat node arrays (struct of arrays)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..kernels.categorical import split_bin_tables

NODE_ARRAYS = {
    "left": np.int32,  # left child, -1 for a leaf
    "right": np.int32,  # right child, -1 for a leaf
    "feature": np.int32,  # split feature, -1 for a leaf
    "threshold": np.float64,  # raw rule: value <= threshold goes left
    "split_bin": np.int32,  # binned rule: bins 1..split_bin go left (bin 0 = missing)
    "default_left": np.uint8,  # where missing values go
    "value": np.float64,  # leaf value (learning rate applied); internal nodes: their own weight
    "cover": np.float64,  # sum of hessians of the training rows in the node
    "gain": np.float64,  # split gain (0 for leaves)
    "sample_count": np.int64,  # training rows in the node
}


@dataclass
class Tree:
    """Node arrays of one tree; node 0 is the root, children are indices into the same arrays."""

    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    split_bin: np.ndarray
    default_left: np.ndarray
    value: np.ndarray
    cover: np.ndarray
    gain: np.ndarray
    sample_count: np.ndarray
    # Categorical splits: node id -> uint8 table over the feature's bins (1 = goes left; entry 0,
    # the missing bin, agrees with default_left). Numeric splits are not listed.
    categories: dict = field(default_factory=dict)
    _depth: np.ndarray | None = field(default=None, repr=False, compare=False)
    _tables: tuple | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_lists(cls, columns: dict[str, list], categories: dict | None = None) -> Tree:
        return cls(
            **{name: np.asarray(columns[name], dtype=dt) for name, dt in NODE_ARRAYS.items()},
            categories=dict(categories or {}),
        )

    def bin_tables(self, n_bins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every split as a table over its feature's bins, for kernels that walk binned rows:
        ``(table_offset per node, tables)``; ``tables[table_offset[node] + bin]`` = 1 goes left.
        ``n_bins`` is the bin count of each feature (missing bin included)."""
        if self._tables is None:
            nodes = sorted(int(node) for node in self.categories)
            sizes = [self.categories[node].shape[0] for node in nodes]
            cat_offset = np.zeros(len(nodes) + 1, dtype=np.int64)
            cat_offset[1:] = np.cumsum(sizes, dtype=np.int64)
            cat_tables = (np.concatenate([self.categories[node] for node in nodes])
                          if nodes else np.zeros(0, dtype=np.uint8))
            self._tables = split_bin_tables(
                self.left, self.feature, self.split_bin, self.default_left,
                np.ascontiguousarray(n_bins, dtype=np.int64), np.array(nodes, dtype=np.int64),
                cat_offset, np.ascontiguousarray(cat_tables, dtype=np.uint8),
            )
        return self._tables

    @property
    def n_nodes(self) -> int:
        return int(self.left.shape[0])

    @property
    def is_leaf(self) -> np.ndarray:
        return self.left < 0

    @property
    def n_leaves(self) -> int:
        return int(np.count_nonzero(self.left < 0))

    @property
    def depth(self) -> np.ndarray:
        """Depth of every node (root 0); children always come after their parent."""
        if self._depth is None:
            depth = np.zeros(self.n_nodes, dtype=np.int32)
            for node in range(self.n_nodes):
                if self.left[node] >= 0:
                    depth[self.left[node]] = depth[node] + 1
                    depth[self.right[node]] = depth[node] + 1
            self._depth = depth
        return self._depth

    def max_depth(self) -> int:
        return int(self.depth.max()) if self.n_nodes else 0
