"""Learning to rank: the LambdaMART objectives (rank:ndcg, rank:map, rank:pairwise) against a
brute-force pair loop and XGBoost, the ranking metrics against hand-computed values, and
training, explanation and model files end to end."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

import treeboost as tb
from treeboost.metrics import get_metric, map_score, ndcg_score, precision_at_k
from treeboost.model.params import validate_params
from treeboost.objectives import get_objective
from treeboost.objectives.ranking import LambdaRankObjective

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


# --- the brute-force twin ---------------------------------------------------------------------
def mix64_naive(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def mean_pairs_naive(labels, n_pair, seed, q):
    """The mean method's pairs of one query (local indices), drawn as the kernel specifies:
    documents by descending label; for each label's bucket, n_pair rounds over its documents,
    each pairing with a uniform draw from outside the bucket (SplitMix64, seeded per query)."""
    order = sorted(range(len(labels)), key=lambda i: -labels[i])
    state = mix64_naive((seed + q * GOLDEN) & MASK64)
    pairs = []
    start = 0
    while start < len(order):
        stop = start
        while stop < len(order) and labels[order[stop]] == labels[order[start]]:
            stop += 1
        n_outside = len(order) - (stop - start)
        for _ in range(n_pair if n_outside else 0):
            for t in range(start, stop):
                state = (state + GOLDEN) & MASK64
                r = min(int((mix64_naive(state) >> 11) * 2.0**-53 * n_outside), n_outside - 1)
                r = r + (stop - start) if r >= start else r
                pairs.append((order[t], order[r]))
        start = stop
    return pairs


def average_precision_naive(ranked_labels):
    hits, total = 0, 0.0
    for r, rel in enumerate(ranked_labels):
        if rel:
            hits += 1
            total += hits / (r + 1)
    return total / hits if hits else 0.0


def lambdarank_naive(
    kind,
    y,
    score,
    qid,
    weight=None,
    pair_method="topk",
    n_pair=None,
    normalization=True,
    score_normalization=True,
    exp_gain=True,
    seed=0,
    t_plus=None,
    t_minus=None,
):
    """Per-row (gradient, hessian) by a plain loop over every pair, the metric changes taken by
    swapping the two documents and re-scoring the whole list; with t_plus / t_minus, also the
    position sums (li, lj) that re-estimate them."""
    n_pair = n_pair or (32 if pair_method == "topk" else 1)
    grad, hess = np.zeros(len(y)), np.zeros(len(y))
    n_positions = 0 if t_plus is None else len(t_plus)
    li, lj = np.zeros(n_positions), np.zeros(n_positions)
    ids = sorted(set(qid.tolist()))
    qw = {q: 1.0 if weight is None else weight[qid == q][0] for q in ids}
    norm = len(ids) / sum(qw.values())
    for q_index, q in enumerate(ids):
        rows = np.flatnonzero(qid == q)
        labels, s = y[rows].tolist(), score[rows].tolist()
        m = len(rows)
        ranked = sorted(range(m), key=lambda i: -s[i])  # stable: ties keep row order
        rank_of = {d: r for r, d in enumerate(ranked)}

        def gain(v):
            return 2.0**v - 1.0 if exp_gain else v

        def dcg(order, top=m, labels=labels):
            return sum(gain(labels[d]) / math.log2(r + 2) for r, d in enumerate(order[:top]))

        top = n_pair if pair_method == "topk" else m
        idcg = dcg(sorted(range(m), key=lambda i: -labels[i]), top)
        if pair_method == "topk":
            pairs = [(ranked[a], ranked[b]) for a in range(min(m, n_pair)) for b in range(a + 1, m)]
        else:
            pairs = mean_pairs_naive(labels, n_pair, seed, q_index)
        g, h, sum_lambda = np.zeros(m), np.zeros(m), 0.0
        spread = s[ranked[0]] != s[ranked[-1]]
        for d1, d2 in pairs:
            if labels[d1] == labels[d2]:
                continue
            hi, lo = (d1, d2) if labels[d1] > labels[d2] else (d2, d1)
            swapped = list(ranked)
            swapped[rank_of[hi]], swapped[rank_of[lo]] = lo, hi
            if kind == "rank:ndcg":
                delta = abs(dcg(swapped) - dcg(ranked)) / idcg
            elif kind == "rank:map":
                ranked_labels = [labels[d] for d in ranked]
                swapped_labels = [labels[d] for d in swapped]
                delta = abs(
                    average_precision_naive(swapped_labels) - average_precision_naive(ranked_labels)
                )
            else:
                delta = 1.0
            diff = s[hi] - s[lo]
            if score_normalization and spread:
                delta /= abs(diff) + 0.01
            sig = 1.0 / (1.0 + math.exp(-diff))
            lam = (sig - 1.0) * delta
            hes = 2.0 * max(sig * (1.0 - sig), 1e-16) * delta
            if n_positions and hi < n_positions and lo < n_positions:
                cost = -math.log(1.0 - sig) * delta
                if t_plus[hi] > 0 and t_minus[lo] > 0:
                    lam /= t_plus[hi] * t_minus[lo]
                    hes /= t_plus[hi] * t_minus[lo]
                if t_minus[lo] > 0:
                    li[hi] += cost / t_minus[lo]
                if t_plus[hi] > 0:
                    lj[lo] += cost / t_plus[hi]
            g[hi] += lam
            g[lo] -= lam
            h[hi] += hes
            h[lo] += hes
            sum_lambda += -2.0 * lam
        factor = 1.0
        if normalization and pair_method == "mean":
            factor = 1.0 / n_pair
        elif normalization and sum_lambda > 0:
            factor = math.log2(1.0 + sum_lambda) / sum_lambda
        grad[rows] = g * factor * qw[q] * norm
        hess[rows] = h * factor * qw[q] * norm
    return grad, hess, li, lj


# --- helpers -----------------------------------------------------------------------------------
def make_queries(rng, sizes, levels=4, interleave=True):
    """Labels, scores (with ties) and query ids; rows of a query are spread out."""
    qid = np.repeat(np.arange(len(sizes)) * 7 + 3, sizes)
    if interleave:
        qid = rng.permutation(qid)
    n = len(qid)
    y = rng.integers(0, levels, n).astype(np.float64)
    score = np.round(rng.normal(size=n), 1)  # rounding makes ties
    return y, score, qid


def bound_objective(name, y, qid, weight=None, **kwargs):
    objective = LambdaRankObjective(name, **kwargs)
    X = np.zeros((len(y), 1))
    objective.bind(tb.Dataset(X, label=y, qid=qid, weight=weight))
    return objective


def gradients(objective, y, score, weight=None):
    gh = np.empty((1, len(y), 2), dtype=np.float32)
    objective.gradient_hessian(y, score.reshape(-1, 1), weight, gh)
    return gh[0, :, 0].astype(np.float64), gh[0, :, 1].astype(np.float64)


def binary(y):
    return (y >= 2).astype(np.float64)


OBJECTIVES = ["rank:ndcg", "rank:map", "rank:pairwise"]


# --- gradients against the brute-force twin ---------------------------------------------------
@pytest.mark.parametrize("name", OBJECTIVES)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"num_pair_per_sample": 3},
        {"normalization": False, "score_normalization": False},
        {"pair_method": "mean"},
        {"pair_method": "mean", "num_pair_per_sample": 3, "random_state": 7},
        {"pair_method": "mean", "normalization": False},
    ],
    ids=["topk32", "topk3", "plain", "mean1", "mean3", "mean-unnormalized"],
)
def test_gradients_match_brute_force_pairs(name, options):
    rng = np.random.default_rng(0)
    y, score, qid = make_queries(rng, [9, 1, 14, 5, 40, 3])
    if name == "rank:map":
        y = binary(y)
    weight = rng.uniform(0.5, 2.0, qid.max() + 1)[qid]  # one weight per query
    objective = bound_objective(name, y, qid, weight=weight, **options)
    seed = np.random.SeedSequence([options.get("random_state", 0), 0]).generate_state(
        1, dtype=np.uint64
    )[0]
    expected_g, expected_h, _, _ = lambdarank_naive(
        name,
        y,
        score,
        qid,
        weight=weight,
        pair_method=options.get("pair_method", "topk"),
        n_pair=options.get("num_pair_per_sample"),
        normalization=options.get("normalization", True),
        score_normalization=options.get("score_normalization", True),
        seed=int(seed),
    )
    g, h = gradients(objective, y, score, weight)
    np.testing.assert_allclose(g, expected_g, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(h, expected_h, rtol=2e-6, atol=1e-7)
    assert np.abs(g).max() > 0.0


def test_query_weights_and_linear_gain_match_brute_force():
    rng = np.random.default_rng(1)
    y, score, qid = make_queries(rng, [6, 11, 8])
    y = y + rng.uniform(0.0, 0.9, y.shape)  # graded, not integer: the linear gain
    per_query = {3: 0.5, 10: 2.0, 17: 1.25}
    weight = np.array([per_query[q] for q in qid])
    objective = bound_objective("rank:ndcg", y, qid, weight=weight, exp_gain=False)
    expected_g, expected_h, _, _ = lambdarank_naive(
        "rank:ndcg", y, score, qid, weight=weight, exp_gain=False
    )
    g, h = gradients(objective, y, score, weight)
    np.testing.assert_allclose(g, expected_g, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(h, expected_h, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("pair_method", ["topk", "mean"])
def test_unbiased_position_bias_updates_like_brute_force(pair_method):
    rng = np.random.default_rng(2)
    y, score, qid = make_queries(rng, [7, 12, 5, 9], levels=3)
    k = 6 if pair_method == "topk" else 2
    objective = bound_objective(
        "rank:ndcg", y, qid, unbiased=True, bias_norm=0.5, pair_method=pair_method,
        num_pair_per_sample=k,
    )  # fmt: skip
    n_positions = k if pair_method == "topk" else 12
    t_plus, t_minus = np.ones(n_positions), np.ones(n_positions)
    for round_ in range(3):
        score = score + rng.normal(scale=0.3, size=score.shape)
        seed = np.random.SeedSequence([0, round_]).generate_state(1, dtype=np.uint64)[0]
        expected_g, expected_h, li, lj = lambdarank_naive(
            "rank:ndcg", y, score, qid, pair_method=pair_method, n_pair=k, seed=int(seed),
            t_plus=t_plus, t_minus=t_minus,
        )  # fmt: skip
        g, h = gradients(objective, y, score)
        np.testing.assert_allclose(g, expected_g, rtol=2e-6, atol=1e-7)
        np.testing.assert_allclose(h, expected_h, rtol=2e-6, atol=1e-7)
        t_plus = (li / li[0]) ** (1 / 1.5)
        t_minus = (lj / lj[0]) ** (1 / 1.5)
        np.testing.assert_allclose(objective.t_plus, t_plus, rtol=1e-10)
        np.testing.assert_allclose(objective.t_minus, t_minus, rtol=1e-10)
    assert not np.allclose(t_plus, 1.0)


def test_mean_pairs_change_every_round_and_repeat_with_the_seed():
    rng = np.random.default_rng(3)
    y, score, qid = make_queries(rng, [30, 25])
    a = bound_objective("rank:ndcg", y, qid, pair_method="mean")
    b = bound_objective("rank:ndcg", y, qid, pair_method="mean")
    first, second = gradients(a, y, score)[0], gradients(a, y, score)[0]
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(gradients(b, y, score)[0], first)


def test_gradients_do_not_depend_on_the_thread_count():
    rng = np.random.default_rng(4)
    y, score, qid = make_queries(rng, rng.integers(1, 60, 200).tolist())
    results = []
    saved = numba.get_num_threads()
    try:
        for threads in sorted({1, saved}):
            numba.set_num_threads(threads)
            for method in ("topk", "mean"):
                objective = bound_objective("rank:ndcg", y, qid, pair_method=method)
                results.append((threads, method, gradients(objective, y, score)))
    finally:
        numba.set_num_threads(saved)
    for _, method, (g, h) in results:
        reference = next(r for r in results if r[1] == method)[2]
        np.testing.assert_array_equal(g, reference[0])
        np.testing.assert_array_equal(h, reference[1])


def test_gradients_sum_to_zero_per_query():
    rng = np.random.default_rng(5)
    y, score, qid = make_queries(rng, [10, 20, 7])
    g, _ = gradients(bound_objective("rank:ndcg", y, qid), y, score)
    for q in np.unique(qid):
        assert abs(g[qid == q].sum()) < 1e-6


# --- rank:pairwise is the pairwise logistic loss ---------------------------------------------
def test_pairwise_matches_finite_differences_of_pairwise_logistic_loss():
    """Without normalizations and with every pair counted, rank:pairwise is the gradient of
    sum over pairs (hi, lo) of log(1 + exp(-(s_hi - s_lo))); its hessian is twice the loss's
    diagonal second derivative (XGBoost's factor 2)."""
    rng = np.random.default_rng(6)
    y, score, qid = make_queries(rng, [8, 5, 12])
    score = rng.normal(size=score.shape)
    per_query = {3: 1.0, 10: 3.0, 17: 0.5}
    weight = np.array([per_query[q] for q in qid])
    objective = bound_objective(
        "rank:pairwise", y, qid, weight=weight, num_pair_per_sample=100, normalization=False,
        score_normalization=False,
    )  # fmt: skip
    norm = 3 / sum(per_query.values())

    def loss(s):
        total = 0.0
        for q, w in per_query.items():
            rows = np.flatnonzero(qid == q)
            for i in rows:
                for j in rows:
                    if y[i] > y[j]:
                        total += w * norm * np.logaddexp(0.0, -(s[i] - s[j]))
        return total

    g, h = gradients(objective, y, score, weight)
    step = 1e-5
    for i in range(len(y)):
        up, down = score.copy(), score.copy()
        up[i] += step
        down[i] -= step
        assert g[i] == pytest.approx((loss(up) - loss(down)) / (2 * step), rel=1e-4, abs=1e-6)
        second = (loss(up) - 2 * loss(score) + loss(down)) / step**2
        assert h[i] == pytest.approx(2.0 * second, rel=1e-3, abs=1e-4)


# --- against XGBoost's own gradients -------------------------------------------------------------
def xgboost_leaf_sums(X, y, group, margin, params, weight=None):
    """XGBoost's (sum of gradients, sum of hessians) per leaf of a tree grown at ``margin``:
    one round with learning rate 1 and reg_lambda 1, so a leaf's value is -G / (H + 1) and its
    cover is H. Rows are told apart by a row-number feature."""
    xgb = pytest.importorskip("xgboost")
    data = xgb.DMatrix(X, y, group=group, base_margin=margin, weight=weight)
    booster = xgb.train(
        dict(params, tree_method="hist", grow_policy="lossguide", max_depth=0, max_leaves=0,
             min_child_weight=0, reg_lambda=1.0, learning_rate=1.0, max_bin=1024, nthread=1,
             base_score=0.0),
        data, 1,
    )  # fmt: skip
    frame = booster.trees_to_dataframe()
    leaves = frame[frame.Feature == "Leaf"].set_index("Node")
    leaf_of_row = booster.predict(data, pred_leaf=True).astype(int).ravel()
    return leaf_of_row, leaves["Gain"] * -(leaves["Cover"] + 1.0), leaves["Cover"]


@pytest.mark.parametrize("name", OBJECTIVES)
@pytest.mark.parametrize("k", [32, 3])
def test_gradients_match_xgboost(name, k):
    rng = np.random.default_rng(7)
    sizes = [7, 12, 5, 40]
    n = sum(sizes)
    y = rng.integers(0, 4, n).astype(np.float64)
    y = binary(y) if name == "rank:map" else y
    margin = rng.normal(size=n).astype(np.float32).astype(np.float64)
    margin[3] = margin[4]
    weight = np.array([1.0, 2.0, 0.5, 3.0])
    X = np.arange(n, dtype=np.float32).reshape(-1, 1)
    leaf, G, H = xgboost_leaf_sums(
        X, y, sizes, margin, {"objective": name, "lambdarank_num_pair_per_sample": k}, weight
    )
    qid = np.repeat(np.arange(4), sizes)
    row_weight = weight[qid]
    objective = bound_objective(name, y, qid, weight=row_weight, num_pair_per_sample=k)
    g, h = gradients(objective, y, margin, row_weight)
    for node in np.unique(leaf):
        rows = leaf == node
        assert g[rows].sum() == pytest.approx(G[node], rel=1e-5, abs=1e-5)
        assert h[rows].sum() == pytest.approx(H[node], rel=1e-5, abs=1e-5)


def test_position_bias_matches_xgboost():
    xgb = pytest.importorskip("xgboost")
    import json

    rng = np.random.default_rng(8)
    sizes = [7, 12, 5, 40, 9]
    n = sum(sizes)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = rng.integers(0, 3, n).astype(np.float64)
    params = {"objective": "rank:ndcg", "lambdarank_unbiased": True, "lambdarank_bias_norm": 0.5,
              "lambdarank_num_pair_per_sample": 6, "max_depth": 3, "base_score": 0.0}  # fmt: skip
    data = xgb.DMatrix(X, y, group=sizes)
    booster = xgb.train(dict(params, nthread=1), data, 4)
    saved = json.loads(booster.save_config())["learner"]["objective"]
    objective = bound_objective(
        "rank:ndcg", y, np.repeat(np.arange(5), sizes), unbiased=True, bias_norm=0.5,
        num_pair_per_sample=6,
    )  # fmt: skip
    for round_ in range(4):
        margin = booster.predict(data, output_margin=True, iteration_range=(0, round_))
        gradients(objective, y, margin.astype(np.float64) if round_ else np.zeros(n))
    np.testing.assert_allclose(objective.t_plus, np.array(saved["ti+"], float), rtol=1e-5)
    np.testing.assert_allclose(objective.t_minus, np.array(saved["tj-"], float), rtol=1e-5)


# --- the objective's other parts -------------------------------------------------------------
def test_builders_resolve_parameters_like_xgboost():
    p = validate_params({"objective": "rank:ndcg"})
    ndcg = get_objective("rank:ndcg", p)
    expected = ("topk", 32, "ndcg@32")
    assert (ndcg.pair_method, ndcg.num_pair_per_sample, ndcg.default_metric) == expected
    p = validate_params({"objective": "rank:map", "lambdarank_pair_method": "mean"})
    ranked_map = get_objective("rank:map", p)
    assert (ranked_map.num_pair_per_sample, ranked_map.default_metric) == (1, "map")
    p = validate_params({"objective": "rank:pairwise", "lambdarank_num_pair_per_sample": 10})
    assert get_objective("rank:pairwise", p).default_metric == "ndcg@10"
    assert ndcg.init_margin(np.ones(3), None).tolist() == [0.0]
    assert ndcg.base_score_to_margin(0.25).tolist() == [0.25]
    assert ndcg.transform(np.array([[1.5], [-2.0]])).tolist() == [1.5, -2.0]


def test_gradient_needs_bind():
    objective = get_objective("rank:ndcg", validate_params({"objective": "rank:ndcg"}))
    gh = np.empty((1, 3, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="bind"):
        objective.gradient_hessian(np.zeros(3), np.zeros((3, 1)), None, gh)


# --- errors ------------------------------------------------------------------------------------
def test_objective_without_queries_is_an_error():
    data = tb.Dataset(np.zeros((4, 1)), label=[0, 1, 0, 1])
    with pytest.raises(ValueError, match="'rank:ndcg' needs query groups: pass qid= or group="):
        tb.train({"objective": "rank:ndcg"}, data, 1)


def test_weights_must_be_constant_within_a_query():
    data = tb.Dataset(np.zeros((4, 1)), label=[0, 1, 0, 1], qid=[5, 5, 6, 6],
                      weight=[1.0, 2.0, 1.0, 1.0])  # fmt: skip
    with pytest.raises(ValueError, match="weight differs within query 5"):
        tb.train({"objective": "rank:ndcg"}, data, 1)


@pytest.mark.parametrize(
    "params, label, message",
    [
        ({"objective": "rank:ndcg"}, [0, 1.5, 2, 0], "integer relevance labels"),
        ({"objective": "rank:ndcg"}, [0, 32, 2, 0], "labels <= 31"),
        ({"objective": "rank:ndcg"}, [0, -1, 2, 0], "labels >= 0"),
        ({"objective": "rank:ndcg", "ndcg_exp_gain": False}, [0, -0.5, 2, 0], "labels >= 0"),
        ({"objective": "rank:map"}, [0, 2, 1, 0], "binary relevance labels"),
        ({"objective": "rank:pairwise"}, [0, -2, 1, 0], "labels >= 0"),
    ],
)
def test_bad_labels_are_errors(params, label, message):
    data = tb.Dataset(np.zeros((4, 1)), label=label, qid=[0, 0, 1, 1])
    with pytest.raises(ValueError, match=message):
        tb.train(params, data, 1)


def test_linear_gain_accepts_large_graded_labels():
    data = tb.Dataset(np.arange(8.0).reshape(-1, 1), label=[0, 40.5, 2, 0, 1, 1, 33, 0],
                      qid=[0, 0, 0, 0, 1, 1, 1, 1])  # fmt: skip
    booster = tb.train({"objective": "rank:ndcg", "ndcg_exp_gain": False}, data, 2)
    assert np.isfinite(booster.predict(data.raw)).all()


# --- metrics -----------------------------------------------------------------------------------
def test_ndcg_by_hand():
    # One query ranked [doc1 (rel 0), doc2 (rel 1), doc0 (rel 2)].
    y, score, qid = [2, 0, 1], [0.1, 0.3, 0.2], [0, 0, 0]
    dcg = 0 + 1 / math.log2(3) + 3 / math.log2(4)
    idcg = 3 + 1 / math.log2(3)
    assert ndcg_score(y, score, qid) == pytest.approx(dcg / idcg)
    assert ndcg_score(y, score, qid, exp_gain=False) == pytest.approx(
        (1 / math.log2(3) + 2 / 2) / (2 + 1 / math.log2(3))
    )
    # @2: the top two of the ranking against the ideal top two.
    assert ndcg_score(y, score, qid, k=2) == pytest.approx((1 / math.log2(3)) / idcg)
    assert ndcg_score(y, score, qid, k=1) == 0.0


def test_ndcg_of_queries_without_relevant_documents_and_the_minus_convention():
    y = [0, 0, 1, 0, 2, 2]
    score = [0.5, 0.1, 0.9, 0.2, 0.3, 0.3]
    qid = [1, 1, 2, 2, 3, 3]
    # Query 1 has no relevant document: 1 by default, 0 with "-". Query 3's labels are all
    # equal (every order is ideal): 1. Query 2 is ranked ideally: 1.
    assert ndcg_score(y, score, qid) == 1.0
    assert ndcg_score(y, score, qid, empty_score=0.0) == pytest.approx(2 / 3)
    data = tb.Dataset(np.zeros((6, 1)), label=y, qid=qid)
    assert get_metric("ndcg")(data.label, score, None, data) == 1.0
    assert get_metric("ndcg-")(data.label, score, None, data) == pytest.approx(2 / 3)
    assert get_metric("ndcg@1-")(data.label, score, None, data) == pytest.approx(2 / 3)
    assert get_metric("map-")(binary(np.array(y) * 2), score, None, data) == pytest.approx(2 / 3)


def test_map_and_precision_by_hand():
    # Ranked labels [1, 0, 1, 1, 0]: precision at the hits 1/1, 2/3, 3/4.
    y = [0, 1, 1, 0, 1]
    score = [0.5, 0.4, 0.3, 0.9, 0.8]
    qid = [4] * 5
    order = np.argsort(-np.array(score), kind="stable")
    assert [y[i] for i in order] == [0, 1, 0, 1, 1]
    # Ranked [0, 1, 0, 1, 1]: hits at ranks 2, 4, 5 -> (1/2 + 2/4 + 3/5) / 3.
    assert map_score(y, score, qid) == pytest.approx((1 / 2 + 2 / 4 + 3 / 5) / 3)
    # @4: hits at ranks 2 and 4 count, over min(3 relevant, 4).
    assert map_score(y, score, qid, k=4) == pytest.approx((1 / 2 + 2 / 4) / 3)
    # @2: one hit in the top 2, over min(3, 2) = 2.
    assert map_score(y, score, qid, k=2) == pytest.approx((1 / 2) / 2)
    assert precision_at_k(y, score, qid, k=2) == pytest.approx(1 / 2)
    assert precision_at_k(y, score, qid, k=4) == pytest.approx(2 / 4)
    # A query shorter than k is scored on its own length; no k: the share of relevant rows.
    assert precision_at_k(y, score, qid, k=10) == pytest.approx(3 / 5)
    assert precision_at_k(y, score, qid) == pytest.approx(3 / 5)


def test_ties_keep_row_order_within_the_query():
    # Equal scores: the earlier row ranks first, as in XGBoost's stable sort.
    assert ndcg_score([0, 1], [0.5, 0.5], [0, 0], k=1) == 0.0
    assert ndcg_score([1, 0], [0.5, 0.5], [0, 0], k=1) == 1.0
    # The row order within a query, not across queries, is what counts.
    assert ndcg_score([1, 7, 0, 7], [0.5, 0.0, 0.5, 0.0], [3, 9, 3, 9], k=1, exp_gain=False) == 1.0


def test_metrics_are_weighted_by_query():
    y = [1, 0, 0, 1]
    score = [0.9, 0.1, 0.9, 0.1]  # query 0 ranked right (1), query 1 wrong (1/log2(3))
    qid = [0, 0, 1, 1]
    weight = [3.0, 3.0, 1.0, 1.0]
    expected = (3 * 1.0 + 1 * (1 / math.log2(3))) / 4
    assert ndcg_score(y, score, qid, weight=weight) == pytest.approx(expected)
    with pytest.raises(ValueError, match="weight differs within query 1"):
        ndcg_score(y, score, qid, weight=[1.0, 1.0, 1.0, 2.0])


def test_metric_names_and_errors():
    assert get_metric("ndcg@5").maximize and get_metric("map@10-").maximize
    assert get_metric("pre@3").name == "pre@3" and get_metric("ndcg@5-").name == "ndcg@5-"
    with pytest.raises(ValueError, match="must be >= 1"):
        get_metric("ndcg@0")
    no_queries = tb.Dataset(np.zeros((2, 1)), label=[0, 1])
    with pytest.raises(ValueError, match="needs query groups"):
        get_metric("ndcg")(no_queries.label, [0.1, 0.2], None, no_queries)
    grouped = tb.Dataset(np.zeros((2, 1)), label=[0, 2], qid=[0, 0])
    with pytest.raises(ValueError, match="binary relevance"):
        get_metric("map")(grouped.label, [0.1, 0.2], None, grouped)
    with pytest.raises(ValueError, match="labels <= 31"):
        ndcg_score([0, 40], [0.1, 0.2], [0, 0])


def test_ndcg_metric_reads_ndcg_exp_gain():
    y, score, qid = [2, 0, 1], [0.1, 0.3, 0.2], [0, 0, 0]
    data = tb.Dataset(np.zeros((3, 1)), label=y, qid=qid)
    linear = get_metric("ndcg", {"ndcg_exp_gain": False})(data.label, score, None, data)
    assert linear == pytest.approx(ndcg_score(y, score, qid, exp_gain=False))
    assert linear != pytest.approx(ndcg_score(y, score, qid))


@pytest.mark.parametrize("name", ["ndcg", "ndcg@3", "ndcg@3-", "map", "map@2", "pre@2"])
def test_metrics_match_xgboost(name):
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(9)
    sizes = [5, 9, 4, 12, 6]
    n = sum(sizes)
    y = rng.integers(0, 3, n).astype(np.float64)
    y[:5] = 0  # a query without relevant documents
    y = y if name.startswith("ndcg") else binary(y * 2)
    score = np.round(rng.normal(size=n), 1).astype(np.float32)  # with ties
    X = np.zeros((n, 1), dtype=np.float32)
    data = xgb.DMatrix(X, y, group=sizes, base_margin=score)
    booster = xgb.train({"eval_metric": name, "base_score": 0.0}, data, 0)
    expected = float(booster.eval(data).split(":")[-1])
    ours = tb.Dataset(X, label=y, group=sizes)
    assert get_metric(name)(ours.label, score, None, ours) == pytest.approx(expected, rel=1e-6)


# --- training end to end ---------------------------------------------------------------------
def ranking_data(seed=0, n_queries=40):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 30, n_queries)
    n = int(sizes.sum())
    X = rng.normal(size=(n, 5))
    latent = X[:, 0] + 0.5 * X[:, 1] ** 2 + 0.3 * rng.normal(size=n)
    y = np.digitize(latent, np.quantile(latent, [0.5, 0.75, 0.9])).astype(np.float64)
    qid = np.repeat(rng.permutation(n_queries) * 3, sizes)
    return X, y, qid


@pytest.mark.parametrize("name", OBJECTIVES)
@pytest.mark.parametrize("pair_method", ["topk", "mean"])
def test_interleaved_qid_trains_the_model_of_the_sorted_data(name, pair_method):
    X, y, qid = ranking_data()
    y = binary(y) if name == "rank:map" else y
    shuffle = np.random.default_rng(1).permutation(len(y))
    params = {"objective": name, "lambdarank_pair_method": pair_method, "max_depth": 3,
              "learning_rate": 0.3}  # fmt: skip
    interleaved = tb.train(params, tb.Dataset(X[shuffle], label=y[shuffle], qid=qid[shuffle]), 5)
    # The same rows sorted by query id, each query's rows in the same relative order.
    order = shuffle[np.argsort(qid[shuffle], kind="stable")]
    sorted_model = tb.train(params, tb.Dataset(X[order], label=y[order], qid=qid[order]), 5)
    np.testing.assert_array_equal(interleaved.predict(X), sorted_model.predict(X))


def test_training_improves_ndcg_and_early_stopping_keeps_the_best_round():
    X, y, qid = ranking_data(seed=2, n_queries=60)
    train = qid % 2 == 0
    dtrain = tb.Dataset(X[train], label=y[train], qid=qid[train])
    dvalid = tb.Dataset(X[~train], label=y[~train], qid=qid[~train])
    log: dict = {}
    booster = tb.train(
        {"objective": "rank:ndcg", "eval_metric": ["ndcg@5", "ndcg@5-"], "learning_rate": 0.3},
        dtrain, 200, evals=[(dtrain, "train"), (dvalid, "valid")], early_stopping_rounds=5,
        evals_result=log,
    )  # fmt: skip
    # Every query has a relevant document, so both conventions agree; the "-" one drives.
    assert log["valid"]["ndcg@5"] == log["valid"]["ndcg@5-"]
    scores = log["valid"]["ndcg@5-"]
    assert booster.best_iteration == int(np.argmax(scores))
    assert len(scores) == booster.best_iteration + 6 < 200
    assert log["train"]["ndcg@5"][-1] > log["train"]["ndcg@5"][0]
    assert max(scores) > ndcg_score(y[~train], np.zeros((~train).sum()), qid[~train], k=5)


def test_default_metric_is_logged():
    X, y, qid = ranking_data(n_queries=10)
    data = tb.Dataset(X, label=y, qid=qid)
    log: dict = {}
    tb.train({"objective": "rank:pairwise"}, data, 2, evals=[(data, "train")], evals_result=log)
    assert list(log["train"]) == ["ndcg@32"]


def test_shap_values_of_a_ranking_model_sum_to_its_scores():
    X, y, qid = ranking_data(n_queries=15)
    data = tb.Dataset(X, label=y, qid=qid)
    booster = tb.train({"objective": "rank:ndcg", "max_depth": 4}, data, 8)
    contribs = booster.predict(X, pred_contribs=True)
    np.testing.assert_allclose(contribs.sum(axis=1), booster.predict(X), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(booster.predict(X), booster.predict(X, output_margin=True))


@pytest.mark.parametrize("name", OBJECTIVES)
def test_model_file_round_trip(tmp_path, name):
    X, y, qid = ranking_data(n_queries=12)
    y = binary(y) if name == "rank:map" else y
    params = {"objective": name, "lambdarank_pair_method": "mean",
              "lambdarank_num_pair_per_sample": 2, "lambdarank_unbiased": True}  # fmt: skip
    booster = tb.train(params, tb.Dataset(X, label=y, qid=qid), 4)
    path = tmp_path / "rank.json"
    booster.save_model(path)
    loaded = tb.Booster.load_model(path)
    np.testing.assert_array_equal(loaded.predict(X), booster.predict(X))
    assert loaded.objective.name == name
    assert loaded.objective.default_metric == booster.objective.default_metric


# --- parity with XGBoost and LightGBM on LightGBM's lambdarank example --------------------------
def test_ndcg_at_10_matches_xgboost_and_lightgbm(shared_data):
    """100 rounds, learning rate 0.1, the same tree shapes: treeboost's test NDCG@10 is within
    1% of XGBoost's rank:ndcg, and as close to LightGBM's lambdarank as XGBoost's is (their
    gradients differ: LightGBM's sigmoid and truncation). Measured: depth 6 -- treeboost 0.7407,
    XGBoost 0.7407, LightGBM 0.7378; 31 leaves -- 0.7312, 0.7313, 0.7423."""
    xgb = pytest.importorskip("xgboost")
    lgb = pytest.importorskip("lightgbm")
    folder = shared_data / "lightgbm-examples" / "lambdarank"
    if not (folder / "rank.train").exists():
        pytest.skip(f"{folder} is absent")
    dtrain = tb.Dataset.from_libsvm(str(folder / "rank.train"))
    dtest = tb.Dataset.from_libsvm(str(folder / "rank.test"), reference=dtrain)
    X, y, group = dtrain.raw, dtrain.label, dtrain.group
    X_test, y_test, qid_test = dtest.raw, dtest.label, dtest.qid
    shapes = {
        "depthwise": ({"max_depth": 6}, {"num_leaves": 64, "max_depth": 6}),
        "lossguide": ({"grow_policy": "lossguide", "max_leaves": 31, "max_depth": 0},
                      {"num_leaves": 31}),
    }  # fmt: skip
    common = {"objective": "rank:ndcg", "learning_rate": 0.1, "min_child_weight": 1.0,
              "reg_lambda": 1.0}  # fmt: skip
    for shape, (tree, lgb_tree) in shapes.items():
        ours = tb.train({**common, **tree, "n_jobs": 2}, dtrain, 100)
        theirs = xgb.train(
            {**common, **tree, "tree_method": "hist", "max_bin": 256, "nthread": 2},
            xgb.DMatrix(X, y, group=group), 100,
        )  # fmt: skip
        # The equivalent regularization: a hessian floor of 1 and L2 of 1 per leaf, and no
        # limit on the rows per leaf (neither treeboost nor XGBoost has one).
        lgb_params = {"objective": "lambdarank", "learning_rate": 0.1, "max_bin": 255,
                      "min_sum_hessian_in_leaf": 1.0, "lambda_l2": 1.0, "min_data_in_leaf": 1,
                      "num_threads": 2, "verbose": -1, **lgb_tree}  # fmt: skip
        light = lgb.train(lgb_params, lgb.Dataset(X, y, group=group), 100)
        score = {
            lib: ndcg_score(y_test, prediction, qid_test, k=10)
            for lib, prediction in (
                ("treeboost", ours.predict(X_test)),
                ("xgboost", theirs.predict(xgb.DMatrix(X_test))),
                ("lightgbm", light.predict(X_test)),
            )
        }
        assert score["treeboost"] == pytest.approx(score["xgboost"], rel=0.01), (shape, score)
        gap_xgboost = abs(score["xgboost"] - score["lightgbm"]) / score["lightgbm"]
        gap_ours = abs(score["treeboost"] - score["lightgbm"]) / score["lightgbm"]
        assert gap_ours <= max(0.01, gap_xgboost + 0.002), (shape, score)


def test_cross_validated_ndcg_at_10_within_one_percent_of_lightgbm(shared_data):
    """The example's fixed test split holds 50 queries, on which NDCG@10 moves by 1-2% with a
    small change of any parameter (LightGBM: 0.742 at min_sum_hessian_in_leaf 1, 0.761 at 2).
    Over 5 folds of all 251 queries the libraries compare on five times the queries: measured
    (2 x 5 folds) depth 6 -- treeboost 0.7763, XGBoost 0.7759, LightGBM 0.7773; 31 leaves --
    0.7740, 0.7743, 0.7765."""
    lgb = pytest.importorskip("lightgbm")
    folder = shared_data / "lightgbm-examples" / "lambdarank"
    if not (folder / "rank.train").exists():
        pytest.skip(f"{folder} is absent")
    dtrain = tb.Dataset.from_libsvm(str(folder / "rank.train"))
    dtest = tb.Dataset.from_libsvm(str(folder / "rank.test"), reference=dtrain)
    X = np.vstack([dtrain.raw, dtest.raw])
    y = np.concatenate([dtrain.label, dtest.label])
    qid = np.concatenate([dtrain.qid, dtest.qid + dtrain.qid.max() + 1])
    folds = np.array_split(np.random.default_rng(0).permutation(np.unique(qid)), 5)
    shapes = {
        "depthwise": ({"max_depth": 6}, {"num_leaves": 64, "max_depth": 6}),
        "lossguide": ({"grow_policy": "lossguide", "max_leaves": 31, "max_depth": 0},
                      {"num_leaves": 31}),
    }  # fmt: skip
    for shape, (tree, lgb_tree) in shapes.items():
        scores = {"treeboost": [], "lightgbm": []}
        for fold in folds:
            test = np.isin(qid, fold)
            train = ~test  # rows stay in query order: LightGBM's group sizes fit them
            ours = tb.train(
                {"objective": "rank:ndcg", "learning_rate": 0.1, "min_child_weight": 1.0,
                 "reg_lambda": 1.0, "n_jobs": 2, **tree},
                tb.Dataset(X[train], label=y[train], qid=qid[train]), 100,
            )  # fmt: skip
            sizes = np.unique(qid[train], return_counts=True)[1]
            light = lgb.train(
                {"objective": "lambdarank", "learning_rate": 0.1, "max_bin": 255,
                 "min_sum_hessian_in_leaf": 1.0, "lambda_l2": 1.0, "min_data_in_leaf": 1,
                 "num_threads": 2, "verbose": -1, **lgb_tree},
                lgb.Dataset(X[train], y[train], group=sizes), 100,
            )  # fmt: skip
            for lib, model in (("treeboost", ours), ("lightgbm", light)):
                scores[lib].append(ndcg_score(y[test], model.predict(X[test]), qid[test], k=10))
        mean = {lib: float(np.mean(v)) for lib, v in scores.items()}
        assert mean["treeboost"] == pytest.approx(mean["lightgbm"], rel=0.01), (shape, mean)
