"""scipy.sparse input kept sparse: binning, training, evaluation and prediction must equal the
dense twin (``X.toarray()``, absent entries are zeros), plus the sparse kernels against plain
NumPy / dense references."""

from __future__ import annotations

import time

import numpy as np
import pytest

import treeboost as tb
from treeboost.data.dataset import NotSupportedYetError
from treeboost.data.sparse import SparseBins, as_csr
from treeboost.kernels.categorical import add_tree_binned_tables
from treeboost.kernels.predict import add_tree_binned
from treeboost.kernels.sparse import (
    add_tree_binned_csr,
    build_histogram_csc,
    build_histogram_csr,
    csr_to_csc,
    mark_node_rows,
    predict_csr,
)
from treeboost.model.forest import Forest

sp = pytest.importorskip("scipy.sparse")

N_ROWS = 3000
N_FEATURES = 16
ABSENT_FEATURE = 5  # no stored entry at all
NAN_FEATURE = 9  # every row stores NaN


def _sparse_problem(n=N_ROWS, p=N_FEATURES, density=0.2, seed=0):
    """CSR data with repeated levels, stored explicit zeros (and -0.0), negatives and stored NaN,
    one feature entirely absent and one entirely NaN; y has signal in the stored entries."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n, p)) < density
    mask[:, 0] = rng.random(n) < 0.9  # mostly stored: quantile cuts with a small max_bin
    mask[:, ABSENT_FEATURE] = False
    mask[:, NAN_FEATURE] = False
    rows, cols = np.nonzero(mask)
    vals = np.round(rng.normal(size=rows.size) * 1.5, 1)  # includes 0.0 and -0.0
    vals[rng.random(rows.size) < 0.03] = np.nan
    rows = np.concatenate([rows, np.arange(n)])
    cols = np.concatenate([cols, np.full(n, NAN_FEATURE)])
    vals = np.concatenate([vals, np.full(n, np.nan)])
    X = sp.csr_matrix((vals, (rows, cols)), shape=(n, p))
    dense = X.toarray()
    z = np.nan_to_num(dense)
    y = 1.5 * z[:, 0] - z[:, 1] + np.abs(z[:, 2]) + 0.8 * z[:, 3] * z[:, 4] + 0.3 * z[:, 6]
    y = y + 0.2 * rng.normal(size=n)
    return X, dense, y


@pytest.fixture(scope="module")
def problem():
    return _sparse_problem()


def _bins_equal(d_sparse, d_dense):
    assert d_sparse.is_sparse and not d_dense.is_sparse
    a, b = d_sparse.bin_mapper.bin_upper_bounds_, d_dense.bin_mapper.bin_upper_bounds_
    assert len(a) == len(b)
    for f, (u, v) in enumerate(zip(a, b)):
        np.testing.assert_array_equal(u, v, err_msg=f"bin bounds of feature {f}")
    binned = d_sparse.binned
    assert isinstance(binned, SparseBins)
    assert binned.dtype == d_dense.binned.dtype
    np.testing.assert_array_equal(binned.toarray(), d_dense.binned)


def _same_trees(b_sparse, b_dense, rtol=1e-9):
    assert len(b_sparse.trees) == len(b_dense.trees)
    for i, (s, d) in enumerate(zip(b_sparse.trees, b_dense.trees)):
        for name in ("left", "right", "feature", "split_bin", "default_left", "threshold"):
            np.testing.assert_array_equal(
                getattr(s, name), getattr(d, name), err_msg=f"tree {i} {name}"
            )
        np.testing.assert_allclose(s.value, d.value, rtol=rtol, atol=1e-12, err_msg=f"tree {i}")


# -- 1. input formats ------------------------------------------------------------------------


def _unsorted_with_duplicates(X):
    """The same matrix as raw CSR arrays with every row's entries reversed and each value split
    into two duplicate entries (a and v - a) that scipy sums."""
    X = X.tocsr()
    rng = np.random.default_rng(3)
    indptr, indices, data = [0], [], []
    for r in range(X.shape[0]):
        lo, hi = X.indptr[r], X.indptr[r + 1]
        cols, vals = X.indices[lo:hi][::-1], X.data[lo:hi][::-1]
        part = np.round(rng.normal(size=cols.size), 1)
        part[np.isnan(vals)] = 0.0
        for c, v, a in zip(cols, vals, part):
            indices += [c, c]
            data += [a, v - a]
        indptr.append(len(indices))
    out = sp.csr_matrix(
        (np.array(data), np.array(indices), np.array(indptr)), shape=X.shape, copy=False
    )
    out.has_sorted_indices = False
    return out


FORMATS = {
    "csr": lambda X: X.tocsr(),
    "csc": lambda X: X.tocsc(),
    "coo": lambda X: X.tocoo(),
    "csr_array": lambda X: sp.csr_array(X),
    "float32": lambda X: X.astype(np.float32),
    "int": lambda X: sp.csr_matrix(np.nan_to_num(X.toarray() * 10).astype(np.int64)),
    "bool": lambda X: sp.csr_matrix(np.nan_to_num(X.toarray()) > 0.5),
    "unsorted_duplicates": _unsorted_with_duplicates,
}


@pytest.mark.parametrize("max_bin", [256, 8])
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_formats_bin_like_the_dense_twin(problem, fmt, max_bin):
    X, _, y = problem
    Xs = FORMATS[fmt](X)
    dense = Xs.toarray()
    d_sparse = tb.Dataset(Xs, label=y, max_bin=max_bin)
    d_dense = tb.Dataset(dense, label=y, max_bin=max_bin)
    _bins_equal(d_sparse, d_dense)
    raw = d_sparse.raw
    assert sp.issparse(raw) and raw.format == "csr" and raw.has_canonical_format
    assert raw.dtype in (np.float32, np.float64)
    assert raw.indices.dtype == np.int32
    if max_bin == 8 and fmt not in ("bool",):
        # Quantile cutting happened: some feature has more distinct values than bins.
        assert 6 <= int(d_dense.bin_mapper.n_bins_.max()) <= 8


def test_stored_zeros_nan_absent_and_all_nan_features(problem):
    X, dense, y = problem
    assert np.any(X.data == 0.0) and np.any(np.signbit(X.data) & (X.data == 0.0))
    assert np.any(X.data < 0) and np.isnan(X.data).sum() > N_ROWS
    d = tb.Dataset(X, label=y)
    _bins_equal(d, tb.Dataset(dense, label=y))
    b = d.binned
    # Stored zeros are not listed (every other distinct value has a bin of its own); the absent
    # feature lists nothing and bins all rows at 0.0.
    assert b.indices.size == X.nnz - np.count_nonzero(X.data == 0)
    assert d.bin_mapper.bin_upper_bounds_[ABSENT_FEATURE].size == 0
    assert np.all(b.toarray()[:, ABSENT_FEATURE] == b.zero_bin[ABSENT_FEATURE])
    # The all-NaN feature: every row in the missing bin 0.
    assert np.all(b.toarray()[:, NAN_FEATURE] == 0)
    assert d.bin_mapper.bin_upper_bounds_[NAN_FEATURE].size == 0


@pytest.mark.parametrize("max_bin", [256, 8])
def test_weighted_bins_equal_dense(problem, max_bin):
    X, dense, y = problem
    rng = np.random.default_rng(5)
    w = rng.exponential(size=N_ROWS)
    w[rng.random(N_ROWS) < 0.1] = 0.0
    _bins_equal(
        tb.Dataset(X, label=y, weight=w, max_bin=max_bin),
        tb.Dataset(dense, label=y, weight=w, max_bin=max_bin),
    )


def test_weighted_feature_stored_in_every_row_has_no_zero_bin():
    rng = np.random.default_rng(0)
    n = 3000
    col = np.round(rng.normal(size=n), 1)
    col[col == 0] = 0.5  # 0.0 never occurs in feature 0: every row stores a non-zero value
    X = np.column_stack([col, np.where(rng.random(n) < 0.3, col, 0)])
    w = rng.exponential(size=n)
    y = 2 * X[:, 0] + rng.normal(size=n)
    d_sparse = tb.Dataset(sp.csr_matrix(X), label=y, weight=w)
    d_dense = tb.Dataset(X, label=y, weight=w)
    # Observed: sparse bounds [..., -0.05, 0.05, ...] where dense has [..., 0.0, ...].
    np.testing.assert_array_equal(
        d_sparse.bin_mapper.bin_upper_bounds_[0], d_dense.bin_mapper.bin_upper_bounds_[0]
    )
    b_sparse = tb.train({"max_depth": 3}, d_sparse, 3)
    b_dense = tb.train({"max_depth": 3}, d_dense, 3)
    _same_trees(b_sparse, b_dense)
    probe = np.array([[-0.02, 0.0], [0.02, 0.0]])
    np.testing.assert_allclose(b_sparse.predict(probe), b_dense.predict(probe), rtol=1e-9)


def test_input_matrix_is_left_untouched(problem):
    X, _, y = problem
    for Xs in (X.copy(), _unsorted_with_duplicates(X)):
        before = (Xs.data.copy(), Xs.indices.copy(), Xs.indptr.copy())
        booster = tb.train({"max_depth": 3}, tb.Dataset(Xs, label=y), 2)
        booster.predict(Xs)
        booster.predict(Xs, pred_leaf=True)
        for a, b in zip(before, (Xs.data, Xs.indices, Xs.indptr)):
            np.testing.assert_array_equal(a, b)


def test_binmapper_subsample_and_csr_views_match_dense(problem):
    X, dense, _ = problem
    w = np.random.default_rng(2).exponential(size=N_ROWS)
    for weight in (None, w):
        a = tb.BinMapper(max_bin=16, subsample=1000, random_state=3).fit(X, weight)
        b = tb.BinMapper(max_bin=16, subsample=1000, random_state=3).fit(dense, weight)
        for u, v in zip(a.bin_upper_bounds_, b.bin_upper_bounds_):
            np.testing.assert_array_equal(u, v)
    sb = a.transform(X[100:700])
    np.testing.assert_array_equal(sb.toarray(), b.transform(dense[100:700]))
    # The CSC arrays list the same entries as the CSR arrays.
    for f in range(sb.shape[1]):
        col = sb.column(f, np.empty(sb.shape[0], dtype=sb.dtype))
        np.testing.assert_array_equal(col, sb.toarray()[:, f])


def test_as_csr_canonicalizes():
    X = sp.coo_matrix(
        (np.array([1, 2, 3, 4], dtype=np.int16), ([0, 0, 1, 0], [2, 2, 0, 1])), shape=(2, 3)
    )
    csr = as_csr(X)
    assert csr.dtype == np.float64 and csr.has_canonical_format
    np.testing.assert_array_equal(csr.toarray(), [[0, 4, 3], [3, 0, 0]])
    assert as_csr(sp.csr_matrix(np.ones((2, 2), dtype=np.int8) > 0)).dtype == np.float64


# -- 2. identical models ---------------------------------------------------------------------

MODEL_PARAMS = {
    "binary_depthwise": {"objective": "binary:logistic", "max_depth": 5},
    "binary_lossguide": {
        "objective": "binary:logistic",
        "grow_policy": "lossguide",
        "max_leaves": 11,
        "max_depth": 0,
    },
    "sampled": {
        "subsample": 0.7,
        "colsample_bytree": 0.8,
        "colsample_bylevel": 0.8,
        "colsample_bynode": 0.7,
        "random_state": 4,
    },
    "regression": {"objective": "reg:squarederror", "max_depth": 6, "learning_rate": 0.2},
    "multiclass": {"objective": "multi:softprob", "num_class": 3, "max_depth": 4},
    "dart": {"booster": "dart", "rate_drop": 0.3, "max_depth": 4, "random_state": 2},
    "monotone": {"monotone_constraints": [1, -1] + [0] * (N_FEATURES - 2), "max_depth": 4},
    "min_child_weight_gamma": {"min_child_weight": 20, "gamma": 0.5, "max_depth": 7},
    "interaction_constraints": {
        "interaction_constraints": [[0, 1, 2], [3, 4, 6]],
        "max_depth": 5,
        "num_parallel_tree": 2,
    },
    "absolute_error": {"objective": "reg:absoluteerror", "max_depth": 4},
    "wide_bins": {"max_bin": 300, "max_depth": 5},
}


def _labels(y, kind):
    if kind.startswith("binary"):
        return (y > np.median(y)).astype(float)
    if kind == "multiclass":
        return np.digitize(y, np.quantile(y, [1 / 3, 2 / 3])).astype(float)
    return y


@pytest.mark.parametrize("kind", sorted(MODEL_PARAMS))
def test_sparse_model_equals_dense_model(problem, kind):
    X, dense, y = problem
    label = _labels(y, kind)
    params = {"learning_rate": 0.3, **MODEL_PARAMS[kind]}
    max_bin = params.pop("max_bin", 256)
    b_sparse = tb.train(params, tb.Dataset(X, label=label, max_bin=max_bin), 6)
    b_dense = tb.train(params, tb.Dataset(dense, label=label, max_bin=max_bin), 6)
    assert sum(t.n_leaves for t in b_dense.trees) > 2 * len(b_dense.trees)
    _same_trees(b_sparse, b_dense)
    p_dense = b_dense.predict(dense)
    np.testing.assert_allclose(b_sparse.predict(X), p_dense, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b_dense.predict(X), p_dense, rtol=1e-12, atol=1e-15)


def test_weighted_training_equals_dense(problem):
    X, dense, y = problem
    w = np.random.default_rng(8).exponential(size=N_ROWS)
    params = {"max_depth": 5, "learning_rate": 0.3, "max_bin": 32}
    b_sparse = tb.train(params, tb.Dataset(X, label=y, weight=w, max_bin=32), 5)
    b_dense = tb.train(params, tb.Dataset(dense, label=y, weight=w, max_bin=32), 5)
    _same_trees(b_sparse, b_dense)


def test_continued_training_base_margin_and_feature_weights(problem):
    X, dense, y = problem
    rng = np.random.default_rng(6)
    base = rng.normal(size=N_ROWS)
    fw = rng.random(N_FEATURES) + 0.1
    params = {"max_depth": 4, "colsample_bynode": 0.5, "random_state": 3}
    boosters, logs = [], []
    for data in (X, dense):
        d = tb.Dataset(data[:2500], label=y[:2500], base_margin=base[:2500], feature_weights=fw)
        dvalid = tb.Dataset(data[2500:], label=y[2500:])  # no reference: raw margins
        first = tb.train(params, d, 3)
        log = {}
        boosters.append(
            tb.train(params, d, 3, init_model=first, evals=[(dvalid, "v")], evals_result=log)
        )
        logs.append(log["v"]["rmse"])
        assert boosters[-1].num_boosted_rounds() == 6
    _same_trees(*boosters)
    np.testing.assert_allclose(logs[0], logs[1], rtol=1e-9)
    b = boosters[0]
    np.testing.assert_array_equal(
        b.predict(tb.Dataset(X, base_margin=base)), b.predict(tb.Dataset(dense, base_margin=base))
    )


def test_slice_of_sparse_dataset_trains_like_dense_slice(problem):
    X, dense, y = problem
    rows = np.arange(0, N_ROWS, 3)
    boosters = [
        tb.train({"max_depth": 4}, tb.Dataset(data, label=y).slice(rows), 4) for data in (X, dense)
    ]
    _same_trees(*boosters)


def test_cv_and_early_stopping_equal_dense(problem):
    X, dense, y = problem
    label = _labels(y, "binary")
    params = {"objective": "binary:logistic", "max_depth": 3, "learning_rate": 0.5}
    results = [
        tb.cv(params, tb.Dataset(data, label=label), 6, nfold=3, seed=1) for data in (X, dense)
    ]
    assert set(results[0]) == set(results[1])
    for key in results[1]:
        np.testing.assert_allclose(results[0][key], results[1][key], rtol=1e-9, err_msg=key)
    boosters = []
    for data in (X, dense):
        dtrain = tb.Dataset(data[:2000], label=label[:2000])
        dvalid = tb.Dataset(data[2000:], label=label[2000:], reference=dtrain)
        boosters.append(
            tb.train(
                {**params, "learning_rate": 1.0, "max_depth": 8, "min_child_weight": 0},
                dtrain,
                100,
                evals=[(dvalid, "valid")],
                early_stopping_rounds=3,
            )
        )
    assert boosters[0].best_iteration == boosters[1].best_iteration < 97
    _same_trees(*boosters)


def test_wide_sparse_nodes_use_both_histogram_paths(monkeypatch):
    """Deep trees on more rows: large nodes are summed column-wise, small ones row-wise (some
    in several chunks), and the trees still equal the dense ones."""
    import treeboost.tree.histogram as histogram

    # Column-wise sums are for histograms that outgrow the caches; here every size qualifies.
    monkeypatch.setattr(histogram, "_CSC_MIN_HIST_BYTES", 0)
    calls = {"csc": 0, "csr": [], "csr_rows": []}
    csr_kernel, csc_kernel = histogram.build_histogram_csr, histogram.build_histogram_csc

    def csr_spy(*args):
        calls["csr"].append(args[11])
        calls["csr_rows"].append(args[6] - args[5])
        return csr_kernel(*args)

    def csc_spy(*args):
        calls["csc"] += 1
        return csc_kernel(*args)

    monkeypatch.setattr(histogram, "build_histogram_csr", csr_spy)
    monkeypatch.setattr(histogram, "build_histogram_csc", csc_spy)
    X, dense, y = _sparse_problem(n=12000, p=24, density=0.3, seed=11)
    params = {"max_depth": 10, "min_child_weight": 0, "learning_rate": 0.5, "reg_lambda": 0.1}
    b_sparse = tb.train(params, tb.Dataset(X, label=y), 3)
    b_dense = tb.train(params, tb.Dataset(dense, label=y), 3)
    assert b_dense.trees[0].max_depth() >= 8
    assert calls["csc"] >= 3
    assert max(calls["csr_rows"]) * 3 < 12000
    assert 1 in calls["csr"] and max(calls["csr"]) > 1, calls["csr"]
    _same_trees(b_sparse, b_dense)


# -- 3. evaluation sets ----------------------------------------------------------------------


def test_eval_sets_match_dense_run(problem):
    X, dense, y = problem
    label = _labels(y, "binary")
    params = {"objective": "binary:logistic", "eval_metric": ["logloss", "auc"], "max_depth": 4}
    logs = []
    for Xtr in (X, dense):
        Xtr_train, Xtr_valid = Xtr[:2000], Xtr[2000:]
        dtrain = tb.Dataset(Xtr_train, label=label[:2000])
        with_ref = tb.Dataset(Xtr_valid, label=label[2000:], reference=dtrain)
        without_ref = tb.Dataset(Xtr_valid, label=label[2000:])
        log = {}
        tb.train(
            params,
            dtrain,
            8,
            evals=[(dtrain, "train"), (with_ref, "ref"), (without_ref, "noref")],
            evals_result=log,
        )
        logs.append(log)
    sparse_log, dense_log = logs
    assert set(sparse_log) == {"train", "ref", "noref"}
    for name in dense_log:
        for metric in dense_log[name]:
            np.testing.assert_allclose(
                sparse_log[name][metric], dense_log[name][metric], rtol=1e-9, err_msg=name
            )
    assert sparse_log["ref"]["logloss"][-1] < sparse_log["ref"]["logloss"][0]


def test_sparse_eval_set_for_dense_training_and_vice_versa(problem):
    X, dense, y = problem
    params = {"max_depth": 4}
    logs = []
    for train_X, valid_X in ((dense, dense), (dense, X), (X, dense)):
        dtrain = tb.Dataset(train_X[:2000], label=y[:2000])
        dvalid = tb.Dataset(valid_X[2000:], label=y[2000:], reference=dtrain)
        log = {}
        tb.train(params, dtrain, 5, evals=[(dvalid, "valid")], evals_result=log)
        logs.append(log["valid"]["rmse"])
    np.testing.assert_allclose(logs[1], logs[0], rtol=1e-9)
    np.testing.assert_allclose(logs[2], logs[0], rtol=1e-9)


# -- 4. prediction ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def models(problem):
    X, dense, y = problem
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 4}
    label = _labels(y, "multiclass")
    return (
        tb.train(params, tb.Dataset(dense, label=label), 5),
        tb.train(params, tb.Dataset(X, label=label), 5),
    )


@pytest.mark.parametrize("trained_on", ["dense", "sparse"])
def test_prediction_modes_sparse_equal_dense(problem, models, trained_on):
    X, dense, _ = problem
    booster = models[trained_on == "sparse"]
    for kw in (
        {},
        {"output_margin": True},
        {"iteration_range": (1, 4)},
        {"output_margin": True, "iteration_range": (2, 3)},
    ):
        np.testing.assert_array_equal(booster.predict(X, **kw), booster.predict(dense, **kw))
    leaves = booster.predict(X, pred_leaf=True)
    assert leaves.shape == (N_ROWS, 15) and np.unique(leaves).size > 3
    np.testing.assert_array_equal(leaves, booster.predict(dense, pred_leaf=True))
    np.testing.assert_array_equal(
        booster.predict(X, pred_leaf=True, iteration_range=(1, 3)),
        booster.predict(dense, pred_leaf=True, iteration_range=(1, 3)),
    )
    contribs = booster.predict(X, pred_contribs=True)
    np.testing.assert_allclose(contribs, booster.predict(dense, pred_contribs=True), rtol=1e-12)
    np.testing.assert_allclose(
        booster.predict(X, pred_contribs=True, iteration_range=(1, 3)),
        booster.predict(dense, pred_contribs=True, iteration_range=(1, 3)),
        rtol=1e-12,
    )
    small, small_dense = X[:40], dense[:40]
    np.testing.assert_allclose(
        booster.predict(small, pred_interactions=True),
        booster.predict(small_dense, pred_interactions=True),
        rtol=1e-12,
        atol=1e-15,
    )
    # Other sparse layouts and dtypes predict the same.
    margin = booster.predict(dense, output_margin=True)
    for other in (X.tocsc(), X.tocoo(), sp.csr_array(X), _unsorted_with_duplicates(X)):
        np.testing.assert_array_equal(booster.predict(other, output_margin=True), margin)
    np.testing.assert_array_equal(
        booster.predict(X.astype(np.float32), output_margin=True),
        booster.predict(dense.astype(np.float32), output_margin=True),
    )


def test_sparse_dataset_predict_and_contribs_sum(problem, models):
    X, dense, _ = problem
    booster = models[1]
    d = tb.Dataset(X)
    np.testing.assert_array_equal(booster.predict(d), booster.predict(dense))
    contribs = booster.predict(X, pred_contribs=True)
    np.testing.assert_allclose(
        contribs.sum(axis=-1), booster.predict(dense, output_margin=True), rtol=1e-9, atol=1e-9
    )


def test_contribs_of_many_features_in_row_blocks():
    """pred_contribs densifies row blocks of a few thousand values per feature: several blocks,
    each with its own rows' base margins."""
    n, p = 1200, 8000
    rng = np.random.default_rng(7)
    X = sp.random(n, p, density=0.002, format="csr", random_state=rng, dtype=np.float64)
    X.data = np.round(X.data * 4) - 1.5
    X.data[::50] = np.nan
    y = np.asarray(X[:, :40].sum(axis=1)).ravel() + rng.normal(size=n)
    y = np.nan_to_num(y)
    booster = tb.train({"max_depth": 3, "colsample_bytree": 0.1}, tb.Dataset(X, label=y), 4)
    base = rng.normal(size=n)
    got = booster.predict(tb.Dataset(X, base_margin=base), pred_contribs=True)
    dense = X.toarray()
    expected = booster.predict(tb.Dataset(dense, base_margin=base), pred_contribs=True)
    assert got.shape == (n, p + 1)
    np.testing.assert_array_equal(got[:, -1], expected[:, -1])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    margin = booster.predict(tb.Dataset(X, base_margin=base), output_margin=True)
    np.testing.assert_allclose(got.sum(axis=1), margin, rtol=1e-9, atol=1e-9)


