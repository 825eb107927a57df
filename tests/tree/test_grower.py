import numpy as np
import pytest

from treeboost.kernels.split import leaf_weight
from treeboost.tree.grower import TreeGrower
from treeboost.tree.matrix import binned_matrix
from treeboost.tree.split import CategoricalParams, GrowthParams, SplitParams


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


def _realistic(n_rows, n_features, max_bin, seed, nan_fraction=0.0):
    """Bins of real-valued columns (some with missing values) and logistic gradient pairs."""
    import treeboost as tb

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features))
    X[:, 1] = np.round(X[:, 1])  # few distinct values
    if nan_fraction:
        X[rng.random(X.shape) < nan_fraction] = np.nan
    y = (np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 2]) * np.nan_to_num(X[:, 3]) > 0) * 1.0
    data = tb.Dataset(X, label=y, max_bin=max_bin)
    mapper = data.bin_mapper
    p = 1 / (1 + np.exp(-rng.normal(0, 0.5, n_rows)))
    gh = np.column_stack([p - y, p * (1 - p)]).astype(np.float32)
    return data.binned, mapper.bin_offsets_, mapper.bin_upper_bounds_, gh


def _grow_both_ways(grower, gh, rows, features, n_rows, fused, monkeypatch):
    """Grow the same tree with the one-call kernel and node by node; assert they agree in
    every node array (dtypes included), category table, leaf segment, row order and margin.
    Returns the kernel's GrownTree."""
    results = []
    for use_python in (False, True):
        monkeypatch.setattr(TreeGrower, "use_python", use_python)
        idx = rows.copy()
        margin = np.zeros((n_rows, 2)) if fused else None
        grown = grower.grow(gh, idx, features, np.random.default_rng(0), margin, output=1)
        results.append((grown, idx, margin))
    (a, idx_a, m_a), (b, idx_b, m_b) = results
    for name in ("left", "right", "feature", "threshold", "split_bin", "default_left",
                 "value", "cover", "gain", "sample_count"):  # fmt: skip
        np.testing.assert_array_equal(getattr(a.tree, name), getattr(b.tree, name), name)
        assert getattr(a.tree, name).dtype == getattr(b.tree, name).dtype
    assert a.tree.categories.keys() == b.tree.categories.keys()
    for node, table in b.tree.categories.items():
        np.testing.assert_array_equal(a.tree.categories[node], table)
        assert a.tree.categories[node].dtype == table.dtype
    for name in ("leaf_starts", "leaf_ends", "leaf_values", "leaf_nodes"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), name)
    np.testing.assert_array_equal(idx_a, idx_b)
    if fused:
        np.testing.assert_array_equal(m_a, m_b)
    return a


COMPILED_CASES = [
    (GrowthParams(max_depth=6), SplitParams()),
    (GrowthParams(max_depth=4), SplitParams(gamma=0.5, min_child_weight=5.0, learning_rate=0.1)),
    (GrowthParams(max_depth=8, max_leaves=20), SplitParams(reg_alpha=0.3, reg_lambda=3.0)),
    (GrowthParams(grow_policy="lossguide", max_depth=0, max_leaves=31), SplitParams()),
    (GrowthParams(grow_policy="lossguide", max_depth=4, max_leaves=40), SplitParams()),
    (GrowthParams(grow_policy="lossguide", max_leaves=7), SplitParams(max_delta_step=0.2)),
]


@pytest.mark.parametrize("growth,split", COMPILED_CASES)
@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize(
    "n_rows,max_bin,nan_fraction", [(3000, 256, 0.0), (20_000, 64, 0.05), (1500, 1024, 0.1)]
)
def test_compiled_tree_equals_node_by_node_growth(
    growth, split, fused, n_rows, max_bin, nan_fraction, monkeypatch
):
    """The one-call kernel (kernels/grow.py) grows the very tree the Python grower grows: node
    arrays, leaf segments, row order and margins, on subsets of rows and features too."""
    binned, offsets, upper, gh = _realistic(n_rows, 7, max_bin, n_rows, nan_fraction)
    grower = TreeGrower(binned_matrix(binned, offsets), upper, split, growth)
    assert grower._compiled is not None
    rng = np.random.default_rng(1)
    for rows, features in [
        (np.arange(n_rows, dtype=np.int32), np.arange(7, dtype=np.int32)),
        (
            np.flatnonzero(rng.random(n_rows) < 0.6).astype(np.int32),
            np.array([0, 2, 3, 5], np.int32),
        ),
    ]:
        a = _grow_both_ways(grower, gh, rows, features, n_rows, fused, monkeypatch)
        assert a.tree.n_nodes > 3


