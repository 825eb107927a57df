"""Device kernels of tree growth: histograms, subtraction, split scan, partition, margins.

Layouts (the same as the CPU's where the host reads them back):

- ``columns``: the bins column-major, (n_features, n_rows) uint8/uint16, so that the threads of a
  warp reading consecutive rows of one feature read consecutive bytes;
- ``gh``: (n_rows, 2) float32 gradient pairs of one output;
- ``rows``: int32 row indices, each node a segment ``[start, end)`` of them (as on the CPU);
- histograms: (total_bins, 2) float64, feature ``f``'s bins at ``bin_offsets[f]:``;
- ``margin``: (n_outputs, n_rows) float64, so that one output's margins are contiguous.
"""

from __future__ import annotations

import math

from numba import cuda, float64

# Bins one block sums in shared memory: 2048 (gradient, hessian) float64 pairs are 32 KiB, which
# leaves room for two resident blocks per SM in the default 48 KiB-per-block limit... and more on
# GPUs with 100+ KiB of shared memory per SM. Feature groups wider than this sum into global
# memory directly (a single feature with more bins than this).
SHARED_BINS = 2048
# Threads per block of the row loops.
THREADS = 256
# Row blocks of one histogram launch at most: enough to fill an H100 (132 SMs) several times;
# each block loops over further rows, so its shared histogram is flushed fewer times.
MAX_ROW_BLOCKS = 1024


@cuda.jit
def fill_zero(out):
    """``out[:] = 0`` of a (n, 2) float64 array."""
    for i in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        out[i, 0] = 0.0
        out[i, 1] = 0.0


@cuda.jit
def build_histogram(columns, gh, rows, start, end, features, group_starts, bin_offsets, hist):
    """Add the gradient pairs of rows ``rows[start:end]`` into ``hist`` (zeroed beforehand) for
    the features ``features``.

    The grid is (row blocks, feature groups): group ``y`` covers ``features[group_starts[y]:
    group_starts[y + 1]]``, whose bins span at most SHARED_BINS (set by the host) unless the
    group is one feature wider than that. A block privatises its group's bins in shared memory,
    adds its rows there with shared atomics (cheap: contention stays inside the SM), then adds
    the non-empty bins to the global histogram with one atomic each.
    """
    group = cuda.blockIdx.y
    f_lo = group_starts[group]
    f_hi = group_starts[group + 1]
    base = bin_offsets[features[f_lo]]
    width = bin_offsets[features[f_hi - 1] + 1] - base
    tid = cuda.threadIdx.x
    step = cuda.blockDim.x
    stride = cuda.gridDim.x * step
    first = start + cuda.blockIdx.x * step + tid
    if width > SHARED_BINS:
        i = first
        while i < end:
            r = rows[i]
            g = float64(gh[r, 0])
            h = float64(gh[r, 1])
            for j in range(f_lo, f_hi):
                f = features[j]
                b = bin_offsets[f] + columns[f, r]
                cuda.atomic.add(hist, (b, 0), g)
                cuda.atomic.add(hist, (b, 1), h)
            i += stride
        return
    local = cuda.shared.array((SHARED_BINS, 2), float64)
    b = tid
    while b < width:
        local[b, 0] = 0.0
        local[b, 1] = 0.0
        b += step
    cuda.syncthreads()
    i = first
    while i < end:
        r = rows[i]
        g = float64(gh[r, 0])
        h = float64(gh[r, 1])
        for j in range(f_lo, f_hi):
            f = features[j]
            b = bin_offsets[f] - base + columns[f, r]
            cuda.atomic.add(local, (b, 0), g)
            cuda.atomic.add(local, (b, 1), h)
        i += stride
    cuda.syncthreads()
    b = tid
    while b < width:
        g = local[b, 0]
        h = local[b, 1]
        if g != 0.0 or h != 0.0:
            cuda.atomic.add(hist, (base + b, 0), g)
            cuda.atomic.add(hist, (base + b, 1), h)
        b += step


@cuda.jit
def subtract_histogram(parent, child):
    """``parent -= child`` over every bin: the parent becomes the child's sibling."""
    for i in range(cuda.grid(1), parent.shape[0], cuda.gridsize(1)):
        parent[i, 0] -= child[i, 0]
        parent[i, 1] -= child[i, 1]


@cuda.jit(device=True)
def _soft_threshold(g, alpha):
    if g > alpha:
        return g - alpha
    if g < -alpha:
        return g + alpha
    return 0.0


@cuda.jit(device=True)
def leaf_weight(sum_g, sum_h, reg_lambda, reg_alpha, max_delta_step):
    """kernels/split.py's ``leaf_weight`` on the device."""
    denom = sum_h + reg_lambda
    if denom <= 0.0:
        return 0.0
    w = -_soft_threshold(sum_g, reg_alpha) / denom
    if max_delta_step > 0.0:
        if w > max_delta_step:
            w = max_delta_step
        elif w < -max_delta_step:
            w = -max_delta_step
    return w


@cuda.jit(device=True)
def leaf_score(sum_g, sum_h, reg_lambda, reg_alpha, max_delta_step):
    """kernels/split.py's ``leaf_score`` on the device (twice a leaf's loss reduction)."""
    denom = sum_h + reg_lambda
    if denom <= 0.0:
        return 0.0
    if max_delta_step <= 0.0:
        t = _soft_threshold(sum_g, reg_alpha)
        return t * t / denom
    w = leaf_weight(sum_g, sum_h, reg_lambda, reg_alpha, max_delta_step)
    return -(2.0 * sum_g * w + denom * w * w + 2.0 * reg_alpha * abs(w))