def test_saved_model_predicts_sparse(problem, models, tmp_path):
    X, dense, _ = problem
    booster = models[1]
    expected = booster.predict(dense)
    loaded = tb.Booster.load_model(booster.save_raw())
    np.testing.assert_array_equal(loaded.predict(X), expected)
    path = tmp_path / "model.json"
    booster.save_model(path)
    again = tb.Booster.load_model(path)
    np.testing.assert_array_equal(again.predict(X.tocsc()), expected)
    np.testing.assert_array_equal(
        again.predict(X, pred_leaf=True), booster.predict(dense, pred_leaf=True)
    )


def test_predict_edge_shapes(models):
    booster = models[1]
    empty = sp.csr_matrix((0, N_FEATURES))
    assert booster.predict(empty).shape[0] == 0
    assert booster.predict(empty, pred_leaf=True).shape[0] == 0
    # A matrix that stores nothing predicts like zeros.
    nothing = sp.csr_matrix((7, N_FEATURES))
    np.testing.assert_array_equal(
        booster.predict(nothing), booster.predict(np.zeros((7, N_FEATURES)))
    )


# -- 5. errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_inf_in_sparse_data_names_column_and_row(value):
    X = sp.lil_matrix((6, 4))
    X[1, 0] = 1.0
    X[4, 2] = value
    with pytest.raises(ValueError, match=r"column 2, row 4"):
        tb.Dataset(X.tocsr(), label=np.zeros(6))
    with pytest.raises(ValueError, match=r"column 2, row 4.*infinite"):
        tb.BinMapper().fit(X)


