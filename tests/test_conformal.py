"""Conformal regression and classification: the finite-sample quantile, agreement with MAPIE on
the same fitted models, coverage over random splits, Mondrian per-class coverage, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import KFold, train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import treeboost as tb
from treeboost.metrics.scores import class_coverage, coverage
from treeboost.uncertainty._quantile import conformal_quantile, conformal_rank, lower_rank
from treeboost.uncertainty.conformal.classification import nonconformity


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """Small linear models spend most of their time starting BLAS threads on a shared 2-core
    machine; one thread makes these tests several times faster."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


# -- the quantile ---------------------------------------------------------------------------
def test_conformal_rank_is_ceil_n_plus_one_times_level():
    assert conformal_rank(9, 0.1) == 9  # ceil(10 * 0.9) = 9
    assert conformal_rank(99, 0.1) == 90
    assert conformal_rank(999, 0.1) == 900  # 1000 * 0.9 is 900.0000000000001 in floats
    assert conformal_rank(10, 0.1) == 10  # ceil(9.9)
    assert conformal_rank(5, 0.1) == 6  # beyond n: infinite threshold
    assert lower_rank(19, 0.1) == 2 and lower_rank(8, 0.1) == 0


def test_conformal_quantile_picks_the_kth_smallest_and_inf_beyond_n():
    scores = np.arange(1.0, 20.0)[::-1]  # 19 scores 1..19
    assert conformal_quantile(scores, 0.1) == 18.0  # ceil(20 * 0.9) = 18
    assert conformal_quantile(scores[:5], 0.1) == math.inf


# -- regression -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def diabetes_splits():
    X, y = load_diabetes(return_X_y=True)
    X_fit, X_test, y_fit, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    X_train, X_cal, y_train, y_cal = train_test_split(X_fit, y_fit, test_size=0.4, random_state=0)
    return X_train, X_cal, X_test, y_train, y_cal, y_test


def test_split_intervals_equal_mapie_on_the_same_fitted_model(diabetes_splits):
    mapie = pytest.importorskip("mapie.regression")
    X_train, X_cal, X_test, y_train, y_cal, _ = diabetes_splits
    model = Ridge(alpha=0.1).fit(X_train, y_train)
    ours = tb.conformal.ConformalRegressor(model, method="split", cv="prefit").fit(X_cal, y_cal)
    reference = mapie.SplitConformalRegressor(model, confidence_level=[0.9, 0.8], prefit=True)
    reference.conformalize(X_cal, y_cal)
    _, expected = reference.predict_interval(X_test)
    got = ours.predict_interval(X_test, alpha=[0.1, 0.2])
    np.testing.assert_allclose(got, np.transpose(expected, (0, 2, 1)), rtol=0, atol=1e-9)


def test_cqr_intervals_equal_mapie_symmetric_cqr(diabetes_splits):
    mapie = pytest.importorskip("mapie.regression")
    X_train, X_cal, X_test, y_train, y_cal, _ = diabetes_splits
    quantile_models = [
        GradientBoostingRegressor(loss="quantile", alpha=a, n_estimators=30, random_state=0).fit(
            X_train, y_train
        )
        for a in (0.05, 0.95, 0.5)
    ]
    ours = tb.conformal.ConformalRegressor(
        tuple(quantile_models[:2]), method="cqr", cv="prefit"
    ).fit(X_cal, y_cal)
    reference = mapie.ConformalizedQuantileRegressor(
        quantile_models, confidence_level=0.9, prefit=True
    ).conformalize(X_cal, y_cal)
    _, expected = reference.predict_interval(X_test, symmetric_correction=True)
    np.testing.assert_allclose(ours.predict_interval(X_test, 0.1), expected[:, :, 0], atol=1e-9)


def test_cv_plus_and_jackknife_plus_equal_mapie(diabetes_splits):
    mapie = pytest.importorskip("mapie.regression")
    X_train, _, X_test, y_train, _, _ = diabetes_splits
    X_train, y_train = X_train[:60], y_train[:60]
    folds = KFold(4, shuffle=True, random_state=1)
    ours = tb.conformal.ConformalRegressor(LinearRegression(), method="cv_plus", cv=folds)
    ours.fit(X_train, y_train)
    reference = mapie.CrossConformalRegressor(
        LinearRegression(), confidence_level=0.8, method="plus", cv=folds
    ).fit_conformalize(X_train, y_train)
    _, expected = reference.predict_interval(X_test)
    np.testing.assert_allclose(ours.predict_interval(X_test, 0.2), expected[:, :, 0], atol=1e-9)
    jack = tb.conformal.ConformalRegressor(LinearRegression(), method="jackknife_plus")
    jack.fit(X_train, y_train)
    from sklearn.model_selection import LeaveOneOut

    reference = mapie.CrossConformalRegressor(
        LinearRegression(), confidence_level=0.8, method="plus", cv=LeaveOneOut()
    ).fit_conformalize(X_train, y_train)
    _, expected = reference.predict_interval(X_test)
    np.testing.assert_allclose(jack.predict_interval(X_test, 0.2), expected[:, :, 0], atol=1e-9)


