"""Complete heap-ordered trees (the online store) to and from treeboost ``Tree`` node arrays.

One online tree becomes one ``Tree`` per output, all of the same shape (a multiclass model's
round holds its trees the same way). A node that did not split, and so also an empty node,
becomes a leaf; below such a node the heap tree sends every row left, so the two give the same
prediction everywhere.
"""

from __future__ import annotations

import numpy as np

from ..tree.tree import Tree
from .ensemble import leaf_table


def heap_to_trees(tree: dict[str, np.ndarray], depth: int) -> list[Tree]:
    """The ``Tree`` of every output of one heap tree (arrays named as in ensemble.ARRAYS)."""
    n_outputs = tree["node_values"].shape[1]
    n_split = (1 << depth) - 1
    order = []  # heap nodes kept, parents before children (the Tree layout needs it)
    kids: dict[int, tuple[int, int]] = {}
    queue = [0]
    while queue:
        h = queue.pop(0)
        order.append(h)
        if h < n_split and tree["features"][h] >= 0:
            kids[h] = (2 * h + 1, 2 * h + 2)
            queue.extend(kids[h])
    index = {h: i for i, h in enumerate(order)}
    left = [index[kids[h][0]] if h in kids else -1 for h in order]
    right = [index[kids[h][1]] if h in kids else -1 for h in order]
    columns = {
        "left": left,
        "right": right,
        "feature": [int(tree["features"][h]) if h in kids else -1 for h in order],
        "threshold": [float(tree["thresholds"][h]) if h in kids else 0.0 for h in order],
        # treeboost's bin 0 is the missing bin, so value bin b is bin b + 1 there.
        "split_bin": [int(tree["split_bins"][h]) + 1 if h in kids else 0 for h in order],
        "default_left": [0] * len(order),  # NaN fails ``x <= threshold``: it goes right
        "gain": [float(tree["gains"][h]) if h in kids else 0.0 for h in order],
        "sample_count": [int(tree["node_counts"][h]) for h in order],
    }
    out = []
    for c in range(n_outputs):
        columns["value"] = [float(tree["node_values"][h, c]) for h in order]
        columns["cover"] = [float(tree["node_hess"][h, c]) for h in order]
        out.append(Tree.from_lists(columns))
    return out


def trees_to_heap(trees: list[Tree], depth: int) -> dict[str, np.ndarray]:
    """Inverse of :func:`heap_to_trees` for the trees of one step (one per output)."""
    n_outputs = len(trees)
    n_split = (1 << depth) - 1
    n_nodes = (2 << depth) - 1
    out = {
        "features": np.full(n_split, -1, dtype=np.int32),
        "split_bins": np.zeros(n_split, dtype=np.int32),
        "thresholds": np.zeros(n_split, dtype=np.float64),
        "gains": np.zeros(n_split, dtype=np.float64),
        "node_values": np.zeros((n_nodes, n_outputs), dtype=np.float64),
        "node_hess": np.zeros((n_nodes, n_outputs), dtype=np.float64),
        "node_counts": np.zeros(n_nodes, dtype=np.int64),
    }
    first = trees[0]
    stack = [(0, 0)]  # (node id in the Tree, heap position)
    while stack:
        node, h = stack.pop()
        if first.left[node] >= 0:
            if h >= n_split:
                raise ValueError(f"a tree is deeper than max_depth={depth}")
            out["features"][h] = first.feature[node]
            out["thresholds"][h] = first.threshold[node]
            out["split_bins"][h] = first.split_bin[node] - 1
            out["gains"][h] = first.gain[node]
            stack.append((int(first.left[node]), 2 * h + 1))
            stack.append((int(first.right[node]), 2 * h + 2))
        # A leaf above the last level: the heap walk sends its rows down the leftmost path.
        while True:
            out["node_counts"][h] = first.sample_count[node]
            for c, tree in enumerate(trees):
                out["node_values"][h, c] = tree.value[node]
                out["node_hess"][h, c] = tree.cover[node]
            if first.left[node] >= 0 or h >= n_split:
                break
            h = 2 * h + 1
    out["leaves"] = leaf_table(out["features"], out["node_values"], depth)
    return out
