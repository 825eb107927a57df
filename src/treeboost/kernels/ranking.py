"""LambdaMART gradients of the ranking objectives (``rank:ndcg``, ``rank:map``,
``rank:pairwise``) and the ranking metrics (NDCG, MAP, precision), one query at a time.

Arrays named ``*_pos`` are indexed by *position*: the rows of each query listed together, in the
order of :class:`~treeboost.data.queries.QueryIndex` (``rows[ptr[q]:ptr[q + 1]]`` are query
``q``'s rows, in row order). A query's *local* index of a row is its position minus
``ptr[q]``; its *rank* is where the current margins put it (0 = top; ties keep row order).

For a pair of documents with different labels, ``hi`` the more relevant and ``lo`` the other,
and ``d = s_hi - s_lo`` the difference of their scores (margins), the pair adds

    lambda = (sigmoid(d) - 1) * |dZ|,   hessian = 2 * max(sigmoid(d) (1 - sigmoid(d)), 1e-16) * |dZ|

to ``hi``'s gradient and hessian, and ``-lambda`` / the same hessian to ``lo``'s. ``|dZ|`` is the
change in the query's NDCG or average precision when the two documents swap ranks (1 for
``rank:pairwise``); with score normalization it is divided by ``|d| + 0.01`` (the pairs the
model already separates weigh less). ``lambda`` is the gradient of the pairwise logistic loss
``log(1 + exp(-d))`` weighted by ``|dZ|`` (Burges, "From RankNet to LambdaRank to LambdaMART",
2010); the hessian carries the factor 2 XGBoost uses.

Every query is computed by one thread from its own inputs, in a fixed pair order, so the result
does not depend on the number of threads.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_inline, njit_parallel, njit_serial, prange
from .sampling import TO_UNIT, WEYL, mix64

# Objective kinds and pair methods, as the kernel's integer arguments.
PAIRWISE = 0
NDCG = 1
MAP = 2
TOPK = 0
MEAN = 1

# Floor under the pair hessian and under the position-bias ratios that divide it.
_EPS = 1e-16

# The "mean" pair method's random stream: SplitMix64 (kernels/sampling.py) seeded per query from
# the round's seed, so the pairs do not depend on which thread draws them.


@njit_inline
def query_stream(seed, q):
    """The initial state of query ``q``'s random stream in a round seeded with ``seed``."""
    return mix64(seed + np.uint64(q) * WEYL)


@njit_inline
def draw_below(state, m):
    """Advance ``state``; return it and a draw uniform on 0 .. m - 1 (53 random bits)."""
    state = state + WEYL
    unit = np.float64(mix64(state) >> np.uint64(11)) * TO_UNIT
    return state, min(np.int64(unit * m), m - 1)


@njit_inline
def _delta_map(rank_a, rank_b, y_a, y_b, n_rel, acc):
    """|change in average precision| when the documents at ranks ``rank_a`` and ``rank_b`` swap.

    ``n_rel[r]`` counts the relevant documents at ranks 0..r, ``acc[r]`` sums rel / (rank + 1)
    over them. Only the relevant documents between the two ranks change their precision.
    """
    if rank_a > rank_b:
        rank_a, rank_b = rank_b, rank_a
        y_a, y_b = y_b, y_a
    n_total = n_rel[n_rel.shape[0] - 1]
    between = acc[rank_b - 1] - acc[rank_a]
    if y_a > y_b:  # the relevant document moves down to rank_b
        change = n_rel[rank_b] / (rank_b + 1.0) - n_rel[rank_a] / (rank_a + 1.0) - between
    else:  # the relevant document moves up to rank_a
        change = (n_rel[rank_a] + 1.0) / (rank_a + 1.0) - n_rel[rank_b] / (rank_b + 1.0) + between
    return abs(change) / n_total


@njit_inline
def _lambda_hessian(diff, delta):
    """The pair's lambda and hessian for the score gap ``diff = s_hi - s_lo``."""
    sig = 1.0 / (1.0 + np.exp(-diff))
    return (sig - 1.0) * delta, max(sig * (1.0 - sig), _EPS) * delta * 2.0


