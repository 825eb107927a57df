"""treeboost.timeseries: lags and leads by time (gaps, groups, no leakage), rolling-origin folds,
baselines, regime scores and the nowcaster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import cross_val_score

import treeboost as tb
from treeboost.timeseries import (
    Nowcaster,
    RollingOriginSplit,
    climatology_forecast,
    make_lag_features,
    persistence_forecast,
    regime_metrics,
    rolling_origin_splits,
    skill_score,
)


def _stations(n_hours=120, seed=0, drop=0.1):
    """Two stations' hourly AR(1) series with random missing hours, rows interleaved."""
    rng = np.random.default_rng(seed)
    frames = []
    for g, station in enumerate(["north", "south"]):
        hours = pd.date_range("2024-03-01", periods=n_hours, freq="h")
        x = np.empty(n_hours)
        x[0] = 0.0
        for i in range(1, n_hours):
            x[i] = 0.8 * x[i - 1] + rng.normal()
        frame = pd.DataFrame({"time": hours, "station": station, "v": x + 10 * g,
                              "w": rng.normal(size=n_hours)})
        frames.append(frame[rng.random(n_hours) > drop])
    both = pd.concat(frames).sort_values("time", kind="stable").reset_index(drop=True)
    return both


def _value_at(frame, station, when, column="v"):
    hit = frame[(frame.station == station) & (frame.time == when)]
    return float(hit[column].iloc[0]) if len(hit) else np.nan


# -- lags and leads -----------------------------------------------------------------------------
def test_lags_and_leads_read_the_value_at_that_time_in_the_same_series():
    frame = _stations(60)
    out = make_lag_features(frame, "v", lags=[0, 1, 3], leads=[2], group="station", time="time",
                            dropna=False)
    hour = pd.Timedelta(1, "h")
    for _, row in out.iterrows():
        for k in (1, 3):
            expected = _value_at(frame, row.station, row.time - k * hour)
            np.testing.assert_equal(row[f"v_lag{k}"], expected)
        np.testing.assert_equal(row["v_lead2"], _value_at(frame, row.station, row.time + 2 * hour))
        assert row["v_lag0"] == row["v"]
    # The frame keeps its rows, order and index when nothing is dropped.
    pd.testing.assert_frame_equal(out[frame.columns], frame)


def test_a_lag_never_reads_a_later_time():
    frame = _stations(80, seed=3)
    # Replace every value by its row's time: a lag must then hold an earlier time.
    seconds = ((frame.time - pd.Timestamp("2024-01-01")) / pd.Timedelta(1, "s")).to_numpy()
    stamped = frame.assign(v=seconds, w=seconds)
    lagged = make_lag_features(stamped, ["v", "w"], lags=[1, 2, 5], group="station",
                               time="time", dropna=False)
    now = seconds
    for k in (1, 2, 5):
        for name in ("v", "w"):
            values = lagged[f"{name}_lag{k}"].to_numpy()
            present = ~np.isnan(values)
            assert present.any()
            np.testing.assert_allclose(now[present] - values[present], k * 3600.0)


def test_rows_order_is_time_without_a_time_column_and_dropna_drops_the_edges():
    frame = pd.DataFrame({"g": list("aaabbbb"), "v": [1.0, 2, 3, 10, 20, 30, 40]})
    out = make_lag_features(frame, "v", lags=[1], leads=[1], group="g", dropna=False)
    np.testing.assert_array_equal(out.v_lag1, [np.nan, 1, 2, np.nan, 10, 20, 30])
    np.testing.assert_array_equal(out.v_lead1, [2, 3, np.nan, 20, 30, 40, np.nan])
    kept = make_lag_features(frame, "v", lags=[1], leads=[1], group="g")
    assert list(kept.index) == [1, 4, 5]


def test_time_span_lags_and_an_explicit_freq():
    frame = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=6, freq="30min"),
                          "v": np.arange(6.0)})
    by_span = make_lag_features(frame, "v", lags=[np.timedelta64(1, "h")], time="time",
                                dropna=False)
    np.testing.assert_array_equal(by_span.v_lag2, [np.nan, np.nan, 0, 1, 2, 3])
    hourly = make_lag_features(frame.iloc[::2], "v", lags=[1], time="time", freq="30min",
                               dropna=False)
    assert np.isnan(hourly.v_lag1).all()  # 30 minutes earlier is never observed


