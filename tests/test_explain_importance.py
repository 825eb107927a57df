"""Permutation importance and compare_importances (treeboost.explain.importance).

The Booster path (only the trees that split on a shuffled unit are walked again) and the
stacked path (every other model) are both checked against a plain twin that permutes and
predicts one copy of X at a time."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import t as student_t
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import accuracy_score, make_scorer, mean_squared_error

import treeboost as tb
from treeboost.explain import _permute, compare_importances, permutation_importance


@pytest.fixture(scope="module")
def regression():
    """y depends on f0 (strongly) and f1; f2..f5 are noise."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 6))
    y = 3.0 * X[:, 0] + 1.5 * X[:, 1] + 0.1 * rng.normal(size=200)
    booster = tb.train({"max_depth": 3, "n_jobs": 1}, tb.Dataset(X, label=y), 30)
    return X, y, booster


@pytest.fixture(scope="module")
def classification():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 5))
    y = (2.0 * X[:, 2] - X[:, 4] + 0.3 * rng.normal(size=200) > 0).astype(int)
    model = tb.TreeBoostClassifier(n_estimators=20, max_depth=3, n_jobs=1).fit(X, y)
    return X, y, model


class DifferenceModel(RegressorMixin, BaseEstimator):
    """Predicts x0 - x1: unchanged when both columns are shuffled by one shared row order."""

    def fit(self, X, y):
        self.fitted_ = True
        return self

    def predict(self, X):
        X = np.asarray(X)
        return X[:, 0] - X[:, 1]


def _manual_importances(predict, score, X, y, unit_columns, n_repeats, seed):
    """One permuted copy of X per unit and repeat, scored one by one: the plain twin of the
    stacked batch."""
    rng = np.random.default_rng(seed)
    baseline = score(y, predict(X))
    out = np.empty((len(unit_columns), n_repeats))
    for repeat in range(n_repeats):
        orders = [rng.permutation(X.shape[0]) for _ in unit_columns]
        for u, (columns, order) in enumerate(zip(unit_columns, orders)):
            shuffled = X.copy()
            shuffled[:, columns] = X[order][:, columns]
            out[u, repeat] = baseline - score(y, predict(shuffled))
    return out


def test_finds_the_informative_features(regression):
    X, y, booster = regression
    result = permutation_importance(booster, X, y, n_repeats=4, random_state=0, n_jobs=1)
    assert result.ranked()[:2] == ["f0", "f1"]
    assert result.scoring == "r2"
    noise = result.importances_mean[2:]
    assert np.all(np.abs(noise) < 0.05 * result.importances_mean[0])
    assert result.importances.shape == (6, 4)


def test_tree_subsets_equal_full_predictions(regression):
    """The Booster path predicts only the trees that split on the shuffled unit."""
    X, y, booster = regression
    columns = [np.array([i]) for i in range(6)]

    def neg_mse(y_true, pred):
        return -mean_squared_error(y_true, pred)

    expected = _manual_importances(booster.predict, neg_mse, X, y, columns, 3, seed=7)
    result = permutation_importance(
        booster, X, y, scoring="neg_mean_squared_error", n_repeats=3, random_state=7
    )
    np.testing.assert_allclose(result.importances, expected, rtol=1e-10, atol=1e-12)


def test_large_forests_fall_back_to_stacked_prediction(regression, monkeypatch):
    from treeboost.explain import _tree_subsets

    X, y, booster = regression
    by_subsets = permutation_importance(booster, X, y, n_repeats=2, random_state=3)
    monkeypatch.setattr(_tree_subsets, "MAX_LEAF_VALUE_CELLS", 0)
    stacked = permutation_importance(booster, X, y, n_repeats=2, random_state=3)
    np.testing.assert_allclose(stacked.importances, by_subsets.importances, atol=1e-12)


def test_unused_feature_has_exactly_zero_importance():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(120, 3))
    X[:, 2] = 1.0  # constant: no tree can split on it
    y = X[:, 0] - X[:, 1]
    booster = tb.train({"max_depth": 2, "n_jobs": 1}, tb.Dataset(X, label=y), 10)
    result = permutation_importance(booster, X, y, random_state=0)
    np.testing.assert_array_equal(result.importances[2], 0.0)


