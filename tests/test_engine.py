import numpy as np
import pytest

import treeboost as tb
from treeboost.training.session import BoostingSession


def _regression(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    y = 2.0 * X[:, 0] + np.sin(3 * X[:, 1]) + 0.1 * rng.normal(size=n)
    X[rng.random(n) < 0.05, 2] = np.nan
    return X, y


def _binary(n=800, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + 0.3 * rng.normal(size=n) > 0).astype(float)
    return X, y


def test_training_reduces_loss_and_training_margin_matches_predict():
    X, y = _regression()
    dtrain = tb.Dataset(X, label=y)
    log = {}
    booster = tb.train(
        {"learning_rate": 0.3}, dtrain, 30, evals=[(dtrain, "train")], evals_result=log
    )
    rmse = log["train"]["rmse"]
    assert rmse[-1] < 0.3 * rmse[0]
    # The cached training margin equals a fresh prediction bit for bit.
    pred = booster.predict(X)
    assert np.sqrt(np.mean((pred - y) ** 2)) == pytest.approx(rmse[-1], rel=1e-12)


def test_eval_margins_binned_and_raw_agree():
    X, y = _regression()
    dtrain = tb.Dataset(X[:400], label=y[:400])
    with_ref = tb.Dataset(X[400:], label=y[400:], reference=dtrain)
    without_ref = tb.Dataset(X[400:], label=y[400:])
    log = {}
    booster = tb.train(
        {}, dtrain, 15, evals=[(with_ref, "a"), (without_ref, "b")], evals_result=log
    )
    assert log["a"]["rmse"] == log["b"]["rmse"]
    expected = np.sqrt(np.mean((booster.predict(X[400:]) - y[400:]) ** 2))
    assert log["a"]["rmse"][-1] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {
            "subsample": 0.7,
            "colsample_bytree": 0.8,
            "colsample_bylevel": 0.8,
            "colsample_bynode": 0.6,
        },
        {"grow_policy": "lossguide", "max_leaves": 7, "max_depth": 0},
    ],
)
def test_same_seed_same_model_whatever_n_jobs(params):
    X, y = _regression(n=40_000)
    dtrain = tb.Dataset(X, label=y)
    texts = [
        tb.train({**params, "n_jobs": n_jobs, "random_state": 7}, dtrain, 5).save_raw()
        for n_jobs in (1, 2, 1)
    ]
    assert texts[0] == texts[1] == texts[2]


@pytest.mark.parametrize("node_by_node", [False, True])
@pytest.mark.parametrize("categorical", [False, True])
def test_subsampled_rounds_keep_the_training_margins_exact(categorical, node_by_node, monkeypatch):
    # Rows in a round's sample get their leaf values from the grower's partition, the rows left
    # out from a walk of the new tree, after either grower (one-call kernel or node by node);
    # together they must be the margins the model predicts.
    from treeboost.tree.grower import TreeGrower

    monkeypatch.setattr(TreeGrower, "use_python", node_by_node)
    X, y = _regression(n=3000)
    if categorical:
        X = X.copy()
        X[:, 0] = np.floor(np.abs(X[:, 0]) * 3) % 6
        y = y + np.array([0.0, 2.0, -1.0, 0.5, -2.0, 1.0])[X[:, 0].astype(int)]
    dtrain = tb.Dataset(X, label=y, categorical_features=[0] if categorical else None)
    log = {}
    params = {"subsample": 0.6, "max_cat_to_onehot": 1, "random_state": 3}
    booster = tb.train(params, dtrain, 20, evals=[(dtrain, "train")], evals_result=log)
    assert any(t.categories for t in booster.trees) == categorical
    expected = np.sqrt(np.mean((booster.predict(X) - y) ** 2))
    assert log["train"]["rmse"][-1] == pytest.approx(expected, rel=1e-12)


