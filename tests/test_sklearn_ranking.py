"""TreeBoostRanker: queries from qid or group, evaluation queries, scoring, the scikit-learn
checks that apply to a ranker, persistence."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

import treeboost as tb
from treeboost import TreeBoostRanker


def _ranking_data(n_queries=40, per_query=12, n_features=5, seed=0):
    rng = np.random.default_rng(seed)
    n = n_queries * per_query
    X = rng.normal(size=(n, n_features))
    score = X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=n)
    qid = np.repeat(np.arange(n_queries), per_query)
    relevance = np.zeros(n)
    for q in range(n_queries):
        rows = qid == q
        ranks = np.argsort(np.argsort(-score[rows]))
        relevance[rows] = np.select([ranks < 2, ranks < 5], [2.0, 1.0], 0.0)
    return X, relevance, qid


# One query over all rows when fit gets no qid: the checks' data has no queries.
_NO_QUERY_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "ranking weights are per query; repeated rows change the query"
    ),
    "check_sample_weight_equivalence_on_sparse_data": (
        "ranking weights are per query; repeated rows change the query"
    ),
    "check_sample_weights_not_overwritten": "row weights must be constant within a query",
}


@parametrize_with_checks(
    [TreeBoostRanker(n_estimators=5)], expected_failed_checks=lambda e: _NO_QUERY_CHECKS
)
def test_ranker_estimator_checks(estimator, check):
    check(estimator)


def test_ranker_learns_the_order_and_beats_a_random_order():
    X, y, qid = _ranking_data()
    ranker = TreeBoostRanker(n_estimators=30, random_state=0).fit(X, y, qid=qid)
    fitted = ranker.score(X, y, qid=qid)
    shuffled = np.random.default_rng(0).permutation(y.size)
    random_order = tb.metrics.ndcg_score(y, X[shuffled, 2], qid)
    assert fitted > 0.9 > random_order


def test_qid_and_group_give_the_same_model():
    X, y, qid = _ranking_data(n_queries=10)
    sizes = np.bincount(qid)
    a = TreeBoostRanker(n_estimators=8, random_state=1).fit(X, y, qid=qid)
    b = TreeBoostRanker(n_estimators=8, random_state=1).fit(X, y, group=sizes)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    with pytest.raises(ValueError, match="pass qid= or group=, not both"):
        TreeBoostRanker().fit(X, y, qid=qid, group=sizes)
    with pytest.raises(ValueError, match="group must be a 1-D array of integer query sizes"):
        TreeBoostRanker().fit(X, y, group=[3, 4])


def test_eval_set_with_queries_drives_early_stopping():
    X, y, qid = _ranking_data(n_queries=60)
    train, valid = qid < 45, qid >= 45
    ranker = TreeBoostRanker(
        n_estimators=200, learning_rate=0.3, early_stopping_rounds=5, eval_metric="ndcg@5"
    )
    ranker.fit(
        X[train], y[train], qid=qid[train],
        eval_set=[(X[valid], y[valid])], eval_qid=[qid[valid]],
    )
    history = ranker.evals_result()["validation_0"]["ndcg@5"]
    assert ranker.best_iteration is not None and len(history) < 200
    assert history[ranker.best_iteration] == max(history)
    with pytest.raises(ValueError, match="eval_qid has 2 entries; it needs one per eval_set"):
        ranker.fit(X, y, qid=qid, eval_set=[(X, y)], eval_qid=[qid, qid])


def test_ranker_rejects_other_objectives_and_pickles():
    X, y, qid = _ranking_data(n_queries=5)
    with pytest.raises(ValueError, match="objective='reg:squarederror' is not a ranking"):
        TreeBoostRanker(objective="reg:squarederror").fit(X, y, qid=qid)
    ranker = TreeBoostRanker(n_estimators=4, objective="rank:pairwise").fit(X, y, qid=qid)
    again = pickle.loads(pickle.dumps(ranker))
    np.testing.assert_array_equal(again.predict(X), ranker.predict(X))
    params = clone(ranker).get_params()
    assert params["objective"] == "rank:pairwise" and params["lambdarank_pair_method"] == "topk"