def test_stacked_batches_equal_one_copy_at_a_time(regression, monkeypatch):
    X, y, _ = regression
    model = tb.TreeBoostRegressor(n_estimators=20, max_depth=3, n_jobs=1).fit(X, y)
    columns = [np.array([i]) for i in range(6)]

    def neg_mse(y_true, pred):
        return -mean_squared_error(y_true, pred)

    expected = _manual_importances(model.predict, neg_mse, X, y, columns, 3, seed=7)
    one_batch = permutation_importance(
        model, X, y, scoring="neg_mean_squared_error", n_repeats=3, random_state=7
    )
    np.testing.assert_allclose(one_batch.importances, expected, rtol=1e-12, atol=1e-12)
    # Force several stacked batches per repeat: same numbers.
    monkeypatch.setattr(_permute, "MAX_STACKED_CELLS", 2 * X.shape[0] * X.shape[1])
    batched = permutation_importance(
        model, X, y, scoring="neg_mean_squared_error", n_repeats=3, random_state=7
    )
    np.testing.assert_allclose(batched.importances, expected, rtol=1e-12, atol=1e-12)


def test_group_is_shuffled_by_one_row_order():
    rng = np.random.default_rng(2)
    x = rng.normal(size=150)
    X = np.column_stack([x, x, rng.normal(size=150)])
    y = np.zeros(150)
    model = DifferenceModel().fit(X, y)
    grouped = permutation_importance(
        model,
        X,
        y,
        scoring="neg_mean_squared_error",
        groups={"pair": [0, 1]},
        random_state=0,
    )
    assert grouped.names == ["pair", "f2"]
    # Shared row order: x0 - x1 stays 0, so the score cannot drop.
    np.testing.assert_array_equal(grouped.importances, 0.0)
    single = permutation_importance(model, X, y, scoring="neg_mean_squared_error", random_state=0)
    assert np.all(single.importances_mean[:2] > 0.5)


def test_groups_by_name_with_dataframe_and_sklearn_estimator():
    pd = pytest.importorskip("pandas")
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(3)
    left = rng.normal(size=200)
    frame = pd.DataFrame(
        {
            "amygdala_left": left,
            "amygdala_right": left + 0.05 * rng.normal(size=200),
            "age": rng.normal(size=200),
            "noise": rng.normal(size=200),
        }
    )
    y = 2.0 * left + frame["age"].to_numpy()
    forest = RandomForestRegressor(n_estimators=20, random_state=0).fit(frame, y)
    groups = {"amygdala": ["amygdala_left", "amygdala_right"]}
    result = permutation_importance(forest, frame, y, groups=groups, random_state=0)
    assert result.names == ["amygdala", "age", "noise"]
    assert result.groups["amygdala"] == ["amygdala_left", "amygdala_right"]
    assert result.ranked()[0] == "amygdala"
    table = result.to_frame()
    assert list(table.index) == result.names
    assert list(table.columns) == ["mean", "std", "ci_low", "ci_high"]


def test_interval_is_the_t_interval_and_contains_the_mean(regression):
    X, y, booster = regression
    result = permutation_importance(booster, X, y, n_repeats=6, random_state=1, confidence=0.9)
    assert np.all(result.ci_low <= result.importances_mean)
    assert np.all(result.importances_mean <= result.ci_high)
    row = result.importances[0]
    half = student_t.ppf(0.95, 5) * row.std(ddof=1) / np.sqrt(6)
    assert result.ci_low[0] == pytest.approx(row.mean() - half)
    assert result.ci_high[0] == pytest.approx(row.mean() + half)
    assert result.to_dict()["f0"]["std"] == pytest.approx(row.std(ddof=1))


def test_single_repeat_has_no_interval(regression):
    X, y, booster = regression
    result = permutation_importance(booster, X, y, n_repeats=1, random_state=0)
    assert np.all(np.isnan(result.ci_low)) and np.all(np.isnan(result.ci_high))
    np.testing.assert_array_equal(result.importances_std, 0.0)


def test_random_state_makes_it_deterministic(regression):
    X, y, booster = regression
    a = permutation_importance(booster, X, y, n_repeats=3, random_state=5)
    b = permutation_importance(booster, X, y, n_repeats=3, random_state=5)
    c = permutation_importance(booster, X, y, n_repeats=3, random_state=6)
    np.testing.assert_array_equal(a.importances, b.importances)
    assert not np.array_equal(a.importances, c.importances)