def test_different_seeds_differ_with_sampling():
    X, y = _regression()
    dtrain = tb.Dataset(X, label=y)
    a = tb.train({"subsample": 0.5, "random_state": 1}, dtrain, 3).save_raw()
    b = tb.train({"subsample": 0.5, "random_state": 2}, dtrain, 3).save_raw()
    assert a != b


def test_early_stopping_keeps_best_iteration_and_predict_uses_it():
    X, y = _binary()
    dtrain = tb.Dataset(X[:500], label=y[:500])
    dvalid = tb.Dataset(X[500:], label=y[500:], reference=dtrain)
    log = {}
    booster = tb.train(
        {
            "objective": "binary:logistic",
            "learning_rate": 0.5,
            "max_depth": 6,
            "min_child_weight": 0,
        },
        dtrain,
        200,
        evals=[(dvalid, "valid")],
        early_stopping_rounds=5,
        evals_result=log,
    )
    losses = log["valid"]["logloss"]
    assert booster.best_iteration == int(np.argmin(losses))
    assert len(losses) == booster.best_iteration + 6
    assert booster.num_boosted_rounds() == len(losses)
    full = booster.predict(X[500:], iteration_range=(0, booster.num_boosted_rounds()))
    best = booster.predict(X[500:], iteration_range=(0, booster.best_iteration + 1))
    np.testing.assert_array_equal(booster.predict(X[500:]), best)
    assert not np.array_equal(full, best)


def test_early_stopping_maximizes_auc():
    X, y = _binary()
    dtrain = tb.Dataset(X[:500], label=y[:500])
    dvalid = tb.Dataset(X[500:], label=y[500:], reference=dtrain)
    log = {}
    booster = tb.train(
        {"objective": "binary:logistic", "eval_metric": ["logloss", "auc"]},
        dtrain,
        100,
        evals=[(dvalid, "valid")],
        early_stopping_rounds=4,
        evals_result=log,
    )
    assert booster.best_iteration == int(np.argmax(log["valid"]["auc"]))


def test_early_stopping_needs_eval_set():
    X, y = _binary()
    with pytest.raises(ValueError, match="evaluation set"):
        tb.train({}, tb.Dataset(X, label=y), 5, early_stopping_rounds=2)


def test_callbacks_hooks_and_stop():
    X, y = _regression()
    seen = []

    class StopAtThree(tb.TrainingCallback):
        def before_training(self, model):
            seen.append("before")
            return model

        def after_iteration(self, model, epoch, evals_log):
            seen.append(epoch)
            return epoch == 2

        def after_training(self, model):
            seen.append("after")
            return model

    booster = tb.train({}, tb.Dataset(X, label=y), 10, callbacks=[StopAtThree()])
    assert seen == ["before", 0, 1, 2, "after"]
    assert booster.num_boosted_rounds() == 3