def _categorical_setup(n_rows, seed, n_categories=(3, 12, 80)):
    """Two numeric and three categorical columns (few, some and many categories, with missing
    values), a target that depends on both kinds, and logistic gradient pairs."""
    import treeboost as tb

    rng = np.random.default_rng(seed)
    numeric = rng.normal(size=(n_rows, 2))
    codes = [rng.integers(0, k, n_rows).astype(np.float64) for k in n_categories]
    for c in codes:
        c[rng.random(n_rows) < 0.05] = np.nan
    X = np.column_stack([numeric[:, 0], *codes, numeric[:, 1]])
    effect = [rng.normal(size=k) for k in n_categories]
    logit = numeric[:, 0] + sum(
        np.where(np.isnan(c), 0.5, e[np.nan_to_num(c).astype(int)]) for c, e in zip(codes, effect)
    )
    y = (logit + rng.normal(0, 0.5, n_rows) > 0) * 1.0
    data = tb.Dataset(X, label=y, categorical_features=[1, 2, 3])
    mapper = data.bin_mapper
    p = 1 / (1 + np.exp(-rng.normal(0, 0.5, n_rows)))
    gh = np.column_stack([p - y, p * (1 - p)]).astype(np.float32)
    categorical = np.array([t == "c" for t in data.feature_types], dtype=bool)
    return data.binned, mapper.bin_offsets_, mapper.bin_upper_bounds_, gh, categorical


@pytest.mark.parametrize("growth,split", COMPILED_CASES[::2] + COMPILED_CASES[3:4])
@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("n_rows,onehot", [(2500, 4), (8000, 16)])
def test_compiled_categorical_tree_equals_node_by_node_growth(
    growth, split, fused, n_rows, onehot, monkeypatch
):
    """Category-set splits in the one-call kernel: the same trees (category tables included),
    leaf segments, row order and margins as the Python grower's."""
    binned, offsets, upper, gh, categorical = _categorical_setup(n_rows, n_rows)
    assert categorical.tolist() == [False, True, True, True, False]
    params = CategoricalParams(max_cat_to_onehot=onehot)
    grower = TreeGrower(binned_matrix(binned, offsets), upper, split, growth,
                        categorical=categorical, categorical_params=params)  # fmt: skip
    assert grower._compiled is not None
    rng = np.random.default_rng(2)
    for rows, features in [
        (np.arange(n_rows, dtype=np.int32), np.arange(5, dtype=np.int32)),
        (np.flatnonzero(rng.random(n_rows) < 0.7).astype(np.int32), np.array([1, 3], np.int32)),
    ]:
        a = _grow_both_ways(grower, gh, rows, features, n_rows, fused, monkeypatch)
        assert a.tree.categories, "no category split was chosen: the case tests nothing"


def test_compiled_path_is_used_only_where_it_applies():
    binned, offsets, upper, gh = _setup()
    matrix = binned_matrix(binned, offsets)

    def compiled(**growth):
        return TreeGrower(matrix, upper, SplitParams(), GrowthParams(**growth))._compiled

    assert compiled(max_depth=6) is not None
    assert compiled(grow_policy="lossguide", max_depth=0, max_leaves=63) is not None
    assert compiled(max_depth=6, colsample_bylevel=0.5) is None
    assert compiled(max_depth=6, colsample_bynode=0.5) is None
    assert compiled(max_depth=40) is None  # node arrays beyond any sensible size: node by node
    categorical = np.array([True, False, False, False])
    grower = TreeGrower(matrix, upper, SplitParams(), GrowthParams(), categorical=categorical)
    assert grower._compiled is not None  # category-set splits run in the kernel too