def test_polars_frames_give_the_same_features():
    pl = pytest.importorskip("polars")
    frame = _stations(50, seed=1)
    expected = make_lag_features(frame, "v", lags=[1, 2], leads=[1], group="station",
                                 time="time")
    got = make_lag_features(pl.from_pandas(frame), "v", lags=[1, 2], leads=[1],
                            group="station", time="time")
    assert isinstance(got, pl.DataFrame)
    for name in ("v_lag1", "v_lag2", "v_lead1"):
        np.testing.assert_array_equal(got[name].to_numpy(), expected[name].to_numpy())


@pytest.mark.parametrize(
    "edit, kwargs, match",
    [
        (lambda f: f.assign(time=f.time.where(f.index != 5, f.time[4])), {},
         "is repeated at row 5"),
        (lambda f: f.iloc[[0, 2, 1, 3]], {}, "goes back in time"),
        (lambda f: f.assign(time=f.time + pd.to_timedelta(np.r_[0, 0, 0, 17, [0] * 6], "min")),
         {}, "irregular"),
        (lambda f: f, {"time": "when"}, "time 'when' is not a column"),
        (lambda f: f, {"lags": [20]}, "lag 20 is longer than every series"),
        (lambda f: f, {"lags": [-1]}, "negative lag would read the future"),
        (lambda f: f, {"leads": [0]}, "leads entry 0 is not valid"),
        (lambda f: f, {"columns": "label"}, "column 'label' must be numeric"),
        (lambda f: f.assign(v_lag1=1.0), {}, "'v_lag1' already exists"),
        (lambda f: f, {"group": "site"}, "group 'site' is not a column"),
        (lambda f: f, {"freq": "fortnight-ish"}, "freq='fortnight-ish' is not a time step"),
        (lambda f: f, {"freq": 3600}, "freq=3600 is a bare number"),
    ],
)
def test_bad_input_names_the_column_and_value(edit, kwargs, match):
    frame = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=10, freq="h"),
                          "v": np.arange(10.0), "label": list("abcdefghij")})
    args = {"columns": "v", "lags": [1], "time": "time", **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        make_lag_features(edit(frame), **args)


# -- rolling-origin folds ------------------------------------------------------------------------
@pytest.mark.parametrize("window", ["expanding", "sliding"])
def test_folds_train_only_on_the_past_with_the_gap(window):
    folds = list(rolling_origin_splits(50, n_splits=4, horizon=5, gap=3, window=window))
    assert len(folds) == 4
    tests = np.concatenate([test for _, test in folds])
    np.testing.assert_array_equal(tests, np.arange(30, 50))
    sizes = set()
    for train, test in folds:
        assert train.max() + 3 < test.min()  # at least the gap between them
        assert test.size == 5
        sizes.add(train.size)
        if window == "expanding":
            assert train.min() == 0
    assert (len(sizes) == 1) == (window == "sliding")


def test_folds_by_time_keep_each_time_point_in_one_fold():
    frame = _stations(40, seed=2, drop=0.0)
    splitter = RollingOriginSplit(n_splits=3, horizon=4, gap=2, time=frame.time)
    for train, test in splitter.split(frame):
        assert frame.time[train].max() + pd.Timedelta(2, "h") < frame.time[test].min()
        assert set(frame.station[test]) == {"north", "south"}
        assert set(frame.time[test]).isdisjoint(frame.time[train])


def test_folds_serve_scikit_learn_and_tb_cv():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=200)
    splitter = RollingOriginSplit(n_splits=3, horizon=20)
    scores = cross_val_score(Ridge(), X, y, cv=splitter)
    assert scores.shape == (3,) and scores.min() > 0.9
    result = tb.cv({"max_depth": 2}, tb.Dataset(X, label=y), num_boost_round=5,
                   folds=rolling_origin_splits(200, n_splits=3, horizon=20))
    assert len(next(iter(result.values()))) == 5
    from treeboost.tune import Integer, TreeBoostSearchCV

    # All three columns in every tree: with one informative column, five trees drawing two of
    # three columns each would make the score a matter of which columns the draws left out.
    search = TreeBoostSearchCV(tb.TreeBoostRegressor(n_estimators=5, n_jobs=1,
                                                     colsample_bytree=1.0),
                               {"max_depth": Integer(2, 3)}, strategy="random", n_trials=2,
                               cv=splitter, random_state=0).fit(X, y)
    assert search.best_score_ > 0.3  # R^2 of 5 small trees over the three rolling-origin folds


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_splits": 0}, "n_splits=0"),
        ({"horizon": 1.5}, "horizon=1.5"),
        ({"gap": -1}, "gap=-1"),
        ({"window": "rolling"}, "window='rolling'"),
        ({"n_splits": 5, "horizon": 4}, "too few"),
    ],
)
def test_bad_fold_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        list(rolling_origin_splits(20, **kwargs))


