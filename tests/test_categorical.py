"""Native categorical features: inputs (pandas, polars, Arrow, numpy codes), splits, prediction
by label, model files, and accuracy against one-hot and ordinal encodings."""

from __future__ import annotations

import numpy as np
import pytest

import treeboost as tb
from treeboost.kernels.categorical import best_categorical_split
from treeboost.kernels.split import leaf_score
from treeboost.model.model_file import ModelFormatError

pd = pytest.importorskip("pandas")

LABELS = np.array(["a", "b", "c", "d", "e", "f", "g", "h"])


def _frame(n=3000, seed=0, k=8):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, k, size=n)
    effect = np.linspace(-2, 2, k)[rng.permutation(k)]
    x = rng.normal(size=n)
    y = effect[codes] + 0.5 * x + 0.3 * rng.normal(size=n)
    labels = LABELS[codes].astype(object)
    labels[::37] = None
    codes = codes.astype(float)
    codes[::37] = np.nan
    return labels, codes, x, y


PARAMS = {"max_depth": 4, "learning_rate": 0.2, "max_cat_to_onehot": 1}


def _numpy_model(codes, x, y, **kw):
    X = np.column_stack([codes, x])
    d = tb.Dataset(X, label=y, feature_names=["c", "x"], categorical_features=[0])
    return tb.train({**PARAMS, **kw}, d, 20), X


def test_pandas_polars_arrow_and_numpy_give_the_same_model():
    labels, codes, x, y = _frame()
    reference, X = _numpy_model(codes, x, y)
    expected = reference.predict(X)
    frames = {
        "pandas category": pd.DataFrame({"c": pd.Categorical(labels), "x": x}),
        "pandas object": pd.DataFrame({"c": labels, "x": x}),
    }
    pl = pytest.importorskip("polars")
    frames["polars Categorical"] = pl.DataFrame(
        {"c": pl.Series(list(labels), dtype=pl.Categorical), "x": x}
    )
    frames["polars Enum"] = pl.DataFrame(
        {"c": pl.Series(list(labels), dtype=pl.Enum(list(LABELS))), "x": x}
    )
    frames["polars String (lazy)"] = pl.DataFrame({"c": list(labels), "x": x}).lazy()
    pa = pytest.importorskip("pyarrow")
    frames["arrow dictionary"] = pa.table(
        {"c": pa.array(list(labels)).dictionary_encode(), "x": pa.array(x)}
    )
    frames["arrow string"] = pa.table({"c": pa.array(list(labels)), "x": pa.array(x)})
    for kind, frame in frames.items():
        d = tb.Dataset(frame, label=y)
        assert d.feature_types == ["c", "float"], kind
        # An Arrow dictionary declares its own category order; the others sort the labels.
        assert sorted(d.categories[0]) == list(LABELS), kind
        booster = tb.train(PARAMS, d, 20)
        np.testing.assert_array_equal(booster.predict(frame), expected, err_msg=kind)
        for a, b in zip(booster.trees, reference.trees):
            np.testing.assert_array_equal(a.feature, b.feature)


def test_native_splits_are_used_and_categories_are_sets():
    labels, codes, x, y = _frame()
    booster, _ = _numpy_model(codes, x, y, max_cat_to_onehot=4)
    cat_nodes = [t.categories for t in booster.trees if t.categories]
    assert cat_nodes, "the categorical feature carries the signal; it must be split on"
    sizes = {int(table[1:].sum()) for nodes in cat_nodes for table in nodes.values()}
    assert max(sizes) > 1, "many-category splits send sets of categories left"
    assert booster.get_score("gain")["c"] > booster.get_score("gain")["x"]


def test_unseen_and_missing_categories_follow_the_default_direction():
    labels, codes, x, y = _frame()
    frame = pd.DataFrame({"c": pd.Categorical(labels), "x": x})
    booster = tb.train(PARAMS, tb.Dataset(frame, label=y), 20)
    test = pd.DataFrame({"c": ["zzz", None, "a"], "x": [0.1, 0.1, 0.1]})
    pred = booster.predict(test)
    assert pred[0] == pred[1]
    assert pred[2] != pred[1]