def test_normalized_split_widens_where_the_difficulty_model_says_so():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(3000, 1))
    y = 2 * X[:, 0] + rng.normal(scale=0.05 + X[:, 0])  # noise grows with x
    model = tb.conformal.ConformalRegressor(
        LinearRegression(),
        method="split",
        difficulty_estimator=LinearRegression(),
        random_state=0,
    ).fit(X[:2000], y[:2000])
    intervals = model.predict_interval(X[2000:], 0.1)
    width = intervals[:, 1] - intervals[:, 0]
    assert np.corrcoef(X[2000:, 0], width)[0, 1] > 0.95
    assert abs(coverage(y[2000:], intervals) - 0.9) < 0.04


def test_treeboost_default_model_and_several_alphas_nest(diabetes_splits):
    X_train, X_cal, X_test, y_train, y_cal, y_test = diabetes_splits
    model = tb.conformal.ConformalRegressor(random_state=0).fit(
        np.vstack([X_train, X_cal]), np.r_[y_train, y_cal]
    )
    intervals = model.predict_interval(X_test, alpha=[0.05, 0.1, 0.3])
    assert intervals.shape == (X_test.shape[0], 3, 2)
    width = intervals[:, :, 1] - intervals[:, :, 0]
    assert np.all(np.diff(width, axis=1) <= 1e-12)  # smaller alpha, wider interval
    np.testing.assert_allclose(intervals.mean(axis=2)[:, 0], model.predict(X_test))


def _coverage_bound(n_test: int, n_splits: int, n_cal: int, alpha: float) -> float:
    """Four standard errors of a mean of n_splits coverages, each of n_test rows; the
    conditional coverage also varies with the calibration set (Beta spread, Vovk 2012)."""
    test_var = alpha * (1 - alpha) / n_test
    cal_var = alpha * (1 - alpha) / (n_cal + 2)
    return 4 * math.sqrt((test_var + cal_var) / n_splits)


@pytest.mark.parametrize("method", ["split", "cqr", "cv_plus"])
def test_regression_coverage_over_random_splits(method):
    X, y = load_diabetes(return_X_y=True)
    alpha, n_splits, covered = 0.1, 12, []
    for seed in range(n_splits):
        X_fit, X_test, y_fit, y_test = train_test_split(X, y, test_size=0.3, random_state=seed)
        if method == "cqr":
            estimator = tuple(
                GradientBoostingRegressor(loss="quantile", alpha=a, n_estimators=20, max_depth=2)
                for a in (0.05, 0.95)
            )
        else:
            estimator = Ridge(alpha=1e-3)
        model = tb.conformal.ConformalRegressor(
            estimator, method=method, calibration_size=0.5, random_state=seed
        ).fit(X_fit, y_fit)
        covered.append(coverage(y_test, model.predict_interval(X_test, alpha)))
    n_cal = X_fit.shape[0] // 2
    bound = _coverage_bound(len(y_test), n_splits, n_cal, alpha)
    assert abs(np.mean(covered) - (1 - alpha)) < bound + 1 / (n_cal + 1)


# -- classification -------------------------------------------------------------------------
def test_nonconformity_scores_by_hand():
    proba = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    np.testing.assert_allclose(nonconformity(proba, "lac", None), 1 - proba)
    aps = nonconformity(proba, "aps", None)
    np.testing.assert_allclose(aps, [[0.5, 0.8, 1.0], [0.9, 1.0, 0.8]])
    aps_u = nonconformity(proba, "aps", np.array([0.5, 0.0]))
    np.testing.assert_allclose(aps_u, [[0.25, 0.65, 0.9], [0.8, 0.9, 0.0]])
    raps = nonconformity(proba, "raps", None, raps_lambda=0.1, raps_k_reg=1)
    np.testing.assert_allclose(raps, [[0.5, 0.9, 1.2], [1.0, 1.2, 0.8]])


