"""Accuracy parity with XGBoost's ``hist`` trees on the real example data, same parameters."""

import numpy as np
import pytest
from sklearn.metrics import log_loss, roc_auc_score

import treeboost as tb
from conftest import load_tsv

xgb = pytest.importorskip("xgboost")

ROUNDS = 100
COMMON = {"max_depth": 6, "learning_rate": 0.1}


def _load(shared_data, folder, stem):
    base = shared_data / "lightgbm-examples" / folder
    return (*load_tsv(base / f"{stem}.train"), *load_tsv(base / f"{stem}.test"))


def _fit_both(params, X, y, Xt):
    ours = tb.train({**COMMON, **params}, tb.Dataset(X, label=y), ROUNDS)
    xgb_params = {**params, "max_depth": 6, "eta": 0.1, "tree_method": "hist", "nthread": 2}
    theirs = xgb.train(xgb_params, xgb.DMatrix(X, label=y), ROUNDS)
    return ours.predict(Xt), theirs.predict(xgb.DMatrix(Xt))


def test_binary_auc_parity(shared_data):
    X, y, Xt, yt = _load(shared_data, "binary_classification", "binary")
    ours, theirs = _fit_both({"objective": "binary:logistic"}, X, y, Xt)
    auc_ours, auc_theirs = roc_auc_score(yt, ours), roc_auc_score(yt, theirs)
    print(f"AUC treeboost {auc_ours:.5f} xgboost {auc_theirs:.5f}")
    assert auc_ours >= auc_theirs - 0.005


def test_regression_rmse_parity(shared_data):
    X, y, Xt, yt = _load(shared_data, "regression", "regression")
    ours, theirs = _fit_both({"objective": "reg:squarederror"}, X, y, Xt)
    rmse_ours = float(np.sqrt(np.mean((ours - yt) ** 2)))
    rmse_theirs = float(np.sqrt(np.mean((theirs - yt) ** 2)))
    print(f"RMSE treeboost {rmse_ours:.5f} xgboost {rmse_theirs:.5f}")
    assert rmse_ours <= 1.01 * rmse_theirs


def test_multiclass_logloss_parity(shared_data):
    X, y, Xt, yt = _load(shared_data, "multiclass_classification", "multiclass")
    params = {"objective": "multi:softprob", "num_class": 5}
    ours, theirs = _fit_both(params, X, y, Xt)
    ll_ours = log_loss(yt, ours, labels=range(5))
    ll_theirs = log_loss(yt, theirs, labels=range(5))
    print(f"mlogloss treeboost {ll_ours:.5f} xgboost {ll_theirs:.5f}")
    assert ll_ours <= 1.02 * ll_theirs