def test_inf_in_sparse_predict_input(models):
    X = sp.lil_matrix((3, N_FEATURES))
    X[2, 7] = np.inf
    with pytest.raises(ValueError, match=r"column 7, row 2"):
        models[1].predict(X.tocsr())


def test_categorical_features_with_sparse_data(problem):
    X, _, y = problem
    with pytest.raises(NotSupportedYetError, match="categorical"):
        tb.Dataset(X, label=y, categorical_features=[0])
    assert issubclass(NotSupportedYetError, ValueError)


def test_categorical_model_rejects_sparse_input():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 6, size=1500).astype(float)
    x = rng.normal(size=1500)
    y = np.array([3, -1, 2, 0, -2, 1])[codes.astype(int)] + 0.1 * x
    X = np.column_stack([codes, x])
    d = tb.Dataset(X, label=y, categorical_features=[0])
    booster = tb.train({"max_depth": 3, "max_cat_to_onehot": 1}, d, 3)
    assert any(t.categories for t in booster.trees)
    Xs = sp.csr_matrix(X)
    for kw in ({}, {"pred_leaf": True}, {"pred_contribs": True}, {"output_margin": True}):
        with pytest.raises(NotSupportedYetError, match="categorical"):
            booster.predict(Xs, **kw)


def test_wrong_number_of_columns(models):
    X = sp.random(10, N_FEATURES + 2, density=0.3, format="csr", random_state=0)
    with pytest.raises(ValueError, match=rf"{N_FEATURES} features.*{N_FEATURES + 2} columns"):
        models[1].predict(X)
    with pytest.raises(ValueError, match=rf"{N_FEATURES} features.*{N_FEATURES - 1} columns"):
        models[1].predict(X[:, : N_FEATURES - 1].tocsc(), pred_leaf=True)


