"""Boosting of scikit-learn regressors and GBNN (treeboost.boost)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import Ridge
from sklearn.neural_network import MLPRegressor
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from treeboost.boost import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    merge_mlp_stages,
)
from treeboost.boost.line_search import newton_1d, weighted_median
from treeboost.boost.losses import get_loss

TREE = DecisionTreeRegressor(max_depth=3)

# Small networks trained for a few iterations on purpose: their convergence warnings are noise.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _regression(n=200, seed=0):
    X, y = make_regression(n_samples=n, n_features=5, noise=5.0, random_state=seed)
    return X, y / y.std()


def _classification(n_classes, n=200, seed=0):
    return make_classification(
        n_samples=n,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=seed,
    )


# -- merging stages into one network ------------------------------------------------------------


def _forward(net, X):
    """The merged network's raw output, computed here rather than by scikit-learn."""
    act = {
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0),
        "logistic": lambda z: 1 / (1 + np.exp(-z)),
        "identity": lambda z: z,
    }[net.activation]
    hidden = act(X @ net.coefs_[0] + net.intercepts_[0])
    raw = hidden @ net.coefs_[1] + net.intercepts_[1]
    return raw[:, 0] if raw.shape[1] == 1 else raw


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_merge_equals_staged_regressor(activation):
    X, y = _regression()
    base = MLPRegressor(hidden_layer_sizes=(2,), activation=activation, solver="lbfgs", max_iter=30)
    model = GradientBoostingRegressor(base, n_estimators=12, subsample=0.8, random_state=0).fit(
        X, y
    )
    net = merge_mlp_stages(model)
    assert net.coefs_[0].shape == (5, 24)
    np.testing.assert_allclose(net.predict(X), model.predict(X), rtol=0, atol=1e-8)
    np.testing.assert_allclose(_forward(net, X), model.predict(X), rtol=0, atol=1e-8)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_merge_equals_staged_classifier(n_classes):
    X, y = _classification(n_classes)
    labels = np.array(["a", "b", "c"])[y]
    model = GradientBoostingClassifier(n_estimators=10, random_state=0).fit(X, labels)
    net = merge_mlp_stages(model)
    assert net.coefs_[0].shape == (6, 10)
    np.testing.assert_allclose(_forward(net, X), model.decision_function(X), rtol=0, atol=1e-8)
    np.testing.assert_allclose(net.predict_proba(X), model.predict_proba(X), rtol=0, atol=1e-8)
    np.testing.assert_array_equal(net.predict(X), model.predict(X))


def test_merge_needs_one_hidden_layer_mlps():
    X, y = _regression()
    model = GradientBoostingRegressor(TREE, n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="stage 0 is a DecisionTreeRegressor"):
        merge_mlp_stages(model)
    two_layers = MLPRegressor(hidden_layer_sizes=(2, 2), solver="lbfgs", max_iter=5)
    model = GradientBoostingRegressor(two_layers, n_estimators=2).fit(X, y)
    with pytest.raises(ValueError, match="stage 0 is an MLPRegressor with 2 hidden layers"):
        merge_mlp_stages(model)
    model.estimators_ = [
        MLPRegressor(hidden_layer_sizes=(1,), activation=a, solver="lbfgs", max_iter=5).fit(X, y)
        for a in ("tanh", "relu")
    ]
    with pytest.raises(ValueError, match="one activation"):
        merge_mlp_stages(model)


# -- the line search ----------------------------------------------------------------------------


def _brute_force(f, low=-60.0, high=60.0):
    grid = np.linspace(low, high, 4001)
    values = [f(r) for r in grid]
    i = int(np.argmin(values))
    span = grid[1] - grid[0]
    return minimize_scalar(
        f, bounds=(grid[i] - span, grid[i] + span), method="bounded", options={"xatol": 1e-10}
    ).x


@pytest.mark.parametrize(
    "name", ["squared_error", "absolute_error", "huber", "binary", "multinomial"]
)
def test_newton_step_equals_brute_force_line_search(name):
    rng = np.random.default_rng(3)
    n = 300
    w = rng.uniform(0.2, 2.0, n)
    if name == "binary":
        loss, y = get_loss("log_loss", 2), (rng.random(n) < 0.4).astype(float)
        raw, h = rng.normal(size=n), rng.normal(size=n) * 0.3 + (y - 0.5) * 0.2
    elif name == "multinomial":
        loss, y = get_loss("log_loss", 4), np.eye(4)[rng.integers(0, 4, n)]
        raw, h = rng.normal(size=(n, 4)), rng.normal(size=(n, 4)) * 0.3 + y * 0.2
    else:
        loss, y = get_loss(name), rng.normal(size=n) * 3
        raw, h = np.zeros(n), 0.5 * y + rng.normal(size=n)
    loss.prepare(y, raw, w)
    rho = loss.step(y, raw, h, w)
    reference = _brute_force(lambda r: loss(y, raw + r * h, w))
    assert loss(y, raw + rho * h, w) <= loss(y, raw + reference * h, w) + 1e-12
    if name != "absolute_error":  # piecewise linear: the minimiser may be an interval
        assert rho == pytest.approx(reference, abs=1e-6)


