"""The regression objectives beyond squared error: gradients, base margins, label checks,
agreement with XGBoost on data drawn from each loss's own model, and non-crossing quantiles."""

from __future__ import annotations

import numpy as np
import pytest

import treeboost as tb
from treeboost import metrics
from treeboost.objectives import get_objective
from treeboost.objectives.regression import weighted_expectile, weighted_quantile


def _losses(name, params):
    """Per-row losses as plain numpy, written from each objective's definition."""
    slope = params.get("huber_slope", 1.0)
    rho = params.get("tweedie_variance_power", 1.5)
    table = {
        "reg:pseudohubererror": lambda y, m: slope**2 * (np.sqrt(1 + ((m - y) / slope) ** 2) - 1),
        "reg:squaredlogerror": lambda y, m: 0.5 * (np.log1p(m) - np.log1p(y)) ** 2,
        "count:poisson": lambda y, m: np.exp(m) - y * m,
        "reg:gamma": lambda y, m: y * np.exp(-m) + m,
        "reg:tweedie": lambda y, m: (
            -y * np.exp((1 - rho) * m) / (1 - rho) + np.exp((2 - rho) * m) / (2 - rho)
        ),
        "reg:expectileerror": lambda y, m: (
            np.where(y >= m, params["expectile_alpha"], 1 - params["expectile_alpha"])
            * (m - y) ** 2
        ),
    }
    return table[name]


SMOOTH = [
    ("reg:pseudohubererror", {"huber_slope": 0.7}),
    ("reg:squaredlogerror", {}),
    ("count:poisson", {"max_delta_step": 0.0}),
    ("reg:gamma", {}),
    ("reg:tweedie", {"tweedie_variance_power": 1.3}),
    ("reg:expectileerror", {"expectile_alpha": 0.3}),
]


@pytest.mark.parametrize(("name", "params"), SMOOTH)
def test_gradients_match_finite_differences(name, params):
    rng = np.random.default_rng(1)
    n = 50
    y = rng.gamma(2.0, 1.0, size=n) + 0.1
    margin = rng.uniform(-0.5, 1.0, size=(n, 1))
    weight = rng.uniform(0.5, 2.0, size=n)
    objective = get_objective(name, params)
    gh = np.empty((1, n, 2), dtype=np.float32)
    objective.gradient_hessian(y, margin, weight, gh)
    loss = _losses(name, params)
    eps = 1e-5
    m = margin[:, 0]
    grad = weight * (loss(y, m + eps) - loss(y, m - eps)) / (2 * eps)
    hess = weight * (loss(y, m + eps) - 2 * loss(y, m) + loss(y, m - eps)) / eps**2
    np.testing.assert_allclose(gh[0, :, 0], grad, rtol=2e-4, atol=1e-5)
    # Poisson's hessian is damped by exp(max_delta_step) (0 here); the expectile loss has a
    # kink in its second derivative at the label, away from these margins.
    np.testing.assert_allclose(gh[0, :, 1], hess, rtol=2e-3, atol=1e-4)


def test_pinball_and_absolute_subgradients():
    y = np.array([0.0, 1.0, 2.0])
    margin = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    objective = get_objective("reg:quantileerror", {"quantile_alpha": [0.2, 0.9]})
    gh = np.empty((2, 3, 2), dtype=np.float32)
    objective.gradient_hessian(y, margin, None, gh)
    np.testing.assert_allclose(gh[0, :, 0], [0.8, 0.0, -0.2], rtol=1e-6)
    np.testing.assert_allclose(gh[1, :, 0], [0.1, 0.0, -0.9], rtol=1e-6)
    np.testing.assert_array_equal(gh[:, :, 1], 1.0)
    absolute = get_objective("reg:absoluteerror", {})
    gh1 = np.empty((1, 3, 2), dtype=np.float32)
    absolute.gradient_hessian(y, margin[:, :1], np.array([1.0, 2.0, 3.0]), gh1)
    np.testing.assert_array_equal(gh1[0, :, 0], [1.0, 0.0, -3.0])