def test_lac_set_is_the_quantile_rule():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_train, X_rest, y_train, y_rest = train_test_split(X, y, test_size=0.6, random_state=0)
    X_cal, X_test, y_cal, _ = train_test_split(X_rest, y_rest, test_size=0.5, random_state=0)
    model = LogisticRegression(C=0.05).fit(X_train, y_train)
    clf = tb.conformal.ConformalClassifier(model, conformity_score="lac", cv="prefit").fit(
        X_cal, y_cal
    )
    cal_scores = 1 - model.predict_proba(X_cal)[np.arange(len(y_cal)), y_cal]
    threshold = conformal_quantile(cal_scores, 0.2)
    expected = 1 - model.predict_proba(X_test) <= threshold
    np.testing.assert_array_equal(clf.predict_set(X_test, 0.2), expected)


def test_lac_sets_equal_mapie_split_classifier():
    mapie = pytest.importorskip("mapie.classification")
    X, y = load_digits(return_X_y=True)
    X_train, X_rest, y_train, y_rest = train_test_split(X, y, test_size=0.5, random_state=0)
    X_cal, X_test, y_cal, _ = train_test_split(X_rest, y_rest, test_size=0.5, random_state=0)
    model = LogisticRegression(max_iter=300).fit(X_train / 16, y_train)
    ours = tb.conformal.ConformalClassifier(model, conformity_score="lac", cv="prefit").fit(
        X_cal / 16, y_cal
    )
    reference = mapie.SplitConformalClassifier(
        model, confidence_level=0.9, conformity_score="lac", prefit=True
    ).conformalize(X_cal / 16, y_cal)
    _, expected = reference.predict_set(X_test / 16)
    np.testing.assert_array_equal(ours.predict_set(X_test / 16, 0.1), expected[:, :, 0])


def _classification_coverages(score, mondrian, n_splits, data):
    X, y = data
    totals, per_class = [], []
    for seed in range(n_splits):
        X_fit, X_test, y_fit, y_test = train_test_split(
            X, y, test_size=0.4, stratify=y, random_state=seed
        )
        clf = tb.conformal.ConformalClassifier(
            LogisticRegression(C=0.05, max_iter=200),
            conformity_score=score,
            mondrian=mondrian,
            calibration_size=0.5,
            random_state=seed,
        ).fit(X_fit, y_fit)
        sets = clf.predict_set(X_test, 0.1)
        totals.append(coverage(y_test, sets))
        per_class.append(class_coverage(y_test, sets))
    return np.array(totals), np.array(per_class), len(y_test), X_fit.shape[0] // 2


@pytest.mark.parametrize("score", ["lac", "aps", "raps"])
def test_classification_coverage_over_random_splits(score):
    X, y = load_breast_cancer(return_X_y=True)
    data = (StandardScaler().fit_transform(X), y)
    totals, _, n_test, n_cal = _classification_coverages(score, False, 10, data)
    bound = _coverage_bound(n_test, len(totals), n_cal, 0.1)
    # LAC without randomisation may over-cover by up to 1 / (n_cal + 1).
    assert -bound < totals.mean() - 0.9 < bound + 1 / (n_cal + 1)


def test_mondrian_coverage_holds_within_each_class():
    X, y = load_breast_cancer(return_X_y=True)
    data = (StandardScaler().fit_transform(X), y)
    _, per_class, n_test, n_cal = _classification_coverages("lac", True, 10, data)
    counts = np.bincount(y) * 0.4
    for k in range(2):
        bound = _coverage_bound(int(counts[k]), per_class.shape[0], int(counts[k] / 2), 0.1)
        assert abs(per_class[:, k].mean() - 0.9) < bound + 2 / (counts[k] / 2)


def test_cross_conformal_p_values_and_confidence():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = tb.conformal.ConformalClassifier(
        LogisticRegression(C=0.1), conformity_score="aps", cv=4, random_state=0
    ).fit(X[::2], y[::2])
    p = clf.predict_p(X[1::2])
    assert p.shape == (X[1::2].shape[0], 3) and np.all((p > 0) & (p <= 1))
    conf = clf.predict_confidence(X[1::2])
    np.testing.assert_allclose(conf.credibility, p.max(axis=1))
    np.testing.assert_allclose(conf.confidence, 1 - np.sort(p, axis=1)[:, -2])
    assert np.mean(conf.prediction == y[1::2]) > 0.9
    np.testing.assert_array_equal(clf.predict_p(X[:5]), clf.predict_p(X[:5]))  # seeded draws