def test_classifier_scorings(classification):
    X, y, model = classification
    for scoring in ("roc_auc", "neg_log_loss", "accuracy", "neg_brier_score"):
        result = permutation_importance(model, X, y, scoring=scoring, random_state=0)
        assert set(result.ranked()[:2]) == {"f2", "f4"}, scoring
    default = permutation_importance(model, X, y, random_state=0)
    assert default.scoring == "neg_log_loss"
    # A Booster sees the encoded classes and scores probabilities.
    booster_result = permutation_importance(
        model.get_booster(), X, y, scoring="roc_auc", random_state=0
    )
    estimator_result = permutation_importance(model, X, y, scoring="roc_auc", random_state=0)
    np.testing.assert_allclose(booster_result.importances, estimator_result.importances)


def test_scorer_object_agrees_with_the_batched_name(classification):
    X, y, model = classification
    fast = permutation_importance(model, X, y, scoring="accuracy", random_state=0)
    slow = permutation_importance(model, X, y, scoring=make_scorer(accuracy_score), random_state=0)
    np.testing.assert_allclose(fast.importances, slow.importances)
    # Any scikit-learn scorer name works for an estimator, through the slow path.
    f1 = permutation_importance(model, X, y, scoring="f1", random_state=0)
    assert f1.scoring == "f1" and f1.importances.shape == (5, 5)


def test_callable_metric_and_sample_weight(regression):
    X, y, booster = regression

    def neg_weighted_mse(y_true, pred, sample_weight=None):
        return -mean_squared_error(y_true, pred, sample_weight=sample_weight)

    weight = np.linspace(0.5, 2.0, X.shape[0])
    by_name = permutation_importance(
        booster, X, y, "neg_mean_squared_error", random_state=0, sample_weight=weight
    )
    by_callable = permutation_importance(
        booster, X, y, neg_weighted_mse, random_state=0, sample_weight=weight
    )
    np.testing.assert_allclose(by_name.importances, by_callable.importances)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"groups": {"g": ["f0", "nope"]}}, "'nope', which is not a column"),
        ({"groups": {"g": ["f0"], "h": ["f0", "f1"]}}, "also in 'g'"),
        ({"groups": {"g": []}}, "is empty"),
        ({"groups": {"g": [9]}}, "out of range"),
        ({"scoring": "roc_acu"}, "scoring='roc_acu' is not a known metric"),
        ({"scoring": "roc_auc"}, "classification metric, but the model is a regressor"),
        ({"n_repeats": 0}, "n_repeats=0"),
        ({"confidence": 1.5}, "confidence=1.5"),
        ({"random_state": "seed"}, "random_state='seed'"),
        ({"sample_weight": np.ones(3)}, "sample_weight must have shape"),
    ],
)
def test_bad_inputs_name_the_parameter(regression, kwargs, match):
    X, y, booster = regression
    with pytest.raises(ValueError, match=match):
        permutation_importance(booster, X, y, **kwargs)


def test_mismatched_lengths_and_wrong_model(regression):
    X, y, booster = regression
    with pytest.raises(ValueError, match=r"y must have shape \(200,\)"):
        permutation_importance(booster, X, y[:-1])
    with pytest.raises(ValueError, match="expects 6"):
        permutation_importance(booster, X[:, :4], y)
    with pytest.raises(TypeError, match="model must be"):
        permutation_importance(object(), X, y)


def test_unknown_scorer_name_for_an_estimator(classification):
    X, y, model = classification
    with pytest.raises(ValueError, match="get_scorer_names"):
        permutation_importance(model, X, y, scoring="not_a_metric")
    with pytest.raises(ValueError, match="labels the model was not trained on"):
        permutation_importance(model, X, y + 5)


# -- compare_importances -------------------------------------------------------------------


