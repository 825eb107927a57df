"""Gradient pairs on the device: ``gh`` (n_outputs, n_rows, 2) float32 from ``margin``
(n_outputs, n_rows) float64, the formulas of kernels/objectives.py (weights empty = all 1).
Grid-stride loops: any launch size covers every row."""

from __future__ import annotations

import math

from numba import cuda


@cuda.jit
def squared_error_gradients(y, margin, weight, gh):
    """reg:squarederror: g = w (margin - y), h = w."""
    for i in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        w = weight[i] if weight.shape[0] > 0 else 1.0
        gh[0, i, 0] = w * (margin[0, i] - y[i])
        gh[0, i, 1] = w


@cuda.jit
def logistic_gradients(y, margin, weight, scale_pos_weight, hess_floor, gh):
    """binary:logistic: g = w' (p - y), h = w' max(p (1 - p), floor), w' the weight times
    ``scale_pos_weight`` on rows labelled 1."""
    for i in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        w = weight[i] if weight.shape[0] > 0 else 1.0
        if y[i] == 1.0:
            w *= scale_pos_weight
        m = margin[0, i]
        # p and 1 - p from exp(-|m|), as on the CPU: 1 - p as a difference loses every digit
        # once p rounds to 1.
        e = math.exp(-abs(m))
        inv = 1.0 / (1.0 + e)
        if m >= 0.0:
            p = inv
            q = e * inv
        else:
            p = e * inv
            q = inv
        h = p * q
        gh[0, i, 0] = w * (p - y[i])
        gh[0, i, 1] = w * (h if h > hess_floor else hess_floor)


@cuda.jit
def softmax_gradients(y, margin, weight, hess_floor, gh):
    """multi:softprob / multi:softmax: g_k = w (p_k - [y == k]), h_k = w max(2 p_k (1 - p_k),
    floor), p the max-shifted softmax of the row's margins (exp computed twice rather than
    stored: a thread has no scratch array of run-time length)."""
    k = margin.shape[0]
    for i in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        row_max = margin[0, i]
        for j in range(1, k):
            if margin[j, i] > row_max:
                row_max = margin[j, i]
        total = 0.0
        for j in range(k):
            total += math.exp(margin[j, i] - row_max)
        w = weight[i] if weight.shape[0] > 0 else 1.0
        label = int(y[i])
        for j in range(k):
            p = math.exp(margin[j, i] - row_max) / total
            target = 1.0 if j == label else 0.0
            h = 2.0 * p * (1.0 - p)
            gh[j, i, 0] = w * (p - target)
            gh[j, i, 1] = w * (h if h > hess_floor else hess_floor)