def test_prediction_matches_categories_by_label_and_columns_by_name():
    labels, codes, x, y = _frame()
    frame = pd.DataFrame({"c": pd.Categorical(labels), "x": x})
    booster = tb.train(PARAMS, tb.Dataset(frame, label=y), 20)
    expected = booster.predict(frame)
    reordered = frame.copy()
    reordered["c"] = reordered["c"].cat.reorder_categories(list(LABELS[::-1]))
    np.testing.assert_array_equal(booster.predict(reordered), expected)
    subset = frame.copy()
    subset["c"] = pd.Categorical(labels, categories=["h", "a", "b", "c", "d", "e", "f", "g", "q"])
    np.testing.assert_array_equal(booster.predict(subset), expected)
    with pytest.raises(ValueError, match="feature names differ"):
        booster.predict(frame[["x", "c"]])
    with pytest.raises(ValueError, match="expects 2 features"):
        booster.predict(frame[["c"]])
    # A Dataset built on its own (its own category codes) is translated by label as well.
    shuffled = frame.sample(frac=1.0, random_state=1)
    np.testing.assert_array_equal(booster.predict(tb.Dataset(shuffled)), booster.predict(shuffled))


def test_validation_sets_reuse_the_training_categories():
    labels, codes, x, y = _frame()
    frame = pd.DataFrame({"c": pd.Categorical(labels), "x": x})
    d = tb.Dataset(frame.iloc[:2000], label=y[:2000])
    v = tb.Dataset(frame.iloc[2000:], label=y[2000:], reference=d)
    ev: dict = {}
    booster = tb.train(PARAMS, d, 20, evals=[(v, "valid")], evals_result=ev)
    rmse = float(np.sqrt(np.mean((booster.predict(frame.iloc[2000:]) - y[2000:]) ** 2)))
    assert ev["valid"]["rmse"][-1] == pytest.approx(rmse, rel=1e-9)


def test_categorical_features_forms_and_errors():
    labels, codes, x, y = _frame(300)
    X = np.column_stack([codes, x])
    for spec in ([0], ["c"], [True, False]):
        d = tb.Dataset(X, label=y, feature_names=["c", "x"], categorical_features=spec)
        assert d.feature_types == ["c", "float"]
    with pytest.raises(ValueError, match="'zz', which is not a column"):
        tb.Dataset(X, label=y, feature_names=["c", "x"], categorical_features=["zz"])
    with pytest.raises(ValueError, match="not a column index"):
        tb.Dataset(X, label=y, categorical_features=[5])
    with pytest.raises(ValueError, match="needs 2 entries"):
        tb.Dataset(X, label=y, categorical_features=[True])
    frame = pd.DataFrame({"c": labels, "x": x})
    with pytest.raises(ValueError, match="'c' holds categories or strings"):
        tb.Dataset(frame, label=y, categorical_features=["x"])
    with pytest.raises(ValueError, match="categorical: categories have no order"):
        tb.train(
            {"monotone_constraints": [1, 0]},
            tb.Dataset(X, label=y, categorical_features=[0]),
            1,
        )


def test_many_categories_use_wide_bins():
    rng = np.random.default_rng(3)
    k = 1000
    codes = rng.integers(0, k, size=20000)
    effect = rng.normal(size=k)
    y = effect[codes] + 0.1 * rng.normal(size=20000)
    frame = pd.DataFrame(
        {"c": pd.Categorical([f"id{c}" for c in codes]), "x": rng.normal(size=20000)}
    )
    d = tb.Dataset(frame, label=y)
    assert d.binned.dtype == np.uint16
    booster = tb.train({"max_depth": 6, "learning_rate": 0.3}, d, 30)
    assert np.mean((booster.predict(frame) - y) ** 2) < 0.3 * np.var(y)


