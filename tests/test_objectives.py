"""Tests for treeboost.objectives and the kernels in treeboost.kernels.objectives."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from scipy.special import logsumexp

from treeboost.kernels.objectives import (
    fill_logistic_gradients,
    fill_softmax_gradients,
    fill_squared_error_gradients,
)
from treeboost.objectives import (
    OBJECTIVE_NAMES,
    CustomObjective,
    LogisticObjective,
    Objective,
    SoftprobObjective,
    SquaredErrorObjective,
    get_objective,
)

HESS_FLOOR = 1e-16


# --- plain numpy twins of the kernels: obviously correct, used only here ---------------------


def _weight_or_ones(weight, n):
    return np.ones(n) if weight.shape[0] == 0 else weight


def fill_squared_error_gradients_naive(y, margin, weight, gh_out):
    w = _weight_or_ones(weight, y.shape[0])
    gh_out[0, :, 0] = w * (margin[:, 0] - y)
    gh_out[0, :, 1] = w


def fill_logistic_gradients_naive(y, margin, weight, scale_pos_weight, hess_floor, gh_out):
    w = _weight_or_ones(weight, y.shape[0]) * np.where(y == 1.0, scale_pos_weight, 1.0)
    p = 1.0 / (1.0 + np.exp(-margin[:, 0]))
    q = 1.0 / (1.0 + np.exp(margin[:, 0]))
    gh_out[0, :, 0] = w * (p - y)
    gh_out[0, :, 1] = w * np.maximum(p * q, hess_floor)


def fill_softmax_gradients_naive(y, margin, weight, hess_floor, gh_out):
    n, k = margin.shape
    w = _weight_or_ones(weight, n)
    shifted = np.exp(margin - margin.max(axis=1, keepdims=True))
    p = shifted / shifted.sum(axis=1, keepdims=True)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y.astype(int)] = 1.0
    gh_out[:, :, 0] = (w[:, None] * (p - onehot)).T
    gh_out[:, :, 1] = (w[:, None] * np.maximum(2.0 * p * (1.0 - p), hess_floor)).T


# --- per-sample losses, for finite differences -----------------------------------------------


def squared_error_loss(y, margin):
    return 0.5 * (margin[:, 0] - y) ** 2


def logistic_loss(y, margin):
    m = margin[:, 0]
    return np.logaddexp(0.0, m) - y * m


def softmax_loss(y, margin):
    return logsumexp(margin, axis=1) - margin[np.arange(len(y)), y.astype(int)]


def gh_of(objective, y, margin, weight=None):
    gh = np.empty((objective.n_outputs, len(y), 2), dtype=np.float32)
    objective.gradient_hessian(y, margin, weight, gh)
    return gh


def finite_difference(loss, y, margin, output, step):
    """Central first and second derivatives of each row's loss in margin[:, output]."""
    up, down = margin.copy(), margin.copy()
    up[:, output] += step
    down[:, output] -= step
    l_up, l_mid, l_down = loss(y, up), loss(y, margin), loss(y, down)
    return (l_up - l_down) / (2 * step), (l_up - 2 * l_mid + l_down) / step**2


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _labels(kind, n, rng):
    if kind == "reg":
        return rng.normal(size=n)
    if kind == "binary":
        return rng.integers(0, 2, size=n).astype(np.float64)
    return rng.integers(0, 3, size=n).astype(np.float64)


CASES = [
    ("reg", SquaredErrorObjective(), squared_error_loss, 1.0),
    ("binary", LogisticObjective(), logistic_loss, 1.0),
    ("multi", SoftprobObjective(3), softmax_loss, 2.0),  # the factor 2 of XGBoost's softprob
]