def test_evaluation_monitor_prints(capsys):
    X, y = _regression()
    d = tb.Dataset(X, label=y)
    tb.train({}, d, 5, evals=[(d, "train")], verbose_eval=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["[0]", "[2]", "[4]"]
    assert lines[0].split("\t")[1].startswith("train-rmse:")


def test_init_model_continues_training():
    X, y = _regression()
    d = tb.Dataset(X, label=y)
    full = tb.train({}, d, 10)
    first = tb.train({}, d, 4)
    resumed = tb.train({}, d, 6, init_model=first)
    assert first.num_boosted_rounds() == 4 and resumed.num_boosted_rounds() == 10
    np.testing.assert_allclose(resumed.predict(X), full.predict(X), rtol=1e-12, atol=1e-12)


def test_custom_objective_matches_builtin():
    X, y = _regression()
    d = tb.Dataset(X, label=y)

    def squared(predt, dtrain):
        return predt - dtrain.label, np.ones_like(predt)

    builtin = tb.train({"base_score": 0.0}, d, 5)
    custom = tb.train({"base_score": 0.0}, d, 5, obj=squared)
    np.testing.assert_allclose(custom.predict(X), builtin.predict(X), rtol=1e-6, atol=1e-6)


def test_custom_metric():
    X, y = _binary()
    d = tb.Dataset(X, label=y)

    def brier(prob, dtrain):
        return "brier", float(np.mean((prob - dtrain.label) ** 2))

    log = {}
    tb.train(
        {"objective": "binary:logistic"},
        d,
        5,
        evals=[(d, "train")],
        custom_metric=brier,
        evals_result=log,
    )
    assert list(log["train"]) == ["logloss", "brier"]
    assert log["train"]["brier"][-1] < log["train"]["brier"][0]


def test_multiclass_one_tree_per_class_per_round():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(900, 3))
    y = np.digitize(X[:, 0] + 0.2 * X[:, 1], [-0.5, 0.5]).astype(float)
    booster = tb.train({"objective": "multi:softprob", "num_class": 3}, tb.Dataset(X, label=y), 7)
    assert booster.num_trees() == 21 and booster.num_boosted_rounds() == 7
    proba = booster.predict(X)
    assert proba.shape == (900, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.mean(proba.argmax(axis=1) == y) > 0.9
    assert booster.predict(X, pred_leaf=True).shape == (900, 21)


def test_sample_weights_matter_and_scale_pos_weight():
    X, y = _binary()
    X = np.round(X, 1)  # few distinct values: exact bins, so weights cannot move bin edges
    w = np.where(y == 1, 5.0, 1.0)
    plain = tb.train({"objective": "binary:logistic"}, tb.Dataset(X, label=y), 5)
    weighted = tb.train({"objective": "binary:logistic"}, tb.Dataset(X, label=y, weight=w), 5)
    spw = tb.train(
        {"objective": "binary:logistic", "scale_pos_weight": 5.0}, tb.Dataset(X, label=y), 5
    )
    assert weighted.predict(X).mean() > plain.predict(X).mean() + 0.1
    np.testing.assert_allclose(spw.predict(X), weighted.predict(X), rtol=1e-5)


def test_base_score_default_is_estimated_and_user_value_used():
    X, y = _binary()
    booster = tb.train({"objective": "binary:logistic"}, tb.Dataset(X, label=y), 0)
    np.testing.assert_allclose(booster.predict(X), y.mean())
    booster = tb.train(
        {"objective": "binary:logistic", "base_score": 0.2}, tb.Dataset(X, label=y), 0
    )
    np.testing.assert_allclose(booster.predict(X), 0.2)


def test_dataset_base_margin_replaces_base_score():
    X, y = _regression()
    margin = np.full(len(y), 3.0)
    booster = tb.train({}, tb.Dataset(X, label=y), 0)
    np.testing.assert_allclose(booster.predict(tb.Dataset(X, base_margin=margin)), 3.0)


def test_missing_values_follow_learned_direction():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 1))
    y = np.where(X[:, 0] > 0, 1.0, -1.0)
    missing = rng.random(2000) < 0.2
    X[missing, 0] = np.nan
    y[missing] = 1.0  # missing behaves like the right side
    booster = tb.train({"max_depth": 1, "learning_rate": 1.0}, tb.Dataset(X, label=y), 1)
    pred = booster.predict(np.array([[np.nan], [-1.0], [1.0]]))
    assert pred[0] == pytest.approx(pred[2]) and pred[1] < 0


def test_get_score_types():
    X, y = _regression()
    booster = tb.train({}, tb.Dataset(X, label=y), 10)
    weight = booster.get_score("weight")
    total_gain = booster.get_score("total_gain")
    gain = booster.get_score("gain")
    cover = booster.get_score("cover")
    total_cover = booster.get_score("total_cover")
    assert set(weight) <= {"f0", "f1", "f2", "f3", "f4"}
    n_splits = sum(int((t.left >= 0).sum()) for t in booster.trees)
    assert sum(weight.values()) == n_splits
    for name in weight:
        assert gain[name] == pytest.approx(total_gain[name] / weight[name])
        assert cover[name] == pytest.approx(total_cover[name] / weight[name])
    assert max(total_gain, key=total_gain.get) == "f0"
    with pytest.raises(ValueError, match="importance_type"):
        booster.get_score("shap")