# -- baselines and scores ------------------------------------------------------------------------
def test_persistence_is_the_value_lead_steps_earlier():
    frame = _stations(60, seed=4)
    lagged = make_lag_features(frame, "v", lags=[2], group="station", time="time", dropna=False)
    np.testing.assert_array_equal(
        persistence_forecast(frame, "v", 2, group="station", time="time"), lagged.v_lag2)
    with pytest.raises(ValueError, match="lead=0"):
        persistence_forecast(frame, "v", 0)


def test_climatology_averages_the_training_rows_of_each_season():
    times = pd.date_range("2024-01-01", periods=48, freq="h")
    train = pd.DataFrame({"time": times, "v": np.tile(np.arange(24.0), 2) + np.repeat([0, 2], 24)})
    later = pd.DataFrame({"time": pd.date_range("2024-02-01 05:00", periods=3, freq="h")})
    np.testing.assert_allclose(climatology_forecast(train, "v", "time", frame=later), [6, 7, 8])
    only_morning = train[train.time.dt.hour < 12]
    overall = only_morning.v.mean()
    evening = pd.DataFrame({"time": [pd.Timestamp("2024-03-01 20:00")]})
    np.testing.assert_allclose(
        climatology_forecast(only_morning, "v", "time", frame=evening), [overall])
    by_parity = climatology_forecast(train, "v", "time", by=lambda t: t.astype("int64") % 2)
    assert np.unique(by_parity).size <= 2
    np.testing.assert_allclose(climatology_forecast(train, "v", by=None), train.v.mean())
    with pytest.raises(ValueError, match="by='season'"):
        climatology_forecast(train, "v", "time", by="season")


def test_regime_metrics_and_skill_by_hand():
    y = np.array([0.5, 0.8, 3.0, 5.0, np.nan])
    p = np.array([1.0, 0.6, 3.5, 4.0, 1.0])
    base = np.array([2.0, 2.0, 2.0, 2.0, 2.0])
    table = regime_metrics(y, p, thresholds=[1.0], baseline=base)
    assert table["all"]["n"] == 4 and table["< 1"]["n"] == 2
    np.testing.assert_allclose(table["< 1"]["rmse"], np.sqrt((0.25 + 0.04) / 2))
    np.testing.assert_allclose(table["< 1"]["bias"], (0.5 - 0.2) / 2)
    np.testing.assert_allclose(table["< 1"]["mae"], 0.35)
    np.testing.assert_allclose(table["< 1"]["baseline_rmse"], np.sqrt((1.5**2 + 1.2**2) / 2))
    np.testing.assert_allclose(
        table["< 1"]["skill"], 1 - table["< 1"]["rmse"] / table["< 1"]["baseline_rmse"])
    assert skill_score(y, p, base) == pytest.approx(table["all"]["skill"])
    assert skill_score(y, base, base) == 0.0
    high = regime_metrics(y, p, thresholds=4.0, above=True)
    assert high[">= 4"]["n"] == 1 and high[">= 4"]["rmse"] == pytest.approx(1.0)
    empty = regime_metrics(y, p, thresholds=[-5])
    assert empty["< -5"]["n"] == 0 and np.isnan(empty["< -5"]["rmse"])
    with pytest.raises(ValueError, match="y_pred 3"):
        regime_metrics(y, p[:3])
    with pytest.raises(ValueError, match="metric='r2'"):
        skill_score(y, p, base, metric="r2")