def test_model_file_round_trip_leaves_and_importance():
    labels, codes, x, y = _frame()
    frame = pd.DataFrame({"c": pd.Categorical(labels), "x": x})
    booster = tb.train(PARAMS, tb.Dataset(frame, label=y), 20)
    loaded = tb.Booster.load_model(booster.save_raw())
    assert loaded.categories == booster.categories
    np.testing.assert_array_equal(loaded.predict(frame), booster.predict(frame))
    np.testing.assert_array_equal(
        loaded.predict(frame, pred_leaf=True), booster.predict(frame, pred_leaf=True)
    )
    assert loaded.get_score("gain") == booster.get_score("gain")
    # The leaf ids agree with the model's own walk on binned data.
    leaves = booster.predict(frame, pred_leaf=True)
    assert leaves.shape == (frame.shape[0], 20)
    # One Shapley value per original feature, summing to the margin.
    contribs = booster.predict(frame, pred_contribs=True)
    assert contribs.shape == (frame.shape[0], 3)
    np.testing.assert_allclose(
        contribs.sum(axis=1), booster.predict(frame, output_margin=True), rtol=1e-9, atol=1e-9
    )


def test_corrupt_categorical_model_files_are_rejected():
    import json

    labels, codes, x, y = _frame(500)
    frame = pd.DataFrame({"c": pd.Categorical(labels), "x": x})
    booster = tb.train(PARAMS, tb.Dataset(frame, label=y), 3)
    doc = json.loads(booster.save_raw())
    tree = next(t for t in doc["trees"] if "categorical_splits" in t)
    node = next(iter(tree["categorical_splits"]))
    bad = json.loads(json.dumps(doc))
    next(t for t in bad["trees"] if "categorical_splits" in t)["categorical_splits"][node] = [99]
    with pytest.raises(ModelFormatError, match="out of range"):
        tb.Booster.load_model(json.dumps(bad))
    bad = json.loads(json.dumps(doc))
    del bad["categories"]
    with pytest.raises(ModelFormatError, match="must list them"):
        tb.Booster.load_model(json.dumps(bad))


def _brute_force_best(hist, sum_g, sum_h, reg_lambda, min_h):
    """Best gain over every subset of present categories (missing bin empty here)."""
    k = hist.shape[0] - 1
    parent = leaf_score(sum_g, sum_h, reg_lambda, 0.0, 0.0)
    best = -np.inf
    for mask in range(1, 2**k - 1):
        chosen = [c for c in range(k) if mask >> c & 1]
        lg = hist[[1 + c for c in chosen], 0].sum()
        lh = hist[[1 + c for c in chosen], 1].sum()
        if lh < min_h or sum_h - lh < min_h:
            continue
        gain = (
            leaf_score(lg, lh, reg_lambda, 0.0, 0.0)
            + leaf_score(sum_g - lg, sum_h - lh, reg_lambda, 0.0, 0.0)
            - parent
        )
        best = max(best, gain)
    return best


@pytest.mark.parametrize("seed", range(5))
def test_sorted_scan_finds_the_best_partition_for_a_convex_loss(seed):
    # For squared error (hessian = count) and no smoothing, the best two-way partition is a
    # prefix of the categories sorted by mean gradient (Fisher, 1958): the scan is exact.
    rng = np.random.default_rng(seed)
    k = 6
    hist = np.zeros((k + 1, 2))
    hist[1:, 1] = rng.integers(1, 20, size=k)
    hist[1:, 0] = rng.normal(size=k) * hist[1:, 1]
    sum_g, sum_h = hist[:, 0].sum(), hist[:, 1].sum()
    parent = leaf_score(sum_g, sum_h, 0.0, 0.0, 0.0)
    table = np.zeros(k + 1, dtype=np.uint8)
    gain, lg, lh = best_categorical_split(
        hist, 0, k + 1, sum_g, sum_h, parent, 0.0, 0.0, 0.0, 1e-300, 1, 64, 0.0, table,
        int(sum_h), 0.0, 0,
    )
    assert gain == pytest.approx(_brute_force_best(hist, sum_g, sum_h, 0.0, 1e-300), rel=1e-9)
    assert lg == pytest.approx(hist[table.astype(bool), 0].sum())
    assert lh == pytest.approx(hist[table.astype(bool), 1].sum())