@pytest.mark.parametrize("kind, objective, loss, hess_factor", CASES, ids=lambda c: str(c)[:6])
def test_gradient_and_hessian_match_finite_differences(rng, kind, objective, loss, hess_factor):
    n, k = 40, objective.n_outputs
    y = _labels(kind, n, rng)
    margin = rng.uniform(-3, 3, size=(n, k))
    gh = gh_of(objective, y, margin)
    for output in range(k):
        grad_fd, _ = finite_difference(loss, y, margin, output, step=1e-6)
        _, hess_fd = finite_difference(loss, y, margin, output, step=1e-3)
        np.testing.assert_allclose(gh[output, :, 0], grad_fd, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(gh[output, :, 1], hess_factor * hess_fd, rtol=1e-4, atol=1e-6)


def test_logistic_with_scale_pos_weight_matches_finite_differences_of_weighted_loss(rng):
    n, s = 30, 2.5
    y = _labels("binary", n, rng)
    w = rng.uniform(0.1, 3.0, size=n)
    margin = rng.uniform(-3, 3, size=(n, 1))
    gh = gh_of(LogisticObjective(scale_pos_weight=s), y, margin, w)

    def weighted_loss(y, m):
        return w * np.where(y == 1.0, s, 1.0) * logistic_loss(y, m)

    grad_fd, _ = finite_difference(weighted_loss, y, margin, 0, step=1e-6)
    _, hess_fd = finite_difference(weighted_loss, y, margin, 0, step=1e-3)
    np.testing.assert_allclose(gh[0, :, 0], grad_fd, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gh[0, :, 1], hess_fd, rtol=1e-4, atol=1e-6)


def test_hand_pinned_values():
    gh = gh_of(LogisticObjective(), np.array([1.0, 0.0]), np.zeros((2, 1)))
    np.testing.assert_array_equal(gh[0], [[-0.5, 0.25], [0.5, 0.25]])

    gh = gh_of(SquaredErrorObjective(), np.array([1.0]), np.array([[3.0]]))
    np.testing.assert_array_equal(gh[0], [[2.0, 1.0]])

    gh = gh_of(SoftprobObjective(3), np.array([0.0]), np.zeros((1, 3)))
    np.testing.assert_allclose(gh[:, 0, 0], [-2 / 3, 1 / 3, 1 / 3], rtol=1e-6)
    np.testing.assert_allclose(gh[:, 0, 1], [4 / 9] * 3, rtol=1e-6)


@pytest.mark.parametrize("kind, objective, loss, hess_factor", CASES, ids=lambda c: str(c)[:6])
def test_sample_weights_scale_gradient_and_hessian(rng, kind, objective, loss, hess_factor):
    n = 25
    y = _labels(kind, n, rng)
    margin = rng.normal(size=(n, objective.n_outputs))
    w = rng.uniform(0.0, 4.0, size=n)
    plain = gh_of(objective, y, margin)
    weighted = gh_of(objective, y, margin, w)
    np.testing.assert_allclose(weighted, plain * w[None, :, None].astype(np.float32), rtol=1e-6)


def test_scale_pos_weight_scales_only_positive_rows(rng):
    y = np.array([1.0, 0.0, 1.0, 0.0, 0.3])
    margin = rng.normal(size=(5, 1))
    plain = gh_of(LogisticObjective(), y, margin)
    scaled = gh_of(LogisticObjective(scale_pos_weight=4.0), y, margin)
    factor = np.array([4.0, 1.0, 4.0, 1.0, 1.0], dtype=np.float32)
    np.testing.assert_allclose(scaled[0], plain[0] * factor[:, None], rtol=1e-6)


def test_logistic_hessian_is_floored_and_accurate_for_confident_rows():
    margin = np.array([[30.0], [40.0], [100.0], [-100.0], [1e6]])
    gh = gh_of(LogisticObjective(), np.ones(5), margin)
    # margin 30: p(1-p) ~ 9.4e-14, above the floor; computing 1 - p by subtraction would give 0.
    np.testing.assert_allclose(gh[0, 0, 1], np.exp(-30.0) / (1 + np.exp(-30.0)) ** 2, rtol=1e-5)
    np.testing.assert_array_equal(gh[0, 1:, 1], np.float32(HESS_FLOOR))
    assert np.all(np.isfinite(gh))
    np.testing.assert_array_equal(gh[0, 3, 0], -1.0)


def test_softmax_is_stable_for_huge_margins():
    objective = SoftprobObjective(3)
    margin = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 1000.0], [-1e300, 0.0, 1e300]])
    y = np.array([0.0, 1.0, 2.0])
    gh = gh_of(objective, y, margin)
    assert np.all(np.isfinite(gh))
    np.testing.assert_allclose(gh[:, 0, 0], [0.0, 0.0, 0.0], atol=1e-7)
    np.testing.assert_allclose(gh[:, 1, 0], [1 / 3, -2 / 3, 1 / 3], rtol=1e-6)
    np.testing.assert_array_equal(gh[:, 0, 1], np.float32([HESS_FLOOR] * 3))
    prob = objective.transform(margin)
    assert np.all(np.isfinite(prob))
    np.testing.assert_allclose(prob[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(prob[1], [1 / 3] * 3)
    np.testing.assert_allclose(prob.sum(axis=1), 1.0)


# --- kernels against their naive twins ------------------------------------------------------


def _kernel_pairs(rng, n, k, weighted):
    y2 = rng.integers(0, 2, size=n).astype(np.float64)
    y2[: n // 10] = rng.uniform(size=n // 10)  # probability labels are allowed
    yk = rng.integers(0, k, size=n).astype(np.float64)
    yr = rng.normal(size=n)
    m1 = rng.normal(scale=4, size=(n, 1))
    mk = rng.normal(scale=4, size=(n, k))
    w = rng.uniform(0, 3, size=n) if weighted else np.empty(0)
    return [
        (fill_squared_error_gradients, fill_squared_error_gradients_naive, (yr, m1, w), 1),
        (fill_logistic_gradients, fill_logistic_gradients_naive, (y2, m1, w, 1.7, HESS_FLOOR), 1),
        (fill_softmax_gradients, fill_softmax_gradients_naive, (yk, mk, w, HESS_FLOOR), k),
    ]


@pytest.mark.parametrize("weighted", [False, True])
def test_kernels_match_naive_twins(rng, weighted):
    n, k = 2500, 4  # not a multiple of the softmax block size
    for kernel, naive, args, n_out in _kernel_pairs(rng, n, k, weighted):
        got = np.empty((n_out, n, 2), dtype=np.float32)
        want = np.empty((n_out, n, 2), dtype=np.float32)
        kernel(*args, got)
        naive(*args, want)
        np.testing.assert_allclose(got, want, rtol=2e-7, atol=1e-30, err_msg=kernel.__name__)


def test_kernels_do_not_depend_on_thread_count(rng):
    n, k = 3000, 3
    before = numba.get_num_threads()
    try:
        results = []
        for threads in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(threads)
            outs = []
            for kernel, _, args, n_out in _kernel_pairs(np.random.default_rng(1), n, k, True):
                out = np.empty((n_out, n, 2), dtype=np.float32)
                kernel(*args, out)
                outs.append(out.tobytes())
            results.append(outs)
    finally:
        numba.set_num_threads(before)
    assert results[0] == results[1]


# --- base margin ----------------------------------------------------------------------------


def test_init_margin_squared_error_is_weighted_mean():
    y = np.array([1.0, 2.0, 6.0])
    obj = SquaredErrorObjective()
    np.testing.assert_allclose(obj.init_margin(y, None), [3.0])
    np.testing.assert_allclose(obj.init_margin(y, np.array([1.0, 1.0, 2.0])), [15.0 / 4])
    assert obj.init_margin(y, None).dtype == np.float64


def test_init_margin_logistic_is_logit_of_weighted_rate():
    y = np.array([1.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(LogisticObjective().init_margin(y, None), [np.log(1 / 3)])
    w = np.array([3.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(LogisticObjective().init_margin(y, w), [0.0], atol=1e-12)
    # scale_pos_weight counts each positive s times
    np.testing.assert_allclose(
        LogisticObjective(scale_pos_weight=3.0).init_margin(y, None), [0.0], atol=1e-12
    )
    top = LogisticObjective().init_margin(np.ones(3), None)
    np.testing.assert_allclose(top, [np.log((1 - 1e-6) / 1e-6)])


def test_init_margin_softprob_is_centred_log_frequency():
    y = np.array([0.0, 0.0, 1.0, 2.0])
    obj = SoftprobObjective(4)
    margin = obj.init_margin(y, None)
    freq = np.array([0.5, 0.25, 0.25, 1e-6])
    expected = np.log(freq) - np.log(freq).mean()
    np.testing.assert_allclose(margin, expected)
    assert margin.shape == (4,)
    np.testing.assert_allclose(obj.transform(margin[None, :])[0], freq / freq.sum())
    w = np.array([1.0, 1.0, 2.0, 4.0])
    wfreq = np.array([2.0, 2.0, 4.0]) / 8
    np.testing.assert_allclose(
        SoftprobObjective(3).init_margin(y, w), np.log(wfreq) - np.log(wfreq).mean()
    )


def test_base_score_to_margin():
    np.testing.assert_allclose(LogisticObjective().base_score_to_margin(0.5), [0.0])
    np.testing.assert_allclose(LogisticObjective().base_score_to_margin(0.8), [np.log(4.0)])
    np.testing.assert_array_equal(SquaredErrorObjective().base_score_to_margin(2.5), [2.5])
    np.testing.assert_array_equal(SoftprobObjective(3).base_score_to_margin(0.9), np.zeros(3))
    for bad in (0.0, 1.0, 1.5, -0.2):
        with pytest.raises(ValueError, match="base_score"):
            LogisticObjective().base_score_to_margin(bad)


# --- labels ---------------------------------------------------------------------------------


def test_logistic_label_errors():
    obj = LogisticObjective()
    obj.validate_labels(np.array([0.0, 1.0, 0.25]), None)
    with pytest.raises(ValueError, match=r"labels in \[0, 1\]; got 2\.0"):
        obj.validate_labels(np.array([0.0, 2.0, 1.0]), None)
    with pytest.raises(ValueError, match=r"needs both classes in the label; got only 1\.0"):
        obj.validate_labels(np.ones(5), None)
    with pytest.raises(ValueError, match="finite"):
        obj.validate_labels(np.array([0.0, np.nan]), None)


def test_softprob_label_errors():
    obj = SoftprobObjective(3)
    obj.validate_labels(np.array([0.0, 2.0, 1.0]), None)
    with pytest.raises(ValueError, match=r"integer class labels in 0\.\.2.*got 1\.5"):
        obj.validate_labels(np.array([0.0, 1.5]), None)
    with pytest.raises(ValueError, match=r"got 3\.0"):
        obj.validate_labels(np.array([0.0, 3.0]), None)
    with pytest.raises(ValueError, match=r"got -1\.0"):
        obj.validate_labels(np.array([0.0, -1.0]), None)
    with pytest.raises(ValueError, match="at least 2 distinct classes.*only class 2"):
        obj.validate_labels(np.full(4, 2.0), None)


def test_squared_error_rejects_non_finite_labels():
    with pytest.raises(ValueError, match="finite"):
        SquaredErrorObjective().validate_labels(np.array([1.0, np.inf]), None)


# --- get_objective --------------------------------------------------------------------------


def test_get_objective_builds_each_name():
    assert {"reg:squarederror", "binary:logistic", "multi:softprob"} <= set(OBJECTIVE_NAMES)
    reg = get_objective("reg:squarederror", {})
    binary = get_objective("binary:logistic", {"num_class": 0, "scale_pos_weight": 2.0})
    multi = get_objective("multi:softprob", {"num_class": 5})
    assert (reg.name, reg.n_outputs, reg.default_metric) == ("reg:squarederror", 1, "rmse")
    assert (binary.n_outputs, binary.default_metric, binary.scale_pos_weight) == (1, "logloss", 2)
    assert (multi.n_outputs, multi.default_metric, multi.is_multiclass) == (5, "mlogloss", True)
    assert not reg.is_multiclass and not binary.is_multiclass
    assert all(isinstance(o, Objective) for o in (reg, binary, multi))


def test_get_objective_errors():
    with pytest.raises(ValueError, match="'binary:logitsic'.*Did you mean 'binary:logistic'"):
        get_objective("binary:logitsic", {})
    with pytest.raises(ValueError, match="reg:squarederror.*binary:logistic.*multi:softprob"):
        get_objective("nonsense", {})
    with pytest.raises(ValueError, match="num_class"):
        get_objective("multi:softprob", {})
    with pytest.raises(ValueError, match="num_class=1"):
        get_objective("multi:softprob", {"num_class": 1})
    with pytest.raises(ValueError, match="num_class=3"):
        get_objective("binary:logistic", {"num_class": 3})
    with pytest.raises(ValueError, match="scale_pos_weight"):
        get_objective("binary:logistic", {"scale_pos_weight": -1.0})
    with pytest.raises(TypeError, match="objective"):
        get_objective(3, {})


def test_gh_out_must_have_fixed_dtype_and_shape():
    obj = LogisticObjective()
    y, margin = np.array([0.0, 1.0]), np.zeros((2, 1))
    with pytest.raises(ValueError, match="float32"):
        obj.gradient_hessian(y, margin, None, np.empty((1, 2, 2), dtype=np.float64))
    with pytest.raises(ValueError, match=r"\(1, 2, 2\)"):
        obj.gradient_hessian(y, margin, None, np.empty((2, 1, 2), dtype=np.float32))


def test_transform_shapes_and_values():
    margin = np.array([[0.0], [np.log(3.0)], [-800.0]])
    np.testing.assert_allclose(LogisticObjective().transform(margin), [0.5, 0.75, 0.0])
    out = SquaredErrorObjective().transform(margin)
    assert out.shape == (3,)
    np.testing.assert_array_equal(out, margin[:, 0])
    assert SoftprobObjective(2).transform(np.zeros((3, 2))).shape == (3, 2)


# --- custom objectives ----------------------------------------------------------------------


def test_custom_objective_single_output_receives_margin_and_dataset():
    seen = {}

    def my_obj(predt, dtrain):
        seen["predt"], seen["dtrain"] = predt, dtrain
        return 2 * predt, np.full(predt.shape, 0.5)

    obj = get_objective(my_obj, {"num_class": 0})
    assert isinstance(obj, CustomObjective)
    assert (obj.n_outputs, obj.default_metric) == (1, "")
    dataset = object()
    obj.dataset = dataset
    margin = np.array([[1.0], [-2.0], [3.0]])
    gh = gh_of(obj, np.zeros(3), margin)
    assert seen["dtrain"] is dataset and seen["predt"].shape == (3,)
    np.testing.assert_array_equal(gh[0], [[2.0, 0.5], [-4.0, 0.5], [6.0, 0.5]])
    np.testing.assert_array_equal(obj.transform(margin), margin[:, 0])
    np.testing.assert_array_equal(obj.init_margin(np.zeros(3), None), [0.0])
    np.testing.assert_array_equal(obj.base_score_to_margin(0.3), [0.3])


@pytest.mark.parametrize("layout", ["matrix", "flat"])
def test_custom_objective_multi_output_layout(layout):
    n, k = 4, 3

    def my_obj(predt, dtrain):
        assert predt.shape == (n, k)
        grad = predt * 10
        hess = predt + 100
        return (grad, hess) if layout == "matrix" else (grad.ravel(), hess.ravel())

    obj = get_objective(my_obj, {"num_class": k})
    assert obj.n_outputs == k and obj.is_multiclass
    margin = np.arange(n * k, dtype=np.float64).reshape(n, k)
    gh = gh_of(obj, np.zeros(n), margin)
    np.testing.assert_array_equal(gh[:, :, 0], (margin * 10).T)
    np.testing.assert_array_equal(gh[:, :, 1], (margin + 100).T)
    np.testing.assert_array_equal(obj.base_score_to_margin(0.5), [0.5] * k)


def test_custom_objective_errors():
    def short_obj(predt, dtrain):
        return predt[:-1], predt[:-1]

    def nan_obj(predt, dtrain):
        return predt * np.nan, predt

    def single(predt, dtrain):
        return predt

    y, margin = np.zeros(3), np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"short_obj.*grad of shape \(2, 2\).*\(3, 2\) or \(6,\)"):
        gh_of(get_objective(short_obj, {"num_class": 2}), y, margin)
    with pytest.raises(ValueError, match="nan_obj.*non-finite grad"):
        gh_of(get_objective(nan_obj, {"num_class": 2}), y, margin)
    with pytest.raises(ValueError, match=r"single must return a pair \(grad, hess\)"):
        gh_of(get_objective(single, {}), y, margin[:, :1])
