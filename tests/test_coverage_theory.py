"""Split conformal coverage against its exact finite-sample value, ceil((n + 1)(1 - alpha)) /
(n + 1), with the beta-binomial interval that benchmarks/coverage/run.py reports around it."""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks.coverage.run import (
    mondrian_coverage_moments,
    split_coverage_moments,
    split_expected_coverage,
    theory_interval,
)
from sklearn.linear_model import LinearRegression, LogisticRegression

import treeboost as tb


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """Small linear models start BLAS threads on every call; one thread keeps this fast."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def _regression(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, 2))
    return X, X @ np.array([1.0, -2.0]) + rng.standard_t(df=3, size=n)


def _classification(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 3, size=n)
    return rng.normal(size=(n, 2)) + np.c_[y, -y] * 0.8, y


def _split_study(n_cal: int, alpha: float, n_test: int = 50, n_repeats: int = 300, seed: int = 0):
    """Coverage of split conformal over fresh calibration and test draws, with the per-split
    moments theory gives."""
    rng = np.random.default_rng(seed)
    model = LinearRegression().fit(*_regression(rng, 200))
    coverages, means, variances = [], [], []
    for _ in range(n_repeats):
        X_cal, y_cal = _regression(rng, n_cal)
        X_test, y_test = _regression(rng, n_test)
        conformal = tb.conformal.ConformalRegressor(model, cv="prefit").fit(X_cal, y_cal)
        interval = conformal.predict_interval(X_test, alpha)
        coverages.append(np.mean((interval[:, 0] <= y_test) & (y_test <= interval[:, 1])))
        mean, variance = split_coverage_moments(n_cal, n_test, alpha)
        means.append(mean)
        variances.append(variance)
    return np.array(coverages), means, variances


def test_expected_coverage_is_the_rank_over_n_plus_one():
    assert split_expected_coverage(9, 0.1) == pytest.approx(0.9)
    assert split_expected_coverage(10, 0.1) == pytest.approx(10 / 11)
    assert split_expected_coverage(15, 0.1) == pytest.approx(15 / 16)
    assert split_expected_coverage(999, 0.1) == pytest.approx(0.9)  # float 900.0000000000001
    assert split_expected_coverage(5, 0.1) == 1.0  # rank 6 > 5: unbounded intervals


@pytest.mark.parametrize("n_cal, alpha", [(10, 0.1), (15, 0.1), (30, 0.1), (12, 0.2)])
def test_small_calibration_sets_cover_exactly_as_theory_says(n_cal, alpha):
    coverages, means, variances = _split_study(n_cal, alpha)
    expected, low, high = theory_interval(means, variances)
    assert expected == pytest.approx(split_expected_coverage(n_cal, alpha))
    assert low <= coverages.mean() <= high, (coverages.mean(), low, high)
    # The beta-binomial variance of one split's coverage matches the spread seen.
    assert 0.6 < coverages.var(ddof=1) / np.mean(variances) < 1.6


def test_the_interval_rejects_the_nominal_level_where_the_rank_rounds_up():
    # At n = 15 split conformal covers 15/16 = 0.9375, not 0.9: a check against the nominal
    # level alone would call correct code wrong.
    coverages, _, variances = _split_study(15, 0.1)
    _, low, high = theory_interval([0.9] * len(variances), variances)
    assert not low <= coverages.mean() <= high


def test_many_calibration_rows_sit_in_the_nominal_band():
    coverages, means, variances = _split_study(2000, 0.1, n_test=100, n_repeats=200, seed=1)
    expected, low, high = theory_interval(means, variances)
    assert 0.89 <= coverages.mean() <= 0.92
    assert low <= coverages.mean() <= high


@pytest.mark.parametrize("mondrian, randomized", [(False, False), (False, True), (True, False)])
def test_lac_sets_cover_as_theory_says(mondrian, randomized):
    rng = np.random.default_rng(2)
    model = LogisticRegression().fit(*_classification(rng, 300))
    coverages, means, variances = [], [], []
    for _ in range(300):
        X_cal, y_cal = _classification(rng, 36)
        X_test, y_test = _classification(rng, 40)
        conformal = tb.conformal.ConformalClassifier(
            model,
            conformity_score="lac",
            mondrian=mondrian,
            randomized=randomized,
            cv="prefit",
            random_state=int(rng.integers(1e9)),
        ).fit(X_cal, y_cal)
        sets = conformal.predict_set(X_test, 0.1)
        coverages.append(np.mean(sets[np.arange(len(y_test)), y_test]))
        if mondrian:
            mean, variance = mondrian_coverage_moments(y_cal, y_test, 0.1, randomized)
        else:
            mean, variance = split_coverage_moments(36, 40, 0.1, randomized)
        means.append(mean)
        variances.append(variance)
    expected, low, high = theory_interval(means, variances)
    assert low <= np.mean(coverages) <= high, (np.mean(coverages), expected, low, high)


def test_mondrian_moments_of_one_class_are_the_split_ones():
    labels = np.zeros(40, dtype=int)
    assert mondrian_coverage_moments(labels[:19], labels, 0.1, False) == pytest.approx(
        split_coverage_moments(19, 40, 0.1)
    )