def test_weighted_quantile_and_expectile():
    v = np.array([3.0, 1.0, 2.0, 10.0])
    assert weighted_quantile(v, None, 0.5) == pytest.approx(2.5)
    assert weighted_quantile(v, np.array([1.0, 1.0, 1.0, 10.0]), 0.5) == 10.0
    assert weighted_quantile(np.empty(0), None, 0.5) == 0.0
    y = np.random.default_rng(0).normal(size=2000)
    w = np.ones_like(y)
    assert weighted_expectile(y, w, 0.5) == pytest.approx(y.mean())
    e = weighted_expectile(y, w, 0.8)
    c = np.where(y >= e, 0.8, 0.2)
    assert abs(np.sum(c * (y - e))) < 1e-8 * y.size


def test_base_margins_fit_each_loss():
    rng = np.random.default_rng(2)
    y = rng.gamma(2.0, 3.0, size=4000)
    cases = {
        ("reg:absoluteerror", ()): np.median(y),
        ("count:poisson", ()): np.log(y.mean()),
        ("reg:gamma", ()): np.log(y.mean()),
        ("reg:squaredlogerror", ()): np.expm1(np.mean(np.log1p(y))),
    }
    for (name, _), expected in cases.items():
        margin = get_objective(name, {}).init_margin(y, None)
        assert margin[0] == pytest.approx(expected, rel=1e-9), name
    q = get_objective("reg:quantileerror", {"quantile_alpha": [0.1, 0.9]}).init_margin(y, None)
    np.testing.assert_allclose(q, np.quantile(y, [0.1, 0.9]))


@pytest.mark.parametrize(
    ("name", "params", "label", "message"),
    [
        ("count:poisson", {}, [-1.0, 2.0], "labels >= 0"),
        ("reg:gamma", {}, [0.0, 2.0], "labels > 0"),
        ("reg:tweedie", {}, [-0.5, 1.0], "labels >= 0"),
        ("reg:squaredlogerror", {}, [-1.0, 1.0], "labels > -1"),
        ("reg:quantileerror", {}, [1.0, 2.0], "needs quantile_alpha"),
        ("reg:expectileerror", {}, [1.0, 2.0], "needs expectile_alpha"),
    ],
)
def test_bad_labels_and_missing_levels(name, params, label, message):
    X = np.arange(4.0).reshape(2, 2)
    with pytest.raises(ValueError, match=message):
        tb.train({"objective": name, **params}, tb.Dataset(X, label=label), 1)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"quantile_alpha": [0.9, 0.1]}, "strictly increasing"),
        ({"quantile_alpha": 1.5}, "out of range"),
        ({"tweedie_variance_power": 2.5}, "out of range"),
        ({"huber_slope": 0.0}, "out of range"),
    ],
)
def test_bad_objective_parameters(params, message):
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match=message):
        tb.train({"objective": "reg:quantileerror", **params}, tb.Dataset(X, label=X[:, 0]), 1)


def _own_model_data(name, rng, n):
    X = rng.uniform(-1, 1, size=(n, 6))
    signal = 0.8 * X[:, 0] - 0.6 * X[:, 1] + 0.5 * np.sin(3 * X[:, 2])
    mu = np.exp(signal)
    if name == "count:poisson":
        y = rng.poisson(mu).astype(float)
    elif name == "reg:gamma":
        y = rng.gamma(3.0, mu / 3.0)
    elif name == "reg:tweedie":
        y = rng.poisson(mu).astype(float) * rng.gamma(2.0, 0.5, size=n)
    elif name == "reg:squaredlogerror":
        y = np.expm1(np.log1p(mu) + 0.1 * rng.normal(size=n))
    else:  # location models with heavy tails
        y = signal + rng.standard_t(3, size=n)
    return X, y


def _test_loss(name, params, y, pred):
    if name == "reg:absoluteerror":
        return metrics.mae(y, pred)
    if name == "reg:pseudohubererror":
        return metrics.mphe(y, pred, slope=params["huber_slope"])
    if name == "reg:squaredlogerror":
        return metrics.rmsle(y, pred)
    if name == "reg:quantileerror":
        return metrics.quantile_loss(y, pred, alpha=params["quantile_alpha"])
    if name == "count:poisson":
        return metrics.poisson_nloglik(y, pred)
    if name == "reg:gamma":
        return metrics.gamma_deviance(y, pred)
    return metrics.tweedie_nloglik(y, pred, rho=params["tweedie_variance_power"])