@njit_serial
def _debias(shown_hi, shown_lo, diff, delta, lam, hes, base, t_plus, t_minus, li_pos, lj_pos):
    """Unbiased LambdaMART (Hu et al., WWW 2019): divide the pair by the estimated chances that
    its relevant document was examined at its position (``t_plus``) and its irrelevant one at
    its own (``t_minus``); add the pair's cost to the sums that re-estimate them.

    The row order within a query is the position the documents were shown at (``shown_*``
    are local indices); only the first ``len(t_plus)`` positions are tracked.
    """
    n_positions = t_plus.shape[0]
    if shown_hi >= n_positions or shown_lo >= n_positions:
        return lam, hes
    # The pair's cost as XGBoost defines it, -log(1 - sigmoid(diff)) = log(1 + exp(diff)),
    # computed without overflow.
    softplus = diff + np.log1p(np.exp(-diff)) if diff > 0.0 else np.log1p(np.exp(diff))
    cost = softplus * delta
    if t_plus[shown_hi] >= _EPS and t_minus[shown_lo] >= _EPS:
        lam /= t_plus[shown_hi] * t_minus[shown_lo]
        hes /= t_plus[shown_hi] * t_minus[shown_lo]
    if t_minus[shown_lo] >= _EPS:
        li_pos[base + shown_hi] += cost / t_minus[shown_lo]  # eq. 30
    if t_plus[shown_hi] >= _EPS:
        lj_pos[base + shown_lo] += cost / t_plus[shown_hi]  # eq. 31
    return lam, hes


