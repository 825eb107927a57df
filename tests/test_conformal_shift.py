"""Conformal prediction under covariate shift (weighted split conformal) and over time
(adaptive conformal inference): coverage on simulated shifts where plain split conformal falls
short, the weighted quantile against the plain one, the ACI bound, and argument errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from benchmarks.coverage.run import COVARIATE_SHIFT, draw_covariate_shift, regime_change_series
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LinearRegression

import treeboost as tb
from treeboost.uncertainty._quantile import conformal_quantile
from treeboost.uncertainty.conformal import (
    AdaptiveConformal,
    WeightedConformalRegressor,
    aci_coverage_bound,
    weighted_conformal_quantile,
)

ALPHA = 0.1


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """Small linear models start BLAS threads on every call; one thread keeps this fast on a
    shared 2-core machine."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def _covered(intervals: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (intervals[:, 0] <= y) & (y <= intervals[:, 1])


def _binomial_tolerance(n_points: int, level: float = 1 - ALPHA, sigmas: float = 3.5) -> float:
    """``sigmas`` binomial standard deviations of a mean of ``n_points`` coverage indicators."""
    return sigmas * math.sqrt(level * (1 - level) / n_points)


# -- covariate shift ------------------------------------------------------------------------
# The simulations are the coverage study's (benchmarks/coverage/run.py): a test population moved
# to x ~ N(1, 1), where the noise is larger, and a series whose noise scale jumps.
_SHIFT = COVARIATE_SHIFT
_draw = draw_covariate_shift


def _shift_study(n_repeats: int = 200, n_cal: int = 1000, n_test: int = 50, seed: int = 0):
    """Coverage of plain, estimated-weight and true-weight intervals over fresh calibration and
    test draws; one model fitted once on the calibration population."""
    rng = np.random.default_rng(seed)
    model = LinearRegression().fit(*_draw(rng, 500, 0.0))
    covered = {"plain": [], "weighted": [], "true weights": []}
    for _ in range(n_repeats):
        X_cal, y_cal = _draw(rng, n_cal, 0.0)
        X_test, y_test = _draw(rng, n_test, _SHIFT)
        plain = tb.conformal.ConformalRegressor(model, cv="prefit").fit(X_cal, y_cal)
        covered["plain"].append(_covered(plain.predict_interval(X_test, ALPHA), y_test))
        # The unlabelled test covariates are what the domain classifier sees.
        weighted = WeightedConformalRegressor(model).fit(X_cal, y_cal).fit_shift(X_test)
        covered["weighted"].append(_covered(weighted.predict_interval(X_test, ALPHA), y_test))
        true = WeightedConformalRegressor(model).fit(
            X_cal, y_cal, calibration_weights=np.exp(_SHIFT * X_cal[:, 0])
        )
        intervals = true.predict_interval(X_test, ALPHA, test_weights=np.exp(_SHIFT * X_test[:, 0]))
        covered["true weights"].append(_covered(intervals, y_test))
    return {name: float(np.mean(np.concatenate(c))) for name, c in covered.items()}


def test_weighted_conformal_recovers_coverage_that_plain_split_loses_under_shift():
    result = _shift_study()
    n_points = 200 * 50
    tolerance = _binomial_tolerance(n_points)
    # Plain split conformal is calibrated where the noise is small: about 0.82 here.
    assert result["plain"] < 1 - ALPHA - 5 * tolerance, result
    assert abs(result["weighted"] - (1 - ALPHA)) <= tolerance, result
    assert abs(result["true weights"] - (1 - ALPHA)) <= tolerance, result


def test_equal_weights_give_the_plain_split_threshold():
    rng = np.random.default_rng(1)
    for n in (5, 9, 19, 99, 999, 1000):
        scores = rng.random(n)
        for alpha in (0.05, 0.1, 0.2, 0.5):
            q = weighted_conformal_quantile(scores, np.full(n, 3.0), np.full(4, 3.0), alpha)
            np.testing.assert_array_equal(q, conformal_quantile(scores, alpha))


