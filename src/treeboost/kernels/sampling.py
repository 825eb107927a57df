"""Row and column sampling of a boosting round from a counter-based random stream.

Every draw is a hash of (seed, round, stream, index): the draw of row ``i`` in round ``e`` does
not depend on any other draw, so a round resumed from a checkpoint, a round on another thread
count and a row held by another Dask worker all see the same value, and drawing costs one
compiled call per round instead of building a seeded generator from Python. The hash is
splitmix64's finaliser (Steele, Lea & Flood, 2014), whose outputs pass the usual statistical
test batteries when fed a Weyl sequence, which is how it is used here.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_inline, njit_serial

WEYL = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio: the Weyl sequence's step
_MUL_1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL_2 = np.uint64(0x94D049BB133111EB)
_ROUND = np.uint64(0xD1B54A32D192ED03)
_ONE = np.uint64(1)
TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit_inline
def mix64(z):
    """SplitMix64's output function: a bijection of uint64 that scrambles every bit."""
    z = (z ^ (z >> np.uint64(30))) * _MUL_1
    z = (z ^ (z >> np.uint64(27))) * _MUL_2
    return z ^ (z >> np.uint64(31))


@njit_serial
def stream_key(seed, epoch, stream):
    """The key of one random stream of round ``epoch`` (``stream`` numbers the streams of a
    round: rows and columns of each tree)."""
    z = mix64(np.uint64(seed) + WEYL)
    z = mix64(z ^ (np.uint64(epoch) * _ROUND))
    return mix64(z + np.uint64(stream) * WEYL)


@njit_serial
def uniform_at(key, index):
    """Draw ``index`` of stream ``key``: a double in [0, 1)."""
    z = mix64(np.uint64(key) + (np.uint64(index) + _ONE) * WEYL)
    # 53 bits fit a signed integer, whose conversion to double is one instruction.
    return np.float64(np.int64(z >> np.uint64(11))) * TO_UNIT


@njit_serial
def uniforms(key, first, n):
    """Draws ``first .. first + n - 1`` of stream ``key``."""
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        out[i] = uniform_at(key, first + i)
    return out


@njit_serial
def draw_rows(key, n_rows, fraction):
    """Row sampling: ``(rows, left_out)``, the ascending rows ``i`` whose draw is below
    ``fraction`` (int32, the grower's sample indices) and the others (int64). A round that
    would draw no row takes one, chosen by draw ``n_rows``."""
    rows = np.empty(n_rows, dtype=np.int32)
    left_out = np.empty(n_rows, dtype=np.int64)
    a = 0
    b = 0
    for i in range(n_rows):
        if uniform_at(key, i) < fraction:
            rows[a] = i
            a += 1
        else:
            left_out[b] = i
            b += 1
    if a == 0 and n_rows > 0:
        one = min(np.int64(uniform_at(key, n_rows) * n_rows), n_rows - 1)
        rows[0] = one
        b = 0
        for i in range(n_rows):
            if i != one:
                left_out[b] = i
                b += 1
        a = 1
    return rows[:a].copy(), left_out[:b].copy()


@njit_serial
def draw_features(key, features, fraction, weights):
    """Column sampling: a subset of ``features`` of size ``max(1, floor(fraction * n))``, drawn
    without replacement and returned in the given order (sorted when ``features`` is).
    ``weights`` (one per feature index; empty for equal chances) make a feature's chance of
    each pick proportional to its weight; features of weight 0 are never drawn, so fewer come
    back when too few have weight."""
    n = features.shape[0]
    if fraction >= 1.0 or n <= 1:
        return features.copy()
    n_keep = max(1, np.int64(fraction * n))
    # Picks are positions in ``features``; the chosen ones come back in their given order.
    pool = np.arange(n)
    if weights.shape[0] == 0:
        # Partial Fisher-Yates: position j takes a uniform pick of the features not yet taken.
        for j in range(n_keep):
            r = j + min(np.int64(uniform_at(key, j) * (n - j)), n - j - 1)
            pool[j], pool[r] = pool[r], pool[j]
        return _in_order(features, pool, n_keep)
    w = np.empty(n, dtype=np.float64)
    n_positive = 0
    for j in range(n):
        w[j] = max(np.float64(weights[features[j]]), 0.0)
        if w[j] > 0.0:
            n_positive += 1
    n_keep = min(n_keep, n_positive)
    for j in range(n_keep):
        # Pick among positions j.. with chances proportional to their weights.
        total = 0.0
        for i in range(j, n):
            total += w[i]
        target = uniform_at(key, j) * total
        r = n - 1
        acc = 0.0
        for i in range(j, n):
            acc += w[i]
            if target < acc and w[i] > 0.0:
                r = i
                break
        while w[r] <= 0.0:  # rounding at the top end: the last position with weight
            r -= 1
        pool[j], pool[r] = pool[r], pool[j]
        w[j], w[r] = w[r], w[j]
    return _in_order(features, pool, n_keep)


@njit_serial
def _in_order(features, pool, n_keep):
    """``features`` at the positions ``pool[:n_keep]``, in the order of ``features``."""
    chosen = np.zeros(features.shape[0], dtype=np.bool_)
    for j in range(n_keep):
        chosen[pool[j]] = True
    out = np.empty(n_keep, dtype=features.dtype)
    at = 0
    for i in range(features.shape[0]):
        if chosen[i]:
            out[at] = features[i]
            at += 1
    return out


def tree_stream_keys(seed: int, epoch: int, tree: int) -> tuple:
    """The row and column stream keys of tree ``tree`` of round ``epoch`` (trees of one round
    under ``num_parallel_tree``), as ``np.uint64`` (a key held as a Python int would reach the
    kernels as a signed integer)."""
    return (np.uint64(stream_key(seed, epoch, 2 * tree)),
            np.uint64(stream_key(seed, epoch, 2 * tree + 1)))  # fmt: skip