def test_sparse_not_2d_empty_or_not_numeric(models):
    three_d = sp.coo_array(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"2-D, got shape \(2, 3, 4\)"):
        tb.Dataset(three_d)
    with pytest.raises(ValueError, match="2-D"):
        models[1].predict(three_d)
    for shape in ((0, 3), (3, 0)):
        with pytest.raises(ValueError, match="empty"):
            tb.Dataset(sp.csr_matrix(shape), label=np.zeros(shape[0]))
    X = sp.csr_matrix(np.eye(3)).astype(np.complex128)
    with pytest.raises(TypeError, match="complex"):
        tb.Dataset(X)


# -- 6. scikit-learn estimators --------------------------------------------------------------


def test_sklearn_estimators_accept_csr(problem):
    pytest.importorskip("sklearn")
    X, dense, y = problem
    label = _labels(y, "multiclass").astype(int)
    kw = {"n_estimators": 5, "max_depth": 4}
    clf_s = tb.TreeBoostClassifier(**kw).fit(X, label)
    clf_d = tb.TreeBoostClassifier(**kw).fit(dense, label)
    np.testing.assert_allclose(clf_s.predict_proba(X), clf_d.predict_proba(dense), rtol=1e-9)
    np.testing.assert_array_equal(clf_s.predict(X), clf_d.predict(dense))
    np.testing.assert_array_equal(clf_d.predict(X), clf_d.predict(dense))
    reg_s = tb.TreeBoostRegressor(**kw).fit(X, y)
    reg_d = tb.TreeBoostRegressor(**kw).fit(dense, y)
    np.testing.assert_allclose(reg_s.predict(X), reg_d.predict(dense), rtol=1e-9)