def test_iteration_range_and_pred_leaf():
    X, y = _regression()
    booster = tb.train({}, tb.Dataset(X, label=y), 6)
    m_all = booster.predict(X, output_margin=True)
    m_first = booster.predict(X, output_margin=True, iteration_range=(0, 2))
    m_rest = booster.predict(X, output_margin=True, iteration_range=(2, 6))
    base = booster.base_margin[0]
    np.testing.assert_allclose(m_first + m_rest - base, m_all, rtol=1e-12, atol=1e-12)
    leaves = booster.predict(X, pred_leaf=True)
    assert leaves.shape == (len(X), 6)
    # Leaf indices point at leaves whose values sum to the margin.
    total = base + sum(booster.trees[t].value[leaves[:, t]] for t in range(6))
    np.testing.assert_allclose(total, m_all, rtol=1e-12)
    with pytest.raises(ValueError, match="iteration_range"):
        booster.predict(X, iteration_range=(0, 7))


def test_predict_feature_checks():
    X, y = _regression()
    booster = tb.train({}, tb.Dataset(X, label=y), 2)
    with pytest.raises(ValueError, match="expects 5 features"):
        booster.predict(X[:, :3])


@pytest.mark.parametrize(
    "params,match",
    [
        ({"eta": 0.1}, "learning_rate"),
        ({"max_dept": 3}, "max_depth"),
        ({"learning_rate": -1}, "learning_rate"),
        ({"subsample": 0}, "subsample"),
        ({"grow_policy": "leafwise"}, "grow_policy"),
        ({"objective": "binary:logistik"}, "binary:logistic"),
        ({"max_depth": 0}, "lossguide"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"max_depth": 2.5}, "max_depth"),
    ],
)
def test_bad_parameters_are_clear_errors(params, match):
    X, y = _regression()
    with pytest.raises((ValueError, TypeError), match=match):
        tb.train(params, tb.Dataset(X, label=y), 1)


def test_bad_labels_for_objective():
    X, _ = _regression()
    with pytest.raises(ValueError, match="class"):
        tb.train({"objective": "binary:logistic"}, tb.Dataset(X, label=np.ones(len(X))), 1)
    with pytest.raises(ValueError):
        tb.train({"objective": "binary:logistic"}, tb.Dataset(X, label=np.arange(len(X))), 1)


def test_cv_returns_means_and_stops_early():
    X, y = _binary()
    d = tb.Dataset(X, label=y)
    result = tb.cv(
        {"objective": "binary:logistic", "eval_metric": "auc", "learning_rate": 0.5},
        d,
        50,
        nfold=3,
        stratified=True,
        early_stopping_rounds=3,
    )
    assert set(result) == {"train-auc-mean", "train-auc-std", "test-auc-mean", "test-auc-std"}
    n = len(result["test-auc-mean"])
    assert 1 <= n < 50
    assert int(np.argmax(result["test-auc-mean"])) == n - 1
    assert result["test-auc-mean"][-1] > 0.8


def test_small_data_trains_on_one_thread():
    from treeboost.model.params import SERIAL_BELOW_ROWS, resolve_n_threads, threads_for_rows

    assert threads_for_rows(2, SERIAL_BELOW_ROWS - 1) == 1
    assert threads_for_rows(2, SERIAL_BELOW_ROWS) == 2
    X, y = _regression(n=SERIAL_BELOW_ROWS)
    small = BoostingSession({"n_jobs": 2}, tb.Dataset(X[:500], label=y[:500]))
    large = BoostingSession({"n_jobs": 2}, tb.Dataset(X, label=y))
    assert small.n_threads == 1
    assert large.n_threads == resolve_n_threads(2)
