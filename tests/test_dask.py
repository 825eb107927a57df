"""Dask training on a LocalCluster of two worker processes: with the same bins, the model file
equals one machine's, tree by tree; the sketch, evaluation, prediction, estimators and a lost
worker."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

import treeboost as tb  # noqa: E402
from treeboost.dask import (  # noqa: E402
    DaskDataset,
    DaskTreeBoostClassifier,
    DaskTreeBoostRegressor,
    WorkerLostError,
    predict,
    train,
)
from treeboost.dask._sketch import merge_bounds, summarise_column  # noqa: E402


def _cluster(n_workers=2):
    return distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=40,
    )


@pytest.fixture(scope="module")
def client():
    with _cluster() as cluster, distributed.Client(cluster) as c:
        yield c


def _data(n=2400, seed=0, n_classes=2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    X[rng.random(X.shape) < 0.05] = np.nan
    score = np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) ** 2 + rng.normal(size=n)
    if n_classes == 0:
        return X, score
    edges = np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1])
    return X, np.searchsorted(edges, score).astype(np.float64)


def _same_model(a: tb.Booster, b: tb.Booster) -> None:
    """Same model file, tree by tree (the trees first, for a readable failure)."""
    assert len(a.trees) == len(b.trees)
    for i, (ta, tb_) in enumerate(zip(a.trees, b.trees)):
        for field in ("left", "right", "feature", "split_bin", "default_left"):
            assert np.array_equal(getattr(ta, field), getattr(tb_, field)), (i, field)
        np.testing.assert_array_equal(ta.value, tb_.value, err_msg=f"tree {i}")
    assert json.loads(a.save_raw()) == json.loads(b.save_raw())


CASES = {
    "binary-depthwise": ({"objective": "binary:logistic", "grow_policy": "depthwise",
                          "max_depth": 4}, 2),
    "binary-lossguide-sampled": ({"objective": "binary:logistic", "grow_policy": "lossguide",
                                  "max_leaves": 12, "subsample": 0.7, "colsample_bytree": 0.8,
                                  "colsample_bynode": 0.8}, 2),
    "regression-lossguide-weighted": ({"objective": "reg:squarederror",
                                       "grow_policy": "lossguide", "max_leaves": 16,
                                       "reg_alpha": 0.1}, 0),
    "regression-depthwise-monotone": ({"objective": "reg:squarederror",
                                       "grow_policy": "depthwise", "max_depth": 3,
                                       "monotone_constraints": [1, 0, 0, 0, 0, 0]}, 0),
    "multiclass-depthwise": ({"objective": "multi:softprob", "num_class": 3,
                              "grow_policy": "depthwise", "max_depth": 3}, 3),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_same_model_file_as_one_machine_with_the_same_bins(client, case):
    params, n_classes = CASES[case]
    X, y = _data(n_classes=n_classes)
    weight = None
    if "weighted" in case:
        weight = np.random.default_rng(9).uniform(0.1, 3.0, size=y.shape[0])
    local = tb.Dataset(X, label=y, weight=weight)
    expected = tb.train(params, local, 6)
    dtrain = DaskDataset(
        client, da.from_array(X, chunks=(500, 6)), da.from_array(y, chunks=500), bins=local,
        weight=None if weight is None else da.from_array(weight, chunks=500),
    )
    _same_model(expected, train(client, params, dtrain, 6))


def test_categorical_dataframe_same_model_file(client):
    rng = np.random.default_rng(1)
    n = 2000
    frame = pd.DataFrame(
        {
            "colour": pd.Categorical(rng.choice(["red", "green", "blue", "grey"], n),
                                     categories=["red", "green", "blue", "grey"]),
            "x": rng.normal(size=n),
            "size": pd.Categorical(rng.choice(list("abcdefghijkl"), n)),
        }
    )  # fmt: skip
    effect = {"red": 1.0, "green": -1.0, "blue": 0.5, "grey": 0.0}
    y = frame["colour"].map(effect).astype(float) + frame["x"] + rng.normal(size=n) * 0.3
    y = (y > 0.3).astype(float)
    params = {"objective": "binary:logistic", "max_depth": 3, "grow_policy": "depthwise",
              "max_cat_to_onehot": 2}  # fmt: skip
    local = tb.Dataset(frame, label=y.to_numpy())
    expected = tb.train(params, local, 5)
    ddf = dd.from_pandas(frame, npartitions=3)
    dy = dd.from_pandas(y, npartitions=3)
    dtrain = DaskDataset(client, ddf, dy, bins=local)
    model = train(client, params, dtrain, 5)
    assert model.categories == expected.categories
    _same_model(expected, model)
    # Without given bins, the sketch keeps every value of these small partitions: same bins.
    sketched = DaskDataset(client, ddf, dy)
    _same_model(expected, train(client, params, sketched, 5))


def test_sketch_is_exact_on_few_values_and_within_its_bound_on_many(client):
    rng = np.random.default_rng(2)
    n = 4000
    X = np.column_stack([rng.integers(0, 20, n).astype(float), rng.normal(size=n)])
    y = rng.normal(size=n)
    local = tb.Dataset(X, label=y)
    size = 32
    sketched = DaskDataset(
        client, da.from_array(X, chunks=(1000, 2)), da.from_array(y, chunks=1000),
        sketch_size=size,
    )  # fmt: skip
    exact, merged = local.bin_mapper.bin_upper_bounds_, sketched.bin_mapper.bin_upper_bounds_
    np.testing.assert_array_equal(merged[0], exact[0])  # 20 values: summarised exactly
    # Every merged threshold's rank is near an even split: the sketch's n / size, doubled for
    # comparing with evenly spaced levels rather than the exact quantiles.
    ranks = np.searchsorted(np.sort(X[:, 1]), merged[1])
    assert merged[1].shape[0] > 100
    levels = np.arange(1, merged[1].shape[0] + 1) * n / (merged[1].shape[0] + 1)
    assert np.abs(ranks - levels).max() <= 2 * n / size


def test_summary_and_merge_on_their_own():
    values = np.repeat(np.arange(10.0), 3)
    points, mass = summarise_column(values, None, 100)
    np.testing.assert_array_equal(points, np.arange(10.0))
    np.testing.assert_array_equal(mass, np.full(10, 3.0))
    weight = np.where(values < 5, 0.0, 1.0)  # zero-weight rows do not shape the bins
    points, _ = summarise_column(values, weight, 100)
    np.testing.assert_array_equal(points, np.arange(5.0, 10.0))
    big = np.random.default_rng(0).normal(size=10_000)
    points, mass = summarise_column(big, None, 50)
    assert points.shape[0] <= 50 and mass.sum() == 10_000
    bounds = merge_bounds([summarise_column(big[:5000], None, 50),
                           summarise_column(big[5000:], None, 50)], 16)  # fmt: skip
    assert bounds.shape[0] == 14 and np.all(np.diff(bounds) > 0)


def test_evals_and_early_stopping_follow_one_machine(client):
    X, y = _data(n=3000, seed=3)
    Xv, yv = _data(n=1000, seed=4)
    local = tb.Dataset(X, label=y)
    local_valid = tb.Dataset(Xv, label=yv, reference=local)
    params = {"objective": "binary:logistic", "eval_metric": ["logloss", "auc", "error"],
              "max_depth": 3, "grow_policy": "depthwise", "learning_rate": 0.5}  # fmt: skip
    expected_log, log = {}, {}
    expected = tb.train(params, local, 60, evals=[(local, "train"), (local_valid, "valid")],
                        early_stopping_rounds=5, evals_result=expected_log)  # fmt: skip
    dtrain = DaskDataset(client, da.from_array(X, chunks=(800, 6)),
                         da.from_array(y, chunks=800), bins=local)  # fmt: skip
    dvalid = DaskDataset(client, da.from_array(Xv, chunks=(300, 6)),
                         da.from_array(yv, chunks=300), reference=dtrain)  # fmt: skip
    model = train(client, params, dtrain, 60, evals=[(dtrain, "train"), (dvalid, "valid")],
                  early_stopping_rounds=5, evals_result=log)  # fmt: skip
    assert expected.best_iteration < 59  # early stopping did stop
    assert model.best_iteration == expected.best_iteration
    for name in ("train", "valid"):
        for metric in ("logloss", "auc", "error"):
            np.testing.assert_allclose(log[name][metric], expected_log[name][metric],
                                       rtol=1e-9, atol=1e-12)  # fmt: skip
    _same_model(expected, model)


def test_predict_maps_over_partitions(client):
    X, y = _data(n_classes=3)
    model = tb.train({"objective": "multi:softprob", "num_class": 3, "max_depth": 3},
                     tb.Dataset(X, label=y), 4)  # fmt: skip
    Xd = da.from_array(X, chunks=(700, 6))
    out = predict(client, model, Xd)
    assert isinstance(out, da.Array)
    np.testing.assert_array_equal(out.compute(), model.predict(X))
    np.testing.assert_array_equal(predict(client, model, Xd, pred_leaf=True).compute(),
                                  model.predict(X, pred_leaf=True))  # fmt: skip
    contribs = predict(client, model, Xd, pred_contribs=True).compute()
    np.testing.assert_allclose(contribs, model.predict(X, pred_contribs=True))
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    binary = tb.train({"objective": "binary:logistic"}, tb.Dataset(X, label=(y > 0) * 1.0), 3)
    series = predict(client, binary, dd.from_pandas(frame, npartitions=4)).compute()
    assert isinstance(series, pd.Series)
    np.testing.assert_array_equal(series.to_numpy(), binary.predict(X))
    with pytest.raises(TypeError, match="dask array or a dask DataFrame"):
        predict(client, binary, X)


def test_estimators_match_the_one_machine_estimators(client):
    X, y = _data(n=2000, seed=5, n_classes=3)
    labels = np.array(["low", "mid", "top"])[y.astype(int)]
    Xd = da.from_array(X, chunks=(500, 6))
    params = {"n_estimators": 8, "max_depth": 3, "subsample": 1.0, "colsample_bytree": 1.0}
    clf = DaskTreeBoostClassifier(**params)
    clf.client = client
    clf.fit(Xd, da.from_array(labels, chunks=500))
    local = tb.TreeBoostClassifier(**params).fit(X, labels)
    assert list(clf.classes_) == ["low", "mid", "top"]
    np.testing.assert_allclose(clf.predict_proba(Xd).compute(), local.predict_proba(X),
                               rtol=1e-12)  # fmt: skip
    assert (clf.predict(Xd).compute() == local.predict(X)).all()
    reg = DaskTreeBoostRegressor(**params)
    reg.client = client
    reg.fit(Xd, da.from_array(y, chunks=500),
            eval_set=[(Xd, da.from_array(y, chunks=500))])  # fmt: skip
    local_reg = tb.TreeBoostRegressor(**params).fit(X, y)
    np.testing.assert_allclose(reg.predict(Xd).compute(), local_reg.predict(X), rtol=1e-12)
    assert len(reg.evals_result_["validation_0"]["rmse"]) == 8


def test_bad_input_is_named(client):
    X, y = _data(n=400)
    Xd, yd = da.from_array(X, chunks=(100, 6)), da.from_array(y, chunks=100)
    dtrain = DaskDataset(client, Xd, yd)
    with pytest.raises(TypeError, match="data must be a 2-d dask array or a dask DataFrame"):
        DaskDataset(client, X, yd)
    with pytest.raises(TypeError, match="label must be a dask array"):
        DaskDataset(client, Xd, y)
    with pytest.raises(ValueError, match="rank:ndcg.*not supported by Dask"):
        train(client, {"objective": "rank:ndcg"}, dtrain, 2)
    with pytest.raises(ValueError, match="dart"):
        train(client, {"booster": "dart"}, dtrain, 2)
    with pytest.raises(ValueError, match="re-fits leaves"):
        train(client, {"objective": "reg:absoluteerror"}, dtrain, 2)
    with pytest.raises(ValueError, match="use_quantized_grad=True is not supported by Dask"):
        train(client, {"use_quantized_grad": True}, dtrain, 2)
    # A median base margin from more distinct labels than a shard summarises: base_score needed.
    many = np.random.default_rng(0).normal(size=(10_000, 2))
    wide = DaskDataset(client, da.from_array(many, chunks=(5000, 2)),
                       da.from_array(many[:, 0], chunks=5000))  # fmt: skip
    with pytest.raises(ValueError, match="quantile of all labels.*base_score"):
        train(client, {"objective": "reg:pseudohubererror"}, wide, 2)
    train(client, {"objective": "reg:pseudohubererror", "base_score": 0.0}, wide, 1)
    other = DaskDataset(client, Xd, yd)
    with pytest.raises(ValueError, match="reference=dtrain"):
        train(client, {}, dtrain, 2, evals=[(other, "valid")])
    frame = dd.from_pandas(pd.DataFrame({"a": ["x", "y"] * 50, "b": np.arange(100.0)}), 2)
    with pytest.raises(ValueError, match="column 'a' holds strings"):
        DaskDataset(client, frame, dd.from_pandas(pd.Series(np.arange(100.0)), 2))
    bad = y.copy()
    bad[7] = np.nan
    with pytest.raises(ValueError, match="label"):
        DaskDataset(client, Xd, da.from_array(bad, chunks=100))


class _KillWorker(tb.TrainingCallback):
    def __init__(self, client, at_round):
        self.client = client
        self.at_round = at_round

    def after_iteration(self, model, epoch, evals_log):
        if epoch == self.at_round:
            address = sorted(self.client.scheduler_info()["workers"])[0]
            try:
                self.client.run(os._exit, 1, workers=[address])
            except Exception:
                pass
            # Wait until the scheduler has noticed.
            for _ in range(200):
                if address not in self.client.scheduler_info()["workers"]:
                    break
                import time

                time.sleep(0.05)
        return False


def test_a_lost_worker_stops_training_naming_the_round():
    X, y = _data(n=1200)
    with _cluster() as cluster, distributed.Client(cluster) as c:
        dtrain = DaskDataset(c, da.from_array(X, chunks=(300, 6)), da.from_array(y, chunks=300))
        with pytest.raises(WorkerLostError, match="in round 3"):
            train(c, {"max_depth": 3}, dtrain, 10, callbacks=[_KillWorker(c, 2)])