# -- 7. slicing ------------------------------------------------------------------------------


def test_slice_of_sparse_dataset(problem):
    X, dense, y = problem
    d = tb.Dataset(X, label=y, max_bin=16)
    _ = d.binned  # built before slicing: the slice must still bin its own rows
    rows = np.random.default_rng(2).choice(N_ROWS, size=700, replace=False)
    part = d.slice(rows)
    assert part.is_sparse
    expected = tb.Dataset(X[rows], label=y[rows], reference=d)
    np.testing.assert_array_equal(part.binned.toarray(), expected.binned.toarray())
    np.testing.assert_array_equal(part.binned.toarray(), d.binned.toarray()[rows])
    np.testing.assert_array_equal(part.label, y[rows])
    dense_part = tb.Dataset(dense, label=y, max_bin=16).slice(rows)
    np.testing.assert_array_equal(part.binned.toarray(), dense_part.binned)
    mask = np.zeros(N_ROWS, dtype=bool)
    mask[rows] = True
    np.testing.assert_array_equal(d.slice(mask).binned.toarray(), d.binned.toarray()[mask])


# -- 8. memory follows the non-zeros ---------------------------------------------------------


def test_huge_sparse_matrix_trains_in_memory_of_its_nonzeros():
    n = 100_000
    rng = np.random.default_rng(0)
    nnz = 2000
    rows = rng.choice(n, size=nnz, replace=False)
    cols = rng.integers(0, 50, size=nnz) * 2000 + rng.integers(0, 3, size=nnz)
    vals = np.round(rng.normal(size=nnz), 1) + 2.0
    X = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    y = np.zeros(n)
    y[rows] = vals * (cols % 2000 == 0)
    start = time.perf_counter()
    d = tb.Dataset(X, label=y)
    binned = d.binned
    assert isinstance(binned, SparseBins)
    assert binned.nbytes < 5_000_000
    assert binned.indices.size <= nnz
    log = {}
    booster = tb.train({"max_depth": 3}, d, 3, evals=[(d, "train")], evals_result=log)
    pred = booster.predict(X)
    leaves = booster.predict(X, pred_leaf=True)
    elapsed = time.perf_counter() - start
    assert leaves.shape == (n, 3)
    # Rows storing nothing all land in the leaf of the all-zeros row.
    empty_rows = np.setdiff1d(np.arange(n), rows)
    zero_leaves = booster.predict(sp.csr_matrix((1, n)), pred_leaf=True)
    np.testing.assert_array_equal(leaves[empty_rows], np.repeat(zero_leaves, empty_rows.size, 0))
    assert log["train"]["rmse"][-1] < log["train"]["rmse"][0]
    assert np.unique(pred).size > 1
    assert elapsed < 30, elapsed
    np.testing.assert_allclose(
        np.sqrt(np.mean((pred - y) ** 2)), log["train"]["rmse"][-1], rtol=1e-9
    )


