import numpy as np
import pytest

from treeboost.kernels.split import leaf_weight
from treeboost.tree.grower import TreeGrower
from treeboost.tree.matrix import binned_matrix
from treeboost.tree.split import GrowthParams, SplitParams


def _setup(n_rows=2000, n_features=4, n_bins=10, seed=0):
    rng = np.random.default_rng(seed)
    binned = rng.integers(0, n_bins, size=(n_rows, n_features)).astype(np.uint8)
    offsets = np.arange(n_features + 1, dtype=np.int64) * n_bins
    # Bin t's upper bound is t - 0.5 on the raw scale: values are the bin index.
    upper = [np.arange(1, n_bins - 1) + 0.5 for _ in range(n_features)]
    target = (binned[:, 0] > 4) * 2.0 - (binned[:, 1] == 0) * 1.0 + rng.normal(0, 0.1, n_rows)
    gh = np.column_stack([-target, np.ones(n_rows)]).astype(np.float32)
    return binned, offsets, upper, gh


@pytest.mark.parametrize(
    "policy,max_depth,max_leaves", [("depthwise", 4, 0), ("lossguide", 0, 9), ("lossguide", 3, 0)]
)
def test_tree_invariants(policy, max_depth, max_leaves):
    binned, offsets, upper, gh = _setup()
    split = SplitParams(reg_lambda=1.0, learning_rate=0.5)
    grower = TreeGrower(
        binned_matrix(binned, offsets),
        upper,
        split,
        GrowthParams(grow_policy=policy, max_depth=max_depth, max_leaves=max_leaves),
    )
    idx = np.arange(binned.shape[0], dtype=np.int32)
    grown = grower.grow(gh, idx, np.arange(4, dtype=np.int32), np.random.default_rng(0))
    tree = grown.tree
    # Every row lands in exactly one leaf.
    assert np.array_equal(np.sort(idx), np.arange(binned.shape[0]))
    sizes = grown.leaf_ends - grown.leaf_starts
    assert sizes.sum() == binned.shape[0] and np.all(sizes > 0)
    assert tree.n_leaves == len(grown.leaf_starts)
    if max_leaves:
        assert tree.n_leaves <= max_leaves
    if max_depth:
        assert tree.max_depth() <= max_depth
    for node in range(tree.n_nodes):
        if tree.left[node] >= 0:
            left, right = tree.left[node], tree.right[node]
            # Children's counts and covers add up to the parent's.
            assert tree.sample_count[left] + tree.sample_count[right] == tree.sample_count[node]
            assert tree.cover[left] + tree.cover[right] == pytest.approx(tree.cover[node])
            assert tree.threshold[node] == upper[tree.feature[node]][tree.split_bin[node] - 1]
    # Leaf rows really satisfy the path, and leaf values are the regularized Newton step.
    for leaf, start, end in zip(np.flatnonzero(tree.left < 0), grown.leaf_starts, grown.leaf_ends):
        rows = idx[start:end]
        g = gh[rows, 0].astype(np.float64).sum()
        h = gh[rows, 1].astype(np.float64).sum()
        assert tree.value[leaf] == pytest.approx(0.5 * leaf_weight(g, h, 1.0, 0.0, 0.0))
    # The signal lives in features 0 and 1: the root splits on one of them.
    assert tree.feature[0] in (0, 1)


def test_gamma_prunes_everything():
    binned, offsets, upper, gh = _setup()
    grower = TreeGrower(
        binned_matrix(binned, offsets), upper, SplitParams(gamma=1e12), GrowthParams()
    )
    idx = np.arange(binned.shape[0], dtype=np.int32)
    grown = grower.grow(gh, idx, np.arange(4, dtype=np.int32), np.random.default_rng(0))
    assert grown.tree.n_nodes == 1


def test_feature_subset_is_respected():
    binned, offsets, upper, gh = _setup()
    grower = TreeGrower(
        binned_matrix(binned, offsets), upper, SplitParams(), GrowthParams(max_depth=3)
    )
    idx = np.arange(binned.shape[0], dtype=np.int32)
    grown = grower.grow(gh, idx, np.array([2, 3], dtype=np.int32), np.random.default_rng(0))
    used = set(grown.tree.feature[grown.tree.left >= 0].tolist())
    assert used <= {2, 3}


@pytest.mark.parametrize(
    "growth",
    [
        GrowthParams(max_depth=3),
        GrowthParams(grow_policy="lossguide", max_depth=3, max_leaves=6),
        GrowthParams(grow_policy="lossguide", max_depth=0, max_leaves=5),
    ],
)
def test_margins_applied_during_growth_equal_segment_updates(growth):
    binned, offsets, upper, gh = _setup(n_rows=40_000)
    features = np.arange(4, dtype=np.int32)
    grower = TreeGrower(
        binned_matrix(binned, offsets), upper, SplitParams(learning_rate=0.5), growth
    )
    idx = np.arange(binned.shape[0], dtype=np.int32)
    plain = grower.grow(gh, idx, features, np.random.default_rng(0))
    expected = np.zeros((binned.shape[0], 2))
    for start, end, value in zip(plain.leaf_starts, plain.leaf_ends, plain.leaf_values):
        expected[idx[start:end], 1] += value
    margin = np.zeros((binned.shape[0], 2))
    fused = grower.grow(
        gh,
        np.arange(binned.shape[0], dtype=np.int32),
        features,
        np.random.default_rng(0),
        margin=margin,
        output=1,
    )
    np.testing.assert_array_equal(margin, expected)
    for name in ("left", "feature", "threshold", "value", "sample_count"):
        np.testing.assert_array_equal(getattr(fused.tree, name), getattr(plain.tree, name))
