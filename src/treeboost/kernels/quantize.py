"""Gradient pairs rounded to a few integer levels, for histograms of small integers.

With ``use_quantized_grad`` a tree's histograms add 8-bit integers into 32-bit bins instead of
float32 gradients into float64 bins (the idea of Shi et al., "Quantized Training of Gradient
Boosting Decision Trees", NeurIPS 2022, which LightGBM implements): a bin takes half the
memory, so histograms stay in cache and the subtraction of a sibling's histogram is exact.

Each tree's gradients are scaled so the largest absolute gradient sits at ``n_levels / 2`` and
the largest absolute hessian at ``n_levels``, then rounded stochastically: ``floor(x + u)``
with ``u`` uniform in [0, 1) has expectation ``x``, so a sum over many rows is an unbiased
estimate of the true sum. ``u`` comes from a counter-based draw of (stream, row) (32 bits of
it for the gradient, 32 for the hessian), the same for any thread count and any order of work.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_parallel, prange
from .sampling import WEYL, mix64, stream_key

# Most levels a quantized gradient may take: hessians are rounded into [-n_levels, n_levels],
# which must fit an int8.
MAX_LEVELS = 127
# Rows per chunk of the parallel pass that finds the largest gradient and hessian.
_CHUNK_ROWS = 16384
_ONE = np.uint64(1)
_HALF = np.uint64(32)
_LOW = np.uint64(0xFFFFFFFF)
_TO_UNIT_32 = 1.0 / 4294967296.0  # 2**-32


@njit_parallel
def quantize_gradients(gh, rows, n_levels, key, out):
    """``out[r] = round(gh[r] / scales)`` (int8) for the rows ``rows``; returns the scales
    ``(scale_g, scale_h)`` that turn integer sums back into gradient sums. Rows not listed are
    left as they are (no histogram reads them)."""
    n = rows.shape[0]
    n_chunks = max(1, min(64, n // _CHUNK_ROWS))
    step = (n + n_chunks - 1) // n_chunks
    chunk_g = np.zeros(n_chunks, dtype=np.float64)
    chunk_h = np.zeros(n_chunks, dtype=np.float64)
    chunk_bad = np.zeros(n_chunks, dtype=np.int64)
    for c in prange(n_chunks):
        lo = c * step
        hi = min(n, lo + step)
        top_g = 0.0
        top_h = 0.0
        bad = 0
        for i in range(lo, hi):
            r = rows[i]
            g = abs(np.float64(gh[r, 0]))
            h = abs(np.float64(gh[r, 1]))
            top_g = max(top_g, g)
            top_h = max(top_h, h)
            bad += np.int64(not (np.isfinite(g) and np.isfinite(h)))
        chunk_g[c] = top_g
        chunk_h[c] = top_h
        chunk_bad[c] = bad
    if chunk_bad.sum() > 0:
        # No level stands for a NaN or infinite gradient: NaN scales make the tree's leaf
        # values NaN, which the model refuses with the objective's name (model/booster.py).
        for i in range(n):
            out[rows[i], 0] = 0
            out[rows[i], 1] = 0
        return np.nan, np.nan
    top_g = chunk_g.max()
    top_h = chunk_h.max()
    scale_g = top_g / (n_levels // 2) if top_g > 0.0 else 1.0
    scale_h = top_h / n_levels if top_h > 0.0 else 1.0
    inv_g = 1.0 / scale_g
    inv_h = 1.0 / scale_h
    for c in prange(n_chunks):
        lo = c * step
        hi = min(n, lo + step)
        for i in range(lo, hi):
            r = rows[i]
            # One draw per row: its high and low 32 bits round the gradient and the hessian.
            z = mix64(key + (np.uint64(r) + _ONE) * WEYL)
            u_g = np.float64(np.int64(z >> _HALF)) * _TO_UNIT_32
            u_h = np.float64(np.int64(z & _LOW)) * _TO_UNIT_32
            q_g = np.floor(np.float64(gh[r, 0]) * inv_g + u_g)
            q_h = np.floor(np.float64(gh[r, 1]) * inv_h + u_h)
            # Rounding of the scaled maximum itself may land one level above it.
            out[r, 0] = np.int8(min(max(q_g, -n_levels), n_levels))
            out[r, 1] = np.int8(min(max(q_h, -n_levels), n_levels))
    return scale_g, scale_h


# Streams of the rounding draws, numbered apart from the sampling streams of kernels/sampling.py
# (two per tree of a round).
_QUANT_STREAMS = 1 << 40


def quantization_key(seed: int, epoch: int, tree: int, output: int) -> np.uint64:
    """The stream key of the rounding draws of output ``output`` of tree ``tree`` (trees of one
    round under ``num_parallel_tree``) in round ``epoch``."""
    return np.uint64(stream_key(seed, epoch, _QUANT_STREAMS + (tree << 20) + output))
