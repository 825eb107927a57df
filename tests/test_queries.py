"""Query groups on the Dataset (qid in any order, group sizes), slices and cv folds that keep
queries whole, and interval bounds."""

from __future__ import annotations

import numpy as np
import pytest

import treeboost as tb
from treeboost.data.queries import adjacent_group_sizes, build_query_index, check_qid
from treeboost.training.engine import _query_folds


def _X(n=12, d=3, seed=0):
    return np.random.default_rng(seed).random((n, d))


def test_group_sizes_become_query_ids():
    ds = tb.Dataset(_X(10), group=[3, 5, 2])
    assert ds.qid.tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 2, 2]
    assert ds.group.tolist() == [3, 5, 2]
    index = ds.query_index()
    assert index.n_queries == 3 and index.ptr.tolist() == [0, 3, 8, 10]


def test_unsorted_interleaved_qid_groups_rows_by_id_keeping_row_order():
    qid = [7, 3, 7, 1, 3, 1, 7]
    ds = tb.Dataset(_X(7), qid=qid)
    index = ds.query_index()
    assert index.ids.tolist() == [1, 3, 7]
    groups = [index.rows[index.ptr[q] : index.ptr[q + 1]].tolist() for q in range(3)]
    assert groups == [[3, 5], [1, 4], [0, 2, 6]]
    assert ds.group is None  # the queries are not adjacent runs
    # Sorted but not starting at 0, and adjacent: sizes are known.
    assert tb.Dataset(_X(5), qid=[5, 5, 9, 9, 9]).group.tolist() == [2, 3]


def test_qid_errors():
    with pytest.raises(ValueError, match="pass the query groups as group= .* or qid="):
        tb.Dataset(_X(4), group=[2, 2], qid=[0, 0, 1, 1])
    with pytest.raises(ValueError, match=r"qid must have shape \(4,\)"):
        tb.Dataset(_X(4), qid=[0, 1, 1])
    with pytest.raises(ValueError, match=r"qid\[1\] = 0.5 is not an integer"):
        check_qid(np.array([0.0, 0.5]), 2)
    with pytest.raises(TypeError, match="qid must hold integer query ids"):
        check_qid(np.array(["a", "b"]), 2)


def test_adjacent_group_sizes():
    assert adjacent_group_sizes(np.array([2, 2, 0, 1, 1])).tolist() == [2, 1, 2]
    assert adjacent_group_sizes(np.array([2, 0, 2])) is None
    index = build_query_index(np.array([4, 4, 4]))
    assert index.ptr.tolist() == [0, 3] and index.rows.tolist() == [0, 1, 2]


def test_slice_takes_whole_queries_and_keeps_ids():
    ds = tb.Dataset(_X(6), label=np.arange(6.0), qid=[1, 2, 1, 3, 2, 3])
    part = ds.slice([0, 2, 3, 5])
    assert part.qid.tolist() == [1, 1, 3, 3] and part.group.tolist() == [2, 2]
    with pytest.raises(ValueError, match=r"split a query group \(query id 2\)"):
        ds.slice([0, 1, 2])


def test_query_folds_never_split_a_query():
    qid = np.repeat(np.arange(9), [3, 1, 4, 2, 2, 5, 1, 3, 2])
    folds = _query_folds(qid, 3, seed=0, shuffle=True)
    seen = np.zeros(qid.size, dtype=int)
    for train, test in folds:
        assert not set(qid[train]) & set(qid[test])
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(qid.size))
        seen[test] += 1
    assert np.all(seen == 1)
    with pytest.raises(ValueError, match="nfold=10 exceeds the number of query groups"):
        _query_folds(qid, 10, seed=0, shuffle=True)


def test_cv_on_query_data_splits_by_query():
    rng = np.random.default_rng(1)
    X = rng.random((60, 3))
    ds = tb.Dataset(X, label=X[:, 0], qid=np.repeat(np.arange(12), 5))
    result = tb.cv({"max_depth": 2}, ds, num_boost_round=3, nfold=3)
    assert result["test-rmse-mean"].shape == (3,)
    with pytest.raises(ValueError, match="stratified=True cannot keep query groups whole"):
        tb.cv({}, ds, num_boost_round=1, nfold=3, stratified=True)


def test_interval_bounds_validated():
    X = _X(3)
    ds = tb.Dataset(X, label_lower_bound=[1.0, 2.0, 0.0], label_upper_bound=[1.0, np.inf, 4.0])
    assert np.isinf(ds.label_upper_bound[1])
    with pytest.raises(ValueError, match=r"label_lower_bound\[1\] = 5.0 is above"):
        tb.Dataset(X, label_lower_bound=[1.0, 5.0, 0.0], label_upper_bound=[1.0, 4.0, 4.0])
    with pytest.raises(ValueError, match="label_upper_bound contains nan at position 0"):
        tb.Dataset(X, label_upper_bound=[np.nan, 1.0, 1.0])
    ds.set_float_info("label_lower_bound", [0.5, 0.5, 0.5])
    assert ds.label_lower_bound.tolist() == [0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match="field='bounds' is not valid"):
        ds.set_float_info("bounds", [1, 2, 3])
    sliced = ds.slice([2, 0])
    assert sliced.label_lower_bound.tolist() == [0.5, 0.5]
    assert sliced.label_upper_bound.tolist() == [4.0, 1.0]


def test_from_libsvm_keeps_interleaved_query_ids(tmp_path):
    path = tmp_path / "mixed.svm"
    path.write_text("1 qid:4 0:1\n0 qid:2 0:2\n2 qid:4 0:3\n1 qid:2 0:4\n")
    ds = tb.Dataset.from_libsvm(str(path))
    assert ds.qid.tolist() == [4, 2, 4, 2] and ds.group is None
    assert ds.query_index().ids.tolist() == [2, 4]
