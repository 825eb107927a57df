import numpy as np
import pytest

import treeboost as tb
from treeboost.kernels.predict import add_tree_binned, predict_margin_naive
from treeboost.model.booster import Booster
from treeboost.model.params import validate_params
from treeboost.objectives import get_objective
from treeboost.tree.tree import Tree


def _tree_dicts(booster):
    return [
        {
            name: getattr(t, name)
            for name in ("left", "right", "feature", "threshold", "default_left", "value")
        }
        for t in booster.trees
    ]


@pytest.mark.parametrize(
    "policy", [{"max_depth": 5}, {"grow_policy": "lossguide", "max_leaves": 12, "max_depth": 0}]
)
def test_forest_kernel_matches_naive_walk(policy):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(700, 4))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = np.nan_to_num(X[:, 0]) * 2 + np.nan_to_num(X[:, 1] ** 2) + rng.normal(size=700)
    booster = tb.train(policy, tb.Dataset(X, label=y), 8)
    X_test = rng.normal(size=(300, 4))
    X_test[rng.random(X_test.shape) < 0.15] = np.nan
    X_test[0, 0] = np.inf
    X_test[1, 0] = -np.inf
    expected = np.full((300, 1), booster.base_margin[0])
    predict_margin_naive(X_test, _tree_dicts(booster), booster.tree_outputs, expected)
    np.testing.assert_array_equal(booster.predict(X_test, output_margin=True), expected[:, 0])
    # Float32 input walks the same paths.
    X32 = X_test.astype(np.float32)
    expected32 = np.full((300, 1), booster.base_margin[0])
    predict_margin_naive(X32, _tree_dicts(booster), booster.tree_outputs, expected32)
    np.testing.assert_array_equal(booster.predict(X32, output_margin=True), expected32[:, 0])


def test_binned_walk_matches_raw_walk():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2000, 3))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = np.nan_to_num(X[:, 0]) + rng.normal(size=2000)
    d = tb.Dataset(X, label=y)
    booster = tb.train({"max_depth": 4}, d, 3)
    out = np.zeros((2000, 1))
    rows = np.arange(2000, dtype=np.int64)
    for t in booster.trees:
        add_tree_binned(
            d.binned, rows, t.left, t.right, t.feature, t.split_bin, t.default_left, t.value, 0,
            out,
        )
    raw = booster.predict(X, output_margin=True) - booster.base_margin[0]
    np.testing.assert_allclose(out[:, 0], raw, rtol=0, atol=1e-12)
    # A subset of the rows gets its own leaf values and no other row changes.
    subset = np.zeros((2000, 1))
    some = rows[::3]
    for t in booster.trees:
        add_tree_binned(
            d.binned, some, t.left, t.right, t.feature, t.split_bin, t.default_left, t.value, 0,
            subset,
        )
    np.testing.assert_allclose(subset[some, 0], raw[some], rtol=0, atol=1e-12)
    assert not subset[np.setdiff1d(rows, some), 0].any()


def test_trees_whose_children_are_not_adjacent():
    # Root splits feature 0 at 0.5; its right child (node 1) splits feature 1 at 0; node 2 is the
    # root's left leaf. Right children are not left + 1, so the forest is re-laid breadth-first.
    tree = Tree.from_lists(
        {
            "left": [2, 3, -1, -1, -1],
            "right": [1, 4, -1, -1, -1],
            "feature": [0, 1, -1, -1, -1],
            "threshold": [0.5, 0.0, 0, 0, 0],
            "split_bin": [1, 1, 0, 0, 0],
            "default_left": [0, 1, 0, 0, 0],
            "value": [0, 0, 10.0, 20.0, 30.0],
            "cover": [3, 2, 1, 1, 1],
            "gain": [1, 1, 0, 0, 0],
            "sample_count": [3, 2, 1, 1, 1],
        }
    )
    params = validate_params({})
    booster = Booster(
        params,
        get_objective("reg:squarederror", params),
        np.zeros(1),
        ["a", "b"],
        ["float", "float"],
    )
    booster.append_tree(tree, 0)
    X = np.array([[0.0, 5.0], [1.0, -1.0], [1.0, 1.0], [1.0, np.nan], [np.nan, 3.0]])
    np.testing.assert_array_equal(booster.predict(X), [10.0, 20.0, 30.0, 20.0, 30.0])
    np.testing.assert_array_equal(booster.predict(X, pred_leaf=True)[:, 0], [2, 3, 4, 3, 4])