@pytest.mark.parametrize("growth,split", COMPILED_CASES[::3])
@pytest.mark.parametrize("fused", [False, True])
def test_histograms_that_skip_frequent_bins_grow_the_same_trees(growth, split, fused,
                                                                monkeypatch):  # fmt: skip
    """Columns dominated by one value (zero counts, flags, a common category): the one-call
    kernel lists the rows without each feature's most frequent bin and rebuilds that bin from
    the node's totals; the trees, segments and margins are the Python grower's."""
    import treeboost as tb

    n_rows = 6000
    rng = np.random.default_rng(5)
    X = np.where(rng.random((n_rows, 8)) < 0.85, 0.0, rng.integers(1, 30, (n_rows, 8)) * 1.0)
    X[:, 0] = rng.normal(size=n_rows)
    X[rng.random(n_rows) < 0.05, 1] = np.nan
    y = (X[:, 0] + (X[:, 1] > 3) + 0.2 * X[:, 2] * (X[:, 7] == 0) > 0.8) * 1.0
    data = tb.Dataset(X, label=y, categorical_features=[7])
    categorical = np.array([t == "c" for t in data.feature_types], dtype=bool)
    # Gradient pairs that are multiples of 1/256: their sums are exact in any order.
    p = np.clip(np.round(rng.uniform(0.05, 0.95, n_rows) * 256) / 256, 1 / 256, 255 / 256)
    gh = np.column_stack([p - y, np.round(p * (1 - p) * 256) / 256]).astype(np.float32)
    grower = TreeGrower(binned_matrix(data.binned, data.bin_mapper.bin_offsets_),
                        data.bin_mapper.bin_upper_bounds_, split, growth,
                        categorical=categorical)  # fmt: skip
    assert grower._compiled["listed"][0].size == n_rows + 1, "rows are not listed"
    for rows, features in [
        (np.arange(n_rows, dtype=np.int32), np.arange(8, dtype=np.int32)),
        (np.flatnonzero(rng.random(n_rows) < 0.7).astype(np.int32),
         np.array([0, 1, 2, 5, 7], np.int32)),
    ]:  # fmt: skip
        a = _grow_both_ways(grower, gh, rows, features, n_rows, fused, monkeypatch)
        assert a.tree.n_nodes > 3


@pytest.mark.parametrize("growth,split", COMPILED_CASES[:4])
def test_features_constant_in_a_node_are_dropped_without_changing_the_tree(
    growth, split, monkeypatch
):
    """Columns that vary within one group of rows only: once a node holds other groups, their
    scans find no split, and the node's children skip them. The tree, segments and margins are
    the Python grower's, which scans every feature at every node."""
    import treeboost as tb

    n_rows = 4000
    rng = np.random.default_rng(11)
    group = rng.integers(0, 6, n_rows)
    X = np.zeros((n_rows, 8))
    X[:, 0] = group
    X[:, 1] = rng.normal(size=n_rows)
    for g in range(6):
        inside = group == g
        X[inside, 2 + g] = rng.normal(size=int(inside.sum()))
    y = ((group % 2) + X[:, 1] + X[:, 2:].sum(axis=1) > 0.7) * 1.0
    data = tb.Dataset(X, label=y)
    p = 1 / (1 + np.exp(-rng.normal(0, 0.5, n_rows)))
    gh = np.column_stack([p - y, p * (1 - p)]).astype(np.float32)
    grower = TreeGrower(binned_matrix(data.binned, data.bin_mapper.bin_offsets_),
                        data.bin_mapper.bin_upper_bounds_, split, growth)  # fmt: skip
    assert grower.prune_features
    a = _grow_both_ways(grower, gh, np.arange(n_rows, dtype=np.int32),
                        np.arange(8, dtype=np.int32), n_rows, True, monkeypatch)  # fmt: skip
    assert a.tree.n_nodes > 7