# -- 9. kernel twins -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def binned_problem(problem):
    X, dense, y = problem
    d = tb.Dataset(X, label=y, max_bin=32)
    sb = d.binned
    offsets = np.ascontiguousarray(d.bin_mapper.bin_offsets_, dtype=np.int64)
    rng = np.random.default_rng(4)
    gh = rng.normal(size=(N_ROWS, 2)).astype(np.float32)
    gh[:, 1] = np.abs(gh[:, 1])
    return d, sb, sb.toarray(), offsets, gh


def _numpy_hist(dense_binned, gh, rows, features, offsets):
    hist = np.zeros((int(offsets[-1]), 2))
    for f in features:
        np.add.at(hist[:, 0], offsets[f] + dense_binned[rows, f], gh[rows, 0].astype(np.float64))
        np.add.at(hist[:, 1], offsets[f] + dense_binned[rows, f], gh[rows, 1].astype(np.float64))
    return hist


def _check_hist(hist, expected, features, offsets):
    selected = np.zeros(offsets.size - 1, dtype=bool)
    selected[features] = True
    for f in range(offsets.size - 1):
        sl = slice(offsets[f], offsets[f + 1])
        if selected[f]:
            np.testing.assert_allclose(hist[sl], expected[sl], rtol=1e-9, atol=1e-9)
        else:
            assert np.all(hist[sl] == -7.0), f"feature {f} was overwritten"


