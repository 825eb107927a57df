"""tb.explain.shap_values / shap_interaction_values / group_attributions: interventional
TreeSHAP against brute force, agreement with the shap package, groups and input errors."""

from itertools import combinations
from math import factorial

import numpy as np
import pytest

import treeboost as tb
from conftest import load_tsv
from treeboost.explain.shap import ShapResult, shap_tree_dicts
from treeboost.model import treeshap


def _data(n=600, n_features=5, nan_rate=0.1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    X[rng.random(X.shape) < nan_rate] = np.nan
    Z = np.nan_to_num(X)
    y = 2 * Z[:, 0] + Z[:, 1] ** 2 - Z[:, 0] * Z[:, 2] + 0.5 * rng.normal(size=n)
    return X, y


def _model(kind, n_rounds=4, n_features=5):
    X, y = _data(n_features=n_features)
    if kind == "regression":
        params, label = {"max_depth": 4}, y
    elif kind == "binary":
        params, label = {"objective": "binary:logistic", "max_depth": 4}, (y > 1).astype(float)
    else:
        params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 3}
        label = np.digitize(y, [0.0, 2.0]).astype(float)
    return tb.train(params, tb.Dataset(X, label=label), n_rounds)


def _shapley(game, m):
    """Shapley values of ``game(frozenset) -> array`` over m players, shape (..., m)."""
    subsets = [frozenset(c) for size in range(m + 1) for c in combinations(range(m), size)]
    v = {s: np.asarray(game(s), dtype=np.float64) for s in subsets}
    phi = np.zeros(v[frozenset()].shape + (m,))
    for s in subsets:
        if len(s) == m:
            continue
        weight = factorial(len(s)) * factorial(m - len(s) - 1) / factorial(m)
        for j in range(m):
            if j not in s:
                phi[..., j] += weight * (v[s | {j}] - v[s])
    return phi, v[frozenset()]


def _hybrid_margins(booster, x, R, subset):
    """Margins of the background rows with the features in ``subset`` taken from x."""
    H = R.copy()
    cols = sorted(subset)
    H[:, cols] = x[cols]
    return booster.predict(H, output_margin=True)


def _naive_interventional(booster, X, R):
    m = booster.n_features
    rows = []
    for x in X:
        phi, _ = _shapley(lambda s, x=x: _hybrid_margins(booster, x, R, s).mean(axis=0), m)
        rows.append(phi)
    return np.array(rows)


def _naive_interventional_probability(booster, X, R):
    """shap's rule: per reference, margin Shapley values scaled to the probability change."""
    m = booster.n_features
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    rows = []
    for x in X:
        total = np.zeros(m)
        m_x = booster.predict(x[None, :], output_margin=True)[0]
        for r in R:
            phi, m_r = _shapley(
                lambda s, x=x, r=r: _hybrid_margins(booster, x, r[None, :], s)[0], m
            )
            scale = 1.0 if m_x == m_r else (sig(m_x) - sig(m_r)) / (m_x - m_r)
            total += phi * scale
        rows.append(total / len(R))
    return np.array(rows)