def test_one_vs_rest_for_few_categories():
    hist = np.array([[0.0, 0.0], [5.0, 5.0], [-1.0, 5.0], [-1.0, 5.0]])
    table = np.zeros(4, dtype=np.uint8)
    parent = leaf_score(3.0, 15.0, 1.0, 0.0, 0.0)
    gain, lg, lh = best_categorical_split(
        hist, 0, 4, 3.0, 15.0, parent, 1.0, 0.0, 0.0, 1.0, 4, 64, 10.0, table, 15, 10.0, 100
    )
    assert table.tolist() == [1, 1, 0, 0] or table.tolist() == [0, 1, 0, 0]
    assert (lg, lh) == (5.0, 5.0)
    assert gain > 0


def _sorted_problem():
    """Squared error (hessian = rows): eight categories of 40 rows with a clear order of mean
    gradients, and a ninth of 3 rows whose mean gradient is the most extreme of all."""
    k = 9
    hist = np.zeros((k + 1, 2))
    hist[1:9, 1] = 40.0
    hist[1:9, 0] = np.array([-3.0, -2.0, -1.5, -1.0, 1.0, 1.5, 2.0, 3.0]) * 40.0
    hist[9] = [-4.0 * 3, 3.0]
    sum_g, sum_h = hist[:, 0].sum(), hist[:, 1].sum()
    return hist, k, sum_g, sum_h, leaf_score(sum_g, sum_h, 1.0, 0.0, 0.0)


def test_categories_with_fewer_rows_than_cat_smooth_go_right():
    hist, k, sum_g, sum_h, parent = _sorted_problem()
    table = np.zeros(k + 1, dtype=np.uint8)
    gain, lg, lh = best_categorical_split(hist, 0, k + 1, sum_g, sum_h, parent, 1.0, 0.0, 0.0,
                                          1.0, 4, 64, 10.0, table, int(sum_h), 0.0, 0)  # fmt: skip
    assert gain > 0
    assert table[9] == 0  # 3 rows < cat_smooth: never in the searched order, so it goes right
    assert table[1:9].tolist() in ([1, 1, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1])
    # Without the row floor the small category joins the order (its smoothed ratio sits at the
    # negative end, next to the most negative large one).
    table_all = np.zeros(k + 1, dtype=np.uint8)
    best_categorical_split(hist, 0, k + 1, sum_g, sum_h, parent, 1.0, 0.0, 0.0, 1.0, 4, 64, 0.0,
                           table_all, int(sum_h), 0.0, 0)  # fmt: skip
    assert table_all[9] == table_all[1]


def test_min_data_per_group_and_cat_l2_hold_back_sorted_splits():
    hist, k, sum_g, sum_h, parent = _sorted_problem()

    def split(cat_l2, min_data_per_group):
        table = np.zeros(k + 1, dtype=np.uint8)
        gain, _, lh = best_categorical_split(hist, 0, k + 1, sum_g, sum_h, parent, 1.0, 0.0,
                                             0.0, 1.0, 4, 64, 10.0, table, int(sum_h), cat_l2,
                                             min_data_per_group)  # fmt: skip
        return gain, lh, table

    free_gain, free_lh, _ = split(0.0, 0)
    # The children's scores take reg_lambda + cat_l2: the same partition gains less.
    damped_gain, damped_lh, _ = split(10.0, 0)
    assert damped_lh == free_lh and damped_gain < free_gain
    # Groups of at least 100 rows: only prefixes of 3 categories (120 rows) or more are tried.
    gain, lh, _ = split(0.0, 100)
    assert gain > 0 and lh >= 120
    # No side can hold 200 of the 323 rows as well as leave 200 to the other: no split.
    gain, _, table = split(0.0, 200)
    assert gain == -np.inf and not table.any()


def test_categorical_regularisers_are_validated():
    import treeboost as tb

    X = np.zeros((10, 1))
    y = np.arange(10.0)
    for name, value in (("cat_l2", -1.0), ("min_data_per_group", -5), ("min_data_per_group", 2.5)):
        with pytest.raises((ValueError, TypeError), match=name):
            tb.train({name: value}, tb.Dataset(X, label=y), 1)