def _check_active(active, expected, features, offsets, zero_bin):
    """A feature is active when some row of the node sits outside its zero bin."""
    for j, f in enumerate(features):
        bins = expected[offsets[f] : offsets[f + 1]].copy()
        bins[zero_bin[f]] = 0.0
        assert active[j] == int(bool(np.any(bins != 0.0))), f"feature {f}"
    assert 0 in active and 1 in active


@pytest.mark.parametrize("n_chunks", [1, 3])
def test_build_histogram_csr_matches_numpy(binned_problem, n_chunks):
    _, sb, dense_binned, offsets, gh = binned_problem
    rng = np.random.default_rng(n_chunks)
    sample = rng.permutation(N_ROWS).astype(np.int32)
    start, end = 300, 1400
    rows = sample[start:end]
    features = np.array([0, 2, 3, ABSENT_FEATURE, 8, NAN_FEATURE, 13], dtype=np.int32)
    selected = np.zeros(int(offsets[-1]), dtype=np.uint8)  # per bin
    for f in features:
        selected[offsets[f] : offsets[f + 1]] = 1
    total = int(offsets[-1])
    hist = np.full((total, 2), -7.0)
    chunk_hists = np.full((3, total, 2), 99.0)
    chunk_totals = np.full((3, 2), 99.0)
    active = np.full(features.size, 7, dtype=np.uint8)
    build_histogram_csr(
        sb.indptr,
        sb.gbins,
        sb.zero_bin,
        gh,
        sample,
        start,
        end,
        features,
        selected,
        False,
        offsets,
        n_chunks,
        chunk_hists,
        chunk_totals,
        hist,
        active,
    )
    expected = _numpy_hist(dense_binned, gh, rows, features, offsets)
    _check_hist(hist, expected, features, offsets)
    _check_active(active, expected, features, offsets, sb.zero_bin)
    # Every feature: the kernel skips the per-bin selection.
    every = np.arange(N_FEATURES, dtype=np.int32)
    active_every = np.full(N_FEATURES, 7, dtype=np.uint8)
    build_histogram_csr(
        sb.indptr,
        sb.gbins,
        sb.zero_bin,
        gh,
        sample,
        start,
        end,
        every,
        selected,
        True,
        offsets,
        n_chunks,
        chunk_hists,
        chunk_totals,
        hist,
        active_every,
    )
    expected = _numpy_hist(dense_binned, gh, rows, every, offsets)
    _check_hist(hist, expected, every, offsets)
    _check_active(active_every, expected, every, offsets, sb.zero_bin)