@njit_serial
def _query_gradients(
    q,
    kind,
    pair_method,
    n_pair,
    normalize,
    score_normalize,
    rows,
    ptr,
    label_pos,
    gain_pos,
    inv_idcg,
    label_order,
    discount,
    margin,
    query_weight,
    seed,
    t_plus,
    t_minus,
    li_pos,
    lj_pos,
    gh_out,
):
    base = ptr[q]
    cnt = ptr[q + 1] - base
    negated = np.empty(cnt, dtype=np.float64)
    for i in range(cnt):
        negated[i] = -margin[rows[base + i], 0]
        li_pos[base + i] = 0.0
        lj_pos[base + i] = 0.0
    # Rank by descending score; the stable sort keeps tied documents in row order.
    order = np.argsort(negated, kind="mergesort")
    # The pair loops read and write arrays in rank order, so the inner loop walks memory
    # sequentially.
    label = np.empty(cnt, dtype=np.float64)
    gain = np.empty(cnt, dtype=np.float64)
    score = np.empty(cnt, dtype=np.float64)
    for r in range(cnt):
        label[r] = label_pos[base + order[r]]
        gain[r] = gain_pos[base + order[r]]
        score[r] = -negated[order[r]]
    grad = np.zeros(cnt, dtype=np.float64)
    hess = np.zeros(cnt, dtype=np.float64)
    # Score normalization is skipped when every score is equal (the first round).
    score_normalize = score_normalize and cnt > 0 and score[0] != score[cnt - 1]
    unbiased = t_plus.shape[0] > 0
    n_rel = np.empty(0, dtype=np.float64)
    acc = np.empty(0, dtype=np.float64)
    if kind == MAP:
        n_rel = np.cumsum(label)
        acc = np.cumsum(label / np.arange(1.0, cnt + 1.0))
    idcg_q = inv_idcg[q] if kind == NDCG else 0.0

    # The pair arithmetic is written out in both loops below: a helper taking the arrays costs
    # three times as much per pair in the top-k loop, where nearly all the time goes.
    sum_lambda = 0.0
    if pair_method == TOPK:
        for rank_a in range(min(cnt, n_pair)):
            y_a = label[rank_a]
            grad_a = 0.0
            hess_a = 0.0
            for rank_b in range(rank_a + 1, cnt):
                y_b = label[rank_b]
                if y_a == y_b:
                    continue
                sign = 1.0 if y_a > y_b else -1.0
                if kind == NDCG:
                    gain_gap = gain[rank_a] - gain[rank_b]
                    delta = abs(gain_gap * (discount[rank_a] - discount[rank_b])) * idcg_q
                elif kind == MAP:
                    delta = _delta_map(rank_a, rank_b, y_a, y_b, n_rel, acc)
                else:
                    delta = 1.0
                diff = sign * (score[rank_a] - score[rank_b])
                if score_normalize:
                    delta /= abs(diff) + 0.01
                lam, hes = _lambda_hessian(diff, delta)
                if unbiased:
                    hi, lo = (rank_a, rank_b) if sign > 0.0 else (rank_b, rank_a)
                    lam, hes = _debias(
                        order[hi], order[lo], diff, delta, lam, hes, base, t_plus, t_minus,
                        li_pos, lj_pos,
                    )  # fmt: skip
                grad_a += sign * lam
                grad[rank_b] -= sign * lam
                hess_a += hes
                hess[rank_b] += hes
                sum_lambda -= 2.0 * lam
            grad[rank_a] += grad_a
            hess[rank_a] += hess_a
    else:
        rank_of = np.empty(cnt, dtype=np.int64)
        for r in range(cnt):
            rank_of[order[r]] = r
        state = query_stream(seed, q)
        start = 0
        while start < cnt:
            # The bucket [start, stop) of label_order holds the documents of one label; each
            # of them is paired with n_pair documents drawn from outside it.
            level = label_pos[base + label_order[base + start]]
            stop = start + 1
            while stop < cnt and label_pos[base + label_order[base + stop]] == level:
                stop += 1
            n_outside = cnt - (stop - start)
            for _ in range(n_pair if n_outside > 0 else 0):
                for t in range(start, stop):
                    state, r = draw_below(state, n_outside)
                    if r >= start:
                        r += stop - start
                    # Labels differ: the drawn document is outside the bucket.
                    rank_a = rank_of[label_order[base + t]]
                    rank_b = rank_of[label_order[base + r]]
                    y_a = label[rank_a]
                    y_b = label[rank_b]
                    sign = 1.0 if y_a > y_b else -1.0
                    if kind == NDCG:
                        gain_gap = gain[rank_a] - gain[rank_b]
                        delta = abs(gain_gap * (discount[rank_a] - discount[rank_b])) * idcg_q
                    elif kind == MAP:
                        delta = _delta_map(rank_a, rank_b, y_a, y_b, n_rel, acc)
                    else:
                        delta = 1.0
                    diff = sign * (score[rank_a] - score[rank_b])
                    if score_normalize:
                        delta /= abs(diff) + 0.01
                    lam, hes = _lambda_hessian(diff, delta)
                    if unbiased:
                        hi, lo = (rank_a, rank_b) if sign > 0.0 else (rank_b, rank_a)
                        lam, hes = _debias(
                            order[hi], order[lo], diff, delta, lam, hes, base, t_plus, t_minus,
                            li_pos, lj_pos,
                        )  # fmt: skip
                    grad[rank_a] += sign * lam
                    grad[rank_b] -= sign * lam
                    hess[rank_a] += hes
                    hess[rank_b] += hes
                    sum_lambda -= 2.0 * lam
            start = stop

    scale = query_weight[q]
    if normalize:
        if pair_method == MEAN:
            scale /= n_pair
        elif sum_lambda > 0.0:
            # Damp queries with many large lambdas (LightGBM's normalization, as in XGBoost).
            scale *= np.log2(1.0 + sum_lambda) / sum_lambda
    for r in range(cnt):
        row = rows[base + order[r]]
        gh_out[0, row, 0] = grad[r] * scale
        gh_out[0, row, 1] = hess[r] * scale