def test_newton_1d_on_known_minimum_and_weighted_median():
    assert newton_1d(
        lambda r: (4 * (r - 7.5) ** 3 + (r - 7.5), 12 * (r - 7.5) ** 2 + 1), start=-3.0
    ) == pytest.approx(7.5, abs=1e-9)
    assert weighted_median(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 5.0])) == 2.0
    assert weighted_median(np.array([1.0, 2.0]), np.array([1.0, 1.0])) == 1.5


def test_line_search_none_uses_unit_steps():
    X, y = _regression()
    model = GradientBoostingRegressor(TREE, n_estimators=3, line_search="none").fit(X, y)
    np.testing.assert_array_equal(model.steps_, 1.0)


# -- stages, truncation, early stopping, weights ------------------------------------------------


@pytest.mark.parametrize("kind", ["regressor", "binary", "multiclass"])
def test_truncate_equals_model_trained_with_k_steps(kind):
    if kind == "regressor":
        X, y = _regression()
        make = GradientBoostingRegressor
    else:
        X, y = _classification(2 if kind == "binary" else 3)
        make = GradientBoostingClassifier
    params = dict(n_estimators=8, subsample=0.7, random_state=5)
    base = MLPRegressor(hidden_layer_sizes=(1,), solver="lbfgs", max_iter=20)
    full = make(base, **params).fit(X, y)
    short = make(base, **{**params, "n_estimators": 5}).fit(X, y)
    cut = full.truncate(5)
    method = "predict" if kind == "regressor" else "decision_function"
    np.testing.assert_allclose(getattr(cut, method)(X), getattr(short, method)(X), atol=1e-12)
    staged = list(getattr(full, "staged_" + method)(X))
    assert len(staged) == 8
    np.testing.assert_allclose(staged[4], getattr(short, method)(X), atol=1e-12)
    assert full.n_estimators_ == 8 and cut.n_estimators_ == 5
    if kind != "regressor":
        probas = list(full.staged_predict_proba(X))
        np.testing.assert_allclose(probas[-1], full.predict_proba(X))


def test_early_stopping_keeps_best_stage():
    X, y = _regression(n=300)
    model = GradientBoostingRegressor(
        TREE, n_estimators=300, learning_rate=0.5, n_iter_no_change=5, random_state=0
    ).fit(X, y)
    assert model.n_estimators_ < 300
    assert np.argmin(model.validation_loss_) == model.n_estimators_ - 1
    record = GradientBoostingRegressor(TREE, n_estimators=5, validation_fraction=0.2).fit(X, y)
    assert record.n_estimators_ == 5 and len(record.validation_loss_) == 5


def test_sample_weight_zero_equals_dropping_rows():
    X, y = _regression()
    w = np.ones(len(y))
    w[::4] = 0
    params = dict(base_estimator=Ridge(), n_estimators=5)
    weighted = GradientBoostingRegressor(**params).fit(X, y, sample_weight=w)
    dropped = GradientBoostingRegressor(**params).fit(X[w > 0], y[w > 0])
    np.testing.assert_allclose(weighted.predict(X), dropped.predict(X), atol=1e-9)


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error", "huber"])
def test_each_regression_loss_lowers_training_loss(loss):
    X, y = _regression()
    model = GradientBoostingRegressor(loss=loss, n_estimators=15, random_state=0).fit(X, y)
    assert model.train_loss_[-1] < model.train_loss_[0]
    assert model.score(X, y) > 0.6