@cuda.jit
def scan_features(
    hist, features, bin_offsets, sum_g, sum_h, parent_score, reg_lambda, reg_alpha,
    max_delta_step, min_h, tie_tolerance, out,
):  # fmt: skip
    """One thread per feature: its best split into ``out[j] = (gain, split_bin, default_left,
    left_g, left_h)``, gain -inf when none satisfies ``min_h`` on both sides.

    The candidates and their order are those of the CPU scan (kernels/split.py,
    ``_scan_feature_sequential``): split bins ascending, missing values right then left, the
    first candidate best within the tie tolerance wins. A feature has at most a few hundred
    bins, so a sequential scan per thread costs less than a block-wide prefix sum would.
    """
    for j in range(cuda.grid(1), features.shape[0], cuda.gridsize(1)):
        _scan_one(hist, features[j], bin_offsets, sum_g, sum_h, parent_score, reg_lambda,
                  reg_alpha, max_delta_step, min_h, tie_tolerance, out, j)  # fmt: skip


@cuda.jit(device=True)
def _scan_one(hist, f, bin_offsets, sum_g, sum_h, parent_score, reg_lambda, reg_alpha,
              max_delta_step, min_h, tie_tolerance, out, j):  # fmt: skip
    off = bin_offsets[f]
    n_bins = bin_offsets[f + 1] - off
    miss_g = hist[off, 0]
    miss_h = hist[off, 1]
    has_missing = miss_h != 0.0 or miss_g != 0.0
    n_ways = 2 if has_missing else 1
    best_gain = -math.inf
    found = False
    best_bin = 0
    best_default = 0.0
    best_lg = 0.0
    best_lh = 0.0
    acc_g = 0.0
    acc_h = 0.0
    # Splitting after the last value bin would leave the right side with missing values only.
    for t in range(1, n_bins - 1):
        acc_g += hist[off + t, 0]
        acc_h += hist[off + t, 1]
        for missing_left in range(n_ways):
            lg = acc_g
            lh = acc_h
            if missing_left == 1:
                lg += miss_g
                lh += miss_h
            rg = sum_g - lg
            rh = sum_h - lh
            if lh < min_h or rh < min_h:
                continue
            gain = (
                leaf_score(lg, lh, reg_lambda, reg_alpha, max_delta_step)
                + leaf_score(rg, rh, reg_lambda, reg_alpha, max_delta_step)
                - parent_score
            )
            if not found or gain > best_gain + tie_tolerance * abs(best_gain):
                found = True
                best_gain = gain
                best_bin = t
                if missing_left == 1 or (not has_missing and lh > rh):
                    best_default = 1.0
                else:
                    best_default = 0.0
                best_lg = lg
                best_lh = lh
    out[j, 0] = best_gain
    out[j, 1] = best_bin
    out[j, 2] = best_default
    out[j, 3] = best_lg
    out[j, 4] = best_lh


@cuda.jit
def partition_rows(columns, feature, rows, start, end, table, scratch, counts):
    """Send each row of ``rows[start:end]`` left (``table[bin] == 1``) or right: left rows fill
    ``scratch`` from ``start`` up, right rows from ``end`` down; ``counts`` (zeroed) gets the
    two counts. Positions come from atomics, so the order of rows inside each side varies from
    run to run (only the float summation order of later histograms depends on it)."""
    for i in range(start + cuda.grid(1), end, cuda.gridsize(1)):
        r = rows[i]
        if table[columns[feature, r]] != 0:
            p = cuda.atomic.add(counts, 0, 1)
            scratch[start + p] = r
        else:
            p = cuda.atomic.add(counts, 1, 1)
            scratch[end - 1 - p] = r


@cuda.jit
def apply_final_split(
    columns, feature, rows, start, end, table, left_value, right_value, margin, output, counts
):
    """A split whose children both stay leaves: add the child's value to each row's margin
    (the rows are not moved) and count the rows going left in ``counts[0]`` (zeroed)."""
    for i in range(start + cuda.grid(1), end, cuda.gridsize(1)):
        r = rows[i]
        if table[columns[feature, r]] != 0:
            margin[output, r] += left_value
            cuda.atomic.add(counts, 0, 1)
        else:
            margin[output, r] += right_value


@cuda.jit
def copy_segment(src, dst, start, end):
    """``dst[start:end] = src[start:end]``."""
    for i in range(start + cuda.grid(1), end, cuda.gridsize(1)):
        dst[i] = src[i]


@cuda.jit
def add_leaf_values(margin, output, rows, leaf_starts, leaf_ends, leaf_values):
    """``margin[output, rows[i]] += leaf_values[l]`` for the positions i of every leaf l's
    segment; the grid is (row blocks, leaves)."""
    leaf = cuda.blockIdx.y
    value = leaf_values[leaf]
    end = leaf_ends[leaf]
    i = leaf_starts[leaf] + cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    stride = cuda.gridDim.x * cuda.blockDim.x
    while i < end:
        margin[output, rows[i]] += value
        i += stride
