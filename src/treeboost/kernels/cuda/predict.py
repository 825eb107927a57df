"""Prediction on the device: one thread per row walks every tree of the forest.

The forest arrays are those of model/forest.py's raw-input layout (kernels/predict.py): a
node's children are adjacent (right = left + 1), ``split_code = 2 * feature + default_left``,
a leaf points to itself. Rows go left when ``value <= threshold``; NaN follows the default.
"""

from __future__ import annotations

from numba import cuda


@cuda.jit
def predict_margin(X, roots, outputs, tree_begin, tree_end, split_code, threshold, left, value,
                   out):  # fmt: skip
    """``out[i, output(t)] += leaf value`` of trees [tree_begin, tree_end), in tree order (the
    CPU's order of additions, so margins match it bit for bit on the same thresholds)."""
    for i in range(cuda.grid(1), X.shape[0], cuda.gridsize(1)):
        for t in range(tree_begin, tree_end):
            node = roots[t]
            while left[node] != node:
                code = split_code[node]
                v = X[i, code >> 1]
                goes_left = 1 if v <= threshold[node] else 0
                if v != v:
                    goes_left = code & 1
                node = left[node] + 1 - goes_left
            out[i, outputs[t]] += value[node]
