"""Tests of Dataset (data/dataset.py) and the input adapters (data/adapters.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from treeboost.data import BinMapper, Dataset
from treeboost.data import dataset as dataset_module
from treeboost.data.adapters import to_float_matrix


def _matrix(n_rows: int = 200, n_features: int = 3, dtype=np.float64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_features)).astype(dtype)
    X[rng.random(X.shape) < 0.1] = np.nan
    return X


# -- adapters -----------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_arrays_are_kept_without_copy(dtype, order):
    X = np.asarray(_matrix(dtype=dtype), order=order)
    ds = Dataset(X)
    assert ds.raw is X
    matrix, names, types = to_float_matrix(X)
    assert matrix is X and names is None and types == ["float"] * 3


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.int64, np.bool_])
def test_integer_and_bool_arrays_become_float64(dtype):
    X = (np.arange(12).reshape(4, 3) % 3).astype(dtype)
    ds = Dataset(X)
    assert ds.raw.dtype == np.float64
    assert np.array_equal(ds.raw, X.astype(np.float64))


def test_lists_are_accepted():
    assert Dataset([[1, 2], [3, 4]]).raw.dtype == np.float64


def test_one_dimensional_input_is_rejected():
    with pytest.raises(ValueError, match=r"data must be 2-D .* got 1-D .*reshape\(-1, 1\)"):
        Dataset(np.arange(5.0))


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (np.array([["a", "b"]]), TypeError, "data has dtype <U1; expected a numeric array"),
        (np.ones((2, 2), dtype=np.complex128), TypeError, "expected a numeric array"),
        (object(), TypeError, "data of type object is not supported"),
        ([[1, 2], [3]], ValueError, "could not be converted to a 2-D array"),
    ],
)
def test_non_numeric_arrays_are_rejected(data, error, message):
    with pytest.raises(error, match=message):
        Dataset(data)


def test_pandas_dataframe_keeps_names_and_dtypes():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "age": np.array([30, 40, 50], dtype=np.int64),
            "income": np.array([1.5, np.nan, 3.0]),
            "member": [True, False, True],
            7: np.array([0.5, 0.25, 0.0], dtype=np.float32),
        }
    )
    ds = Dataset(frame, label=pd.Series([1.0, 0.0, 1.0]))
    assert ds.feature_names == ["age", "income", "member", "7"]
    assert ds.feature_types == ["float"] * 4
    assert ds.raw.dtype == np.float64
    assert np.array_equal(
        ds.raw,
        np.array([[30, 1.5, 1, 0.5], [40, np.nan, 0, 0.25], [50, 3.0, 1, 0.0]]),
        equal_nan=True,
    )
    assert ds.label.dtype == np.float64


def test_pandas_all_float32_frame_stays_float32_and_nullable_na_is_missing():
    pd = pytest.importorskip("pandas")
    frame32 = pd.DataFrame({"a": np.ones(3, np.float32), "b": np.zeros(3, np.float32)})
    assert Dataset(frame32).raw.dtype == np.float32
    nullable = pd.DataFrame(
        {
            "n": pd.array([1, None, 3], dtype="Int64"),
            "flag": pd.array([True, None, False], dtype="boolean"),
        }
    )
    ds = Dataset(nullable)
    assert np.array_equal(ds.raw, [[1, 1], [np.nan, np.nan], [3, 0]], equal_nan=True)
    assert ds.binned[1].tolist() == [0, 0]


@pytest.mark.parametrize("kind", ["category", "object", "string"])
def test_pandas_string_and_category_columns_become_categorical(kind):
    pd = pytest.importorskip("pandas")
    column = {
        "category": pd.Series(["x", "y", "x"], dtype="category"),
        "object": pd.Series(["x", "y", None], dtype=object),
        "string": pd.Series(["x", "y", "z"], dtype="string"),
    }[kind]
    frame = pd.DataFrame({"ok": [1.0, 2.0, 3.0], "colour": column})
    ds = Dataset(frame)
    assert ds.feature_types == ["float", "c"]
    assert ds.raw[0, 1] == 0.0 and ds.raw[1, 1] == 1.0


def test_pandas_unsupported_column_is_rejected():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"ok": [1.0, 2.0, 3.0], "when": pd.Series(pd.to_datetime(["2020-01-01"] * 3))}
    )
    with pytest.raises(TypeError, match=r"data column 'when' has dtype datetime64"):
        Dataset(frame)


def test_pandas_series_is_rejected_as_one_dimensional():
    pd = pytest.importorskip("pandas")
    with pytest.raises(ValueError, match=r"2-D .*reshape\(-1, 1\)"):
        Dataset(pd.Series([1.0, 2.0]))


def test_pandas_duplicate_column_names_are_rejected():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(np.ones((2, 2)), columns=["a", "a"])
    with pytest.raises(ValueError, match="data column names contains 'a' twice"):
        Dataset(frame)


# Bypasses treeboost/__init__.py, which imports scikit-learn, which imports pandas if installed.
_IMPORT_DATA_ONLY = """
import importlib.util, sys, types
spec = importlib.util.find_spec("treeboost")
package = types.ModuleType("treeboost")
package.__path__ = list(spec.submodule_search_locations)
sys.modules["treeboost"] = package
import treeboost.data, treeboost.data.adapters
sys.exit(3 if "pandas" in sys.modules else 0)
"""


def test_data_layer_does_not_import_pandas():
    result = subprocess.run([sys.executable, "-c", _IMPORT_DATA_ONLY], check=False)
    assert result.returncode == 0


# -- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0)])
def test_empty_data_is_rejected(shape):
    with pytest.raises(ValueError, match=rf"data is empty \(shape \({shape[0]}, {shape[1]}\)\)"):
        Dataset(np.zeros(shape))


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_features_are_rejected_naming_column_and_row(bad):
    X = _matrix()
    X[57, 2] = bad
    X[90, 1] = np.inf
    with pytest.raises(
        ValueError,
        match=rf"data contains {bad} in column 'f2' \(index 2\), first "
        r"at row 57.*use NaN for a missing value",
    ):
        Dataset(X)
    with pytest.raises(ValueError, match="in column 'height'"):
        Dataset(X, feature_names=["a", "b", "height"])
    dtrain = Dataset(_matrix(), feature_names=["a", "b", "width"])
    with pytest.raises(ValueError, match="in column 'width'"):
        Dataset(X, reference=dtrain)


def test_infinity_in_a_large_matrix_is_found_in_a_later_block():
    X = np.zeros((400_000, 5), dtype=np.float32)
    X[399_999, 4] = np.inf
    with pytest.raises(ValueError, match=r"column 'f4' \(index 4\), first at row 399999"):
        Dataset(X)


@pytest.mark.parametrize(
    ("label", "message"),
    [
        (np.zeros(3), r"label must have shape \(200,\) .* got shape \(3,\)"),
        (np.zeros((200, 2, 2)), r"label must have shape \(200,\)"),
        (np.where(np.arange(200) == 7, np.nan, 0.0), "label contains nan at position 7"),
        (np.where(np.arange(200) == 9, np.inf, 0.0), "label contains inf at position 9"),
    ],
)
def test_invalid_label(label, message):
    with pytest.raises(ValueError, match=message):
        Dataset(_matrix(), label=label)


def test_non_numeric_label_is_a_type_error():
    with pytest.raises(TypeError, match="label must be numeric"):
        Dataset(_matrix(n_rows=2), label=["cat", "dog"])


def test_column_vector_label_is_flattened():
    y = np.arange(200.0)[:, None]
    ds = Dataset(_matrix(), label=y)
    assert ds.label.shape == (200,) and ds.label.flags.c_contiguous


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        (np.ones(5), r"weight must have shape \(200,\)"),
        (
            np.where(np.arange(200) == 3, -1.0, 1.0),
            "weight contains the negative value -1.0 at position 3; weights must be >= 0",
        ),
        (np.where(np.arange(200) == 4, np.nan, 1.0), "weight contains nan at position 4"),
        (np.where(np.arange(200) == 5, np.inf, 1.0), "weight contains inf at position 5"),
        (np.zeros(200), "weight is zero for every row"),
    ],
)
def test_invalid_weight(weight, message):
    with pytest.raises(ValueError, match=message):
        Dataset(_matrix(), weight=weight)


def test_base_margin_shapes():
    X = _matrix()
    assert Dataset(X, base_margin=np.zeros(200)).base_margin.shape == (200,)
    margin = Dataset(X, base_margin=np.zeros((200, 3), dtype=np.float32)).base_margin
    assert margin.shape == (200, 3) and margin.dtype == np.float64
    for bad in (np.zeros(199), np.zeros((199, 3)), np.zeros((200, 0)), np.zeros((200, 2, 2))):
        shape = re.escape(str(bad.shape))
        with pytest.raises(
            ValueError,
            match=r"base_margin must have shape \(200,\) or \(200, "
            rf"n_outputs\).*got shape {shape}",
        ):
            Dataset(X, base_margin=bad)
    with pytest.raises(ValueError, match=r"base_margin contains nan at position \(4, 1\)"):
        Dataset(X, base_margin=np.where(np.arange(600).reshape(200, 3) == 13, np.nan, 0.0))


def test_feature_names():
    X = _matrix()
    assert Dataset(X).feature_names == ["f0", "f1", "f2"]
    assert Dataset(X, feature_names=("a", "b", "c")).feature_names == ["a", "b", "c"]
    with pytest.raises(ValueError, match="feature_names has 2 names but data has 3 columns"):
        Dataset(X, feature_names=["a", "b"])
    with pytest.raises(ValueError, match=r"feature_names contains 'a' twice \(positions 0 and 2\)"):
        Dataset(X, feature_names=["a", "b", "a"])
    with pytest.raises(TypeError, match=r"feature_names\[1\] is 5 of type int"):
        Dataset(X, feature_names=["a", 5, "c"])
    with pytest.raises(TypeError, match="feature_names must be a list of str, got str"):
        Dataset(X, feature_names="abc")


def test_feature_names_override_dataframe_columns():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(np.ones((2, 2)), columns=["a", "b"])
    assert Dataset(frame, feature_names=["x", "y"]).feature_names == ["x", "y"]


@pytest.mark.parametrize("categorical", [[0], ["f0"], np.array([True, False, False])])
def test_categorical_features_on_numeric_arrays(categorical):
    X = np.array([[3.0, 1.0, 2.0], [7.0, 2.0, 3.0], [3.0, 0.5, 1.0], [np.nan, 1.0, 1.0]])
    ds = Dataset(X, categorical_features=categorical)
    assert ds.feature_types == ["c", "float", "float"]
    assert ds.categories[0] == [3.0, 7.0]
    assert np.array_equal(ds.raw[:, 0], [0.0, 1.0, 0.0, np.nan], equal_nan=True)
    assert Dataset(X, categorical_features=[]).feature_types == ["float"] * 3
    with pytest.raises(ValueError, match="categorical_features='3' is not valid"):
        Dataset(X, categorical_features="3")


def test_group_sizes():
    X = _matrix(n_rows=10)
    ds = Dataset(X, group=[3, 5, 2])
    assert ds.group.dtype == np.int64 and ds.group.tolist() == [3, 5, 2]
    assert Dataset(X, group=np.array([4.0, 6.0])).group.tolist() == [4, 6]
    with pytest.raises(ValueError, match="group sizes sum to 9 but data has 10 rows"):
        Dataset(X, group=[4, 5])
    with pytest.raises(ValueError, match="group size at position 1 is 0"):
        Dataset(X, group=[10, 0])
    with pytest.raises(TypeError, match="group must hold integer group sizes"):
        Dataset(X, group=[4.5, 5.5])
    with pytest.raises(ValueError, match="group must be a 1-D array"):
        Dataset(X, group=[[10]])


@pytest.mark.parametrize("max_bin", [1, 65537, 2.0])
def test_invalid_max_bin(max_bin):
    with pytest.raises(ValueError, match="max_bin must be an integer in"):
        Dataset(_matrix(), max_bin=max_bin)


def test_setters_validate_like_the_constructor():
    ds = Dataset(_matrix(), label=np.zeros(200))
    ds.set_label(np.ones(200))
    assert ds.get_label().tolist() == [1.0] * 200
    ds.set_weight(np.full(200, 2.0))
    assert ds.get_weight()[0] == 2.0
    ds.set_base_margin(np.zeros((200, 2)))
    assert ds.get_base_margin().shape == (200, 2)
    with pytest.raises(ValueError, match="label contains nan at position 0"):
        ds.set_label(np.full(200, np.nan))
    with pytest.raises(ValueError, match="weight is zero for every row"):
        ds.set_weight(np.zeros(200))
    with pytest.raises(ValueError, match="base_margin must have shape"):
        ds.set_base_margin(np.zeros(3))
    with pytest.raises(ValueError, match="label must have shape"):
        ds.label = np.zeros(3)
    ds.set_label(None)
    ds.set_weight(None)
    assert ds.get_label() is None and ds.get_weight() is None


def test_accessors_and_repr():
    ds = Dataset(_matrix(n_rows=50, n_features=4), label=np.zeros(50))
    assert ds.num_row() == 50 and ds.num_col() == 4
    assert ds.feature_types == ["float"] * 4 and ds.max_bin == 256
    assert ds.weight is None and ds.base_margin is None and ds.group is None
    assert repr(ds) == "Dataset(n_rows=50, n_features=4, max_bin=256, has_label=True)"


def test_data_must_not_be_a_dataset():
    ds = Dataset(_matrix())
    with pytest.raises(TypeError, match="data is already a Dataset"):
        Dataset(ds)


# -- binning ------------------------------------------------------------------------------------


def test_binning_is_lazy(monkeypatch):
    calls = []
    original_fit = BinMapper.fit

    def counting_fit(self, X, sample_weight=None, n_categories=None):
        calls.append(X.shape)
        return original_fit(self, X, sample_weight, n_categories)

    monkeypatch.setattr(dataset_module.BinMapper, "fit", counting_fit)
    X = _matrix()
    ds = Dataset(X, label=np.zeros(200))
    assert calls == []
    binned = ds.binned
    assert calls == [X.shape]
    assert ds.binned is binned and ds.bin_mapper is ds.bin_mapper
    assert calls == [X.shape]
    assert binned.dtype == np.uint8 and binned.flags.c_contiguous
    assert np.array_equal(binned, ds.bin_mapper.transform(X))


def test_bins_respect_max_bin_and_weights():
    X = _matrix(n_rows=2000)
    weight = np.where(X[:, 0] > 0, 20.0, 1.0)
    ds = Dataset(X, weight=weight, max_bin=1000)
    assert ds.binned.dtype == np.uint16
    expected = BinMapper(max_bin=1000).fit(X, sample_weight=weight)
    for a, b in zip(ds.bin_mapper.bin_upper_bounds_, expected.bin_upper_bounds_, strict=True):
        assert np.array_equal(a, b)
    assert np.all(Dataset(X, max_bin=16).bin_mapper.n_bins_ <= 16)


def test_reference_reuses_training_bins():
    X_train, X_valid = _matrix(seed=1), _matrix(n_rows=80, seed=2)
    dtrain = Dataset(X_train, max_bin=32)
    dvalid = Dataset(X_valid, label=np.zeros(80), reference=dtrain, max_bin=200)
    # the reference is fitted on demand, and only once
    mapper = dvalid.bin_mapper
    assert mapper is dtrain.bin_mapper and dvalid.max_bin == 32
    assert np.array_equal(dvalid.binned, mapper.transform(X_valid))
    # a validation set binned on its own would get other thresholds
    own = BinMapper(max_bin=32).fit(X_valid)
    assert not np.array_equal(own.bin_upper_bounds_[0], mapper.bin_upper_bounds_[0])


def test_reference_feature_checks():
    dtrain = Dataset(_matrix(), feature_names=["a", "b", "c"])
    # no names given: the reference's are taken
    assert Dataset(_matrix(n_rows=5), reference=dtrain).feature_names == ["a", "b", "c"]
    with pytest.raises(ValueError, match="data has 2 columns but the reference Dataset has 3"):
        Dataset(_matrix(n_features=2), reference=dtrain)
    with pytest.raises(
        ValueError, match="feature name 'x' at position 1 differs from the reference Dataset's 'b'"
    ):
        Dataset(_matrix(), feature_names=["a", "x", "c"], reference=dtrain)
    with pytest.raises(TypeError, match="reference must be a Dataset"):
        Dataset(_matrix(), reference=BinMapper())


@pytest.mark.parametrize("parent_binned_first", [True, False])
def test_slice_shares_bins_and_cuts_rows(parent_binned_first):
    X = _matrix(n_rows=100)
    y = np.arange(100.0)
    parent = Dataset(
        X,
        label=y,
        weight=np.full(100, 2.0),
        base_margin=np.zeros((100, 2)),
        feature_names=["a", "b", "c"],
    )
    if parent_binned_first:
        parent_binned = parent.binned
    rows = np.array([5, 3, 99, 0])
    subset = parent.slice(rows)
    assert subset.bin_mapper is parent.bin_mapper
    if not parent_binned_first:
        parent_binned = parent.binned
    assert np.array_equal(subset.binned, parent_binned[rows])
    assert subset.binned.flags.c_contiguous
    assert np.array_equal(subset.raw, X[rows], equal_nan=True)
    assert subset.label.tolist() == [5.0, 3.0, 99.0, 0.0]
    assert subset.weight.shape == (4,) and subset.base_margin.shape == (4, 2)
    assert subset.feature_names == ["a", "b", "c"] and subset.max_bin == parent.max_bin
    mask = np.zeros(100, dtype=bool)
    mask[[1, 2]] = True
    assert parent.slice(mask).label.tolist() == [1.0, 2.0]


def test_slice_of_unbinned_parent_bins_its_own_rows():
    X = _matrix(n_rows=100)
    parent = Dataset(X)
    subset = parent.slice(np.arange(10))
    assert np.array_equal(subset.binned, parent.bin_mapper.transform(X[:10]))


def test_slice_errors():
    ds = Dataset(_matrix(n_rows=10))
    with pytest.raises(
        ValueError,
        match=r"row_indices\[1\] = 10 is out of range; valid rows are "
        "0 to 9",
    ):
        ds.slice([1, 10])
    with pytest.raises(ValueError, match="out of range"):
        ds.slice([-1])
    with pytest.raises(ValueError, match="selects no rows"):
        ds.slice(np.array([], dtype=int))
    with pytest.raises(ValueError, match=r"boolean row_indices mask must have shape \(10,\)"):
        ds.slice(np.ones(3, dtype=bool))
    with pytest.raises(TypeError, match="row_indices must be a 1-D array of integers"):
        ds.slice([0.5])


def test_slice_keeps_whole_query_groups():
    ds = Dataset(_matrix(n_rows=10), group=[3, 5, 2])
    assert ds.slice([8, 9, 0, 1, 2]).group.tolist() == [2, 3]
    with pytest.raises(ValueError, match="row_indices split a query group"):
        ds.slice([0, 1])
    # Whole queries whose rows are no longer adjacent: kept, as query ids.
    mixed = ds.slice([0, 3, 1, 2, 4, 5, 6, 7])
    assert mixed.group is None and mixed.qid.tolist() == [0, 1, 0, 0, 1, 1, 1, 1]
    with pytest.raises(ValueError, match="row_indices split a query group"):
        ds.slice([0, 0, 1, 2])


SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")


def test_from_libsvm_reads_the_shared_ranking_and_agaricus_files():
    rank = os.path.join(SHARED, "lightgbm-examples", "lambdarank", "rank.train")
    agaricus = os.path.join(SHARED, "xgboost-demo", "agaricus.txt.train")
    if not (os.path.exists(rank) and os.path.exists(agaricus)):
        pytest.skip("../shared/data is not available")
    ds = Dataset.from_libsvm(rank)
    assert ds.group is not None and ds.group.sum() == ds.num_row()
    assert set(np.unique(ds.label)) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    test = Dataset.from_libsvm(rank.replace("train", "test"), reference=ds)
    assert test.num_col() == ds.num_col() and test.group.sum() == test.num_row()
    mush = Dataset.from_libsvm(agaricus)
    assert mush.group is None and set(np.unique(mush.raw)) == {0.0, 1.0}


def test_from_libsvm_groups_and_errors(tmp_path):
    path = tmp_path / "small.svm"
    path.write_text("1 qid:1 0:1.5 2:3\n0 qid:1 1:2\n2 qid:2 0:0.5\n")
    ds = Dataset.from_libsvm(str(path))
    assert ds.raw.tolist() == [[1.5, 0.0, 3.0], [0.0, 2.0, 0.0], [0.5, 0.0, 0.0]]
    assert ds.group.tolist() == [2, 1]
    (tmp_path / "sizes.txt").write_text("1\n2\n")
    assert Dataset.from_libsvm(str(path), query=str(tmp_path / "sizes.txt")).group.tolist() == [
        1,
        2,
    ]
    (tmp_path / "bad.txt").write_text("1\nx\n")
    with pytest.raises(ValueError, match="line 2: 'x' is not a group size"):
        Dataset.from_libsvm(str(path), query=str(tmp_path / "bad.txt"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Dataset.from_libsvm(str(tmp_path / "nope.svm"))
    (tmp_path / "broken.svm").write_text("1 a:b\n")
    with pytest.raises(ValueError, match="not a valid LibSVM file"):
        Dataset.from_libsvm(str(tmp_path / "broken.svm"))
