"""Forward selection (treeboost.explain.selection): greedy steps, history, stopping, groups, and
the agreement of the pre-binned treeboost path with the generic scikit-learn path."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline

import treeboost as tb
from treeboost.explain import forward_selection

# XGBoost's step and every column: with 8 small trees the estimators' defaults (learning rate
# 0.1, 80% of the columns per tree) underfit too much for a step to pay.
SMALL = {"n_estimators": 8, "max_depth": 2, "n_jobs": 1, "learning_rate": 0.3,
         "colsample_bytree": 1.0}


@pytest.fixture(scope="module")
def regression():
    """y depends on f2 (strongly) and f4; the other four columns are noise."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 6))
    y = 3.0 * X[:, 2] + 1.5 * X[:, 4] + 0.2 * rng.normal(size=150)
    return X, y


@pytest.fixture(scope="module")
def classification():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 5))
    y = np.where(2.0 * X[:, 1] - X[:, 3] + 0.3 * rng.normal(size=150) > 0, "yes", "no")
    return X, y


def test_picks_the_informative_features_first(regression):
    X, y = regression
    result = forward_selection(
        tb.TreeBoostRegressor(**SMALL), X, y, cv=3, max_features=2, random_state=0
    )
    assert result.selected == ["f2", "f4"]
    assert result.selected_features == ["f2", "f4"]
    np.testing.assert_array_equal(result.support, [False, False, True, False, True, False])
    assert result.scoring == "r2"
    assert result.n_folds == 3


def test_history_is_complete(regression):
    X, y = regression
    result = forward_selection(
        tb.TreeBoostRegressor(**SMALL), X, y, cv=3, max_features=3, random_state=0
    )
    assert [step.step for step in result.history] == [0, 1, 2]
    chosen = []
    for step in result.history:
        assert len(step.candidates) == 6 - step.step
        assert not set(step.candidates) & set(chosen)
        assert step.fold_scores.shape == (len(step.candidates), 3)
        np.testing.assert_allclose(step.scores_mean, step.fold_scores.mean(axis=1))
        np.testing.assert_allclose(step.scores_std, step.fold_scores.std(axis=1, ddof=1))
        best = int(np.argmax(step.scores_mean))
        assert step.chosen == step.candidates[best]
        assert step.score_mean == step.scores_mean[best]
        assert step.accepted
        chosen.append(step.chosen)
    assert np.isnan(result.history[0].improvement)
    assert result.history[1].improvement == pytest.approx(
        result.history[1].score_mean - result.history[0].score_mean
    )
    assert result.selected == chosen
    records = result.to_records()
    assert [r["chosen"] for r in records] == chosen
    assert [r["n_candidates"] for r in records] == [6, 5, 4]


def test_tol_stops_without_adding(regression):
    X, y = regression
    estimator = tb.TreeBoostRegressor(**SMALL)
    stopped = forward_selection(estimator, X, y, cv=3, tol=10.0, random_state=0)
    assert len(stopped.history) == 2
    assert stopped.history[0].accepted and not stopped.history[1].accepted
    assert stopped.selected == [stopped.history[0].chosen]
    # Without a tolerance the loop runs to max_features whatever the scores do.
    unbounded = forward_selection(estimator, X, y, cv=3, tol=None, max_features=4)
    assert len(unbounded.selected) == 4 and all(s.accepted for s in unbounded.history)


def test_groups_are_selected_as_one_unit(regression):
    X, y = regression
    groups = {"pair": ["f4", "f5"], "noise": [0, 1]}
    result = forward_selection(
        tb.TreeBoostRegressor(**SMALL), X, y, cv=3, groups=groups, max_features=2
    )
    assert result.history[0].candidates == ["pair", "noise", "f2", "f3"]
    assert result.selected == ["f2", "pair"]
    assert result.selected_features == ["f2", "f4", "f5"]
    assert result.groups["pair"] == ["f4", "f5"]


def test_fast_path_agrees_with_generic_path(classification):
    X, y = classification
    estimator = tb.TreeBoostClassifier(**SMALL)
    fast = forward_selection(estimator, X, y, cv=3, max_features=2, random_state=0)
    # A Pipeline hides the treeboost estimator, so it goes through clone + fit.
    generic = forward_selection(
        Pipeline([("model", estimator)]), X, y, cv=3, max_features=2, random_state=0
    )
    assert fast.scoring == generic.scoring == "neg_log_loss"
    assert fast.selected == generic.selected == ["f1", "f3"]
    for a, b in zip(fast.history, generic.history):
        np.testing.assert_allclose(a.fold_scores, b.fold_scores, rtol=0, atol=1e-12)