def test_weighted_quantile_puts_the_test_weight_on_infinity():
    scores = np.array([1.0, 2.0, 3.0, 4.0])
    weights = np.ones(4)
    # Masses 1/5 each on 1..4 and on +inf: the 0.8 quantile is 4, the 0.81 quantile is +inf.
    assert weighted_conformal_quantile(scores, weights, np.array([1.0]), 0.2)[0] == 4.0
    assert weighted_conformal_quantile(scores, weights, np.array([1.0]), 0.19)[0] == math.inf
    # A test row of weight 0 is an ordinary 1 - alpha quantile of the calibration scores...
    assert weighted_conformal_quantile(scores, weights, np.array([0.0]), 0.25)[0] == 3.0
    # ... and a heavy one pushes the threshold to +inf: weight 5 leaves 4/9 < 0.5 below it.
    assert weighted_conformal_quantile(scores, weights, np.array([1.0]), 0.5)[0] == 3.0
    assert weighted_conformal_quantile(scores, weights, np.array([5.0]), 0.5)[0] == math.inf


def test_weights_given_directly_equal_the_estimated_path():
    rng = np.random.default_rng(2)
    model = LinearRegression().fit(*_draw(rng, 300, 0.0))
    X_cal, y_cal = _draw(rng, 400, 0.0)
    X_test, _ = _draw(rng, 100, _SHIFT)
    estimated = WeightedConformalRegressor(model).fit(X_cal, y_cal).fit_shift(X_test)
    direct = WeightedConformalRegressor(model).fit(
        X_cal, y_cal, calibration_weights=estimated.calibration_weights_
    )
    test_weights = estimated.likelihood_ratio(X_test)
    np.testing.assert_array_equal(
        direct.predict_interval(X_test, [0.05, 0.1], test_weights=test_weights),
        estimated.predict_interval(X_test, [0.05, 0.1]),
    )
    assert 0 < estimated.effective_sample_size_ < 400


def test_without_weights_the_intervals_are_the_plain_split_ones():
    rng = np.random.default_rng(3)
    model = LinearRegression().fit(*_draw(rng, 300, 0.0))
    X_cal, y_cal = _draw(rng, 199, 0.0)
    X_test, _ = _draw(rng, 30, 0.0)
    plain = tb.conformal.ConformalRegressor(model, cv="prefit").fit(X_cal, y_cal)
    weighted = WeightedConformalRegressor(model).fit(X_cal, y_cal)
    np.testing.assert_allclose(
        weighted.predict_interval(X_test, 0.1), plain.predict_interval(X_test, 0.1)
    )


def test_split_mode_and_a_boosted_domain_classifier_run():
    rng = np.random.default_rng(4)
    X, y = _draw(rng, 400, 0.0)
    X_test, _ = _draw(rng, 100, _SHIFT)
    booster = tb.TreeBoostClassifier(n_estimators=20, max_depth=2, n_jobs=1)
    model = (
        WeightedConformalRegressor(
            LinearRegression(),
            cv="split",
            domain_classifier=booster,
            max_weight=20.0,
            random_state=0,
        )
        .fit(X, y)
        .fit_shift(X_test)
    )
    assert model.conformity_scores_.shape == (100,)
    assert model.calibration_weights_.max() <= 20.0
    assert model.predict_interval(X_test, 0.1).shape == (100, 2)


class _FixedBand(RegressorMixin, BaseEstimator):
    """A fitted "quantile model" predicting the band 2x -/+ 1, for CQR scores."""

    def fit(self, X, y):
        self.n_features_in_ = 1
        return self

    def predict(self, X):
        centre = 2.0 * np.asarray(X, dtype=np.float64)[:, 0]
        return np.column_stack([centre - 1.0, centre + 1.0])