# The margin takes per-leaf background tables when they pay off, else walks every (row, reference)
# pair: force each in turn.
ALGORITHMS = {"tables": float("inf"), "pairs": 0.0}


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
@pytest.mark.parametrize("kind", ["regression", "binary", "multiclass"])
def test_interventional_matches_brute_force(kind, algorithm, monkeypatch):
    monkeypatch.setattr(treeshap, "INTERVENTIONAL_COST_RATIO", ALGORITHMS[algorithm])
    booster = _model(kind)
    X, _ = _data(n=6, nan_rate=0.25, seed=1)
    R, _ = _data(n=9, nan_rate=0.25, seed=2)
    result = tb.explain.shap_values(booster, X, background=R)
    assert isinstance(result, ShapResult) and result.output == "margin"
    assert result.feature_names == booster.feature_names
    expected = _naive_interventional(booster, X, R)
    if booster.n_outputs > 1:
        assert result.values.shape == (6, 3, 5) and result.base_values.shape == (6, 3)
    else:
        assert result.values.shape == (6, 5) and result.base_values.shape == (6,)
    assert np.abs(result.values).max() > 1e-3
    np.testing.assert_allclose(result.values, expected, rtol=1e-9, atol=1e-12)
    # Bias: the mean margin over the background; values + bias = the row's margin.
    mean_background = booster.predict(R, output_margin=True).mean(axis=0)
    np.testing.assert_allclose(result.base_values, np.broadcast_to(mean_background,
                               result.base_values.shape), rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(
        result.values.sum(axis=-1) + result.base_values,
        booster.predict(X, output_margin=True),
        rtol=1e-9,
        atol=1e-12,
    )


def test_interventional_algorithms_agree_on_deeper_trees(monkeypatch):
    X, y = _data(n=2000, n_features=7)
    booster = tb.train(
        {"grow_policy": "lossguide", "max_leaves": 40, "max_depth": 0}, tb.Dataset(X, label=y), 8
    )
    X_test, _ = _data(n=150, n_features=7, nan_rate=0.2, seed=9)
    R, _ = _data(n=60, n_features=7, nan_rate=0.2, seed=10)
    results = {}
    for name, ratio in ALGORITHMS.items():
        monkeypatch.setattr(treeshap, "INTERVENTIONAL_COST_RATIO", ratio)
        results[name] = tb.explain.shap_values(booster, X_test, background=R)
    np.testing.assert_allclose(results["tables"].values, results["pairs"].values, rtol=1e-9,
                               atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(results["tables"].base_values, results["pairs"].base_values,
                               rtol=1e-12)  # fmt: skip


def test_interventional_probability_matches_brute_force_and_sums_to_probability():
    booster = _model("binary")
    X, _ = _data(n=5, nan_rate=0.2, seed=3)
    R, _ = _data(n=7, nan_rate=0.2, seed=4)
    result = tb.explain.shap_values(booster, X, background=R, output="probability")
    assert result.output == "probability"
    np.testing.assert_allclose(
        result.values, _naive_interventional_probability(booster, X, R), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        result.values.sum(axis=1) + result.base_values, booster.predict(X), rtol=1e-9
    )
    np.testing.assert_allclose(result.base_values, booster.predict(R).mean(), rtol=1e-12)


def test_path_dependent_equals_pred_contribs_and_accepts_estimators():
    X, y = _data(n=400)
    est = tb.TreeBoostClassifier(n_estimators=5, max_depth=3).fit(np.nan_to_num(X), y > 1)
    result = tb.explain.shap_values(est, X[:50])
    contribs = est.get_booster().predict(X[:50], pred_contribs=True)
    np.testing.assert_array_equal(result.values, contribs[:, :-1])
    np.testing.assert_array_equal(result.base_values, contribs[:, -1])
    inter = tb.explain.shap_interaction_values(est, X[:20])
    assert inter.values.shape == (20, 5, 5) and inter.base_values.shape == (20,)
    np.testing.assert_allclose(inter.values.sum(axis=2), contribs[:20, :-1], rtol=1e-9,
                               atol=1e-12)  # fmt: skip


def test_multiclass_interaction_shapes():
    booster = _model("multiclass")
    X, _ = _data(n=8, seed=5)
    inter = tb.explain.shap_interaction_values(booster, X)
    assert inter.values.shape == (8, 3, 5, 5) and inter.base_values.shape == (8, 3)
    contribs = booster.predict(X, pred_contribs=True)
    np.testing.assert_allclose(inter.values.sum(axis=-1), contribs[..., :-1], rtol=1e-9,
                               atol=1e-12)  # fmt: skip


def test_groups_sum_their_members():
    pd = pytest.importorskip("pandas")
    X, y = _data(n=400)
    names = ["age", "amygdala_left", "amygdala_right", "score", "site"]
    frame = pd.DataFrame(X, columns=names)
    booster = tb.train({"max_depth": 3}, tb.Dataset(frame, label=y), 5)
    plain = tb.explain.shap_values(booster, frame.iloc[:30])
    groups = {"amygdala": ["amygdala_left", "amygdala_right"], "other": ["site", "age"]}
    grouped = tb.explain.shap_values(booster, frame.iloc[:30], groups=groups)
    assert grouped.feature_names == ["amygdala", "other", "score"]
    np.testing.assert_allclose(grouped.values[:, 0], plain.values[:, 1] + plain.values[:, 2])
    np.testing.assert_allclose(grouped.values[:, 1], plain.values[:, 4] + plain.values[:, 0])
    np.testing.assert_array_equal(grouped.values[:, 2], plain.values[:, 3])
    np.testing.assert_allclose(grouped.values.sum(axis=1), plain.values.sum(axis=1))
    # The function alone, on a multi-output array.
    values = np.arange(24.0).reshape(2, 3, 4)
    summed, units = tb.explain.group_attributions(values, ["a", "b", "c", "d"], {"g": ["d", "b"]})
    assert units == ["g", "a", "c"]
    np.testing.assert_array_equal(summed[..., 0], values[..., 1] + values[..., 3])
    np.testing.assert_array_equal(summed[..., 2], values[..., 2])


@pytest.mark.parametrize(
    "groups, error, match",
    [
        ({"g": ["nope"]}, ValueError, "'nope', which is not a feature"),
        ({"g": ["a"], "h": ["a", "b"]}, ValueError, "one group only"),
        ({"g": []}, ValueError, "is empty"),
        ({"g": "a"}, TypeError, "must be a list of feature names"),
        (["a"], TypeError, "groups must be a dict"),
        ({"c": ["a"]}, ValueError, "also an ungrouped feature's name"),
    ],
)
def test_group_errors(groups, error, match):
    with pytest.raises(error, match=match):
        tb.explain.group_attributions(np.zeros((2, 3)), ["a", "b", "c"], groups)


def test_input_errors():
    booster = _model("regression", n_rounds=2)
    X, _ = _data(n=5)
    with pytest.raises(ValueError, match="output='logit' is not valid"):
        tb.explain.shap_values(booster, X, output="logit")
    with pytest.raises(ValueError, match="needs a background set"):
        tb.explain.shap_values(booster, X, output="probability")
    with pytest.raises(ValueError, match="objective is 'reg:squarederror'"):
        tb.explain.shap_values(booster, X, background=X, output="probability")
    with pytest.raises(ValueError, match="background has no rows"):
        tb.explain.shap_values(booster, X, background=X[:0])
    with pytest.raises(ValueError, match="expects 5 features"):
        tb.explain.shap_values(booster, X, background=X[:, :3])
    with pytest.raises(TypeError, match="must be a treeboost Booster"):
        tb.explain.shap_values(object(), X)
    with pytest.raises(ValueError, match="last axis of length 3"):
        tb.explain.group_attributions(np.zeros((2, 4)), ["a", "b", "c"], {"g": ["a"]})


# -- agreement with the shap package on the same trees -----------------------------------------


@pytest.mark.parametrize("kind", ["regression", "binary"])
def test_agrees_with_shap_tree_explainer(kind):
    shap = pytest.importorskip("shap")
    booster = _model(kind, n_rounds=6, n_features=6)
    X, _ = _data(n=40, n_features=6, nan_rate=0.15, seed=6)
    R, _ = _data(n=25, n_features=6, nan_rate=0.15, seed=7)
    # shap rewrites node weights in place when given data: one fresh dict per explainer.
    explainer = shap.TreeExplainer(shap_tree_dicts(booster))
    contribs = booster.predict(X, pred_contribs=True)
    np.testing.assert_allclose(explainer.shap_values(X), contribs[:, :-1], rtol=0, atol=1e-6)
    np.testing.assert_allclose(
        np.ravel(explainer.expected_value)[0], contribs[0, -1], rtol=0, atol=1e-6
    )
    inter = booster.predict(X[:15], pred_interactions=True)
    np.testing.assert_allclose(
        explainer.shap_interaction_values(X[:15]), inter[:, :-1, :-1], rtol=0, atol=1e-6
    )
    interventional = shap.TreeExplainer(
        shap_tree_dicts(booster), data=R, feature_perturbation="interventional"
    )
    ours = tb.explain.shap_values(booster, X, background=R)
    np.testing.assert_allclose(interventional.shap_values(X), ours.values, rtol=0, atol=1e-6)
    if kind == "binary":
        probability = shap.TreeExplainer(
            shap_tree_dicts(booster),
            data=R,
            feature_perturbation="interventional",
            model_output="probability",
        )
        ours = tb.explain.shap_values(booster, X, background=R, output="probability")
        np.testing.assert_allclose(probability.shap_values(X), ours.values, rtol=0, atol=1e-6)
        np.testing.assert_allclose(
            np.ravel(probability.expected_value)[0], ours.base_values[0], rtol=0, atol=1e-6
        )


def test_agrees_with_shap_on_multiclass():
    shap = pytest.importorskip("shap")
    booster = _model("multiclass", n_rounds=3)
    X, _ = _data(n=20, nan_rate=0.15, seed=8)
    reference = np.asarray(shap.TreeExplainer(shap_tree_dicts(booster)).shap_values(X))
    contribs = booster.predict(X, pred_contribs=True)  # (n, k, m + 1)
    if reference.shape == (20, 5, 3):  # shap >= 0.45: outputs last
        reference = np.moveaxis(reference, -1, 1)
    np.testing.assert_allclose(reference, contribs[..., :-1], rtol=0, atol=1e-6)


def test_real_higgs_sample_sums_and_agrees_with_shap(shared_data):
    shap = pytest.importorskip("shap")
    folder = shared_data / "lightgbm-examples" / "binary_classification"
    X, y = load_tsv(folder / "binary.train")
    X_test, _ = load_tsv(folder / "binary.test")
    booster = tb.train({"objective": "binary:logistic", "max_depth": 6}, tb.Dataset(X, label=y), 30)
    X_test = X_test[:200]
    contribs = booster.predict(X_test, pred_contribs=True)
    np.testing.assert_allclose(
        contribs.sum(axis=1), booster.predict(X_test, output_margin=True), rtol=0, atol=1e-6
    )
    reference = shap.TreeExplainer(shap_tree_dicts(booster)).shap_values(X_test)
    np.testing.assert_allclose(contribs[:, :-1], reference, rtol=0, atol=1e-6)
    # shap's interventional code stores thresholds as float32: compare on rows (and a
    # background) that no split tells apart from their float32-rounded threshold.
    background = X[_float32_safe(booster, X)][:100]
    rows = X_test[_float32_safe(booster, X_test)][:50]
    assert len(background) == 100 and len(rows) == 50
    ours = tb.explain.shap_values(booster, rows, background=background)
    reference = shap.TreeExplainer(
        shap_tree_dicts(booster), data=background, feature_perturbation="interventional"
    ).shap_values(rows)
    np.testing.assert_allclose(ours.values, reference, rtol=0, atol=1e-6)


def _float32_safe(booster, X):
    """Rows whose every split decision is the same with float32-rounded thresholds."""
    safe = np.ones(X.shape[0], dtype=bool)
    for tree in booster.trees:
        split = tree.left >= 0
        values = X[:, tree.feature[split]]
        thresholds = tree.threshold[split]
        same = (values <= thresholds) == (values <= thresholds.astype(np.float32))
        safe &= same.all(axis=1)
    return safe


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_interventional_with_categorical_splits(algorithm, monkeypatch):
    monkeypatch.setattr(treeshap, "INTERVENTIONAL_COST_RATIO", ALGORITHMS[algorithm])
    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 4))
    X[:, 2] = rng.integers(0, 5, size=800)
    X[rng.random(800) < 0.1, 2] = np.nan
    codes = np.nan_to_num(X[:, 2], nan=4).astype(int)
    y = np.array([1.0, -2.0, 0.5, 2.0, -0.5])[codes] + X[:, 0] + 0.3 * rng.normal(size=800)
    booster = tb.train(
        {"max_depth": 3, "max_cat_to_onehot": 1},
        tb.Dataset(X, label=y, categorical_features=[2]),
        4,
    )
    assert any(tree.categories for tree in booster.trees)
    X_test, R = X[:6].copy(), X[100:109]
    X_test[0, 2] = 7.0  # unseen code
    result = tb.explain.shap_values(booster, X_test, background=R)
    np.testing.assert_allclose(
        result.values, _naive_interventional(booster, X_test, R), rtol=1e-9, atol=1e-12
    )
    with pytest.raises(ValueError, match="cannot write categorical splits"):
        shap_tree_dicts(booster)