def test_build_histogram_csc_matches_numpy(binned_problem):
    _, sb, dense_binned, offsets, gh = binned_problem
    rng = np.random.default_rng(9)
    sample = rng.permutation(N_ROWS).astype(np.int32)
    start, end = 100, 2200
    rows = sample[start:end]
    features = np.array([1, 4, ABSENT_FEATURE, 7, NAN_FEATURE, 15], dtype=np.int32)
    in_node = np.zeros(N_ROWS, dtype=np.uint8)
    totals = np.zeros(2)
    mark_node_rows(sample, start, end, in_node, 1, gh, totals)
    expected_in = np.zeros(N_ROWS, dtype=np.uint8)
    expected_in[rows] = 1
    np.testing.assert_array_equal(in_node, expected_in)
    np.testing.assert_allclose(totals, gh[rows].astype(np.float64).sum(axis=0), rtol=1e-12)
    hist = np.full((int(offsets[-1]), 2), -7.0)
    active = np.full(features.size, 7, dtype=np.uint8)
    build_histogram_csc(
        sb.col_ptr,
        sb.row_idx,
        sb.col_bins,
        sb.zero_bin,
        gh,
        in_node,
        features,
        offsets,
        totals,
        hist,
        active,
    )
    expected = _numpy_hist(dense_binned, gh, rows, features, offsets)
    _check_hist(hist, expected, features, offsets)
    _check_active(active, expected, features, offsets, sb.zero_bin)
    mark_node_rows(sample, start, end, in_node, 0, gh, totals)
    assert not in_node.any()


def test_csr_to_csc_matches_scipy(binned_problem):
    _, sb, _, _, _ = binned_problem
    n_listed = sb.indices.size
    col_ptr = np.full(N_FEATURES + 1, -1, dtype=np.int64)
    row_idx = np.full(n_listed, -1, dtype=np.int32)
    col_bins = np.zeros(n_listed, dtype=sb.dtype)
    csr_to_csc(sb.indptr, sb.indices, sb.bins, N_FEATURES, col_ptr, row_idx, col_bins)
    ref = sp.csr_matrix((sb.bins, sb.indices, sb.indptr), shape=sb.shape).tocsc()
    ref.sort_indices()
    np.testing.assert_array_equal(col_ptr, ref.indptr)
    np.testing.assert_array_equal(row_idx, ref.indices)
    np.testing.assert_array_equal(col_bins, ref.data)
    np.testing.assert_array_equal(col_ptr, sb.col_ptr)
    np.testing.assert_array_equal(row_idx, sb.row_idx)


@pytest.mark.parametrize("block_rows", [1, 3, 64])
@pytest.mark.parametrize("n_parts", [1, 2])
def test_predict_csr_kernels_match_dense(problem, models, block_rows, n_parts):
    X, dense, _ = problem
    booster = models[0]
    f = Forest.build(booster.trees, booster.tree_outputs)
    Xc = as_csr(X[:500])
    n_trees = len(booster.trees)
    base = np.random.default_rng(1).normal(size=(500, 3))
    out = base.copy()
    no_leaves = np.zeros((0, 0), dtype=np.int32)
    args = (Xc.indptr, Xc.indices, Xc.data, N_FEATURES, block_rows, n_parts, f.roots, f.depths)
    walk = (f.split_code, f.threshold, f.left, f.value, f.node_ids)
    predict_csr(*args, f.outputs, 0, n_trees, *walk, out, no_leaves)
    expected = booster.predict(dense[:500], output_margin=True) - booster.base_margin
    np.testing.assert_allclose(out - base, expected, rtol=1e-12, atol=1e-12)
    leaves = np.full((500, n_trees - 3), -1, dtype=np.int32)
    untouched = out.copy()
    predict_csr(*args, f.outputs, 3, n_trees, *walk, out, leaves)
    np.testing.assert_array_equal(leaves, booster.predict(dense[:500], pred_leaf=True)[:, 3:])
    np.testing.assert_array_equal(out, untouched)  # leaf mode adds no margins


def test_add_tree_binned_csr_matches_dense_walks(problem, models):
    X, dense, _ = problem
    booster = models[1]
    d = tb.Dataset(X, reference=tb.Dataset(dense))
    sb = d.binned
    dense_binned = sb.toarray()
    n_bins = d.bin_mapper.n_bins_
    got = np.zeros((N_ROWS, 3))
    plain = np.zeros((N_ROWS, 3))
    tabled = np.zeros((N_ROWS, 3))
    rows = np.arange(N_ROWS, dtype=np.int64)
    for t, k in zip(booster.trees, booster.tree_outputs):
        offsets, tables = t.bin_tables(n_bins)
        add_tree_binned_csr(
            sb.indptr,
            rows,
            sb.gbins,
            sb.zero_bin,
            sb.bin_offsets,
            t.left,
            t.right,
            t.feature,
            offsets,
            tables,
            t.value,
            k,
            got,
        )
        add_tree_binned(
            dense_binned, rows, t.left, t.right, t.feature, t.split_bin, t.default_left, t.value,
            k, plain,
        )
        add_tree_binned_tables(
            dense_binned, rows, t.left, t.right, t.feature, offsets, tables, t.value, k, tabled
        )
    np.testing.assert_array_equal(got, plain)
    np.testing.assert_array_equal(got, tabled)
    raw = booster.predict(dense, output_margin=True) - booster.base_margin
    np.testing.assert_allclose(got, raw, rtol=1e-12, atol=1e-12)
