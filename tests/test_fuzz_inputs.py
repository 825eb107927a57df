"""Property-based fuzzing of the data -> train -> predict -> explain path (docs/reliability.md).

Every generated case must end either in a correct result or in a one-line ``ValueError`` /
``TypeError``: never a numba error, a crash, a hang, or a non-finite prediction from finite
input. "Correct" is checked against references that share no code with the kernels: a plain
Python walk of the trees by the split rule of docs/model-format.md (margins and leaves), the
additivity of SHAP values, and the rounds of ``iteration_range`` adding up to the whole.

The quick profile runs in the default test run; ``pytest -m fuzz`` runs the long one.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import treeboost as tb
from fuzz_profiles import LONG, QUICK, assert_finite, check_clean_error, count, run_or_refuse

SUITE = "inputs"

DTYPES = [
    "float64",
    "float32",
    "float16",
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "bool",
]
BAD_DTYPES = ["object", "complex128", "datetime64[ns]", "timedelta64[s]", "<U4", "bytes"]
SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300, -1e300, 1e-300, 5e-324, 3.4e38, 65504.0]
OBJECTIVES = {
    "reg:squarederror": {},
    "reg:absoluteerror": {},
    "reg:pseudohubererror": {},
    "reg:quantileerror": {"quantile_alpha": 0.3},
    "count:poisson": {},
    "reg:gamma": {},
    "reg:tweedie": {},
    "binary:logistic": {},
    "multi:softprob": {"num_class": 3},
}
EXTREME_PARAMS = {
    "max_depth": [1, 2, 6, 64, 10**6],
    "learning_rate": [1e-300, 1e-6, 0.3, 1.0, 50.0],
    "reg_lambda": [0.0, 1e-300, 1.0, 1e300],
    "reg_alpha": [0.0, 1e-3, 1e300],
    "gamma": [0.0, 1e-300, 1e300],
    "min_child_weight": [0.0, 1e-300, 1.0, 1e300],
    "max_delta_step": [0.0, 1e-300, 0.7, 1e300],
    "subsample": [1e-9, 0.5, 1.0],
    "colsample_bytree": [1e-9, 0.5, 1.0],
    "colsample_bylevel": [1e-9, 1.0],
    "colsample_bynode": [1e-9, 1.0],
    "max_leaves": [0, 2, 3, 2**31],
    "grow_policy": ["depthwise", "lossguide"],
    "random_state": [0, 1, 2**63 - 1],
    "n_jobs": [1, 2, -1, 10**6],
}
# Parameters that are refused with a clear error (and must name themselves).
INVALID_PARAMS = {
    "max_depth": [-1, 1.5, "3", None, True],
    "learning_rate": [0, -1.0, np.nan, np.inf, "fast"],
    "subsample": [0.0, 1.5, np.nan],
    "reg_lambda": [-1.0, np.nan],
    "max_bin": [0, 1, 65537, 2.5],
    "objective": ["reg:nope", "", 3],
    "n_jobs": [0, 1.5],
    "random_state": [-1, 2**64],
}


# -- references -----------------------------------------------------------------------------
def reference_walk(booster: tb.Booster, X: np.ndarray, begin: int, end: int):
    """Margins and leaves by the split rule of docs/model-format.md, in plain Python."""
    n, k = X.shape[0], booster.n_outputs
    margin = np.tile(booster.base_margin, (n, 1))
    leaves = np.zeros((n, end - begin), dtype=np.int64)
    for t in range(begin, end):
        tree, out = booster.trees[t], booster.tree_outputs[t]
        for i in range(n):
            node = 0
            while tree.left[node] >= 0:
                v = X[i, tree.feature[node]]
                if tree.categories and node in tree.categories:
                    pytest.skip("categorical reference walk not needed here")
                if np.isnan(v):
                    go_left = bool(tree.default_left[node])
                else:
                    go_left = v <= tree.threshold[node]
                node = tree.left[node] if go_left else tree.right[node]
            leaves[i, t - begin] = node
            margin[i, out] += tree.value[node]
    return (margin[:, 0] if k == 1 else margin), leaves


def _cast(X: np.ndarray, dtype: str) -> np.ndarray:
    with np.errstate(all="ignore"):
        if dtype == "bool":
            return np.nan_to_num(X) > 0
        if dtype.startswith(("int", "uint")):
            info = np.iinfo(dtype)
            Y = np.nan_to_num(X, nan=0.0, posinf=info.max, neginf=info.min)
            return np.clip(np.round(Y), info.min, info.max).astype(dtype)
        info = np.finfo(dtype)  # stay finite (inf is a defect of its own)
        return np.where(np.isinf(X), X, np.clip(X, info.min, info.max)).astype(dtype)


# -- strategies ----------------------------------------------------------------------------
# A case carries at most one deliberate defect (about a third of them do), so that most cases
# reach training and prediction and every defect is still tried often.
DEFECTS = [
    "none", "none", "none", "none", "none", "none",
    "empty_rows", "empty_cols", "inf_feature", "bad_label", "special_label", "bad_weight",
    "tiny_weight", "huge_weight", "duplicate_names", "huge_label",
]


@st.composite
def matrices(draw, max_rows=40, max_cols=5, defect="none"):
    n = 0 if defect == "empty_rows" else draw(st.integers(1, max_rows))
    m = 0 if defect == "empty_cols" else draw(st.integers(1, max_cols))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1e-300, 1e-6, 1.0, 1e6, 1e300]))
    X = rng.normal(size=(n, m)) * scale
    if n <= 1 or m == 0:
        pass
    else:
        if draw(st.booleans()):  # a constant column
            X[:, rng.integers(0, m)] = draw(st.sampled_from([0.0, 1.0, -7.5]))
        if draw(st.booleans()):  # duplicated columns
            X[:, -1] = X[:, 0]
        if draw(st.booleans()):  # special values (finite ones, and NaN) anywhere
            k = draw(st.integers(1, max(1, n * m // 3)))
            finite_specials = [np.nan, 0.0, -0.0, 1e300, -1e300, 1e-300, 5e-324, 3.4e38, 65504.0]
            X[rng.integers(0, n, size=k), rng.integers(0, m, size=k)] = rng.choice(
                finite_specials, size=k
            )
        if draw(st.booleans()):  # a column that is all NaN
            X[:, rng.integers(0, m)] = np.nan
    if defect == "inf_feature" and n and m:
        X[rng.integers(0, n), rng.integers(0, m)] = draw(st.sampled_from([np.inf, -np.inf]))
    dtype = draw(st.sampled_from(DTYPES))
    return _cast(X, dtype)


@st.composite
def labels(draw, n, objective, defect="none"):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if objective == "binary:logistic":
        y = rng.integers(0, 2, size=n).astype(float)
    elif objective == "multi:softprob":
        y = rng.integers(0, 3, size=n).astype(float)
    elif objective == "count:poisson":
        y = rng.poisson(2.0, size=n).astype(float)
    elif objective in ("reg:gamma", "reg:tweedie"):
        y = rng.gamma(2.0, size=n) + (1e-3 if objective == "reg:gamma" else 0.0)
    else:
        y = rng.normal(size=n) * draw(st.sampled_from([1e-300, 1e-6, 1.0, 1e6, 1e30]))
    if n and defect == "bad_label":
        y[rng.integers(0, n)] = draw(st.sampled_from([-1.0, 2.0, 3.0, 0.5, -5.0]))
    elif n and defect == "special_label":
        y[rng.integers(0, n)] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    elif n and defect == "huge_label":
        y[rng.integers(0, n)] = draw(st.sampled_from([1e300, -1e300, 1e38]))
    return y


@st.composite
def weights(draw, n, defect="none"):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if defect == "bad_weight":
        w = rng.random(n)
        if n:
            w[rng.integers(0, n)] = draw(st.sampled_from([-1.0, np.nan, np.inf]))
        return draw(st.sampled_from([w, np.zeros(n), np.ones(n + 1)]))
    if defect == "tiny_weight":
        return np.full(n, 1e-300)
    if defect == "huge_weight":
        return rng.choice([1.0, 1e300], size=n)
    choice = draw(st.sampled_from(["none", "none", "uniform", "spread", "some_zero"]))
    if choice == "none":
        return None
    if choice == "uniform":
        return np.full(n, draw(st.sampled_from([1e-6, 1.0, 1e6])))
    if choice == "spread":
        return rng.choice([1e-20, 1e-3, 1.0, 1e3, 1e6], size=n)
    w = rng.random(n)
    w[rng.random(n) < 0.5] = 0.0
    if n:
        w[0] = 1.0
    return w


@st.composite
def training_cases(draw):
    defect = draw(st.sampled_from(DEFECTS))
    X = draw(matrices(defect=defect))
    objective = draw(st.sampled_from(sorted(OBJECTIVES)))
    y = draw(labels(X.shape[0], objective, defect))
    w = draw(weights(X.shape[0], defect))
    params = {"objective": objective, **OBJECTIVES[objective], "max_depth": 3}
    for name in draw(st.lists(st.sampled_from(sorted(EXTREME_PARAMS)), max_size=4, unique=True)):
        params[name] = draw(st.sampled_from(EXTREME_PARAMS[name]))
    if params.get("grow_policy") == "lossguide" and draw(st.booleans()):
        params["max_depth"] = 0
    names = None
    if X.shape[1] and (defect == "duplicate_names" or draw(st.booleans())):
        pool = ["", " ", "é", "\u200b", "x" * 300, "a\nb", "col"]
        names = [pool[i % len(pool)] + ("" if i < len(pool) else str(i)) for i in
                 draw(st.permutations(range(X.shape[1])))]
        if defect == "duplicate_names" and X.shape[1] >= 2:
            names[1] = names[0]
    rounds = draw(st.sampled_from([0, 1, 2, 3, 3, 3]))
    max_bin = draw(st.sampled_from([2, 3, 16, 256, 1024]))
    return defect, X, y, w, params, names, rounds, max_bin


# -- the property ----------------------------------------------------------------------------
def _check_predictions(booster: tb.Booster, X: np.ndarray, finite_input: bool) -> None:
    n = X.shape[0]
    k = booster.n_outputs
    rounds = booster.num_boosted_rounds()
    Xf = np.asarray(X, dtype=np.float64)
    with np.errstate(all="ignore"):
        margin = booster.predict(X, output_margin=True, iteration_range=(0, rounds))
    pred = booster.predict(X, iteration_range=(0, rounds))
    assert margin.shape == ((n,) if k == 1 else (n, k))
    if finite_input:
        assert_finite(margin, "margin")
        assert_finite(pred, "prediction")
    ref_margin, ref_leaves = reference_walk(booster, Xf, 0, len(booster.trees))
    np.testing.assert_allclose(margin, ref_margin, rtol=1e-12, atol=0)
    leaves = booster.predict(X, pred_leaf=True, iteration_range=(0, rounds))
    assert leaves.shape == (n, len(booster.trees))
    np.testing.assert_array_equal(leaves, ref_leaves)
    if rounds >= 2:  # rounds [0, 1) and [1, rounds) add up to the whole
        first = booster.predict(X, output_margin=True, iteration_range=(0, 1))
        rest = booster.predict(X, output_margin=True, iteration_range=(1, rounds))
        base = booster.base_margin if k > 1 else booster.base_margin[0]
        np.testing.assert_allclose(first + rest - base, margin, rtol=1e-9, atol=1e-9 * (
            1 + np.nanmax(np.abs(margin), initial=0)))
    if n and finite_input and np.all(np.abs(margin) < 1e200):
        contribs = booster.predict(X, pred_contribs=True, iteration_range=(0, rounds))
        assert contribs.shape == ((n, booster.n_features + 1) if k == 1 else
                                  (n, k, booster.n_features + 1))
        assert_finite(contribs, "contributions")
        scale = 1 + np.max(np.abs(contribs))
        np.testing.assert_allclose(contribs.sum(-1), margin, rtol=1e-6, atol=1e-6 * scale)
        if booster.n_features <= 4 and n <= 10:
            inter = booster.predict(X[:5], pred_interactions=True, iteration_range=(0, rounds))
            np.testing.assert_allclose(
                inter.sum(-1), contribs[:5], rtol=1e-5, atol=1e-5 * scale
            )
        values = tb.explain.shap_values(booster, X[:5])
        np.testing.assert_allclose(
            values.values.sum(-1) + values.base_values, margin[:5], rtol=1e-6, atol=1e-6 * scale
        )


def _train_predict_case(case) -> None:
    defect, X, y, w, params, names, rounds, max_bin = case
    finite_input = X.dtype.kind != "f" or bool(np.all(np.isfinite(X)))

    def build():
        return tb.Dataset(X, label=y, weight=w, feature_names=names, max_bin=max_bin)

    argument_names = (
        "data", "label", "weight", "feature_names", "max_bin", "column", "shape", "labels",
        "base_margin", "weights", "names",
    )
    dtrain = run_or_refuse(build, argument_names)
    if dtrain is None:
        event(f"refused by Dataset ({defect})")
        assert defect != "none", "a valid table was refused"
        return
    params = {**params, "max_bin": max_bin}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            booster = tb.train(params, dtrain, num_boost_round=rounds)
    except (ValueError, TypeError) as exc:
        check_clean_error(exc, (*sorted(params), "label", "labels", "weight", "num_class", "data"))
        event(f"refused by train ({defect}): {str(exc)[:60]}")
        return
    event(f"trained ({booster.num_boosted_rounds()} rounds, {len(booster.trees)} trees)")
    # Prediction input: the training rows with their infinities replaced by NaN (training refuses
    # inf) and a few crafted rows past every threshold.
    with np.errstate(all="ignore"):
        Xp = np.asarray(X, dtype=np.float64)
    extra = np.array([[np.nan] * X.shape[1], [1e308] * X.shape[1], [-1e308] * X.shape[1]])
    Xp = np.vstack([Xp, extra]) if X.shape[1] else Xp
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check_predictions(booster, Xp, finite_input)
        # Save / load round trip: same margins bit for bit.
        loaded = tb.Booster.load_model(booster.save_raw())
        np.testing.assert_array_equal(
            loaded.predict(Xp, output_margin=True), booster.predict(Xp, output_margin=True)
        )


@QUICK
@given(training_cases())
def test_train_predict_explain_quick(case):
    count(SUITE, "quick")
    _train_predict_case(case)


@pytest.mark.fuzz
@LONG
@given(training_cases())
def test_train_predict_explain_long(case):
    count(SUITE, "long")
    _train_predict_case(case)


# -- refused input -------------------------------------------------------------------------
def _bad_dtype_case(dtype: str, n: int, m: int, where: str) -> None:
    rng = np.random.default_rng(0)
    if dtype.startswith("datetime") or dtype.startswith("timedelta"):
        X = rng.integers(0, 10**6, size=(n, m)).astype(dtype)
    elif dtype == "bytes":
        X = np.full((n, m), b"ab")
    else:
        X = rng.normal(size=(n, m)).astype(dtype)
    if where == "train":
        exc = pytest.raises((TypeError, ValueError), tb.Dataset, X, label=np.zeros(n))
    else:
        booster = _small_booster(m)
        exc = pytest.raises((TypeError, ValueError), booster.predict, X)
    check_clean_error(exc.value, ("data", "dtype"))


@QUICK
@given(st.sampled_from(BAD_DTYPES), st.integers(1, 5), st.integers(1, 4),
       st.sampled_from(["train", "predict"]))
def test_unsupported_dtypes_are_refused_quick(dtype, n, m, where):
    count(SUITE, "quick")
    _bad_dtype_case(dtype, n, m, where)


@pytest.mark.fuzz
@LONG
@given(st.sampled_from(BAD_DTYPES), st.integers(1, 50), st.integers(1, 20),
       st.sampled_from(["train", "predict"]))
def test_unsupported_dtypes_are_refused_long(dtype, n, m, where):
    count(SUITE, "long")
    _bad_dtype_case(dtype, n, m, where)


def _invalid_param_case(name, value) -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3))
    dtrain = tb.Dataset(X, label=rng.normal(size=30))
    with pytest.raises((ValueError, TypeError)) as exc:
        tb.train({name: value}, dtrain, num_boost_round=1)
    check_clean_error(exc.value, (name,))


@QUICK
@given(st.sampled_from(sorted(INVALID_PARAMS)).flatmap(
    lambda name: st.tuples(st.just(name), st.sampled_from(INVALID_PARAMS[name]))))
def test_invalid_parameters_name_themselves_quick(pair):
    count(SUITE, "quick")
    _invalid_param_case(*pair)


_SMALL: dict[int, tb.Booster] = {}


def _small_booster(m: int) -> tb.Booster:
    if m not in _SMALL:
        rng = np.random.default_rng(m)
        X = rng.normal(size=(60, m))
        _SMALL[m] = tb.train(
            {"max_depth": 3}, tb.Dataset(X, label=X[:, 0] + rng.normal(size=60)), 3
        )
    return _SMALL[m]


def _predict_modes_case(m, n, iteration_range, mode, layout, seed) -> None:
    booster = _small_booster(m)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m))
    X[rng.random((n, m)) < 0.2] = np.nan
    if layout == "fortran":
        X = np.asfortranarray(X)
    elif layout == "strided":
        X = np.repeat(X, 2, axis=0)[::2]
    elif layout == "float32":
        X = X.astype(np.float32)
    elif layout == "bigendian":
        X = X.astype(">f8")
    kwargs = {mode: True} if mode else {}
    result = run_or_refuse(
        lambda: booster.predict(X, iteration_range=iteration_range, **kwargs),
        ("iteration_range",),
    )
    if result is None:
        begin, end = iteration_range
        end = 3 if end == 0 else end  # end 0 means "every round"
        assert not 0 <= begin <= end <= 3, iteration_range
        return
    if mode != "pred_leaf":
        assert_finite(result, mode or "prediction")
    assert result.shape[0] == n


@QUICK
@given(st.integers(1, 4), st.integers(0, 20),
       st.tuples(st.integers(-2, 5), st.integers(-2, 5)),
       st.sampled_from([None, "output_margin", "pred_leaf", "pred_contribs", "pred_interactions"]),
       st.sampled_from(["c", "fortran", "strided", "float32", "bigendian"]),
       st.integers(0, 2**32 - 1))
def test_predict_modes_quick(m, n, iteration_range, mode, layout, seed):
    count(SUITE, "quick")
    _predict_modes_case(m, n, iteration_range, mode, layout, seed)


@pytest.mark.fuzz
@LONG
@given(st.integers(1, 8), st.integers(0, 200),
       st.tuples(st.integers(-2, 5), st.integers(-2, 5)),
       st.sampled_from([None, "output_margin", "pred_leaf", "pred_contribs", "pred_interactions"]),
       st.sampled_from(["c", "fortran", "strided", "float32", "bigendian"]),
       st.integers(0, 2**32 - 1))
def test_predict_modes_long(m, n, iteration_range, mode, layout, seed):
    count(SUITE, "long")
    _predict_modes_case(m, n, iteration_range, mode, layout, seed)


# -- estimators ----------------------------------------------------------------------------
def _estimator_case(kind, X, seed, n_estimators) -> None:
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    if kind == "classifier":
        y = rng.choice(["yes", "no", "maybe"][: rng.integers(1, 4)], size=n)
        model = tb.TreeBoostClassifier(n_estimators=n_estimators, max_depth=2, n_jobs=1)
    else:
        y = rng.normal(size=n)
        model = tb.TreeBoostRegressor(n_estimators=n_estimators, max_depth=2, n_jobs=1)
    fitted = run_or_refuse(lambda: model.fit(X, y), (
        "X", "y", "data", "label", "class", "sample", "feature", "column", "n_estimators",
        "dtype"))
    if fitted is None:
        return
    with np.errstate(all="ignore"):
        Xp = np.nan_to_num(np.asarray(X, dtype=np.float64), nan=np.nan, posinf=np.nan,
                           neginf=np.nan)
    pred = fitted.predict(Xp)
    assert pred.shape[0] == n
    if kind == "classifier":
        proba = fitted.predict_proba(Xp)
        assert_finite(proba, "predict_proba")
        np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-9)
        assert set(pred) <= set(fitted.classes_)
    else:
        assert_finite(pred, "predict")


@QUICK
@given(st.sampled_from(["regressor", "classifier"]), matrices(max_rows=30, max_cols=4),
       st.integers(0, 2**32 - 1), st.integers(1, 3))
def test_estimators_quick(kind, X, seed, n_estimators):
    count(SUITE, "quick")
    _estimator_case(kind, X, seed, n_estimators)


@pytest.mark.fuzz
@LONG
@given(st.sampled_from(["regressor", "classifier"]), matrices(max_rows=80, max_cols=8),
       st.integers(0, 2**32 - 1), st.integers(1, 5))
def test_estimators_long(kind, X, seed, n_estimators):
    count(SUITE, "long")
    _estimator_case(kind, X, seed, n_estimators)


# -- targeted cases -------------------------------------------------------------------------
def test_wide_table_100k_columns():
    """A 100,000-column table trains, predicts and explains (most columns constant)."""
    rng = np.random.default_rng(0)
    n, m = 40, 100_000
    X = np.zeros((n, m), dtype=np.float32)
    X[:, :5] = rng.normal(size=(n, 5))
    X[:, -1] = rng.normal(size=n)
    y = X[:, 0] + X[:, -1]
    booster = tb.train({"max_depth": 2, "min_child_weight": 0}, tb.Dataset(X, label=y), 2)
    margin = booster.predict(X, output_margin=True)
    assert_finite(margin, "wide margin")
    contribs = booster.predict(X[:2], pred_contribs=True)
    assert contribs.shape == (2, m + 1)
    np.testing.assert_allclose(contribs.sum(1), margin[:2], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "kwargs, names",
    [
        ({"weight": np.full(20, 1e-300)}, ("weight",)),
        ({"weight": np.full(20, 1e300)}, ("weight",)),
        ({"label": np.linspace(-1, 1, 20) * 1e300}, ("label",)),
        ({"base_margin": np.full(20, 1e300)}, ("base_margin",)),
    ],
)
def test_weights_and_labels_beyond_float32_gradients_are_refused(kwargs, names):
    """Regression: uniform weights of 1e-300 or 1e300 (and labels of 1e300) used to train a
    model that learned nothing (float32 gradients underflowed to 0 or overflowed to inf), and
    a base margin of 1e300 gave NaN predictions; now the Dataset refuses them in one line."""
    X = np.linspace(0, 1, 40).reshape(20, 2)
    with pytest.raises(ValueError) as exc:
        tb.Dataset(X, **{"label": np.linspace(0, 1, 20), **kwargs})
    check_clean_error(exc.value, names)


def _weight_scale_case(scale: float) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=200)
    params = {"max_depth": 3, "reg_lambda": 0, "min_child_weight": 0}
    ref = tb.train(params, tb.Dataset(X, label=y), 5).predict(X)
    got = tb.train(params, tb.Dataset(X, label=y, weight=np.full(200, scale)), 5).predict(X)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("scale", [1e-6, 1e6, 1e30])
def test_weight_scale_does_not_change_an_unregularised_model(scale):
    _weight_scale_case(scale)


@pytest.mark.xfail(
    reason="tree/split.py's MIN_SPLIT_GAIN = 1e-12 is an absolute floor; gains scale with the "
    "weights, so uniform weights of 1e-30 make every split 'noise' and the model learns nothing "
    "(a relative floor would change tie-breaking in every model; docs/reliability.md, known gaps)",
    strict=True,
)
def test_tiny_uniform_weights_still_learn():
    _weight_scale_case(1e-30)


@pytest.mark.parametrize("iteration_range", [(1.5, 2), (True, 2), (0, 2.5), ("1", 2)])
def test_non_integer_iteration_range_is_refused(iteration_range):
    """Regression: iteration_range=(1.5, 2) was truncated to (1, 2) silently."""
    booster = _small_booster(2)
    with pytest.raises(ValueError) as exc:
        booster.predict(np.zeros((2, 2)), iteration_range=iteration_range)
    check_clean_error(exc.value, ("iteration_range",))


def test_integral_float_iteration_range_is_accepted():
    booster = _small_booster(2)
    X = np.zeros((2, 2))
    np.testing.assert_array_equal(
        booster.predict(X, iteration_range=(np.float64(1.0), 2)),
        booster.predict(X, iteration_range=(1, 2)),
    )


def test_huge_base_score_is_refused_naming_it():
    """Regression: base_score=1e300 trained a model predicting NaN for every row. Now it is
    refused with a line naming base_score (the parameter check, before any tree)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    dtrain = tb.Dataset(X, label=rng.normal(size=50))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as exc:
            tb.train({"base_score": 1e300, "max_depth": 2}, dtrain, 2)
    check_clean_error(exc.value, ("base_score",))