def test_multiclass_wraps_single_output_regressors():
    from sklearn.svm import SVR

    X, y = _classification(3, n=120)
    model = GradientBoostingClassifier(SVR(), n_estimators=3).fit(X, y)
    assert model.estimators_[0].__class__.__name__ == "MultiOutputRegressor"
    assert model.predict_proba(X).shape == (120, 3)


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, params, message",
    [
        (GradientBoostingRegressor, {"loss": "log_loss"}, r"loss='log_loss' is not valid"),
        (GradientBoostingClassifier, {"loss": "huber"}, r"loss='huber' is not valid"),
        (GradientBoostingRegressor, {"base_estimator": SVC()}, "is not a scikit-learn regressor"),
        (GradientBoostingRegressor, {"subsample": 0}, r"subsample=0 is not valid"),
        (GradientBoostingRegressor, {"line_search": "exact"}, "one of \\('newton', 'none'\\)"),
        (GradientBoostingRegressor, {"n_estimators": 0}, "an integer >= 1"),
    ],
)
def test_bad_parameters_raise_one_line_errors(make, params, message):
    X, y = _classification(2, n=60)
    with pytest.raises(ValueError, match=message) as info:
        make(**params).fit(X, y)
    assert "\n" not in str(info.value)


def test_sample_weight_needs_a_base_learner_that_takes_it():
    from sklearn.neighbors import KNeighborsRegressor

    X, y = _regression(n=60)
    model = GradientBoostingRegressor(KNeighborsRegressor(), n_estimators=2)
    model.fit(X, y, sample_weight=np.ones(60))  # equal weights need no support
    with pytest.raises(ValueError, match=r"KNeighborsRegressor\(...\) does not take sample_w"):
        model.fit(X, y, sample_weight=np.arange(60.0))


def test_classifier_early_stopping_on_a_stratified_split():
    X, y = _classification(3, n=300)
    model = GradientBoostingClassifier(
        TREE, n_estimators=200, learning_rate=0.5, n_iter_no_change=3, random_state=0
    ).fit(X, y)
    assert model.n_estimators_ < 200
    assert model.validation_loss_[-1] == model.validation_loss_.min()


def test_truncate_rejects_out_of_range_k():
    X, y = _regression()
    model = GradientBoostingRegressor(TREE, n_estimators=3).fit(X, y)
    with pytest.raises(ValueError, match=r"k=4 is not valid; expected an integer in \[1, 3\]"):
        model.truncate(4)


# -- scikit-learn's estimator checks ------------------------------------------------------------


def _expected_failed(estimator):
    # Not strict: whether rounding flips a stage depends on the data the check draws.
    # From the third stage on, the residuals hold near-equal values; the base learner's sums
    # over weighted rows and over repeated rows round differently, which flips near-tied
    # splits (trees) or the L-BFGS path (networks). Each base learner alone passes this check.
    return {
        "check_sample_weight_equivalence_on_dense_data": (
            "base learners fitted to near-tied residuals round weighted and repeated sums apart"
        )
    }


@parametrize_with_checks(
    [
        GradientBoostingRegressor(TREE, n_estimators=10),
        GradientBoostingClassifier(TREE, n_estimators=10),
        GradientBoostingRegressor(n_estimators=4, learning_rate=1.0),
        GradientBoostingClassifier(n_estimators=4, learning_rate=1.0),
    ],
    expected_failed_checks=_expected_failed,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# -- with treeboost's explain, calibration and conformal tools ----------------------------------


def test_permutation_importance_and_forward_selection():
    import treeboost.explain as explain
    from treeboost.explain.selection import forward_selection

    X, y = _regression(n=150)
    model = GradientBoostingRegressor(TREE, n_estimators=10, random_state=0).fit(X, y)
    result = explain.permutation_importance(model, X, y, n_repeats=3, random_state=0)
    assert result.importances.shape == (5, 3)
    Xc, yc = _classification(2, n=150)
    sel = forward_selection(
        GradientBoostingClassifier(TREE, n_estimators=5),
        Xc,
        yc,
        cv=3,
        scoring="accuracy",
        max_features=2,
        random_state=0,
    )
    assert 1 <= len(sel.selected) <= 2


def test_calibration_and_conformal():
    import treeboost as tb

    X, y = _classification(2, n=240)
    calibrated = tb.calibration.CalibratedClassifier(
        GradientBoostingClassifier(n_estimators=5, random_state=0), method="sigmoid", cv=3
    ).fit(X, y)
    proba = calibrated.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    Xr, yr = _regression(n=240)
    conformal = tb.conformal.ConformalRegressor(
        GradientBoostingRegressor(n_estimators=5, random_state=0),
        method="split",
        random_state=0,
    ).fit(Xr, yr)
    interval = conformal.predict_interval(Xr, alpha=0.1)
    assert interval.shape == (240, 2) and np.all(interval[:, 0] <= interval[:, 1])
