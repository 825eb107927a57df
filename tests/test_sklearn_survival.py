"""TreeBoostSurvival: the three target forms, hazard ratios and survival curves (Cox with its
Breslow baseline, AFT from its distribution), concordance, the baseline in the model file."""

from __future__ import annotations

import numpy as np
import pytest

import treeboost as tb
from treeboost import TreeBoostSurvival
from treeboost.sklearn.survival import survival_targets


def _survival_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    risk = 0.8 * X[:, 0] - 0.5 * X[:, 1]
    event_time = rng.exponential(np.exp(-risk))
    censor_time = rng.exponential(1.5, size=n)
    time = np.minimum(event_time, censor_time)
    event = event_time <= censor_time
    return X, time, event


def test_target_forms_agree():
    time = np.array([1.0, 2.0, 3.0])
    event = np.array([True, False, True])
    signed = np.where(event, time, -time)
    structured = np.array(list(zip(event, time)), dtype=[("event", "?"), ("time", "f8")])
    bounds = np.column_stack([time, np.where(event, time, np.inf)])
    for y in (signed, structured, bounds):
        t, e, upper = survival_targets(y)
        np.testing.assert_array_equal(t, time)
        np.testing.assert_array_equal(e, event)
        np.testing.assert_array_equal(upper, bounds[:, 1])
    with pytest.raises(ValueError, match=r"y\[1\] = 0: in the signed-time convention"):
        survival_targets(np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="row 0 has time -1.0"):
        survival_targets(np.array([[-1.0, 2.0]]))


def test_cox_estimator_ranks_risk_and_gives_survival_curves():
    X, time, event = _survival_data()
    y = np.where(event, time, -time)
    model = TreeBoostSurvival(n_estimators=40, random_state=0).fit(X[:300], y[:300])
    assert model.score(X[300:], y[300:]) > 0.65
    hazard_ratio = model.predict(X[300:])
    assert np.all(hazard_ratio > 0)
    times = np.array([0.0, 0.1, 0.5, 1.0, 3.0])
    curves = model.predict_survival_function(X[300:], times)
    assert curves.shape == (100, 5)
    assert np.all((curves >= 0) & (curves <= 1)) and np.all(np.diff(curves, axis=1) <= 1e-12)
    np.testing.assert_allclose(curves[:, 0], 1.0)
    # A higher hazard ratio means a lower curve at every time.
    order = np.argsort(hazard_ratio)
    assert np.all(np.diff(curves[order, 3]) <= 1e-12)


def test_cox_baseline_round_trips_through_the_model_file(tmp_path):
    X, time, event = _survival_data(n=200)
    booster = tb.train(
        {"objective": "survival:cox", "max_depth": 2},
        tb.Dataset(X, label=np.where(event, time, -time)),
        num_boost_round=10,
    )
    baseline = booster.survival_baseline
    assert baseline is not None and np.all(np.diff(baseline.times) > 0)
    path = tmp_path / "cox.json"
    booster.save_model(path)
    loaded = tb.Booster.load_model(path)
    np.testing.assert_array_equal(loaded.survival_baseline.times, baseline.times)
    times = np.linspace(0, 2, 7)
    np.testing.assert_array_equal(
        loaded.predict_survival(X, times), booster.predict_survival(X, times)
    )
    with pytest.raises(ValueError, match="has no baseline hazard"):
        booster[0:5].predict_survival(X, times)
    text = path.read_text().replace('"cumulative_hazard":[', '"cumulative_hazard":[-1,', 1)
    with pytest.raises(tb.model.model_file.ModelFormatError, match="survival_baseline"):
        tb.Booster.load_model(text)


def test_aft_estimator_with_interval_bounds():
    X, time, event = _survival_data()
    bounds = np.column_stack([time, np.where(event, time, np.inf)])
    model = TreeBoostSurvival(
        objective="survival:aft", aft_loss_distribution="logistic", n_estimators=40
    ).fit(X[:300], bounds[:300])
    predicted_time = model.predict(X[300:])
    assert np.all(predicted_time > 0)
    assert model.score(X[300:], bounds[300:]) > 0.65
    curves = model.predict_survival_function(X[300:], [0.5, 1.0, 2.0])
    assert np.all(np.diff(curves, axis=1) <= 0)
    # S(predicted median) = 0.5 for the symmetric log-time distributions.
    median = model.predict_survival_function(X[300:301], [predicted_time[0]])
    np.testing.assert_allclose(median, 0.5)


def test_survival_estimator_errors():
    X, time, event = _survival_data(n=50)
    with pytest.raises(ValueError, match="not a survival objective"):
        TreeBoostSurvival(objective="reg:squarederror").fit(X, time)
    interval = np.column_stack([time, time + 1.0])
    with pytest.raises(ValueError, match="survival:cox takes right-censored data only"):
        TreeBoostSurvival().fit(X, interval)
    model = TreeBoostSurvival(n_estimators=2).fit(X, time)
    with pytest.raises(ValueError, match="times must be a 1-d array of finite values >= 0"):
        model.predict_survival_function(X, [-1.0])