PARITY = [
    ("reg:absoluteerror", {}),
    ("reg:pseudohubererror", {"huber_slope": 1.0}),
    ("reg:squaredlogerror", {}),
    ("reg:quantileerror", {"quantile_alpha": [0.1, 0.5, 0.9]}),
    ("count:poisson", {}),
    ("reg:gamma", {}),
    ("reg:tweedie", {"tweedie_variance_power": 1.4}),
]


@pytest.mark.parametrize(("name", "params"), PARITY)
def test_test_loss_within_two_percent_of_xgboost(name, params):
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(7)
    X, y = _own_model_data(name, rng, 6000)
    Xt, yt = _own_model_data(name, rng, 4000)
    common = {"max_depth": 4, "learning_rate": 0.1, "max_bin": 256}
    booster = tb.train(
        {"objective": name, **common, **params, "n_jobs": 2}, tb.Dataset(X, label=y), 60
    )
    ours = _test_loss(name, params, yt, booster.predict(Xt))
    reference = xgb.train(
        {"objective": name, "tree_method": "hist", **common, **params, "nthread": 2},
        xgb.DMatrix(X, label=y),
        60,
    )
    theirs = _test_loss(name, params, yt, reference.predict(xgb.DMatrix(Xt)))
    # For the likelihood losses the scale can be near zero or negative: compare the change.
    assert ours <= theirs + 0.02 * abs(theirs), (name, ours, theirs)


def test_multi_quantile_never_crosses_where_independent_models_do():
    rng = np.random.default_rng(3)
    n = 600
    X = rng.uniform(-2, 2, size=(n, 4))
    y = X[:, 0] + (0.3 + 0.5 * np.abs(X[:, 1])) * rng.normal(size=n)
    alphas = [0.45, 0.5, 0.55]
    params = {"max_depth": 6, "learning_rate": 0.3, "min_child_weight": 0.0, "reg_lambda": 0.0}
    X_new = rng.uniform(-3, 3, size=(10_000, 4))
    independent = np.column_stack(
        [
            tb.train(
                {"objective": "reg:quantileerror", "quantile_alpha": a, **params},
                tb.Dataset(X, label=y),
                40,
            ).predict(X_new)
            for a in alphas
        ]
    )
    assert (np.diff(independent, axis=1) < 0).any(), "the test needs data where models cross"
    joint = tb.train(
        {"objective": "reg:quantileerror", "quantile_alpha": alphas, **params},
        tb.Dataset(X, label=y),
        40,
    )
    pred = joint.predict(X_new)
    assert pred.shape == (10_000, 3)
    assert (np.diff(pred, axis=1) >= 0).all()
    # The raw outputs are the per-level models (these may cross); predictions sort them.
    raw = joint.predict(X_new, output_margin=True)
    np.testing.assert_array_equal(np.sort(raw, axis=1), pred)
    np.testing.assert_allclose(raw, independent, rtol=1e-9, atol=1e-9)


def test_quantile_levels_cover_their_share():
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, size=(5000, 3))
    y = X[:, 0] + rng.normal(size=5000)
    booster = tb.train(
        {"objective": "reg:quantileerror", "quantile_alpha": [0.1, 0.9], "max_depth": 3},
        tb.Dataset(X, label=y),
        50,
    )
    Xt = rng.uniform(-1, 1, size=(5000, 3))
    yt = Xt[:, 0] + rng.normal(size=5000)
    pred = booster.predict(Xt)
    below = (yt[:, None] <= pred).mean(axis=0)
    np.testing.assert_allclose(below, [0.1, 0.9], atol=0.03)


def test_absolute_error_leaves_are_medians():
    # One split-free round: the leaf holds the median residual times the learning rate.
    y = np.array([0.0, 1.0, 2.0, 10.0, 50.0])
    X = np.zeros((5, 1))
    booster = tb.train(
        {"objective": "reg:absoluteerror", "base_score": 0.0, "learning_rate": 0.5},
        tb.Dataset(X, label=y),
        1,
    )
    assert booster.predict(X[:1])[0] == pytest.approx(0.5 * 2.0)