def test_cqr_scores_with_equal_weights_match_conformal_cqr():
    rng = np.random.default_rng(6)
    band = _FixedBand().fit(None, None)
    X_cal, y_cal = _draw(rng, 150, 0.0)
    X_test, _ = _draw(rng, 20, _SHIFT)
    plain = tb.conformal.ConformalRegressor(band, method="cqr", cv="prefit").fit(X_cal, y_cal)
    weighted = WeightedConformalRegressor(band, method="cqr").fit(X_cal, y_cal)
    np.testing.assert_allclose(
        weighted.predict_interval(X_test, 0.1), plain.predict_interval(X_test, 0.1)
    )
    np.testing.assert_allclose(weighted.predict(X_test), 2.0 * X_test[:, 0])


def test_fit_shift_takes_data_frames():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(7)
    X, y = _draw(rng, 200, 0.0)
    X_test, _ = _draw(rng, 60, _SHIFT)
    frame, test_frame = pd.DataFrame(X, columns=["x"]), pd.DataFrame(X_test, columns=["x"])
    model = LinearRegression().fit(frame, y)
    from_frames = WeightedConformalRegressor(model).fit(frame, y).fit_shift(test_frame)
    intervals = from_frames.predict_interval(test_frame, 0.1)
    assert intervals.shape == (60, 2) and np.all(intervals[:, 0] < intervals[:, 1])
    # The shifted rows lie where the domain classifier says the target population is.
    assert from_frames.likelihood_ratio(test_frame).mean() > 1.0


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m, X, y: m.fit(X, y).predict_interval(X, alpha=1.5), "alpha=1.5"),
        (lambda m, X, y: m.fit(X, y).predict_interval(X, alpha=0.0), "alpha=0.0"),
        (lambda m, X, y: m.fit(X, y, calibration_weights=np.ones(3)), "calibration_weights"),
        (lambda m, X, y: m.fit(X, y, calibration_weights=-np.ones(len(y))), "calibration_weights"),
        (lambda m, X, y: m.fit(X, y).predict_interval(X, test_weights=np.ones(2)), "test_weights"),
        (lambda m, X, y: m.fit(X, y).likelihood_ratio(X), "fit_shift"),
        (lambda m, X, y: m.set_params(cv=3).fit(X, y), "cv=3"),
        (
            lambda m, X, y: m.fit(X, y, calibration_weights=np.ones(len(y))).predict_interval(X),
            "test_weights",
        ),
    ],
)
def test_weighted_bad_input_is_a_one_line_value_error(call, match):
    rng = np.random.default_rng(5)
    X, y = _draw(rng, 50, 0.0)
    model = WeightedConformalRegressor(LinearRegression().fit(X, y))
    with pytest.raises(ValueError, match=match) as info:
        call(model, X, y)
    assert "\n" not in str(info.value)


# -- adaptive conformal inference -----------------------------------------------------------
def _regime_change(seed: int = 0, n_cal: int = 500, change: int = 1500):
    y, forecast = regime_change_series(seed, n_cal=n_cal, n_steps=6000, change=change)
    return y, forecast, n_cal, change


def test_aci_holds_long_run_coverage_where_split_conformal_breaks_after_a_regime_change():
    y, forecast, n_cal, change = _regime_change()
    cal, online = slice(0, n_cal), slice(n_cal, None)
    q = conformal_quantile(np.abs(y[cal] - forecast[cal]), ALPHA)
    split_miss = np.abs(y[online] - forecast[online]) > q
    gamma = 0.02
    aci = AdaptiveConformal(alpha=ALPHA, gamma=gamma, window=500).fit(y[cal], forecast[cal])
    intervals = aci.run(forecast[online], y[online])
    aci_miss = ~_covered(intervals, y[online])
    np.testing.assert_array_equal(aci.errors_, aci_miss)
    n_after = split_miss.shape[0] - change
    # Split conformal, calibrated on the calm regime, misses about half the rows afterwards.
    assert split_miss[change:].mean() > ALPHA + 10 * _binomial_tolerance(n_after, ALPHA), (
        split_miss[change:].mean()
    )
    # Gibbs and Candes, Proposition 1: a bound that holds for every sequence.
    bound = aci_coverage_bound(ALPHA, gamma, aci_miss.shape[0])
    assert abs(aci_miss.mean() - ALPHA) <= bound, (aci_miss.mean(), bound)
    assert bound < 0.01
    # After the change too, long-run coverage comes back to within the bound's reach.
    assert abs(aci_miss[change:].mean() - ALPHA) <= aci_coverage_bound(ALPHA, gamma, n_after)


