"""scikit-learn tree models read as treeboost Boosters: raw outputs and leaves against
scikit-learn's own, the float32 threshold conversion, and the errors for what cannot be read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import ensemble, tree
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression

from treeboost import Booster
from treeboost.interop.sklearn import float32_threshold

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "lightgbm-examples"
TOL = 1e-6
SMALL = {"n_estimators": 10, "random_state": 0}
HIST = {"max_iter": 15, "random_state": 0}


def _examples(folder: str, name: str, rows: int) -> tuple[np.ndarray, np.ndarray]:
    path = EXAMPLES / folder / name
    if not path.exists():
        pytest.skip(f"shared example data {path} is absent")
    table = pd.read_csv(path, sep="\t", header=None, nrows=rows).to_numpy(dtype=np.float64)
    return table[:, 1:], table[:, 0]


def _reference(estimator, X) -> np.ndarray:
    """What the imported model's prediction must equal: the raw score of boosted models, the
    averaged (second-class) probability of averaging classifiers, else predict()."""
    name = type(estimator).__name__
    if "GradientBoosting" in name and name.endswith("Classifier"):
        raw = estimator.decision_function(X)
        return 2.0 * raw if estimator.loss == "exponential" else raw
    if name.endswith("Classifier"):
        proba = estimator.predict_proba(X)
        return proba[:, 1] if proba.shape[1] == 2 else proba
    return estimator.predict(X)


def _check(estimator, X) -> float:
    booster = Booster.from_sklearn(estimator)
    boosted = "GradientBoosting" in type(estimator).__name__
    ours = booster.predict(X, output_margin=boosted)
    ref = _reference(estimator, X)
    gap = float(np.max(np.abs(ref.reshape(ours.shape) - ours)))
    assert gap <= TOL
    if hasattr(estimator, "apply"):
        # Node ids are kept: pred_leaf is apply(), one column per tree (per class of
        # averaging classifiers, which hold one tree per class output).
        leaves = np.asarray(estimator.apply(X)).reshape(len(X), -1)
        per_tree = booster.predict(X, pred_leaf=True)
        repeat = per_tree.shape[1] // leaves.shape[1]
        np.testing.assert_array_equal(per_tree, np.repeat(leaves, repeat, axis=1))
    return gap


REGRESSORS = [
    ensemble.HistGradientBoostingRegressor(**HIST),
    ensemble.GradientBoostingRegressor(**SMALL),
    ensemble.GradientBoostingRegressor(loss="huber", **SMALL),
    ensemble.RandomForestRegressor(**SMALL),
    ensemble.ExtraTreesRegressor(**SMALL),
    tree.DecisionTreeRegressor(max_depth=8, random_state=0),
]
CLASSIFIERS = [
    ensemble.HistGradientBoostingClassifier(**HIST),
    ensemble.GradientBoostingClassifier(**SMALL),
    ensemble.RandomForestClassifier(**SMALL),
    ensemble.ExtraTreesClassifier(**SMALL),
    tree.DecisionTreeClassifier(max_depth=8, random_state=0),
]


def _ids(estimators):
    return [type(e).__name__ + ("-" + e.loss if hasattr(e, "loss") else "") for e in estimators]


@pytest.mark.parametrize("estimator", REGRESSORS, ids=_ids(REGRESSORS))
def test_regressors_on_regression_examples(estimator):
    X, y = _examples("regression", "regression.train", 1500)
    estimator.fit(X, y)
    _check(estimator, X[:400])
    # float32 input takes the float32 walks: the same decisions.
    _check(estimator, X[:400].astype(np.float32))


@pytest.mark.parametrize("estimator", CLASSIFIERS, ids=_ids(CLASSIFIERS))
def test_classifiers_on_binary_examples(estimator):
    X, y = _examples("binary_classification", "binary.train", 1500)
    estimator.fit(X, y)
    _check(estimator, X[:400])


@pytest.mark.parametrize("estimator", CLASSIFIERS, ids=_ids(CLASSIFIERS))
def test_classifiers_on_multiclass_examples(estimator):
    X, y = _examples("multiclass_classification", "multiclass.train", 1500)
    estimator.fit(X, y)
    booster = Booster.from_sklearn(estimator)
    assert booster.n_outputs == len(estimator.classes_)
    _check(estimator, X[:400])


def test_boosted_classifier_probabilities_match():
    X, y = _examples("multiclass_classification", "multiclass.train", 1000)
    for estimator in (ensemble.HistGradientBoostingClassifier(**HIST),
                      ensemble.GradientBoostingClassifier(**SMALL)):
        estimator.fit(X, y)
        np.testing.assert_allclose(Booster.from_sklearn(estimator).predict(X[:200]),
                                   estimator.predict_proba(X[:200]), atol=1e-9)


def test_exponential_loss_folds_the_factor_two():
    X, y = _examples("binary_classification", "binary.train", 1000)
    estimator = ensemble.GradientBoostingClassifier(loss="exponential", **SMALL).fit(X, y)
    _check(estimator, X[:200])
    np.testing.assert_allclose(Booster.from_sklearn(estimator).predict(X[:200]),
                               estimator.predict_proba(X[:200])[:, 1], atol=1e-9)


def _with_missing(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = X[:, 0] + X[:, 1] ** 2 + 0.1 * rng.normal(size=n)
    X[rng.random(n) < 0.2, 0] = np.nan
    X[rng.random(n) < 0.05, 2] = np.nan
    return X, y


@pytest.mark.parametrize(
    "estimator",
    [ensemble.HistGradientBoostingRegressor(**HIST), ensemble.RandomForestRegressor(**SMALL),
     ensemble.ExtraTreesRegressor(**SMALL), tree.DecisionTreeRegressor(random_state=0),
     ensemble.RandomForestClassifier(**SMALL), tree.DecisionTreeClassifier(random_state=0)],
    ids=lambda e: type(e).__name__,
)
def test_missing_values(estimator):
    X, y = _with_missing(1500, 0)
    target = np.digitize(y, [0.3, 1.5]) if type(estimator).__name__.endswith("Classifier") else y
    estimator.fit(X, target)
    test = X[:400].copy()
    test[:40, 1] = np.nan  # missing where training saw none
    _check(estimator, test)


def test_hist_gradient_boosting_categorical_table():
    rng = np.random.default_rng(1)
    n = 1500
    colour = pd.Categorical(rng.choice(["red", "green", "blue", "grey", "pink"], n))
    frame = pd.DataFrame({"a": rng.normal(size=n), "colour": colour, "b": rng.normal(size=n)})
    effect = pd.Series(colour).map({"red": 1.0, "green": -1.0, "blue": 0.5, "grey": 0.0,
                                    "pink": 2.0}).to_numpy(dtype=float)
    y = frame["a"].to_numpy() + effect
    frame.loc[frame.index[:100], "a"] = np.nan
    for estimator, target in (
        (ensemble.HistGradientBoostingRegressor(categorical_features="from_dtype", **HIST), y),
        (ensemble.HistGradientBoostingClassifier(categorical_features="from_dtype", **HIST),
         (y > 0.5).astype(int)),
    ):
        estimator.fit(frame, target)
        booster = Booster.from_sklearn(estimator)
        assert booster.feature_types == ["float", "c", "float"]
        test = frame.iloc[:300].copy()
        labels = np.array(test["colour"].astype(object))
        labels[:20] = None
        labels[20:40] = "violet"  # unseen: missing in both
        test["colour"] = pd.Categorical(labels)
        gap = np.abs(_reference(estimator, test)
                     - booster.predict(test, output_margin=True)).max()
        assert gap <= TOL


def test_hist_gradient_boosting_integer_categories_in_an_array():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(1500, 2))
    X[:, 1] = rng.integers(0, 6, 1500)
    y = X[:, 0] + (X[:, 1] % 2)
    estimator = ensemble.HistGradientBoostingRegressor(categorical_features=[1], **HIST)
    estimator.fit(X, y)
    test = X[:300].copy()
    test[:20, 1] = np.nan
    _check(estimator, test)


def test_float32_threshold_decides_like_a_float32_compare():
    rng = np.random.default_rng(3)
    thresholds = np.concatenate([rng.normal(size=2000) * 10.0 ** rng.integers(-30, 30, 2000),
                                 [0.0, -0.0, 1.0, -1.0, 1e-40, 3.4e38, -3.4e38]])
    converted = float32_threshold(thresholds)
    f = thresholds.astype(np.float32).astype(np.float64)
    # Probe around each threshold, its float32 neighbours and the midpoints between them.
    up = np.nextafter(f.astype(np.float32), np.float32(np.inf)).astype(np.float64)
    down = np.nextafter(f.astype(np.float32), np.float32(-np.inf)).astype(np.float64)
    probes = [thresholds, f, up, down, (f + up) / 2, (f + down) / 2, converted]
    for x in probes + [np.nextafter(p, np.inf) for p in probes] + [
        np.nextafter(p, -np.inf) for p in probes
    ]:
        with np.errstate(over="ignore"):
            want = x.astype(np.float32).astype(np.float64) <= thresholds
        np.testing.assert_array_equal(x <= converted, want)


def test_imported_model_saves_and_loads_unchanged():
    X, y = _with_missing(800, 4)
    estimator = ensemble.RandomForestRegressor(**SMALL).fit(X, y)
    booster = Booster.from_sklearn(estimator)
    again = Booster.load_model(booster.save_raw())
    np.testing.assert_array_equal(again.predict(X), booster.predict(X))


def test_feature_names_come_from_the_frame():
    X, y = _with_missing(300, 5)
    frame = pd.DataFrame(X, columns=["w", "x", "y", "z"])
    estimator = tree.DecisionTreeRegressor(max_depth=3).fit(frame, y)
    assert Booster.from_sklearn(estimator).feature_names == ["w", "x", "y", "z"]


def test_unsupported_estimators_and_options_give_one_line_errors():
    X, y = _with_missing(300, 6)
    X = np.nan_to_num(X)
    cases = [
        (tree.DecisionTreeRegressor(), ValueError, "not fitted"),
        (LinearRegression().fit(X, y), TypeError, "cannot import a LinearRegression"),
        (ensemble.RandomForestRegressor(n_estimators=2).fit(X, np.c_[y, y]), ValueError,
         "n_outputs_=2"),
        (ensemble.GradientBoostingRegressor(n_estimators=2, init=LinearRegression()).fit(X, y),
         ValueError, "init=LinearRegression"),
        (ensemble.HistGradientBoostingRegressor(max_iter=2, loss="gamma").fit(X, np.exp(y)),
         None, ""),
    ]
    for estimator, error, match in cases:
        if error is None:
            Booster.from_sklearn(estimator)
            continue
        with pytest.raises(error, match=match) as info:
            Booster.from_sklearn(estimator)
        assert "\n" not in str(info.value)
    # A constant init estimator other than the default one still has a constant margin.
    custom = ensemble.GradientBoostingRegressor(n_estimators=3, init=DummyRegressor(
        strategy="median")).fit(X, y)
    _check(custom, X)