# -- the nowcaster -------------------------------------------------------------------------------
def test_nowcaster_beats_persistence_and_reads_no_future():
    frame = _stations(400, seed=5)
    train, test = frame[frame.time < "2024-03-14"], frame[frame.time >= "2024-03-14"]
    model = Nowcaster(Ridge(), target="v", lags=[0, 1, 2], leads=[1, 3], features=["w"],
                      group="station", time="time").fit(train)
    forecasts = model.predict(test)
    assert list(forecasts.columns) == ["v_lead1", "v_lead3"]
    assert forecasts.index.equals(test.index)
    truth = make_lag_features(test, "v", leads=[1, 3], lags=[], group="station", time="time",
                              dropna=False)
    for k in (1, 3):
        # Persistence issued at each row: the row's current value.
        table = regime_metrics(truth[f"v_lead{k}"], forecasts[f"v_lead{k}"],
                               baseline=test.v.to_numpy())
        assert table["all"]["skill"] > 0.0, k
    # Changing the future leaves earlier forecasts alone.
    cut = test.time.iloc[len(test) // 2]
    later = test.time > cut
    altered = test.assign(v=np.where(later, 1e3, test.v), w=np.where(later, -1e3, test.w))
    early = test.time <= cut
    pd.testing.assert_frame_equal(model.predict(altered)[early], forecasts[early])


def test_nowcaster_one_model_for_all_leads_and_polars():
    pl = pytest.importorskip("polars")
    frame = _stations(200, seed=6)
    stacked = Nowcaster(tb.TreeBoostRegressor(n_estimators=20), target="v", leads=[1, 2],
                        group="station", time="time", per_lead=False).fit(frame)
    assert stacked.models_[1] is stacked.models_[2]
    out = stacked.predict(pl.from_pandas(frame))
    assert isinstance(out, pl.DataFrame) and out.columns == ["v_lead1", "v_lead2"]
    np.testing.assert_allclose(out["v_lead1"].to_numpy(), stacked.predict(frame).v_lead1)


def test_nowcaster_intervals_cover_on_fresh_data():
    frame = _stations(1500, seed=7, drop=0.05)
    past, future = frame[frame.time < "2024-04-30"], frame[frame.time >= "2024-04-30"]
    model = Nowcaster(Ridge(), target="v", lags=[0, 1], leads=[1, 2], group="station",
                      time="time", calibration_size=0.3).fit(past)
    bounds = model.predict_interval(future, alpha=0.2)
    truth = make_lag_features(future, "v", leads=[1, 2], lags=[], group="station",
                              time="time", dropna=False)
    for k in (1, 2):
        y = truth[f"v_lead{k}"].to_numpy()
        lo = bounds[f"v_lead{k}_lower"].to_numpy()
        hi = bounds[f"v_lead{k}_upper"].to_numpy()
        ok = ~np.isnan(y) & ~np.isnan(lo)  # Ridge takes no NaN: rows after a gap get none
        assert ok.mean() > 0.8
        coverage = np.mean((y[ok] >= lo[ok]) & (y[ok] <= hi[ok]))
        assert 0.72 <= coverage <= 0.9, (k, coverage)


def test_nowcaster_bad_input():
    frame = _stations(60)
    with pytest.raises(ValueError, match="target is not set"):
        Nowcaster(Ridge()).fit(frame)
    with pytest.raises(ValueError, match="column 'rain' is not a column"):
        Nowcaster(Ridge(), target="v", features=["rain"], time="time", group="station").fit(frame)
    with pytest.raises(ValueError, match="calibration_size=1.0"):
        Nowcaster(Ridge(), target="v", time="time", group="station",
                  calibration_size=1.0).fit(frame)
    with pytest.raises(ValueError, match="calibration_size > 0"):
        Nowcaster(Ridge(), target="v", time="time", group="station").fit(frame).predict_interval(
            frame)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Nowcaster(Ridge(), target="v").predict(frame)
