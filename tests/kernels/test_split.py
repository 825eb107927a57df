import numpy as np
import pytest

from treeboost.kernels.split import find_best_split, leaf_score, leaf_weight


def test_leaf_weight_and_score_by_hand():
    # G = -4, H = 3, lambda = 1: w = 4 / 4 = 1, score = 16 / 4 = 4.
    assert leaf_weight(-4.0, 3.0, 1.0, 0.0, 0.0) == pytest.approx(1.0)
    assert leaf_score(-4.0, 3.0, 1.0, 0.0, 0.0) == pytest.approx(4.0)
    # L1: T(-4, alpha=1) = -3 -> w = 0.75, score = 9 / 4.
    assert leaf_weight(-4.0, 3.0, 1.0, 1.0, 0.0) == pytest.approx(0.75)
    assert leaf_score(-4.0, 3.0, 1.0, 1.0, 0.0) == pytest.approx(2.25)
    # |G| <= alpha: the leaf stays at zero.
    assert leaf_weight(0.5, 3.0, 1.0, 1.0, 0.0) == 0.0
    # max_delta_step clips the weight; the score is the loss reduction at the clipped weight:
    # -(2 G w + (H + lambda) w^2) = -(2 * -4 * 0.5 + 4 * 0.25) = 3.
    assert leaf_weight(-4.0, 3.0, 1.0, 0.0, 0.5) == pytest.approx(0.5)
    assert leaf_score(-4.0, 3.0, 1.0, 0.0, 0.5) == pytest.approx(3.0)
    # Unclipped max_delta_step agrees with the closed form.
    assert leaf_score(-4.0, 3.0, 1.0, 1.0, 10.0) == pytest.approx(2.25)


def _hist(rows):
    """rows: list of (bin, g, h) for one feature with 4 bins (bin 0 = missing)."""
    hist = np.zeros((4, 2))
    for b, g, h in rows:
        hist[b, 0] += g
        hist[b, 1] += h
    return hist


def test_best_split_by_hand():
    # Bin 1: g=-2 (h=1); bin 2: g=-2 (h=1); bin 3: g=+4 (h=2). lambda=1, no missing.
    hist = _hist([(1, -2.0, 1.0), (2, -2.0, 1.0), (3, 4.0, 2.0)])
    gain, feature, split_bin, default_left, lg, lh = find_best_split(
        hist, np.array([0], dtype=np.int32), np.array([0, 4]), 0.0, 4.0, 1.0, 0.0, 0.0, 0.0
    )
    # Split after bin 2: L = (-4, 2), R = (4, 2): 16/3 + 16/3 - 0/5.
    assert feature == 0 and split_bin == 2
    assert gain == pytest.approx(32.0 / 3.0)
    assert (lg, lh) == (-4.0, 2.0)
    # No missing values: default goes to the larger-hessian side; equal here -> right.
    assert not default_left


def test_missing_values_pick_the_better_side():
    # Missing rows look like bin 3 (positive gradient): they should go right.
    hist = _hist([(0, 3.0, 1.0), (1, -3.0, 1.0), (2, -3.0, 1.0), (3, 3.0, 1.0)])
    gain, feature, split_bin, default_left, lg, lh = find_best_split(
        hist, np.array([0], dtype=np.int32), np.array([0, 4]), 0.0, 4.0, 1.0, 0.0, 0.0, 0.0
    )
    assert split_bin == 2 and not default_left
    # Mirror: missing rows look like the left bins.
    hist = _hist([(0, -3.0, 1.0), (1, -3.0, 1.0), (2, 3.0, 1.0), (3, 3.0, 1.0)])
    gain, feature, split_bin, default_left, lg, lh = find_best_split(
        hist, np.array([0], dtype=np.int32), np.array([0, 4]), 0.0, 4.0, 1.0, 0.0, 0.0, 0.0
    )
    assert split_bin == 1 and default_left
    assert (lg, lh) == (-6.0, 2.0)


def test_min_child_weight_blocks_small_children():
    hist = _hist([(1, -2.0, 1.0), (2, -2.0, 1.0), (3, 4.0, 2.0)])
    args = (np.array([0], dtype=np.int32), np.array([0, 4]), 0.0, 4.0, 1.0, 0.0, 0.0)
    _, feature, *_ = find_best_split(hist, *args, 2.5)
    assert feature == -1
    _, feature, split_bin, *_ = find_best_split(hist, *args, 2.0)
    assert feature == 0 and split_bin == 2