def test_native_beats_one_hot_and_ordinal_on_high_cardinality_signal():
    rng = np.random.default_rng(7)
    k, n = 200, 12000
    codes = rng.integers(0, k, size=n)
    effect = rng.normal(size=k) * 1.5
    x = rng.normal(size=(n, 3))
    y = effect[codes] + x[:, 0] + rng.normal(size=n)
    train, test = slice(0, 8000), slice(8000, None)
    params = {"max_depth": 5, "learning_rate": 0.1}

    def rmse(pred):
        return float(np.sqrt(np.mean((pred - y[test]) ** 2)))

    X = np.column_stack([codes.astype(float), x])
    native = tb.train(params, tb.Dataset(X[train], label=y[train], categorical_features=[0]), 150)
    ordinal = tb.train(params, tb.Dataset(X[train], label=y[train]), 150)
    onehot_X = np.column_stack([np.eye(k)[codes], x])
    onehot = tb.train(params, tb.Dataset(onehot_X[train], label=y[train]), 150)
    scores = {
        "native": rmse(native.predict(X[test])),
        "ordinal": rmse(ordinal.predict(X[test])),
        "one-hot": rmse(onehot.predict(onehot_X[test])),
    }
    assert scores["native"] < scores["ordinal"] and scores["native"] < scores["one-hot"], scores


def test_estimators_take_categorical_frames():
    labels, codes, x, y = _frame(2000)
    frame = pd.DataFrame({"c": pd.Categorical(labels), "x": x})
    reg = tb.TreeBoostRegressor(n_estimators=20, max_depth=4, max_cat_to_onehot=1)
    reg.fit(frame.iloc[:1500], y[:1500], eval_set=[(frame.iloc[1500:], y[1500:])])
    assert list(reg.feature_names_in_) == ["c", "x"] and reg.n_features_in_ == 2
    booster = tb.train(
        # The estimator's own defaults, which differ from train()'s (docs/defaults.md).
        reg._train_params({}),
        tb.Dataset(frame.iloc[:1500], label=y[:1500]),
        20,
    )
    np.testing.assert_allclose(reg.predict(frame), booster.predict(frame))
    clf = tb.TreeBoostClassifier(n_estimators=10).fit(frame, np.where(y > 0, "hi", "lo"))
    assert clf.predict_proba(frame).shape == (2000, 2)
    assert set(clf.predict(frame)) <= {"hi", "lo"}
    X = np.column_stack([codes, x])
    coded = tb.TreeBoostRegressor(n_estimators=5, categorical_features=[0]).fit(X, y)
    assert coded.get_booster().feature_types == ["c", "float"]
    assert coded.predict(X).shape == (2000,)
    with pytest.raises(ValueError, match="expecting 2 features"):
        reg.predict(frame[["c"]])


def test_pandas_codes_encode_as_the_labels_do():
    """pandas category and object columns are encoded from their codes; the result is the one
    the label-by-label encoding gives, for declared-but-unused categories, missing values,
    categories unknown to the model and a prediction frame with its categories reordered."""
    from treeboost.data.frames import _codes, encode_columns, table_columns

    labels = np.array(["b", None, "a", "c", "a", np.nan, "b"], dtype=object)
    train = pd.DataFrame({
        "category": pd.Categorical(labels, categories=["c", "b", "a", "unused"]),
        "object": labels,
        "x": np.arange(7.0),
    })
    later = pd.DataFrame({
        "category": pd.Categorical(["a", "new", None, "c"], categories=["new", "a", "c"]),
        "object": np.array(["a", "new", None, "c"], dtype=object),
        "x": np.zeros(4),
    })
    names = list(train.columns)
    mask = np.array([True, True, False])
    matrix, categories = encode_columns(table_columns(train), None, names, mask, None)
    assert categories[0] == ["c", "b", "a", "unused"]  # the dtype's order
    assert categories[1] == ["a", "b", "c"]  # sorted labels
    present = np.array([v if isinstance(v, str) else None for v in labels], dtype=object)
    for f in (0, 1):
        declared = categories[0] if f == 0 else None
        expected, known = _codes(names[f], present, False, None, declared)
        np.testing.assert_array_equal(matrix[:, f], expected)
        assert known == categories[f]
    coded, _ = encode_columns(table_columns(later), None, names, mask, categories)
    np.testing.assert_array_equal(coded[:, 0], [2, np.nan, np.nan, 0])
    np.testing.assert_array_equal(coded[:, 1], [0, np.nan, np.nan, 2])
