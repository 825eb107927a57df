"""Out-of-fold and leave-one-out predictions: agreement with scikit-learn's cross_val_predict,
class alignment, treeboost models, errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, LeaveOneOut, StratifiedKFold, cross_val_predict
from sklearn.preprocessing import StandardScaler
from treeboost.model_selection import loo_predict, oof_predict

import treeboost as tb


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """Small linear models spend most of their time starting BLAS threads on a shared 2-core
    machine; one thread makes these tests several times faster."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def test_oof_probabilities_equal_cross_val_predict():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    ours = oof_predict(LogisticRegression(C=0.1), X, y, cv=folds)
    expected = cross_val_predict(LogisticRegression(C=0.1), X, y, cv=folds, method="predict_proba")
    np.testing.assert_allclose(ours, expected, atol=1e-12)


def test_oof_regression_and_leave_one_out_equal_cross_val_predict():
    X, y = load_diabetes(return_X_y=True)
    X, y = X[:80], y[:80]
    ours = oof_predict(Ridge(), X, y, cv=KFold(4), method="predict")
    np.testing.assert_allclose(ours, cross_val_predict(Ridge(), X, y, cv=KFold(4)), atol=1e-9)
    loo = loo_predict(Ridge(), X, y, method="predict", n_jobs=2)
    np.testing.assert_allclose(loo, cross_val_predict(Ridge(), X, y, cv=LeaveOneOut()), atol=1e-9)


def test_leave_one_out_with_treeboost_feeds_the_metrics():
    X, y = load_breast_cancer(return_X_y=True)
    rows = np.random.default_rng(0).choice(len(y), 120, replace=False)
    X, y = X[rows], y[rows]
    model = tb.TreeBoostClassifier(n_estimators=15, max_depth=3, n_jobs=1)
    proba = loo_predict(model, X, y)
    assert proba.shape == (120, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Row i's prediction comes from a model that never saw row i.
    i = 7
    keep = np.arange(120) != i
    refit = tb.TreeBoostClassifier(n_estimators=15, max_depth=3, n_jobs=1).fit(X[keep], y[keep])
    np.testing.assert_allclose(proba[i], refit.predict_proba(X[i : i + 1])[0])
    assert tb.metrics.roc_auc(y, proba[:, 1]) > 0.9


def test_a_class_missing_from_a_training_fold_gets_probability_zero():
    X, y = load_iris(return_X_y=True)
    X, y = np.vstack([X[:40], X[50:90], X[100:101]]), np.r_[y[:40], y[50:90], y[100:101]]
    proba = loo_predict(LogisticRegression(max_iter=500), X, y)
    assert proba.shape == (81, 3)
    assert proba[-1, 2] == 0.0  # the lone class-2 row was left out of its own model
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_string_labels_and_pandas_frames():
    pd = pytest.importorskip("pandas")
    X, y = load_iris(return_X_y=True)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    proba = oof_predict(
        tb.TreeBoostClassifier(n_estimators=10, n_jobs=1), frame, labels, random_state=0
    )
    assert proba.shape == (150, 3)
    assert np.mean(proba.argmax(axis=1) == y) > 0.9


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "predict_log"}, ValueError, "method='predict_log' is not valid"),
        ({"cv": 1}, ValueError, "cv=1 is not valid"),
        ({"cv": "loo"}, ValueError, "cv='loo' is not valid"),
    ],
)
def test_errors_name_the_parameter(kwargs, error, match):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(error, match=match):
        oof_predict(LogisticRegression(), X, y, **kwargs)


def test_errors_on_inputs():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="X has 150 rows but y has 149"):
        oof_predict(LogisticRegression(), X, y[:-1])
    with pytest.raises(TypeError, match="has no predict_proba"):
        oof_predict(Ridge(), X, y.astype(float))
    with pytest.raises(ValueError, match="exactly one test fold"):
        from sklearn.model_selection import ShuffleSplit

        oof_predict(LogisticRegression(), X, y, cv=ShuffleSplit(2, random_state=0))


def test_sample_weight_shape_is_checked_and_weights_reach_the_folds():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="sample_weight has shape \\(3,\\)"):
        oof_predict(LogisticRegression(), X, y, sample_weight=[1.0, 2.0, 3.0])
    weight = np.where(y == 0, 5.0, 1.0)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    weighted = oof_predict(LogisticRegression(max_iter=500), X, y, cv=folds, sample_weight=weight)
    plain = oof_predict(LogisticRegression(max_iter=500), X, y, cv=folds)
    assert not np.allclose(weighted, plain)