@pytest.mark.parametrize("objective", ["count:poisson", "reg:gamma"])
def test_overflowing_gradients_are_refused_naming_learning_rate(objective):
    """Regression: count:poisson and reg:gamma with learning_rate=50 trained models whose
    margins and predictions were NaN / inf from finite input (exp(margin) overflowed the float32
    gradients); now training stops with one line naming learning_rate."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    dtrain = tb.Dataset(X, label=rng.poisson(2, 200) + 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as exc:
            tb.train({"objective": objective, "learning_rate": 50.0, "max_depth": 3}, dtrain, 5)
    check_clean_error(exc.value, ("learning_rate",))


def test_booster_refuses_a_tree_with_non_finite_leaves():
    booster = _small_booster(2)
    copy = booster.copy()
    tree = copy.trees[0]
    bad = type(tree)(**{**{k: getattr(tree, k).copy() for k in (
        "left", "right", "feature", "threshold", "split_bin", "default_left", "value", "cover",
        "gain", "sample_count")}, "categories": {}})
    bad.value[-1] = np.nan
    with pytest.raises(ValueError, match="non-finite leaf values"):
        copy.append_tree(bad, 0)
    assert len(copy.trees) == len(booster.trees)


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0)])
def test_empty_tables_are_refused_naming_data(shape):
    with pytest.raises(ValueError) as exc:
        tb.Dataset(np.zeros(shape), label=np.zeros(shape[0]))
    check_clean_error(exc.value, ("data",))


def test_feature_name_collisions_are_refused():
    X = np.zeros((4, 3))
    for names in (["a", "a", "b"], ["a", "b"], [1, 2, 3]):
        with pytest.raises((ValueError, TypeError)) as exc:
            tb.Dataset(X, label=np.zeros(4), feature_names=names)
        check_clean_error(exc.value, ("feature_names",))