def test_callable_metric_sees_predicted_labels_on_both_paths(classification):
    X, y = classification
    seen = []

    def hit_rate(y_true, pred):
        seen.append(pred.dtype.kind)
        return float(np.mean(y_true == pred))

    estimator = tb.TreeBoostClassifier(**SMALL)
    fast = forward_selection(estimator, X, y, cv=3, scoring=hit_rate, max_features=1)
    generic = forward_selection(
        Pipeline([("model", estimator)]), X, y, cv=3, scoring=hit_rate, max_features=1
    )
    assert set(seen) == {"U"}
    np.testing.assert_array_equal(fast.history[0].fold_scores, generic.history[0].fold_scores)


def test_prefilter_keeps_the_top_gain_candidates(regression):
    X, y = regression
    result = forward_selection(
        tb.TreeBoostRegressor(**SMALL), X, y, cv=3, prefilter=2, max_features=2
    )
    assert result.candidates == ["f2", "f4"]
    assert set(result.prefilter_importances) == {f"f{i}" for i in range(6)}
    assert result.history[0].candidates == ["f2", "f4"]
    assert result.selected == ["f2", "f4"]


def test_any_sklearn_estimator_and_explicit_folds(regression):
    X, y = regression
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    result = forward_selection(LinearRegression(), X, y, cv=folds, max_features=2)
    assert result.selected == ["f2", "f4"]
    assert result.n_folds == 3


def test_parallel_chunks_give_the_same_history(regression):
    joblib = pytest.importorskip("joblib")
    X, y = regression
    estimator = tb.TreeBoostRegressor(**SMALL)
    serial = forward_selection(estimator, X, y, cv=3, max_features=2, random_state=0)
    # Threads exercise the chunking and reassembly without the start-up of worker processes
    # (the process version is the slow test below).
    with joblib.parallel_config(backend="threading"):
        threaded = forward_selection(
            estimator, X, y, cv=3, max_features=2, random_state=0, n_jobs=2
        )
    assert threaded.selected == serial.selected
    for a, b in zip(serial.history, threaded.history):
        np.testing.assert_array_equal(a.fold_scores, b.fold_scores)


@pytest.mark.slow
def test_worker_processes_give_the_same_history(regression):
    X, y = regression
    estimator = tb.TreeBoostRegressor(**SMALL)
    serial = forward_selection(estimator, X, y, cv=3, max_features=2, random_state=0)
    parallel = forward_selection(estimator, X, y, cv=3, max_features=2, random_state=0, n_jobs=2)
    assert parallel.selected == serial.selected
    for a, b in zip(serial.history, parallel.history):
        np.testing.assert_array_equal(a.fold_scores, b.fold_scores)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"cv": 1}, ValueError, "cv=1"),
        ({"max_features": 0}, ValueError, "max_features=0"),
        ({"prefilter": 0}, ValueError, "prefilter=0"),
        ({"tol": "small"}, ValueError, "tol='small'"),
        ({"n_jobs": 0}, ValueError, "n_jobs=0"),
        ({"scoring": "accuracy"}, ValueError, "classification metric"),
        ({"scoring": "r2x"}, ValueError, "scoring='r2x' is not a known metric"),
        ({"groups": {"g": ["f1", "missing"]}}, ValueError, "'missing', which is not a column"),
        ({"groups": ["f1"]}, TypeError, "groups must be a dict"),
    ],
)
def test_bad_arguments_name_the_parameter(regression, kwargs, error, match):
    X, y = regression
    with pytest.raises(error, match=match):
        forward_selection(tb.TreeBoostRegressor(**SMALL), X, y, **kwargs)


def test_bad_data_and_estimators(regression):
    X, y = regression
    with pytest.raises(ValueError, match=r"y must have shape \(150,\)"):
        forward_selection(tb.TreeBoostRegressor(**SMALL), X, y[:100])
    with pytest.raises(ValueError, match="no feature_importances_"):
        forward_selection(LinearRegression(), X, y, prefilter=2)
    with pytest.raises(ValueError, match="early_stopping_rounds=3"):
        forward_selection(tb.TreeBoostRegressor(early_stopping_rounds=3), X, y)
    with pytest.raises(TypeError, match="estimator must be"):
        forward_selection(object(), X, y)


def test_dataframe_columns_name_the_units(regression):
    pd = pytest.importorskip("pandas")
    X, y = regression
    frame = pd.DataFrame(X, columns=["a", "b", "signal", "c", "second", "d"])
    result = forward_selection(
        tb.TreeBoostRegressor(**SMALL),
        frame,
        y,
        cv=3,
        groups={"both": ["signal", "second"]},
        max_features=1,
    )
    assert result.selected == ["both"]
    assert result.selected_features == ["signal", "second"]