@pytest.mark.parametrize("depth", [1, 3, 6, 8, 10])
def test_top_layout_kernel_matches_the_node_walk(depth):
    from treeboost.kernels.predict import predict_margin_raw

    rng = np.random.default_rng(depth)
    X = rng.normal(size=(3000, 5))
    X[rng.random(X.shape) < 0.05] = np.nan
    y = np.nan_to_num(X[:, 0]) * np.nan_to_num(X[:, 1]) + rng.normal(size=3000)
    booster = tb.train({"max_depth": depth, "learning_rate": 0.5}, tb.Dataset(X, label=y), 12)
    f = booster._forest()
    # Float32 values on both sides of every threshold: the float32 thresholds of the top layout
    # must decide exactly as the float64 ones.
    thresholds = f.threshold[np.isfinite(f.threshold)]
    probes = np.concatenate(
        [
            thresholds,
            np.nextafter(thresholds, -np.inf),
            np.nextafter(thresholds, np.inf),
        ]
    )
    X_test = rng.normal(size=(len(probes) + 77, 5))
    X_test[: len(probes), :] = probes[:, None]
    X_test[rng.random(X_test.shape) < 0.05] = np.nan
    for dtype in (np.float64, np.float32):
        Xd = np.ascontiguousarray(X_test.astype(dtype))
        expected = np.zeros((Xd.shape[0], 1))
        predict_margin_raw(
            Xd,
            f.roots,
            f.depths,
            f.outputs,
            0,
            len(booster.trees),
            f.split_code,
            f.threshold,
            f.left,
            f.value,
            expected,
        )
        naive = np.zeros((Xd.shape[0], 1))
        predict_margin_naive(Xd, _tree_dicts(booster), booster.tree_outputs, naive)
        np.testing.assert_array_equal(expected, naive)
        got = booster.predict(Xd, output_margin=True) - booster.base_margin[0]
        np.testing.assert_allclose(got, expected[:, 0], rtol=0, atol=1e-12)
        # Sub-ranges of trees start and stop at the right tree.
        part = booster.predict(Xd, output_margin=True, iteration_range=(3, 7))
        ref = np.full((Xd.shape[0], 1), booster.base_margin[0])
        predict_margin_naive(Xd, _tree_dicts(booster)[3:7], booster.tree_outputs[3:7], ref)
        np.testing.assert_allclose(part, ref[:, 0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("n_features", [3, 60, 400])
def test_narrow_and_wide_inputs_walk_the_same_paths(n_features):
    # Narrow inputs take the block-copy kernel, wide ones (more columns than four per tree
    # level in the range) the direct lockstep walk; both must equal the naive walk, missing
    # values included, for float32 and float64 input and for tree sub-ranges.
    rng = np.random.default_rng(n_features)
    X = rng.normal(size=(1500, n_features))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = np.nan_to_num(X[:, 0]) - np.nan_to_num(X[:, -1]) + rng.normal(size=1500)
    booster = tb.train({"max_depth": 4}, tb.Dataset(X, label=y), 6)
    X_test = rng.normal(size=(211, n_features))
    X_test[rng.random(X_test.shape) < 0.2] = np.nan
    for dtype in (np.float64, np.float32):
        Xd = X_test.astype(dtype)
        for begin, end in ((0, 6), (2, 4)):
            expected = np.full((211, 1), booster.base_margin[0])
            predict_margin_naive(
                Xd, _tree_dicts(booster)[begin:end], booster.tree_outputs[begin:end], expected
            )
            got = booster.predict(Xd, output_margin=True, iteration_range=(begin, end))
            np.testing.assert_allclose(got, expected[:, 0], rtol=0, atol=1e-12)