def test_split_matches_naive_enumeration():
    rng = np.random.default_rng(1)
    n_features, n_bins = 4, 9
    hist = np.column_stack(
        [rng.normal(size=n_features * n_bins), rng.uniform(0.1, 2, size=n_features * n_bins)]
    )
    offsets = np.arange(n_features + 1) * n_bins
    sum_g = hist[:n_bins, 0].sum()
    sum_h = hist[:n_bins, 1].sum()
    # Make every feature's totals equal the node totals.
    for f in range(1, n_features):
        block = hist[offsets[f] : offsets[f + 1]]
        block[:, 0] += (sum_g - block[:, 0].sum()) / n_bins
        block[:, 1] *= sum_h / block[:, 1].sum()
    lam, alpha = 1.5, 0.2

    def score(g, h):
        t = np.sign(g) * max(abs(g) - alpha, 0.0)
        return t * t / (h + lam)

    best = -np.inf
    for f in range(n_features):
        block = hist[offsets[f] : offsets[f + 1]]
        for t in range(1, n_bins - 1):
            for miss_left in (False, True):
                lg = block[1 : t + 1, 0].sum() + (block[0, 0] if miss_left else 0.0)
                lh = block[1 : t + 1, 1].sum() + (block[0, 1] if miss_left else 0.0)
                gain = score(lg, lh) + score(sum_g - lg, sum_h - lh) - score(sum_g, sum_h)
                best = max(best, gain)
    gain, *_ = find_best_split(
        hist, np.arange(n_features, dtype=np.int32), offsets, sum_g, sum_h, lam, alpha, 0.0, 0.0
    )
    assert gain == pytest.approx(best, rel=1e-10)


@pytest.mark.parametrize("seed", range(40))
def test_compacted_scan_equals_the_sequential_twin(seed):
    """The scan that skips empty bins and computes gains in branch-free loops returns exactly
    what scanning every candidate in order returns: small and large nodes, missing values or
    none, ties, L1, clipped weights, min_child_weight, uneven bin counts, feature subsets."""
    from treeboost.kernels.split import find_best_split_sequential

    rng = np.random.default_rng(seed)
    n_features = int(rng.integers(1, 12))
    sizes = rng.integers(3, 300, n_features)
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    hist = np.zeros((int(offsets[-1]), 2))
    n_rows = int(rng.choice([3, 20, 150, 2000]))
    missing = rng.random() < 0.5
    for f in range(n_features):
        bins = rng.integers(0 if missing else 1, sizes[f], n_rows)
        g = rng.normal(size=n_rows)
        if rng.random() < 0.3:
            g = np.round(g)  # repeated values: equal gains, ties
        h = rng.choice([0.25, 1.0], n_rows)
        np.add.at(hist[:, 0], offsets[f] + bins, g)
        np.add.at(hist[:, 1], offsets[f] + bins, h)
    sum_g, sum_h = hist[: offsets[1]].sum(axis=0)
    features = np.sort(rng.choice(n_features, int(rng.integers(1, n_features + 1)), False))
    args = (
        hist,
        features.astype(np.int32),
        offsets,
        float(sum_g),
        float(sum_h),
        float(rng.choice([0.0, 1.0, 5.0])),
        float(rng.choice([0.0, 0.0, 0.7])),
        float(rng.choice([0.0, 0.0, 0.3])),
        float(rng.choice([0.0, 1.0, 10.0])),
    )
    assert find_best_split(*args) == find_best_split_sequential(*args)


@pytest.mark.parametrize("n_features,n_bins", [(3, 40), (30, 256)])
def test_scan_on_one_thread_and_in_parallel_groups_agree(n_features, n_bins):
    """Scans below PARALLEL_SCAN_BINS run on the calling thread, larger ones in parallel
    groups: both give the candidate-by-candidate answer."""
    from treeboost.kernels.split import PARALLEL_SCAN_BINS, find_best_split_sequential

    total = n_features * n_bins
    assert (total < PARALLEL_SCAN_BINS) == (n_features == 3)
    rng = np.random.default_rng(n_features)
    hist = np.column_stack([rng.normal(size=total), rng.uniform(0.1, 2.0, total)])
    offsets = np.arange(n_features + 1, dtype=np.int64) * n_bins
    sum_g, sum_h = hist[:n_bins].sum(axis=0)
    args = (hist, np.arange(n_features, dtype=np.int32), offsets, float(sum_g), float(sum_h),
            1.0, 0.0, 0.0, 1.0)  # fmt: skip
    result = find_best_split(*args)
    assert result[1] >= 0
    assert result == find_best_split_sequential(*args)