def test_certainty_report_restricts_to_singleton_sets():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = tb.conformal.ConformalClassifier(LogisticRegression(C=0.01), random_state=0)
    clf.fit(X[::2], y[::2])
    report = clf.certainty_report(X[1::2], y[1::2], alpha=0.05)
    sets = clf.predict_set(X[1::2], 0.05)
    kept = sets.sum(axis=1) == 1
    assert report["fraction_kept"] == pytest.approx(kept.mean())
    assert report["n_kept"] == kept.sum()
    predicted = clf.predict_proba(X[1::2])[kept].argmax(axis=1)
    assert report["accuracy"] == pytest.approx(np.mean(predicted == y[1::2][kept]))
    assert {"sensitivity", "specificity", "roc_auc"} <= set(report)


def test_certainty_report_function_checks_shapes():
    from treeboost.conformal import certainty_report

    with pytest.raises(ValueError, match="certainty_report needs y_index"):
        certainty_report(np.array([0, 1]), np.ones((2, 2)) / 2, np.ones((3, 2), dtype=bool))


def test_split_conformal_on_the_shared_physics_sample(shared_data):
    from conftest import load_tsv

    X, _ = load_tsv(shared_data / "lightgbm-examples" / "regression" / "regression.test")
    target, features = X[:, 25], np.delete(X, 25, axis=1)
    model = tb.conformal.ConformalRegressor(
        tb.TreeBoostRegressor(n_estimators=30, max_depth=3, n_jobs=1), random_state=0
    ).fit(features[:300], target[:300])
    intervals = model.predict_interval(features[300:], 0.1)
    # 200 test rows: the binomial standard error of the coverage is 0.021.
    assert abs(coverage(target[300:], intervals) - 0.9) < 0.09


def test_treeboost_classifier_with_string_labels():
    X, y = load_wine(return_X_y=True)
    labels = np.array(["barolo", "grignolino", "barbera"])[y]
    clf = tb.conformal.ConformalClassifier(conformity_score="aps", random_state=0).fit(X, labels)
    assert set(clf.classes_) == set(labels)
    assert clf.predict_set(X[:4], 0.1).shape == (4, 3)
    assert set(clf.predict(X)) <= set(labels)


# -- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "jackknife"}, "method='jackknife' is not valid"),
        ({"method": "cv_plus", "cv": 1}, "cv=1 is not valid"),
        ({"method": "split", "cv": 5}, "cv=5 is not valid for method='split'"),
        ({"calibration_size": 1.5}, "calibration_size=1.5"),
        ({"method": "cqr"}, "method='cqr' needs an estimator"),
        ({"method": "cv_plus", "difficulty_estimator": Ridge()}, "difficulty_estimator"),
        ({"method": "jackknife_plus", "cv": 5}, "cv=5 is not used by method='jackknife_plus'"),
        ({"min_difficulty": 0.0}, "min_difficulty=0.0 is not valid"),
    ],
)
def test_regressor_errors_name_the_parameter(kwargs, match):
    X, y = load_diabetes(return_X_y=True)
    estimator = None if kwargs.get("method") == "cqr" else Ridge()
    with pytest.raises(ValueError, match=match):
        tb.conformal.ConformalRegressor(estimator, **kwargs).fit(X[:80], y[:80])


def test_regressor_errors_on_use():
    X, y = load_diabetes(return_X_y=True)
    with pytest.raises(ValueError, match="cv='prefit' needs estimator already fitted"):
        tb.conformal.ConformalRegressor(Ridge(), cv="prefit").fit(X, y)
    model = tb.conformal.ConformalRegressor(Ridge(), random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="alpha=1.5 is not valid"):
        model.predict_interval(X, 1.5)
    with pytest.raises(TypeError, match="alpha='a' is not valid"):
        model.predict_interval(X, "a")
    with pytest.raises(ValueError, match="Input y contains NaN"):
        tb.conformal.ConformalRegressor(Ridge()).fit(X[:10], np.r_[y[:3], np.nan, y[4:10]])
    with pytest.raises(ValueError, match="method='cqr' needs a model whose predict returns"):
        tb.conformal.ConformalRegressor(Ridge(), method="cqr", random_state=0).fit(X, y)


def test_classifier_errors_name_the_parameter():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with pytest.raises(ValueError, match="conformity_score=.thr. is not valid"):
        tb.conformal.ConformalClassifier(LogisticRegression(), conformity_score="thr").fit(X, y)
    with pytest.raises(ValueError, match="raps_lambda=-1"):
        tb.conformal.ConformalClassifier(LogisticRegression(), raps_lambda=-1).fit(X, y)
    with pytest.raises(TypeError, match="randomized='no'"):
        tb.conformal.ConformalClassifier(LogisticRegression(), randomized="no").fit(X, y)
    with pytest.raises(TypeError, match="mondrian='yes'"):
        tb.conformal.ConformalClassifier(LogisticRegression(), mondrian="yes").fit(X, y)
    with pytest.raises(ValueError, match="cv='kfold' is not valid"):
        tb.conformal.ConformalClassifier(LogisticRegression(), cv="kfold").fit(X, y)
    clf = tb.conformal.ConformalClassifier(LogisticRegression(max_iter=500), random_state=0)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="alpha=0.0 is not valid"):
        clf.predict_set(X, 0.0)


