"""Training on quantized gradients (``use_quantized_grad``): accuracy close to the float
histograms, reproducible, and refused where it does not apply."""

import numpy as np
import pytest
from sklearn.metrics import mean_squared_error, roc_auc_score

import treeboost as tb
from conftest import load_tsv

QUANTIZED = {"use_quantized_grad": True}


@pytest.fixture(scope="module")
def binary(shared_data):
    folder = shared_data / "lightgbm-examples" / "binary_classification"
    X, y = load_tsv(folder / "binary.train")
    X_test, y_test = load_tsv(folder / "binary.test")
    return X, y, X_test, y_test


def _fit(params, X, y, rounds=60, **kwargs):
    base = {"objective": "binary:logistic", "max_depth": 5, "learning_rate": 0.1, "n_jobs": 2}
    return tb.train({**base, **params}, tb.Dataset(X, label=y, **kwargs), rounds)


@pytest.mark.parametrize("policy", [{}, {"grow_policy": "lossguide", "max_leaves": 15}])
def test_binary_accuracy_matches_float_histograms(binary, policy):
    X, y, X_test, y_test = binary
    float_model = _fit(policy, X, y)
    exact = roc_auc_score(y_test, float_model.predict(X_test))
    quantized = _fit({**policy, **QUANTIZED}, X, y)
    auc = roc_auc_score(y_test, quantized.predict(X_test))
    assert auc > exact - 0.01, (auc, exact)
    # The option is in force: the trees are not the float ones.
    assert not np.array_equal(quantized.predict(X_test[:50]), float_model.predict(X_test[:50]))


def test_more_levels_come_closer_to_the_float_model(binary):
    X, y, X_test, _ = binary
    exact = _fit({}, X, y, rounds=20).predict(X_test, output_margin=True)
    gaps = []
    for levels in (2, 16, 127):
        model = _fit({**QUANTIZED, "num_grad_quant_bins": levels}, X, y, rounds=20)
        gaps.append(np.abs(model.predict(X_test, output_margin=True) - exact).mean())
    assert gaps[2] < gaps[0], gaps


def test_regression_with_categories_and_missing_values():
    rng = np.random.default_rng(0)
    n = 6_000
    codes = rng.integers(0, 30, size=n)
    x = rng.normal(size=(n, 3))
    x[rng.random(n) < 0.1, 1] = np.nan
    effect = rng.normal(size=30)
    y = effect[codes] + x[:, 0] + np.nan_to_num(x[:, 1]) + rng.normal(scale=0.3, size=n)
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"c": pd.Categorical(codes), **{f"x{i}": x[:, i] for i in range(3)}})
    params = {"objective": "reg:squarederror", "max_depth": 6, "learning_rate": 0.1}
    train, test = X.iloc[:5_000], X.iloc[5_000:]

    def rmse(extra):
        model = tb.train({**params, **extra}, tb.Dataset(train, label=y[:5_000]), 100)
        return mean_squared_error(y[5_000:], model.predict(test)) ** 0.5, model

    exact, _ = rmse({})
    quantized, model = rmse(QUANTIZED)
    assert quantized < exact * 1.03, (quantized, exact)
    assert any(tree.categories for tree in model.trees)
    # Squared error has unit hessians, which quantize exactly: covers are row counts.
    root = model.trees[0]
    assert root.cover[0] == pytest.approx(5_000)


def test_same_model_whatever_the_threads_and_with_sampling(binary):
    X, y, _, _ = binary
    params = {**QUANTIZED, "subsample": 0.8, "colsample_bytree": 0.8, "random_state": 3}
    one = _fit({**params, "n_jobs": 1}, X, y, rounds=15).save_raw()
    two = _fit({**params, "n_jobs": 2}, X, y, rounds=15).save_raw()
    assert one == two
    other_seed = _fit({**params, "random_state": 4}, X, y, rounds=15).save_raw()
    assert other_seed != one


def test_estimator_takes_the_parameters(binary):
    X, y, X_test, y_test = binary
    clf = tb.TreeBoostClassifier(n_estimators=40, use_quantized_grad=True, num_grad_quant_bins=8)
    clf.fit(X, y)
    assert roc_auc_score(y_test, clf.predict_proba(X_test)[:, 1]) > 0.75
    assert clf.get_params()["num_grad_quant_bins"] == 8


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"monotone_constraints": [1, 0, 0]}, "use_quantized_grad=True needs"),
        ({"colsample_bynode": 0.5}, "use_quantized_grad=True needs"),
        ({"num_grad_quant_bins": 1}, "num_grad_quant_bins"),
        ({"num_grad_quant_bins": 200}, "num_grad_quant_bins"),
        ({"use_quantized_grad": "yes"}, "use_quantized_grad"),
    ],
)
def test_refused_where_it_does_not_apply(extra, message):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(float)
    with pytest.raises((ValueError, TypeError), match=message):
        _fit({**QUANTIZED, **extra}, X, y, rounds=2)


def test_sparse_input_is_refused():
    sparse = pytest.importorskip("scipy.sparse")
    X = sparse.random(300, 50, density=0.02, format="csr", random_state=0)
    y = np.arange(300) % 2
    with pytest.raises(ValueError, match="use_quantized_grad=True needs"):
        _fit(QUANTIZED, X, y, rounds=2)


def test_a_non_finite_gradient_gives_a_non_finite_tree():
    # Built-in objectives refuse labels that would overflow and custom ones check their own
    # output, so this reaches the grower directly: a NaN gradient must not be rounded into a
    # level, but give NaN leaf values, which the model refuses (model/booster.py).
    from treeboost.tree.grower import TreeGrower
    from treeboost.tree.matrix import binned_matrix
    from treeboost.tree.split import GrowthParams, SplitParams

    rng = np.random.default_rng(0)
    binned = rng.integers(0, 8, size=(500, 3)).astype(np.uint8)
    offsets = np.arange(4, dtype=np.int64) * 8
    upper = [np.arange(1, 7) + 0.5 for _ in range(3)]
    gh = np.column_stack([rng.normal(size=500), np.ones(500)]).astype(np.float32)
    gh[123, 0] = np.nan
    grower = TreeGrower(binned_matrix(binned, offsets), upper, SplitParams(),
                        GrowthParams(max_depth=3, grad_quant_levels=4))  # fmt: skip
    rows = np.arange(500, dtype=np.int32)
    tree = grower.grow(gh, rows, np.arange(3, dtype=np.int32), None, quant_key=1).tree
    assert np.isnan(tree.value).all()