@njit_parallel
def fill_lambdarank_gradients(
    kind,
    pair_method,
    n_pair,
    normalize,
    score_normalize,
    rows,
    ptr,
    label_pos,
    gain_pos,
    inv_idcg,
    label_order,
    discount,
    margin,
    query_weight,
    seed,
    t_plus,
    t_minus,
    li_pos,
    lj_pos,
    gh_out,
):
    """Write every row's LambdaMART gradient and hessian into ``gh_out[0]``.

    Parameters
    ----------
    kind : int
        ``PAIRWISE``, ``NDCG`` or ``MAP``: the metric whose change weighs each pair.
    pair_method, n_pair : int
        ``TOPK``: every pair whose better-ranked document is among the top ``n_pair`` of the
        current ranking. ``MEAN``: for every document, ``n_pair`` documents of another label
        drawn uniformly (with replacement) from its query.
    normalize, score_normalize : bool
        Scale each query's lambdas (top-k: by ``log2(1 + S) / S``, S the sum of
        ``-2 lambda``; mean: by ``1 / n_pair``); divide each pair's ``|dZ|`` by the score gap.
    rows, ptr : int32 (n,), int64 (n_queries + 1,)
        The query index.
    label_pos, gain_pos : float64 (n,)
        Labels and NDCG gains by position.
    inv_idcg : float64 (n_queries,)
        1 / ideal DCG of each query (0 when it has no relevant document); read for NDCG.
    label_order : int32 (n,)
        Each query's local indices by descending label (stable); read by the mean method.
    discount : float64 (max query size,)
        ``1 / log2(rank + 2)``.
    margin : float64 (n, 1)
        Current scores.
    query_weight : float64 (n_queries,)
        Weight of each query's gradients.
    seed : uint64
        The round's seed of the mean method.
    t_plus, t_minus : float64 (n_positions,)
        Position-bias ratios of unbiased LambdaMART; empty arrays turn it off.
    li_pos, lj_pos : float64 (n,)
        Output with unbiased LambdaMART: each position's summed pair cost over ``t_minus`` /
        ``t_plus`` (zero elsewhere).
    gh_out : float32 (1, n, 2)
        Output.
    """
    n_queries = ptr.shape[0] - 1
    for q in prange(n_queries):
        _query_gradients(
            q, kind, pair_method, n_pair, normalize, score_normalize, rows, ptr, label_pos,
            gain_pos, inv_idcg, label_order, discount, margin, query_weight, seed, t_plus,
            t_minus, li_pos, lj_pos, gh_out,
        )  # fmt: skip


@njit_serial
def sum_by_position(ptr, values_pos, n_positions):
    """Sum ``values_pos`` over queries by local index, for local indices below ``n_positions``
    (queries in order, so the sums do not depend on threads)."""
    out = np.zeros(n_positions, dtype=np.float64)
    for q in range(ptr.shape[0] - 1):
        base = ptr[q]
        for i in range(min(ptr[q + 1] - base, n_positions)):
            out[i] += values_pos[base + i]
    return out


# -- ranking metrics ------------------------------------------------------------------------------
PRECISION = 3


@njit_parallel
def fill_query_scores(kind, rows, ptr, label, prediction, top_k, exp_gain, empty_score, out):
    """Score every query's ranking by ``prediction`` into ``out`` (float64, n_queries).

    ``kind``: ``NDCG`` (DCG of the top ``top_k`` over the ideal DCG of the labels; a query
    whose ideal DCG is 0 scores ``empty_score``), ``MAP`` (precision at each relevant
    document in the top ``top_k``, summed, over min(relevant documents, top_k); no relevant
    document: ``empty_score``) or ``PRECISION`` (relevant documents among the top
    min(top_k, size), over that number). Documents are ranked by descending prediction;
    tied documents keep row order. ``label`` and ``prediction`` are indexed by row.
    """
    for q in prange(ptr.shape[0] - 1):
        base = ptr[q]
        cnt = ptr[q + 1] - base
        negated = np.empty(cnt, dtype=np.float64)
        ranked = np.empty(cnt, dtype=np.float64)
        for i in range(cnt):
            negated[i] = -prediction[rows[base + i]]
        order = np.argsort(negated, kind="mergesort")
        for r in range(cnt):
            ranked[r] = label[rows[base + order[r]]]
        top = min(cnt, top_k)
        if kind == NDCG:
            ideal = -np.sort(-ranked)
            dcg = 0.0
            idcg = 0.0
            for r in range(top):
                discount = 1.0 / np.log2(r + 2.0)
                if exp_gain:
                    dcg += (2.0 ** ranked[r] - 1.0) * discount
                    idcg += (2.0 ** ideal[r] - 1.0) * discount
                else:
                    dcg += ranked[r] * discount
                    idcg += ideal[r] * discount
            out[q] = dcg / idcg if idcg > 0.0 else empty_score
        elif kind == MAP:
            hits = 0.0
            total = 0.0
            for r in range(cnt):
                if ranked[r] > 0.0:
                    hits += 1.0
                    if r < top:
                        total += hits / (r + 1.0)
            out[q] = total / min(hits, top_k) if hits > 0.0 else empty_score
        else:
            hits = 0.0
            for r in range(top):
                hits += ranked[r]
            out[q] = hits / top if top > 0 else 0.0
