"""DART, random-forest rounds, feature weights, learning-rate schedules, checkpoints, slicing
and base margins."""

from __future__ import annotations

import os

import numpy as np
import pytest

import treeboost as tb


def _data(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    y = X[:, 0] + 0.5 * X[:, 1] ** 2 + 0.2 * rng.normal(size=n)
    return X, y


def test_dart_without_drops_equals_gbtree():
    X, y = _data()
    d = tb.Dataset(X, label=y)
    gbtree = tb.train({"learning_rate": 0.2}, d, 15)
    dart = tb.train({"learning_rate": 0.2, "booster": "dart", "rate_drop": 0.0}, d, 15)
    np.testing.assert_allclose(dart.predict(X), gbtree.predict(X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("normalize_type", ["tree", "forest"])
@pytest.mark.parametrize("sample_type", ["uniform", "weighted"])
def test_dart_margins_match_prediction_and_learns(normalize_type, sample_type):
    X, y = _data()
    d = tb.Dataset(X[:1000], label=y[:1000])
    v = tb.Dataset(X[1000:], label=y[1000:], reference=d)
    ev: dict = {}
    params = {
        "booster": "dart",
        "rate_drop": 0.3,
        "one_drop": True,
        "normalize_type": normalize_type,
        "sample_type": sample_type,
        "learning_rate": 0.3,
    }
    booster = tb.train(params, d, 25, evals=[(d, "train"), (v, "valid")], evals_result=ev)
    # The incrementally kept scores equal a fresh prediction with every (rescaled) tree.
    assert ev["valid"]["rmse"][-1] == pytest.approx(
        float(np.sqrt(np.mean((booster.predict(X[1000:]) - y[1000:]) ** 2))), rel=1e-9
    )
    assert ev["train"]["rmse"][-1] == pytest.approx(
        float(np.sqrt(np.mean((booster.predict(X[:1000]) - y[:1000]) ** 2))), rel=1e-9
    )
    assert ev["valid"]["rmse"][-1] < 0.7 * ev["valid"]["rmse"][0]
    plain = tb.train({"learning_rate": 0.3}, d, 25)
    assert not np.allclose(plain.predict(X), booster.predict(X))


def test_random_forest_rounds():
    X, y = _data()
    params = {
        "num_parallel_tree": 8,
        "subsample": 0.6,
        "colsample_bynode": 0.6,
        "learning_rate": 1.0,
        "max_depth": 8,
    }
    forest = tb.train(params, tb.Dataset(X, label=y), 1)
    assert forest.num_boosted_rounds() == 1 and forest.num_trees() == 8
    # Each tree fits the same residuals with 1/8 of the step: the forest averages them.
    values = [t.value[t.left < 0] for t in forest.trees]
    assert all(np.abs(v).max() < np.abs(y).max() for v in values)
    mse = np.mean((forest.predict(X) - y) ** 2)
    assert mse < 0.5 * np.var(y)
    boosted = tb.train(params, tb.Dataset(X, label=y), 3)
    assert boosted.num_trees() == 24
    np.testing.assert_allclose(
        boosted[0:1].predict(X, output_margin=True),
        boosted.predict(X, output_margin=True, iteration_range=(0, 1)),
    )
    loaded = tb.Booster.load_model(boosted.save_raw())
    assert loaded.num_boosted_rounds() == 3
    np.testing.assert_array_equal(loaded.predict(X), boosted.predict(X))


def test_feature_weights_steer_column_sampling():
    X, y = _data()
    weights = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    d = tb.Dataset(X, label=y, feature_weights=weights)
    booster = tb.train({"colsample_bynode": 0.5, "colsample_bytree": 0.8}, d, 20)
    used = {int(f) for t in booster.trees for f in t.feature[t.feature >= 0]}
    assert used and not used & {0, 3}
    with pytest.raises(ValueError, match="feature_weights must have shape"):
        tb.Dataset(X, label=y, feature_weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="at least one positive"):
        tb.Dataset(X, label=y, feature_weights=np.zeros(5))
    reg = tb.TreeBoostRegressor(n_estimators=5, colsample_bynode=0.5)
    reg.fit(X, y, feature_weights=weights)
    trees = reg.get_booster().trees
    assert not {int(f) for t in trees for f in t.feature[t.feature >= 0]} & {0, 3}


def test_learning_rate_scheduler():
    X, y = _data()
    d = tb.Dataset(X, label=y)
    rates = [0.3] * 5 + [0.05] * 5
    scheduled = tb.train({}, d, 10, callbacks=[tb.LearningRateScheduler(rates)])
    by_callable = tb.train(
        {}, d, 10, callbacks=[tb.LearningRateScheduler(lambda e: 0.3 if e < 5 else 0.05)]
    )
    np.testing.assert_array_equal(scheduled.predict(X), by_callable.predict(X))
    first = tb.train({"learning_rate": 0.3}, d, 5)
    continued = tb.train({"learning_rate": 0.05}, d, 5, init_model=first)
    np.testing.assert_allclose(scheduled.predict(X), continued.predict(X), rtol=1e-12)
    with pytest.raises(ValueError, match="round 10 needs one more"):
        tb.train({}, d, 11, callbacks=[tb.LearningRateScheduler(rates)])


@pytest.mark.parametrize(
    "params",
    [
        {"subsample": 0.7, "colsample_bytree": 0.8},
        {"booster": "dart", "rate_drop": 0.2},
        {"objective": "reg:absoluteerror", "subsample": 0.8},
    ],
)
def test_resuming_from_a_checkpoint_gives_the_uninterrupted_model(tmp_path, params):
    X, y = _data()
    d = tb.Dataset(X, label=y)
    checkpoint = tb.TrainingCheckPoint(tmp_path, interval=4)
    full = tb.train(params, d, 12, callbacks=[checkpoint])
    assert sorted(os.listdir(tmp_path)) == ["model_12.json", "model_4.json", "model_8.json"]
    partial = tb.Booster.load_model(checkpoint.path_for(8))
    resumed = tb.train(params, d, 4, init_model=partial)
    if params.get("booster") == "dart":
        # Dropout draws are replayed exactly; tree weights from before the checkpoint are
        # not stored, so weighted sampling could differ (uniform sampling here does not).
        np.testing.assert_allclose(resumed.predict(X), full.predict(X), rtol=1e-9, atol=1e-9)
    else:
        np.testing.assert_allclose(resumed.predict(X), full.predict(X), rtol=1e-12, atol=1e-12)
        for a, b in zip(resumed.trees, full.trees):
            np.testing.assert_array_equal(a.feature, b.feature)
            np.testing.assert_array_equal(a.split_bin, b.split_bin)
    with pytest.raises(ValueError, match="interval"):
        tb.TrainingCheckPoint(tmp_path, interval=0)


def test_booster_slicing_matches_iteration_range():
    X, y = _data()
    booster = tb.train({}, tb.Dataset(X, label=y), 20)
    part = booster[5:12]
    assert part.num_boosted_rounds() == 7
    np.testing.assert_allclose(
        part.predict(X, output_margin=True),
        booster.predict(X, output_margin=True, iteration_range=(5, 12)),
        rtol=1e-12,
    )
    assert booster[-1].num_boosted_rounds() == 1
    assert booster[:].num_trees() == 20
    with pytest.raises(ValueError, match="step 1"):
        booster[::2]
    with pytest.raises(IndexError):
        booster[20]
    with pytest.raises(TypeError):
        booster["a"]
    # A slice is independent of its source.
    part.trees[0].value[:] = 0.0
    assert booster.trees[5].value.any()


def test_base_margin_on_datasets():
    X, y = _data()
    offset = np.full(X.shape[0], 3.0)
    d = tb.Dataset(X, label=y + 3.0, base_margin=offset)
    booster = tb.train({"base_score": 0.0}, d, 10)
    plain = tb.train({"base_score": 0.0}, tb.Dataset(X, label=y), 10)
    np.testing.assert_allclose(
        booster.predict(tb.Dataset(X, base_margin=offset)), plain.predict(X) + 3.0, rtol=1e-9
    )
    np.testing.assert_allclose(booster.predict(X), plain.predict(X), rtol=1e-9, atol=1e-9)


def test_early_stopping_callback_options():
    X, y = _data()
    d = tb.Dataset(X[:1000], label=y[:1000])
    v = tb.Dataset(X[1000:], label=y[1000:], reference=d)
    es = tb.EarlyStopping(3, metric_name="mae", data_name="valid", save_best=True, min_delta=0.5)
    booster = tb.train(
        {"eval_metric": ["rmse", "mae"], "learning_rate": 0.1},
        d,
        100,
        evals=[(v, "valid"), (d, "train")],
        callbacks=[es],
    )
    # Improvements below min_delta do not count, so it stops early and keeps the best round.
    assert booster.num_boosted_rounds() == es.best_iteration + 1 < 20


def test_early_stopping_direction_of_ranking_and_survival_metrics():
    from treeboost.training.callbacks import metric_is_maximized

    # A regression test: "ndcg@10-" and "map-" were minimised, and so were the survival scores.
    for name in ("ndcg@10-", "map-", "pre@5", "c-index", "interval-regression-accuracy", "auc"):
        assert metric_is_maximized(name), name
    for name in ("cox-nloglik", "aft-nloglik", "rmse", "error@0.7"):
        assert not metric_is_maximized(name), name