def test_expectile_and_multi_level_shapes():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(800, 3))
    y = X[:, 0] + rng.normal(size=800)
    booster = tb.train(
        {"objective": "reg:expectileerror", "expectile_alpha": [0.2, 0.8]},
        tb.Dataset(X, label=y),
        30,
    )
    pred = booster.predict(X)
    assert pred.shape == (800, 2) and (pred[:, 0] <= pred[:, 1]).all()
    c = np.where(y[:, None] >= pred, [0.2, 0.8], [0.8, 0.2])
    # Training rows: each level's residuals balance under its asymmetric weights.
    assert np.abs((c * (y[:, None] - pred)).mean(axis=0)).max() < 0.05


def test_logitraw_and_softmax_predictions():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(500, 3))
    y = (X[:, 0] > 0).astype(float)
    d = tb.Dataset(X, label=y)
    logistic = tb.train({"objective": "binary:logistic"}, d, 10)
    raw = tb.train({"objective": "binary:logitraw"}, d, 10)
    np.testing.assert_allclose(raw.predict(X), logistic.predict(X, output_margin=True))
    assert raw.objective.default_metric == "auc"
    yc = (X[:, 0] > 0).astype(float) + (X[:, 1] > 0)
    dc = tb.Dataset(X, label=yc)
    prob = tb.train({"objective": "multi:softprob", "num_class": 3}, dc, 10)
    ev: dict = {}
    label = tb.train(
        {"objective": "multi:softmax", "num_class": 3}, dc, 10, evals=[(dc, "t")], evals_result=ev
    )
    np.testing.assert_array_equal(label.predict(X), np.argmax(prob.predict(X), axis=1))
    assert ev["t"]["mlogloss"][-1] < ev["t"]["mlogloss"][0]


def test_multi_output_regression():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(1000, 4))
    Y = np.column_stack([X[:, 0], X[:, 1] ** 2, -X[:, 2]])
    ev: dict = {}
    d = tb.Dataset(X, label=Y)
    booster = tb.train({"max_depth": 4}, d, 30, evals=[(d, "train")], evals_result=ev)
    assert booster.n_outputs == 3 and booster.num_trees() == 90
    pred = booster.predict(X)
    assert pred.shape == (1000, 3)
    # Each output is the model of its own column alone.
    single = tb.train({"max_depth": 4}, tb.Dataset(X, label=Y[:, 1]), 30)
    np.testing.assert_allclose(pred[:, 1], single.predict(X), rtol=1e-9, atol=1e-9)
    assert ev["train"]["rmse"][-1] < ev["train"]["rmse"][0]
    loaded = tb.Booster.load_model(booster.save_raw())
    np.testing.assert_array_equal(loaded.predict(X), pred)
    with pytest.raises(ValueError, match="needs objective='reg:squarederror'"):
        tb.train({"objective": "reg:gamma"}, d, 1)
    reg = tb.TreeBoostRegressor(n_estimators=10).fit(X, Y)
    assert reg.predict(X).shape == (1000, 3)


@pytest.mark.parametrize(
    ("metric", "params", "direction"),
    [
        ("mape", {}, False),
        ("mphe", {"huber_slope": 2.0}, False),
        ("aucpr", {}, True),
        ("tweedie-nloglik@1.2", {}, False),
    ],
)
def test_new_metrics_drive_early_stopping(metric, params, direction):
    rng = np.random.default_rng(9)
    X = rng.normal(size=(600, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=600) > 0).astype(float) + 0.5
    objective = "binary:logistic" if metric == "aucpr" else "reg:squarederror"
    if objective == "binary:logistic":
        y = (y > 1.0).astype(float)
    d = tb.Dataset(X[:400], label=y[:400])
    v = tb.Dataset(X[400:], label=y[400:], reference=d)
    booster = tb.train(
        {"objective": objective, "eval_metric": metric, **params},
        d,
        200,
        evals=[(v, "valid")],
        early_stopping_rounds=5,
    )
    assert booster.best_iteration is not None
    assert tb.metrics.get_metric(metric, params).maximize == direction
