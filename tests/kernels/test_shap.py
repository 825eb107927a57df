"""Path-dependent TreeSHAP (``Booster.predict(pred_contribs=True / pred_interactions=True)``)
against additivity, brute-force Shapley values and the path-extension twin."""

from itertools import combinations
from math import factorial

import numpy as np
import pytest

import treeboost as tb
from treeboost.kernels.shap import (
    finish_interactions,
    shap_contribs_raw,
    shap_interactions_raw,
    tree_expected_values,
    tree_features,
)
from treeboost.model import treeshap
from treeboost.model.booster import Booster
from treeboost.model.params import validate_params
from treeboost.objectives import get_objective
from treeboost.tree.tree import Tree


def _data(n=600, n_features=5, nan_rate=0.1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    X[rng.random(X.shape) < nan_rate] = np.nan
    Z = np.nan_to_num(X)
    y = 2 * Z[:, 0] + Z[:, 1] ** 2 - Z[:, 0] * Z[:, 2] + 0.5 * rng.normal(size=n)
    return X, y


def _tree_value_given(tree, x, subset, node=0):
    """E[tree(x) | x_S] by the path-dependent rule: follow x at splits on features in S,
    otherwise average both children weighted by cover."""
    left, right = tree.left[node], tree.right[node]
    if left < 0:
        return tree.value[node]
    f = tree.feature[node]
    if f in subset:
        v = x[f]
        table = tree.categories.get(int(node))
        if np.isnan(v):
            go_left = bool(tree.default_left[node])
        elif table is not None:  # categorical: bin 1 + code; unknown codes go the default way
            known = v == int(v) and 0 <= v < table.shape[0] - 1
            go_left = bool(table[1 + int(v)]) if known else bool(tree.default_left[node])
        else:
            go_left = v <= tree.threshold[node]
        return _tree_value_given(tree, x, subset, left if go_left else right)
    return (
        tree.cover[left] * _tree_value_given(tree, x, subset, left)
        + tree.cover[right] * _tree_value_given(tree, x, subset, right)
    ) / tree.cover[node]


def _game(booster, x, trees, outputs, subsets):
    """v[output][S] = sum over the trees of E[tree(x) | x_S] (cover-weighted)."""
    v = np.zeros((booster.n_outputs, len(subsets)))
    for tree, k in zip(trees, outputs):
        v[k] += [_tree_value_given(tree, x, s) for s in subsets]
    return v


def _naive_interactions(booster, X):
    """SHAP interaction values from the Shapley interaction index over all subsets (half of
    it off the diagonal; the diagonal makes rows sum to the Shapley values), with the bias at
    [m, m]: shape (n, n_outputs, m + 1, m + 1)."""
    m = booster.n_features
    subsets = [frozenset(c) for size in range(m + 1) for c in combinations(range(m), size)]
    index = {s: i for i, s in enumerate(subsets)}
    contribs = _naive_contribs(booster, X)
    out = np.zeros((X.shape[0], booster.n_outputs, m + 1, m + 1))
    for r, x in enumerate(X):
        v = _game(booster, x, booster.trees, booster.tree_outputs, subsets)
        for i in range(m):
            for j in range(m):
                if i == j:
                    continue
                total = 0.0
                for s in subsets:
                    if i in s or j in s:
                        continue
                    weight = factorial(len(s)) * factorial(m - len(s) - 2) / factorial(m - 1)
                    total += weight * (
                        v[:, index[s | {i, j}]] - v[:, index[s | {i}]]
                        - v[:, index[s | {j}]] + v[:, index[s]]
                    )  # fmt: skip
                out[r, :, i, j] = total / 2
        for i in range(m):
            out[r, :, i, i] = contribs[r, :, i] - out[r, :, i, :m].sum(axis=1)
        out[r, :, m, m] = contribs[r, :, m]
    return out


def _naive_contribs(booster, X, tree_begin=0, tree_end=None):
    """Shapley values from the formula over all subsets, shape (n, n_outputs, n_features + 1)."""
    m = booster.n_features
    trees = booster.trees[tree_begin:tree_end]
    outputs = booster.tree_outputs[tree_begin:tree_end]
    out = np.zeros((X.shape[0], booster.n_outputs, m + 1))
    out[:, :, m] = booster.base_margin
    subsets = [frozenset(c) for size in range(m + 1) for c in combinations(range(m), size)]
    for i, x in enumerate(X):
        for tree, k in zip(trees, outputs):
            v = {s: _tree_value_given(tree, x, s) for s in subsets}
            out[i, k, m] += v[frozenset()]
            for s in subsets:
                if len(s) == m:
                    continue
                weight = factorial(len(s)) * factorial(m - len(s) - 1) / factorial(m)
                for j in range(m):
                    if j not in s:
                        out[i, k, j] += weight * (v[s | {j}] - v[s])
    return out


CASES = {
    "regression-depthwise": ({"max_depth": 5}, lambda y: y),
    "regression-lossguide": (
        {"grow_policy": "lossguide", "max_leaves": 12, "max_depth": 0},
        lambda y: y,
    ),
    "binary": ({"objective": "binary:logistic", "max_depth": 4}, lambda y: (y > 1).astype(float)),
    "multiclass-lossguide": (
        {
            "objective": "multi:softprob",
            "num_class": 3,
            "grow_policy": "lossguide",
            "max_leaves": 8,
        },
        lambda y: np.digitize(y, [0.0, 2.0]).astype(float),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_contributions_sum_to_margin(case):
    params, label = CASES[case]
    X, y = _data(n=800, n_features=6)
    booster = tb.train(params, tb.Dataset(X, label=label(y)), 12)
    X_test, _ = _data(n=300, n_features=6, nan_rate=0.15, seed=1)
    X_test[0, 0] = np.inf
    X_test[1, 1] = -np.inf
    k = booster.n_outputs
    for iteration_range in (None, (3, 9), (0, 1)):
        contribs = booster.predict(X_test, pred_contribs=True, iteration_range=iteration_range)
        margin = booster.predict(X_test, output_margin=True, iteration_range=iteration_range)
        if k == 1:
            assert contribs.shape == (300, 7)
        else:
            assert contribs.shape == (300, k, 7)
        np.testing.assert_allclose(contribs.sum(axis=-1), margin, rtol=1e-9, atol=1e-12)
    # Float32 input walks the same paths.
    X32 = X_test.astype(np.float32)
    np.testing.assert_allclose(
        booster.predict(X32, pred_contribs=True).sum(axis=-1),
        booster.predict(X32, output_margin=True),
        rtol=1e-9,
        atol=1e-12,
    )


def test_bias_includes_dataset_base_margin():
    X, y = _data(n=400)
    booster = tb.train({"max_depth": 3}, tb.Dataset(X, label=y), 5)
    base = np.linspace(-1.0, 1.0, 400)
    d = tb.Dataset(X, label=y, base_margin=base)
    contribs = booster.predict(d, pred_contribs=True)
    np.testing.assert_allclose(
        contribs.sum(axis=1), booster.predict(d, output_margin=True), rtol=1e-9, atol=1e-12
    )
    plain = booster.predict(X, pred_contribs=True)
    np.testing.assert_allclose(contribs[:, :-1], plain[:, :-1], rtol=0, atol=0)
    np.testing.assert_allclose(
        contribs[:, -1] - plain[:, -1], base - booster.base_margin[0], rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("case", list(CASES))
def test_matches_brute_force_shapley(case):
    params, label = CASES[case]
    X, y = _data(n=500, n_features=5)
    booster = tb.train(params, tb.Dataset(X, label=label(y)), 3)
    X_test, _ = _data(n=25, n_features=5, nan_rate=0.2, seed=2)
    expected = _naive_contribs(booster, X_test)
    got = booster.predict(X_test, pred_contribs=True)
    if booster.n_outputs == 1:
        expected = expected[:, 0]
    assert np.abs(got[..., :-1]).max() > 1e-3
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    # A later range of rounds alone.
    k = booster.n_outputs
    expected = _naive_contribs(booster, X_test, tree_begin=k, tree_end=3 * k)
    got = booster.predict(X_test, pred_contribs=True, iteration_range=(1, 3))
    if k == 1:
        expected = expected[:, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def _hand_booster(tree, n_features):
    params = validate_params({})
    booster = Booster(
        params,
        get_objective("reg:squarederror", params),
        np.array([0.25]),
        [f"f{i}" for i in range(n_features)],
        ["float"] * n_features,
    )
    booster.append_tree(tree, 0)
    return booster


def test_feature_repeated_on_a_path_and_non_adjacent_children():
    # Root: f0 <= 0 ; node 1 (right of root): f1 <= 0 ; node 3: f0 <= 1 (f0 again on the path);
    # node 2 (left of root) and nodes 4..6 are leaves. Children are not adjacent (right != left +
    # 1 at the root), so the forest re-lays the nodes breadth-first.
    tree = Tree.from_lists(
        {
            "left": [2, 3, -1, 5, -1, -1, -1],
            "right": [1, 4, -1, 6, -1, -1, -1],
            "feature": [0, 1, -1, 0, -1, -1, -1],
            "threshold": [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
            "split_bin": [0] * 7,
            "default_left": [1, 0, 0, 1, 0, 0, 0],
            "value": [0.0, 0.0, -1.0, 0.0, 3.0, 0.5, 2.0],
            "cover": [10.0, 6.0, 4.0, 3.5, 2.5, 1.5, 2.0],
            "gain": [0.0] * 7,
            "sample_count": [0] * 7,
        }
    )
    booster = _hand_booster(tree, 3)
    X = np.array(
        [
            [-1.0, 0.0, 0.0],
            [0.5, -1.0, 0.0],
            [2.0, -1.0, 5.0],
            [0.5, 1.0, 0.0],
            [np.nan, np.nan, np.nan],
            [np.inf, -np.inf, 0.0],
        ]
    )
    expected = _naive_contribs(booster, X)[:, 0]
    got = booster.predict(X, pred_contribs=True)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    assert np.all(got[:, 2] == 0.0)
    ev = (4 * -1.0 + 2.5 * 3.0 + 1.5 * 0.5 + 2.0 * 2.0) / 10.0
    np.testing.assert_allclose(got[:, 3], 0.25 + ev, rtol=1e-14)


def test_single_leaf_tree_is_all_bias():
    tree = Tree.from_lists(
        {
            "left": [-1],
            "right": [-1],
            "feature": [-1],
            "threshold": [0.0],
            "split_bin": [0],
            "default_left": [0],
            "value": [1.5],
            "cover": [3.0],
            "gain": [0.0],
            "sample_count": [3],
        }
    )
    booster = _hand_booster(tree, 2)
    got = booster.predict(np.ones((4, 2)), pred_contribs=True)
    np.testing.assert_array_equal(got, np.tile([0.0, 0.0, 1.75], (4, 1)))


def test_unused_feature_gets_exactly_zero():
    X, y = _data(n=600, n_features=5)
    X[:, 3] = 1.0  # constant: never split on
    booster = tb.train({"max_depth": 4}, tb.Dataset(X, label=y), 10)
    assert all(3 not in t.feature for t in booster.trees)
    X_test, _ = _data(n=200, n_features=5, seed=3)
    contribs = booster.predict(X_test, pred_contribs=True)
    assert np.all(contribs[:, 3] == 0.0)
    assert np.any(contribs[:, 0] != 0.0)


def test_empty_range():
    X, y = _data(n=300)
    booster = tb.train({"max_depth": 3}, tb.Dataset(X, label=y), 4)
    contribs = booster.predict(X[:10], pred_contribs=True, iteration_range=(2, 2))
    expected = np.zeros((10, 6))
    expected[:, 5] = booster.base_margin[0]
    np.testing.assert_array_equal(contribs, expected)
    assert booster.predict(X[:0], pred_contribs=True).shape == (0, 6)
    interactions = booster.predict(X[:4], pred_interactions=True, iteration_range=(2, 2))
    assert interactions.shape == (4, 6, 6)
    assert np.all(interactions[:, :5, :] == 0.0)
    np.testing.assert_array_equal(interactions[:, 5, 5], booster.base_margin[0])


def _forest_twins(booster, X, tree_begin, tree_end):
    """Contributions and interactions with every tree by path extension (the plain twins)."""
    f = booster._forest()
    cats = treeshap.split_categories(f)
    k, m = booster.n_outputs, booster.n_features
    max_depth = int(f.depths[tree_begin:tree_end].max())
    expected = np.empty(tree_end - tree_begin)
    tree_expected_values(f.roots, tree_begin, tree_end, f.left, f.value, f.cover, max_depth,
                         expected)  # fmt: skip
    contribs = np.zeros((X.shape[0], k, m + 1))
    contribs[:, :, m] = booster.base_margin
    shap_contribs_raw(
        X, f.roots, f.outputs, tree_begin, tree_end, f.split_code, f.threshold, cats, f.left,
        f.value, f.cover, max_depth, expected, contribs,
    )  # fmt: skip
    inter = np.zeros((X.shape[0], k, m + 1, m + 1))
    start, features = tree_features(f.roots, tree_begin, tree_end, f.split_code, f.left, m)
    shap_interactions_raw(
        X, f.roots, f.outputs, tree_begin, tree_end, f.split_code, f.threshold, cats, f.left,
        f.value, f.cover, max_depth, start, features, inter,
    )  # fmt: skip
    bias = np.tile(booster.base_margin, (X.shape[0], 1))
    for t in range(tree_begin, tree_end):
        bias[:, f.outputs[t]] += expected[t - tree_begin]
    finish_interactions(inter, bias)
    return contribs, inter


@pytest.mark.parametrize("case", list(CASES))
def test_interactions_match_brute_force(case):
    params, label = CASES[case]
    X, y = _data(n=500, n_features=5)
    booster = tb.train(params, tb.Dataset(X, label=label(y)), 3)
    X_test, _ = _data(n=12, n_features=5, nan_rate=0.2, seed=4)
    expected = _naive_interactions(booster, X_test)
    got = booster.predict(X_test, pred_interactions=True)
    k = booster.n_outputs
    if k == 1:
        expected = expected[:, 0]
        assert got.shape == (12, 6, 6)
    else:
        assert got.shape == (12, k, 6, 6)
    off_diagonal = got[..., :5, :5] - np.diagonal(got[..., :5, :5], axis1=-2, axis2=-1)[
        ..., None
    ] * np.eye(5)
    assert np.abs(off_diagonal).max() > 1e-4
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got, np.swapaxes(got, -1, -2), rtol=1e-12, atol=1e-14)
    # The path-extension twin agrees (conditioned runs per feature).
    _, twin = _forest_twins(booster, X_test, 0, booster.num_trees())
    np.testing.assert_allclose(got, twin[:, 0] if k == 1 else twin, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", ["binary", "multiclass-lossguide"])
def test_interaction_rows_sum_to_contributions(case):
    params, label = CASES[case]
    X, y = _data(n=800, n_features=6)
    booster = tb.train(params, tb.Dataset(X, label=label(y)), 15)
    X_test, _ = _data(n=200, n_features=6, nan_rate=0.15, seed=5)
    for iteration_range in (None, (4, 11)):
        contribs = booster.predict(X_test, pred_contribs=True, iteration_range=iteration_range)
        inter = booster.predict(X_test, pred_interactions=True, iteration_range=iteration_range)
        np.testing.assert_allclose(inter.sum(axis=-1), contribs, rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(inter.sum(axis=-2), contribs, rtol=1e-9, atol=1e-11)


def test_tables_agree_with_path_extension_on_many_rows():
    # Enough rows that every tree takes the table algorithm; deep lossguide trees included.
    X, y = _data(n=3000, n_features=8)
    booster = tb.train(
        {"grow_policy": "lossguide", "max_leaves": 48, "max_depth": 0}, tb.Dataset(X, label=y), 6
    )
    X_test, _ = _data(n=400, n_features=8, nan_rate=0.2, seed=6)
    contribs, inter = _forest_twins(booster, X_test, 0, booster.num_trees())
    np.testing.assert_allclose(
        booster.predict(X_test, pred_contribs=True), contribs[:, 0], rtol=1e-9, atol=1e-11
    )
    np.testing.assert_allclose(
        booster.predict(X_test, pred_interactions=True), inter[:, 0], rtol=1e-9, atol=1e-11
    )


def test_planner_choices_and_chunks_give_the_same_values(monkeypatch):
    X, y = _data(n=1000, n_features=6)
    booster = tb.train({"max_depth": 5}, tb.Dataset(X, label=y), 4)
    f = booster._forest()
    X_test, _ = _data(n=300, n_features=6, seed=7)
    whole = booster.predict(X_test, pred_contribs=True)
    whole_inter = booster.predict(X_test, pred_interactions=True)
    assert next(treeshap._chunks(f, 0, 4, n_rows=300, with_pairs=False))["tree_fast"].all()
    # Tables never worth it: every tree by path extension.
    monkeypatch.setattr(treeshap, "TABLE_COST_RATIO", 0.0)
    assert not next(treeshap._chunks(f, 0, 4, n_rows=300, with_pairs=True))["tree_fast"].any()
    np.testing.assert_allclose(
        booster.predict(X_test, pred_contribs=True), whole, rtol=1e-10, atol=1e-14
    )
    np.testing.assert_allclose(
        booster.predict(X_test, pred_interactions=True), whole_inter, rtol=1e-10, atol=1e-14
    )
    # A table budget that holds the largest tree's tables only: several chunks, same values.
    monkeypatch.setattr(treeshap, "TABLE_COST_RATIO", 4.0)
    chunk = next(treeshap._chunks(f, 0, 4, n_rows=300, with_pairs=False))
    entries = np.add.reduceat(2 ** chunk["leaf_n_unique"], chunk["leaf_start"][:-1])
    monkeypatch.setattr(treeshap, "TABLE_BUDGET", int(entries.max()))
    chunks = list(treeshap._chunks(f, 0, 4, n_rows=300, with_pairs=False))
    assert len(chunks) > 1 and all(c["tree_fast"].all() for c in chunks)
    np.testing.assert_allclose(
        booster.predict(X_test, pred_contribs=True), whole, rtol=1e-10, atol=1e-14
    )


def test_deep_tree_falls_back_to_path_extension():
    # 40 levels: past MAX_TABLE_PATH, so the tree must go to path extension.
    depth = 40
    n_nodes = 2 * depth + 1
    left = [-1] * n_nodes
    right = [-1] * n_nodes
    feature = [-1] * n_nodes
    threshold = [0.0] * n_nodes
    cover = [0.0] * n_nodes
    value = [0.0] * n_nodes
    weight = float(2**depth)
    inner = 0
    for d in range(depth):
        leaf, nxt = inner + 1, inner + 2  # left child a leaf, right child the next split
        left[inner], right[inner] = leaf, nxt
        feature[inner] = d % 3
        threshold[inner] = 1.0 - 2.0 * d / depth
        cover[inner] = weight
        cover[leaf] = weight / 2
        value[leaf] = (-1.0) ** d * (d + 1) / depth
        weight /= 2
        inner = nxt
    cover[inner] = weight
    value[inner] = 0.75
    tree = Tree.from_lists(
        {
            "left": left, "right": right, "feature": feature, "threshold": threshold,
            "split_bin": [0] * n_nodes, "default_left": [d % 2 for d in range(n_nodes)],
            "value": value, "cover": cover, "gain": [0.0] * n_nodes,
            "sample_count": [0] * n_nodes,
        }
    )  # fmt: skip
    booster = _hand_booster(tree, 3)
    f = booster._forest()
    assert not next(treeshap._chunks(f, 0, 1, n_rows=10**6, with_pairs=False))["tree_fast"][0]
    X = np.random.default_rng(0).uniform(-1.2, 1.2, size=(64, 3))
    X[::7, 1] = np.nan
    expected = _naive_contribs(booster, X)[:, 0]
    np.testing.assert_allclose(booster.predict(X, pred_contribs=True), expected, rtol=1e-9,
                               atol=1e-12)  # fmt: skip
    inter = booster.predict(X, pred_interactions=True)
    np.testing.assert_allclose(inter, _naive_interactions(booster, X)[:, 0], rtol=1e-9,
                               atol=1e-12)  # fmt: skip


def test_zero_cover_child_falls_back_to_path_extension():
    # The right child of the root has no cover: its zero fraction is 0, which the tables'
    # division cannot take.
    tree = Tree.from_lists(
        {
            "left": [1, 3, -1, -1, -1],
            "right": [2, 4, -1, -1, -1],
            "feature": [0, 1, -1, -1, -1],
            "threshold": [0.0, 0.5, 0.0, 0.0, 0.0],
            "split_bin": [0] * 5,
            "default_left": [1, 0, 0, 0, 0],
            "value": [0.0, 0.0, 5.0, -1.0, 2.0],
            "cover": [4.0, 4.0, 0.0, 3.0, 1.0],
            "gain": [0.0] * 5,
            "sample_count": [0] * 5,
        }
    )
    booster = _hand_booster(tree, 2)
    f = booster._forest()
    assert not next(treeshap._chunks(f, 0, 1, n_rows=10**6, with_pairs=False))["tree_fast"][0]
    X = np.array([[-1.0, 0.0], [1.0, 0.0], [-1.0, 1.0], [1.0, 1.0], [np.nan, np.nan]] * 20)
    np.testing.assert_allclose(
        booster.predict(X, pred_contribs=True), _naive_contribs(booster, X)[:, 0], rtol=1e-12
    )
    np.testing.assert_allclose(
        booster.predict(X, pred_interactions=True),
        _naive_interactions(booster, X)[:, 0],
        rtol=1e-12,
        atol=1e-14,
    )


def _categorical_data(n=900, seed=0):
    """Column 0: category codes 0..5 (some NaN) whose effect is not monotone in the code."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    X[:, 0] = rng.integers(0, 6, size=n)
    X[rng.random(n) < 0.1, 0] = np.nan
    effect = np.array([1.5, -2.0, 0.5, 2.5, -1.0, 0.0])
    codes = np.nan_to_num(X[:, 0], nan=5).astype(int)
    y = effect[codes] + X[:, 1] * (codes % 2) + 0.3 * rng.normal(size=n)
    return X, y


def test_categorical_splits_match_brute_force():
    X, y = _categorical_data()
    booster = tb.train(
        {"max_depth": 4, "max_cat_to_onehot": 1},
        tb.Dataset(X, label=y, categorical_features=[0]),
        4,
    )
    assert any(tree.categories for tree in booster.trees)
    X_test, _ = _categorical_data(n=15, seed=1)
    X_test[0, 0] = 9.0  # a code the model never saw: default direction
    expected_contribs = _naive_contribs(booster, X_test)[:, 0]
    np.testing.assert_allclose(
        booster.predict(X_test, pred_contribs=True), expected_contribs, rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        booster.predict(X_test, pred_interactions=True),
        _naive_interactions(booster, X_test)[:, 0],
        rtol=1e-9,
        atol=1e-12,
    )
    many, _ = _categorical_data(n=400, seed=2)
    np.testing.assert_allclose(
        booster.predict(many, pred_contribs=True).sum(axis=1),
        booster.predict(many, output_margin=True),
        rtol=1e-9,
        atol=1e-12,
    )
