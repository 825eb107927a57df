"""scikit-learn compatibility of TreeBoostRegressor and TreeBoostClassifier: the estimator checks,
meta-estimators, persistence, labels, weights, early stopping and input validation."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from treeboost import TreeBoostClassifier, TreeBoostRegressor

# Row subsampling (subsample=0.8 by default) draws from the rows that are there: repeating or
# dropping rows changes the draw, so weights cannot equal repeated rows unless it is off (the
# weight tests below turn it off and check exactly that).
_ROW_SAMPLING = "the default row subsampling draws different rows once rows are repeated"
_WEIGHT_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": _ROW_SAMPLING,
    "check_sample_weight_equivalence_on_sparse_data": _ROW_SAMPLING,
}


@parametrize_with_checks(
    [TreeBoostRegressor(n_estimators=10), TreeBoostClassifier(n_estimators=10)],
    expected_failed_checks=lambda estimator: _WEIGHT_CHECKS,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# -- data ----------------------------------------------------------------------------------------
def _regression(n=300, n_features=5, informative=2, noise=0.1, seed=0):
    """Only feature ``informative`` carries the signal."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    y = 3.0 * X[:, informative] + noise * rng.normal(size=n)
    return X, y


def _binary_strings(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = np.where(X[:, 1] + 0.3 * rng.normal(size=n) > 0, "yes", "no")
    return X, y


def _multiclass_strings(n=300, seed=0):
    """Three classes named out of sorted order, one region of feature 0 each."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    names = np.array(["zebra", "ant", "moth"])
    y = names[np.digitize(X[:, 0], [-0.5, 0.5])]
    return X, y


# -- meta-estimators and persistence ---------------------------------------------------------------
def test_pipeline_with_scaler_matches_unscaled_fit():
    # Trees only see the order of values, which an affine scaling keeps.
    X, y = _regression()
    pipe = make_pipeline(StandardScaler(), TreeBoostRegressor(n_estimators=50)).fit(X, y)
    direct = TreeBoostRegressor(n_estimators=50).fit(X, y)
    np.testing.assert_allclose(pipe.predict(X), direct.predict(X), rtol=1e-6, atol=1e-6)
    assert pipe.score(X, y) > 0.95


def test_grid_search_over_depth_and_learning_rate():
    X, y = _binary_strings(n=200)
    grid = {"max_depth": [1, 3], "learning_rate": [0.1, 0.5]}
    search = GridSearchCV(TreeBoostClassifier(n_estimators=10), grid, cv=3).fit(X, y)
    assert set(search.cv_results_["params"][0]) == {"max_depth", "learning_rate"}
    assert len(search.cv_results_["params"]) == 4
    best = search.best_estimator_
    assert best.max_depth == search.best_params_["max_depth"]
    assert best.get_booster().params["max_depth"] == search.best_params_["max_depth"]
    assert search.best_score_ > 0.8
    assert set(search.predict(X)) <= {"no", "yes"}


def test_clone_copies_parameters_not_the_fit():
    X, y = _regression(n=100)
    model = TreeBoostRegressor(n_estimators=5, max_depth=2, learning_rate=0.2).fit(X, y)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        copy.get_booster()


@pytest.mark.parametrize(
    "make_model",
    [
        lambda: TreeBoostRegressor(n_estimators=15).fit(*_regression()),
        lambda: TreeBoostClassifier(n_estimators=15).fit(*_multiclass_strings()),
    ],
)
def test_pickle_round_trip_predicts_identically(make_model):
    model = make_model()
    X, _ = _regression(n=50, n_features=model.n_features_in_, seed=3)
    X[::7, 1] = np.nan
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    if hasattr(model, "predict_proba"):
        np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


# -- classification labels -------------------------------------------------------------------------
def test_binary_string_labels():
    X, y = _binary_strings()
    model = TreeBoostClassifier(n_estimators=20).fit(X, y)
    np.testing.assert_array_equal(model.classes_, ["no", "yes"])
    assert model.n_classes_ == 2
    predicted = model.predict(X)
    assert set(predicted) <= {"no", "yes"}
    assert np.mean(predicted == y) > 0.9
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Column 1 is P("yes"), the second entry of classes_.
    np.testing.assert_allclose(proba[:, 1], model.get_booster().predict(X))
    np.testing.assert_array_equal(predicted, model.classes_[proba.argmax(axis=1)])


def test_multiclass_string_labels_in_classes_order():
    X, y = _multiclass_strings()
    model = TreeBoostClassifier(n_estimators=20).fit(X, y)
    np.testing.assert_array_equal(model.classes_, ["ant", "moth", "zebra"])
    assert model.get_booster().n_outputs == 3
    predicted = model.predict(X)
    assert np.mean(predicted == y) > 0.95
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    for column, label in enumerate(model.classes_):
        mean_proba = proba[y == label].mean(axis=0)
        assert mean_proba.argmax() == column, (label, mean_proba)


def test_single_class_is_an_error_naming_classes():
    X, _ = _regression(n=20)
    with pytest.raises(ValueError, match="class"):
        TreeBoostClassifier(n_estimators=2).fit(X, np.full(20, "only"))


def test_binary_objective_with_three_classes_is_a_clear_error():
    X, y = _multiclass_strings(n=60)
    with pytest.raises(ValueError, match="multi:softprob"):
        TreeBoostClassifier(n_estimators=2, objective="binary:logistic").fit(X, y)


def test_eval_set_with_unseen_label_is_an_error():
    X, y = _binary_strings(n=60)
    with pytest.raises(ValueError, match="not seen in y"):
        TreeBoostClassifier(n_estimators=2).fit(X, y, eval_set=[(X[:5], ["maybe"] * 5)])


def test_callable_objective_gives_probabilities():
    def logistic(margin, dtrain):
        p = 1.0 / (1.0 + np.exp(-margin))
        return p - dtrain.label, p * (1.0 - p)

    X, y = _binary_strings()
    model = TreeBoostClassifier(n_estimators=20, objective=logistic).fit(X, y)
    proba = model.predict_proba(X)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.mean(model.predict(X) == y) > 0.9


# -- sample weights --------------------------------------------------------------------------------
def test_zero_weight_is_the_same_as_dropping_the_rows():
    X, y = _regression(n=120, noise=1.0)
    weight = np.ones(len(y))
    weight[::3] = 0.0
    keep = weight > 0
    weighted = TreeBoostRegressor(n_estimators=10, subsample=1.0).fit(X, y, sample_weight=weight)
    dropped = TreeBoostRegressor(n_estimators=10, subsample=1.0).fit(X[keep], y[keep])
    np.testing.assert_allclose(weighted.predict(X), dropped.predict(X), rtol=1e-6, atol=1e-6)


def test_integer_weight_is_the_same_as_repeating_rows():
    X, y = _regression(n=80, noise=1.0)
    weight = np.random.default_rng(1).integers(1, 4, size=len(y))
    weighted = TreeBoostRegressor(n_estimators=10, subsample=1.0).fit(X, y, sample_weight=weight)
    repeated = TreeBoostRegressor(n_estimators=10, subsample=1.0).fit(
        X.repeat(weight, axis=0), y.repeat(weight)
    )
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-6, atol=1e-6)


def test_weights_move_the_classifier_towards_the_heavy_class():
    X, y = _binary_strings()
    plain = TreeBoostClassifier(n_estimators=10).fit(X, y)
    heavy_yes = TreeBoostClassifier(n_estimators=10).fit(
        X, y, sample_weight=np.where(y == "yes", 20.0, 1.0)
    )
    assert heavy_yes.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean() + 0.05


@pytest.mark.parametrize(
    "weight, message",
    [
        (-np.ones(30), "[Nn]egative"),
        (np.zeros(30), "zero"),
        (np.ones(29), "inconsistent|shape"),
    ],
)
def test_invalid_sample_weight(weight, message):
    X, y = _regression(n=30)
    with pytest.raises(ValueError, match=message):
        TreeBoostRegressor(n_estimators=2).fit(X, y, sample_weight=weight)


# -- evaluation sets and early stopping ------------------------------------------------------------
def test_early_stopping_sets_best_iteration_and_predict_uses_it():
    X, y = _regression(n=400, noise=2.0)
    X_valid, y_valid = _regression(n=200, noise=2.0, seed=1)
    model = TreeBoostRegressor(
        n_estimators=300, learning_rate=0.5, max_depth=6, early_stopping_rounds=5
    )
    model.fit(X, y, eval_set=[(X_valid, y_valid)])
    booster = model.get_booster()
    best = model.best_iteration
    assert best is not None
    n_rounds = booster.num_boosted_rounds()
    assert n_rounds == best + 1 + 5 < 300
    scores = model.evals_result()["validation_0"]["rmse"]
    assert len(scores) == n_rounds
    assert model.best_score == pytest.approx(min(scores))
    assert scores[best] == min(scores)
    np.testing.assert_array_equal(
        model.predict(X_valid), booster.predict(X_valid, iteration_range=(0, best + 1))
    )
    assert not np.array_equal(
        model.predict(X_valid), booster.predict(X_valid, iteration_range=(0, n_rounds))
    )


def test_evals_result_holds_every_eval_set_and_metric():
    X, y = _multiclass_strings()
    model = TreeBoostClassifier(n_estimators=8, eval_metric=["merror", "mlogloss"])
    model.fit(
        X,
        y,
        eval_set=[(X[:100], y[:100]), (X[100:], y[100:])],
        sample_weight_eval_set=[None, np.ones(200)],
    )
    result = model.evals_result()
    assert list(result) == ["validation_0", "validation_1"]
    for scores in result.values():
        assert list(scores) == ["merror", "mlogloss"]
        assert all(len(values) == 8 for values in scores.values())
        assert scores["mlogloss"][-1] < scores["mlogloss"][0]
    assert model.best_iteration is None


def test_early_stopping_without_eval_set_is_a_clear_error():
    X, y = _regression(n=30)
    with pytest.raises(ValueError, match="eval_set"):
        TreeBoostRegressor(n_estimators=5, early_stopping_rounds=2).fit(X, y)


def test_sample_weight_eval_set_needs_one_entry_per_eval_set():
    X, y = _regression(n=30)
    with pytest.raises(ValueError, match="sample_weight_eval_set"):
        TreeBoostRegressor(n_estimators=2).fit(
            X, y, eval_set=[(X, y)], sample_weight_eval_set=[None, None]
        )


# -- fitted attributes -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "model, make_data",
    [
        (TreeBoostRegressor(n_estimators=20), _regression),
        (TreeBoostClassifier(n_estimators=20), lambda: (_regression()[0], _regression()[1] > 0)),
    ],
)
def test_feature_importances_rank_the_informative_feature_first(model, make_data):
    X, y = make_data()
    importances = model.fit(X, y).feature_importances_
    assert importances.shape == (X.shape[1],)
    assert importances.sum() == pytest.approx(1.0)
    assert importances.argmax() == 2


def test_dataframe_feature_names_are_kept_and_checked():
    pd = pytest.importorskip("pandas")
    X, y = _regression(n=100, n_features=3)
    frame = pd.DataFrame(X, columns=["age", "income", "score"])
    model = TreeBoostRegressor(n_estimators=10).fit(frame, y)
    assert model.get_booster().feature_names == ["age", "income", "score"]
    np.testing.assert_array_equal(model.feature_names_in_, ["age", "income", "score"])
    np.testing.assert_array_equal(model.predict(frame), model.get_booster().predict(X))
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame[["score", "age", "income"]])
    with pytest.raises(ValueError, match="feature names"):
        model.fit(frame, y, eval_set=[(frame[["income", "age", "score"]], y)])


@pytest.mark.parametrize(
    "use",
    [
        lambda m: m.get_booster(),
        lambda m: m.predict(np.zeros((2, 3))),
        lambda m: m.feature_importances_,
        lambda m: m.evals_result(),
        lambda m: m.best_iteration,
    ],
)
def test_unfitted_estimator_raises_not_fitted(use):
    with pytest.raises(NotFittedError):
        use(TreeBoostClassifier())


# -- parameters ------------------------------------------------------------------------------------
def test_constructor_does_not_validate():
    model = TreeBoostRegressor(learning_rate=-1, n_estimators="many", max_bin=1)
    assert model.get_params()["learning_rate"] == -1


@pytest.mark.parametrize(
    "params, message",
    [
        ({"learning_rate": -1}, "learning_rate"),
        ({"max_depth": -2}, "max_depth"),
        ({"subsample": 0.0}, "subsample"),
        ({"n_estimators": 0}, "n_estimators"),
        ({"early_stopping_rounds": 0}, "early_stopping_rounds"),
        ({"max_bin": 1}, "max_bin"),
        ({"objective": "reg:squarederr"}, "did you mean|Did you mean"),
        ({"grow_policy": "leafwise"}, "grow_policy"),
    ],
)
def test_bad_parameter_is_a_clear_error_at_fit(params, message):
    X, y = _regression(n=30)
    model = TreeBoostRegressor(n_estimators=2).set_params(**params)
    with pytest.raises((ValueError, TypeError), match=message):
        model.fit(X, y)


def test_misspelled_parameter_is_rejected_by_set_params():
    with pytest.raises(ValueError, match="max_depht"):
        TreeBoostRegressor().set_params(max_depht=3)


@pytest.mark.parametrize("random_state", [None, np.random.RandomState(0)])
def test_random_state_accepts_sklearn_conventions(random_state):
    X, y = _regression(n=100)
    # XGBoost's step: five trees at the default 0.1 leave R^2 near 0.6, too close to the bar
    # for a seed drawn afresh each run.
    model = TreeBoostRegressor(n_estimators=5, learning_rate=0.3, subsample=0.5,
                               random_state=random_state)
    assert model.fit(X, y).score(X, y) > 0.5


def test_fixed_random_state_is_reproducible():
    X, y = _regression(n=100)
    params = {"n_estimators": 5, "subsample": 0.5, "colsample_bytree": 0.6, "random_state": 3}
    first = TreeBoostRegressor(**params).fit(X, y).predict(X)
    second = TreeBoostRegressor(**params).fit(X, y).predict(X)
    np.testing.assert_array_equal(first, second)