def test_aci_bound_holds_for_an_adversarial_sequence_and_every_delay():
    rng = np.random.default_rng(6)
    # Scores that jump by orders of magnitude: no exchangeability at all.
    y = rng.normal(size=3000) * np.repeat(10.0 ** rng.integers(-2, 3, size=30), 100)
    for delay in (1, 3):
        aci = AdaptiveConformal(alpha=0.2, gamma=0.05, window=50)
        aci.run(np.zeros_like(y), y, delay=delay)
        assert aci.errors_.shape == (3000,)
        # With a delay of k the same telescoping argument holds with k * gamma in the numerator.
        bound = (max(0.2, 0.8) + delay * 0.05) / (0.05 * 3000)
        assert abs(aci.errors_.mean() - 0.2) <= bound


def test_aci_level_update_and_extreme_levels():
    aci = AdaptiveConformal(alpha=0.1, gamma=0.5).fit([0.0, 1.0, 2.0], [0.0, 0.0, 0.0])
    # Three scores: the 0.9 level needs rank ceil(4 * 0.9) = 4 > 3, an unbounded interval.
    assert np.all(np.isinf(aci.predict_interval(0.0)))
    assert aci.update(100.0) is True
    assert aci.alpha_t_ == pytest.approx(0.1 + 0.5 * 0.1)
    aci.alpha_t_ = 1.2  # beyond 1: the empty interval, which always misses
    lower, upper = aci.predict_interval(0.0)
    assert lower == math.inf and upper == -math.inf
    assert aci.update(0.0) is False
    assert aci.alpha_t_ == pytest.approx(1.2 + 0.5 * (0.1 - 1.0))
    aci.alpha_t_ = -0.1
    assert np.all(np.isinf(aci.predict_interval(5.0)))


def test_aci_window_keeps_only_recent_scores_and_resolves_in_issue_order():
    aci = AdaptiveConformal(window=3).fit([1.0, 2.0, 3.0, 4.0, 5.0], np.zeros(5))
    np.testing.assert_array_equal(aci.scores_, [3.0, 4.0, 5.0])
    aci.predict_interval(10.0)
    aci.predict_interval(20.0)
    aci.update(11.0)  # resolves the forecast 10: score 1
    np.testing.assert_array_equal(aci.scores_, [4.0, 5.0, 1.0])
    aci.update(20.0)
    np.testing.assert_array_equal(aci.scores_, [5.0, 1.0, 0.0])
    assert aci.alphas_.shape == (2,)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: AdaptiveConformal(alpha=1.0), "alpha=1.0"),
        (lambda: AdaptiveConformal(alpha=-0.1), "alpha=-0.1"),
        (lambda: AdaptiveConformal(gamma=0.0), "gamma=0.0"),
        (lambda: AdaptiveConformal(gamma=-1), "gamma=-1"),
        (lambda: AdaptiveConformal(gamma=float("nan")), "gamma=nan"),
        (lambda: AdaptiveConformal(window=0), "window=0"),
        (lambda: AdaptiveConformal().fit([1.0, 2.0], [1.0]), "y_true has shape"),
        (lambda: AdaptiveConformal().fit(np.ones((2, 2)), np.ones((2, 2))), "1-d"),
        (lambda: AdaptiveConformal().run([1.0, 2.0], [1.0, 2.0, 3.0]), "y_true has shape"),
        (lambda: AdaptiveConformal().run([1.0], [1.0], delay=0), "delay=0"),
        (lambda: AdaptiveConformal().update(1.0), "no interval"),
        (lambda: AdaptiveConformal().predict_interval(float("nan")), "prediction=nan"),
    ],
)
def test_aci_bad_input_is_a_one_line_value_error(make, match):
    with pytest.raises(ValueError, match=match) as info:
        make()
    assert "\n" not in str(info.value)