@pytest.fixture(scope="module")
def clear_problem():
    """Effects of clearly decreasing size, so every measure should rank them alike."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 6))
    y = 5.0 * X[:, 0] + 3.0 * X[:, 1] + 1.5 * X[:, 2] + 0.7 * X[:, 3]
    y = y + 0.1 * rng.normal(size=300)
    model = tb.TreeBoostRegressor(n_estimators=40, max_depth=3, n_jobs=1).fit(X, y)
    return X, y, model


def test_compare_table_and_correlations(clear_problem):
    X, y, model = clear_problem
    result = compare_importances(model, X, y, random_state=0, n_jobs=1)
    assert result.methods == ["shap", "gain", "permutation"]
    assert result.values.shape == (6, 3)
    for matrix in (result.spearman, result.kendall):
        assert matrix.shape == (3, 3)
        np.testing.assert_allclose(np.diag(matrix), 1.0)
        np.testing.assert_allclose(matrix, matrix.T)
        assert np.all((matrix >= -1.0) & (matrix <= 1.0))
    assert result.spearman.min() > 0.75
    top = np.argsort(-result.values, axis=0)[:4]
    np.testing.assert_array_equal(top, np.tile(np.arange(4)[:, None], (1, 3)))
    records = result.correlations()
    assert [(r["method_a"], r["method_b"]) for r in records] == [
        ("shap", "gain"),
        ("shap", "permutation"),
        ("gain", "permutation"),
    ]
    assert result.permutation is not None
    assert result.to_frame().shape == (6, 3)


def test_compare_grouped_values_are_sums(clear_problem):
    X, y, model = clear_problem
    booster = model.get_booster()
    groups = {"first_two": ["f0", "f1"]}
    result = compare_importances(model, X, y, groups=groups, random_state=0)
    assert result.names == ["first_two", "f2", "f3", "f4", "f5"]
    contribs = booster.predict(X, pred_contribs=True)
    expected_shap = np.abs(contribs[:, 0] + contribs[:, 1]).mean()
    assert result.to_dict()["first_two"]["shap"] == pytest.approx(expected_shap)
    gains = booster.get_score("total_gain")
    assert result.to_dict()["first_two"]["gain"] == pytest.approx(gains["f0"] + gains["f1"])


def test_compare_multiclass_sums_classes():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(240, 4))
    y = np.digitize(X[:, 0] + 0.5 * X[:, 1], [-0.5, 0.5])
    model = tb.TreeBoostClassifier(n_estimators=10, max_depth=3, n_jobs=1).fit(X, y)
    result = compare_importances(model, X, methods=("shap", "gain"))
    contribs = model.get_booster().predict(X, pred_contribs=True)
    expected = np.abs(contribs[:, :, :-1]).mean(axis=0).sum(axis=0)
    np.testing.assert_allclose(result.values[:, 0], expected)
    assert result.permutation is None


def test_compare_methods_and_model_checks(clear_problem):
    from sklearn.linear_model import LinearRegression

    X, y, model = clear_problem
    linear = LinearRegression().fit(X, y)
    only_permutation = compare_importances(linear, X, y, methods=("permutation",))
    assert only_permutation.values.shape == (6, 1)
    with pytest.raises(ValueError, match="need a treeboost model"):
        compare_importances(linear, X, y)
    with pytest.raises(ValueError, match="needs y"):
        compare_importances(model, X)
    with pytest.raises(ValueError, match="valid methods"):
        compare_importances(model, X, y, methods=("shap", "lime"))


def test_booster_with_dataframe_checks_the_columns(regression):
    pd = pytest.importorskip("pandas")
    X, y, booster = regression
    frame = pd.DataFrame(X, columns=booster.feature_names)
    from_frame = permutation_importance(booster, frame, y, random_state=0)
    from_array = permutation_importance(booster, X, y, random_state=0)
    np.testing.assert_array_equal(from_frame.importances, from_array.importances)
    renamed = frame.rename(columns={"f0": "age"})
    with pytest.raises(ValueError, match="differ from the Booster's features"):
        permutation_importance(booster, renamed, y)


def test_multiclass_booster_matches_its_estimator():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(180, 4))
    y = np.digitize(X[:, 1] - X[:, 3], [-0.6, 0.6])
    model = tb.TreeBoostClassifier(n_estimators=8, max_depth=3, n_jobs=1).fit(X, y)
    for scoring in ("neg_log_loss", "roc_auc", "accuracy"):
        by_booster = permutation_importance(
            model.get_booster(), X, y, scoring=scoring, random_state=0
        )
        by_estimator = permutation_importance(model, X, y, scoring=scoring, random_state=0)
        np.testing.assert_allclose(
            by_booster.importances, by_estimator.importances, atol=1e-12, err_msg=scoring
        )
        assert set(by_booster.ranked()[:2]) == {"f1", "f3"}, scoring