@parametrize_with_checks(
    [
        tb.conformal.ConformalRegressor(Ridge(), method="split", random_state=0),
        tb.conformal.ConformalRegressor(Ridge(), method="cv_plus", cv=3, random_state=0),
        tb.conformal.ConformalClassifier(LogisticRegression(), random_state=0),
        tb.conformal.ConformalClassifier(
            LogisticRegression(), conformity_score="aps", mondrian=True, cv=3, random_state=0
        ),
    ]
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_cqr_on_a_treeboost_multi_quantile_model(diabetes_splits):
    X_train, X_cal, X_test, y_train, y_cal, y_test = diabetes_splits
    quantiles = tb.TreeBoostRegressor(
        objective="reg:quantileerror",
        quantile_alpha=[0.05, 0.95],
        n_estimators=40,
        max_depth=3,
        learning_rate=0.1,
        n_jobs=1,
    ).fit(X_train, y_train)
    model = tb.conformal.ConformalRegressor(quantiles, method="cqr", cv="prefit")
    model.fit(X_cal, y_cal)
    bounds_cal, bounds_test = quantiles.predict(X_cal), quantiles.predict(X_test)
    scores = np.maximum(bounds_cal[:, 0] - y_cal, y_cal - bounds_cal[:, 1])
    q = conformal_quantile(scores, 0.1)
    expected = np.column_stack([bounds_test[:, 0] - q, bounds_test[:, 1] + q])
    np.testing.assert_allclose(model.predict_interval(X_test, 0.1), expected)
    np.testing.assert_allclose(model.conformity_scores_, scores)


# -- the full study (slow): 200 random calibration/test splits -------------------------------
def _prefit_study(make_conformal, X, y, n_splits=200, per_class=False):
    """Fit nothing per split: the model is prefit on a fixed 40%; each split halves the rest
    into calibration and test rows (the protocol of benchmarks/coverage/run.py)."""
    rng = np.random.default_rng(0)
    rows = rng.permutation(len(y))
    train, pool = rows[: int(0.4 * len(y))], rows[int(0.4 * len(y)) :]
    conformal = make_conformal(X[train], y[train])
    totals, classes = [], []
    for _ in range(n_splits):
        shuffled = rng.permutation(pool)
        cal, test = shuffled[: len(pool) // 2], shuffled[len(pool) // 2 :]
        conformal.fit(X[cal], y[cal])
        if hasattr(conformal, "predict_set"):
            prediction = conformal.predict_set(X[test], 0.1)
            if per_class:
                classes.append(class_coverage(y[test], prediction))
        else:
            prediction = conformal.predict_interval(X[test], 0.1)
        totals.append(coverage(y[test], prediction))
    return np.mean(totals), (np.nanmean(classes, axis=0) if per_class else None)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["split", "cqr"])
def test_slow_regression_coverage_200_splits(method):
    X, y = load_diabetes(return_X_y=True)

    def make(X_train, y_train):
        if method == "cqr":
            model = tb.TreeBoostRegressor(
                objective="reg:quantileerror", quantile_alpha=[0.05, 0.95], n_jobs=1
            )
        else:
            model = tb.TreeBoostRegressor(n_estimators=50, max_depth=3, n_jobs=1)
        model.fit(X_train, y_train)
        return tb.conformal.ConformalRegressor(model, method=method, cv="prefit")

    mean, _ = _prefit_study(make, X, y)
    assert 0.89 <= mean <= 0.92


@pytest.mark.slow
@pytest.mark.parametrize("score", ["lac", "aps", "raps"])
def test_slow_mondrian_coverage_200_splits_per_class(score):
    X, y = load_digits(return_X_y=True)

    def make(X_train, y_train):
        model = tb.TreeBoostClassifier(n_estimators=50, max_depth=3, n_jobs=1)
        model.fit(X_train, y_train)
        return tb.conformal.ConformalClassifier(
            model, conformity_score=score, mondrian=True, randomized=True, cv="prefit"
        )

    mean, per_class = _prefit_study(make, X, y, per_class=True)
    assert 0.89 <= mean <= 0.92
    # ~54 calibration rows per class and 200 splits: the mean per-class coverage has a
    # standard error near 0.01 (the conditional coverage of a class is Beta-distributed).
    assert np.all(np.abs(per_class - 0.9) < 0.035), per_class
