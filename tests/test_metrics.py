"""Tests for treeboost.metrics, against scikit-learn on random data with ties and weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    roc_auc_score,
)

from treeboost.metrics import METRIC_NAMES, Metric, auc, error, get_metric, logloss, rmse


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def _weights(rng, n, weighted):
    return rng.uniform(0.0, 3.0, size=n) if weighted else None


@pytest.mark.parametrize("weighted", [False, True])
def test_regression_metrics_match_sklearn(rng, weighted):
    n = 200
    y, p = rng.normal(size=n), rng.normal(size=n)
    w = _weights(rng, n, weighted)
    assert get_metric("rmse")(y, p, w) == pytest.approx(
        math.sqrt(mean_squared_error(y, p, sample_weight=w)), rel=1e-12
    )
    assert get_metric("mae")(y, p, w) == pytest.approx(
        mean_absolute_error(y, p, sample_weight=w), rel=1e-12
    )


@pytest.mark.parametrize("weighted", [False, True])
def test_binary_metrics_match_sklearn(rng, weighted):
    n = 300
    y = rng.integers(0, 2, size=n).astype(np.float64)
    # Rounded to one decimal: many ties, between and within the classes.
    p = np.round(np.clip(0.3 * y + rng.uniform(0, 0.7, size=n), 0.01, 0.99), 1)
    w = _weights(rng, n, weighted)
    assert len(np.unique(p)) < 15
    assert get_metric("auc")(y, p, w) == pytest.approx(
        roc_auc_score(y, p, sample_weight=w), rel=1e-12
    )
    p_smooth = rng.uniform(0.02, 0.98, size=n)
    assert get_metric("logloss")(y, p_smooth, w) == pytest.approx(
        log_loss(y, p_smooth, sample_weight=w), rel=1e-10
    )
    assert get_metric("error")(y, p, w) == pytest.approx(
        1 - accuracy_score(y, p > 0.5, sample_weight=w), rel=1e-12
    )
    assert get_metric("error@0.7")(y, p, w) == pytest.approx(
        1 - accuracy_score(y, p > 0.7, sample_weight=w), rel=1e-12
    )


@pytest.mark.parametrize("weighted", [False, True])
def test_multiclass_metrics_match_sklearn(rng, weighted):
    n, k = 250, 4
    y = rng.integers(0, k, size=n).astype(np.float64)
    raw = rng.uniform(0.05, 1.0, size=(n, k))
    prob = raw / raw.sum(axis=1, keepdims=True)
    w = _weights(rng, n, weighted)
    assert get_metric("mlogloss")(y, prob, w) == pytest.approx(
        log_loss(y, prob, sample_weight=w, labels=range(k)), rel=1e-10
    )
    assert get_metric("merror")(y, prob, w) == pytest.approx(
        1 - accuracy_score(y, prob.argmax(axis=1), sample_weight=w), rel=1e-12
    )


def test_hand_pinned_values():
    assert rmse([0.0, 2.0], [1.0, 1.0]) == 1.0
    assert auc(np.array([0.0, 1.0]), np.array([0.5, 0.5])) == 0.5
    assert auc(np.array([0.0, 1.0, 1.0]), np.array([0.1, 0.2, 0.9])) == 1.0
    assert auc(np.array([0.0, 1.0, 1.0]), np.array([0.9, 0.2, 0.1])) == 0.0
    # one positive tied with one of two negatives, above the other: (1 + 0.5) / 2
    assert auc(np.array([1.0, 0.0, 0.0]), np.array([0.6, 0.6, 0.1])) == 0.75
    # weight 3 on the tied negative: (1 + 3 * 0.5) / 4
    assert auc([1.0, 0.0, 0.0], [0.6, 0.6, 0.1], [1.0, 3.0, 1.0]) == 0.625
    assert error([0.0, 1.0, 1.0, 0.0], [0.6, 0.6, 0.4, 0.5]) == 0.5
    assert logloss([1.0], [1.0]) == pytest.approx(-math.log(1 - 1e-15))
    assert logloss([1.0], [0.0]) == pytest.approx(-math.log(1e-15))


def test_auc_with_a_single_class_is_nan():
    assert math.isnan(get_metric("auc")(np.ones(5), np.linspace(0, 1, 5), None))
    assert math.isnan(auc(np.zeros(3), np.array([0.2, 0.5, 0.1])))


def test_auc_is_order_invariant_and_accepts_column_prediction(rng):
    n = 100
    y = rng.integers(0, 2, size=n).astype(np.float64)
    p = np.round(rng.uniform(size=n), 1)
    perm = rng.permutation(n)
    assert auc(y, p) == pytest.approx(auc(y[perm], p[perm]), rel=1e-14)
    assert auc(y, p[:, None]) == auc(y, p)


def test_get_metric_names_and_direction():
    assert {"rmse", "mae", "logloss", "error", "auc", "mlogloss", "merror"} <= set(METRIC_NAMES)
    params = {"quantile_alpha": 0.5, "expectile_alpha": 0.5}
    for name in METRIC_NAMES:
        metric = get_metric(name, params)
        assert isinstance(metric, Metric)
        assert metric.name.split("@")[0] == name
        assert metric.maximize == (name in ("auc", "aucpr"))
    assert get_metric("error@0.7").name == "error@0.7"
    assert not get_metric("error@0.7").maximize


def test_get_metric_errors():
    with pytest.raises(ValueError, match="'aucc'.*valid names.*Did you mean 'auc'"):
        get_metric("aucc")
    with pytest.raises(ValueError, match="'mlogloss'"):
        get_metric("mlogloss2x")
    with pytest.raises(ValueError, match=r"error@.*\[0, 1\].*'abc'"):
        get_metric("error@abc")
    with pytest.raises(ValueError, match=r"\[0, 1\].*'1.5'"):
        get_metric("error@1.5")


def test_shape_errors_name_the_metric():
    with pytest.raises(ValueError, match="rmse.*shape"):
        rmse(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="mlogloss.*shape"):
        get_metric("mlogloss")(np.zeros(3), np.zeros(3), None)
    with pytest.raises(ValueError, match=r"merror needs integer labels in 0\.\.1"):
        get_metric("merror")(np.array([0.0, 2.0]), np.full((2, 2), 0.5), None)
