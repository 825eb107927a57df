"""Ranking metrics under XGBoost's names and definitions: ``ndcg``, ``map``, ``pre``.

Each query is scored on its documents ordered by descending prediction (ties keep row order, as
XGBoost's stable sort does), and the scores are averaged over queries, weighted by the query
weights. ``@k`` truncates the list at k; a trailing ``-`` (``ndcg-``, ``map@5-``) scores a query
with no relevant document 0 instead of 1.

Importing this module needs numpy only; the per-query loops are numba kernels
(:func:`treeboost.kernels.ranking.fill_query_scores`), loaded on the first call.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .base import Metric

__all__ = ["map_score", "ndcg_score", "precision_at_k"]

METRIC_NAMES: tuple[str, ...] = (
    "ndcg",
    "ndcg@k",
    "ndcg-",
    "map",
    "map@k",
    "map-",
    "pre",
    "pre@k",
)

# The exponential gain 2**label - 1 is defined for integer labels up to 31 (as in XGBoost,
# whose relevance degrees are 32-bit unsigned integers).
MAX_EXP_GAIN_LABEL = 31

_NAME = re.compile(r"^(ndcg|map|pre)(?:@(\d+))?(-?)$")


# -- argument checks shared with the ranking objectives ---------------------------------------
def check_relevance(y: np.ndarray, kind: str, what: str) -> None:
    """Raise ValueError unless ``y`` holds relevance labels of ``kind``.

    ``"graded"``: finite numbers >= 0. ``"exp_gain"``: integers 0..31 (the NDCG gain
    ``2**label - 1``). ``"binary"``: 0 or 1 (average precision and precision).
    """
    bad = ~np.isfinite(y) | (y < 0.0)
    if bad.any():
        raise ValueError(
            f"{what} needs relevance labels >= 0; got {float(y[bad][0])!r} "
            f"({int(bad.sum())} of {y.size} labels)"
        )
    if kind == "binary":
        bad = (y != 0.0) & (y != 1.0)
        if bad.any():
            raise ValueError(
                f"{what} needs binary relevance labels (0 or 1); got {float(y[bad][0])!r} "
                f"({int(bad.sum())} of {y.size} labels)"
            )
    elif kind == "exp_gain":
        bad = y != np.floor(y)
        if bad.any():
            raise ValueError(
                f"{what} with ndcg_exp_gain=True needs integer relevance labels (0, 1, 2, ...); "
                f"got {float(y[bad][0])!r}. Set ndcg_exp_gain=False to use the label as the gain"
            )
        bad = y > MAX_EXP_GAIN_LABEL
        if bad.any():
            raise ValueError(
                f"{what} with ndcg_exp_gain=True needs relevance labels <= "
                f"{MAX_EXP_GAIN_LABEL} (the gain is 2**label - 1); got {float(y[bad][0])!r}. "
                "Set ndcg_exp_gain=False to use the label as the gain"
            )


def query_weights(weight: Any, index: Any, name: str = "weight") -> np.ndarray | None:
    """Each query's weight from per-row weights that must be equal within every query.

    Parameters
    ----------
    weight : array-like of shape (n_rows,) or None
        Row weights; None means every query weighs 1.
    index : QueryIndex
        The queries (``rows``, ``ptr``).
    name : str
        How the weights are called in error messages.

    Returns
    -------
    ndarray of float64, shape (n_queries,), or None when ``weight`` is None
    """
    if weight is None:
        return None
    weight = np.asarray(weight, dtype=np.float64)
    n_rows = index.rows.shape[0]
    if weight.shape != (n_rows,):
        raise ValueError(f"{name} must have shape ({n_rows},); got {weight.shape}")
    bad = ~np.isfinite(weight) | (weight < 0.0)
    if bad.any():
        raise ValueError(f"{name} must be finite and >= 0; got {float(weight[bad][0])!r}")
    by_position = weight[index.rows]
    first = by_position[index.ptr[:-1]]
    differs = by_position != np.repeat(first, np.diff(index.ptr))
    if differs.any():
        position = int(np.flatnonzero(differs)[0])
        q = int(np.searchsorted(index.ptr, position, side="right") - 1)
        raise ValueError(
            f"{name} differs within query {int(index.ids[q])} ({float(first[q])} and "
            f"{float(by_position[position])}); ranking weighs whole queries: give every row of a "
            "query the same weight"
        )
    if first.size and not first.sum() > 0.0:
        raise ValueError(f"{name} sums to 0 over the queries; at least one must weigh > 0")
    return first


# -- the scores ---------------------------------------------------------------------------------
def _query_scores(
    family: str,
    y: Any,
    prediction: Any,
    index: Any,
    k: float,
    exp_gain: bool = True,
    empty_score: float = 1.0,
) -> np.ndarray:
    """Each query's score (float64, n_queries): documents ranked by descending prediction,
    ties in row order."""
    # The kernels load numba; importing this module does not.
    from ..kernels import ranking as kernels

    y = np.ascontiguousarray(y, dtype=np.float64)
    prediction = np.asarray(prediction, dtype=np.float64)
    if prediction.ndim == 2 and prediction.shape[1] == 1:
        prediction = prediction[:, 0]
    n_rows = index.rows.shape[0]
    if y.shape != (n_rows,) or prediction.shape != (n_rows,):
        raise ValueError(
            f"labels and predictions must have shape ({n_rows},), one per row of the "
            f"queries; got {y.shape} and {prediction.shape}"
        )
    if not np.all(np.isfinite(prediction)):
        raise ValueError("predictions must be finite to be ranked")
    kind = {"ndcg": kernels.NDCG, "map": kernels.MAP, "pre": kernels.PRECISION}[family]
    out = np.empty(index.n_queries, dtype=np.float64)
    kernels.fill_query_scores(
        kind,
        np.ascontiguousarray(index.rows, dtype=np.int32),
        np.ascontiguousarray(index.ptr, dtype=np.int64),
        y,
        np.ascontiguousarray(prediction),
        int(min(k, n_rows)),
        bool(exp_gain),
        float(empty_score),
        out,
    )
    return out


def _average(per_query: np.ndarray, weight: np.ndarray | None) -> float:
    """The weighted mean over queries, capped at 1 as XGBoost does."""
    if per_query.size == 0:
        return float("nan")
    w = np.ones_like(per_query) if weight is None else weight
    total = float(np.dot(per_query, w))
    sw = float(w.sum())
    return min(1.0, total / sw if sw > 0.0 else total)


def _top(k: int | None) -> float:
    if k is None:
        return np.inf
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise ValueError(f"k must be an integer >= 1 or None; got k={k!r}")
    return int(k)


def _check_empty_score(empty_score: float) -> float:
    if empty_score not in (0.0, 1.0):
        raise ValueError(f"empty_score must be 0 or 1; got {empty_score!r}")
    return float(empty_score)


def _index_from_qid(qid: Any, n_rows: int) -> Any:
    from ..data.queries import build_query_index, check_qid

    return build_query_index(check_qid(qid, n_rows))


def ndcg_score(
    y: Any,
    prediction: Any,
    qid: Any,
    k: int | None = None,
    exp_gain: bool = True,
    empty_score: float = 1.0,
    weight: Any = None,
) -> float:
    """Normalized discounted cumulative gain, averaged over queries (XGBoost's ``ndcg@k``).

    Each query's documents are ordered by descending prediction (ties keep row order);
    ``DCG@k = sum over the top k of gain(label) / log2(rank + 2)`` (rank from 0), and
    ``NDCG@k = DCG@k / IDCG@k``, the ideal DCG of the labels sorted in descending order.

    Parameters
    ----------
    y : array-like of shape (n_rows,)
        Relevance labels >= 0 (integers up to 31 with ``exp_gain``).
    prediction : array-like of shape (n_rows,)
        Scores; larger ranks higher.
    qid : array-like of int, shape (n_rows,)
        Query id of every row; a query's rows need not be adjacent.
    k : int, optional
        Truncation; None scores the whole list.
    exp_gain : bool, default=True
        Gain ``2**label - 1``; else the label itself.
    empty_score : {1.0, 0.0}, default=1.0
        Score of a query whose ideal DCG is 0 (no relevant document): XGBoost's ``ndcg`` gives
        1, ``ndcg-`` 0.
    weight : array-like of shape (n_rows,), optional
        Row weights, equal within each query: the query's weight in the average.

    Returns
    -------
    float

    Examples
    --------
    >>> ndcg_score([2, 0, 1], [0.1, 0.3, 0.2], qid=[0, 0, 0], exp_gain=False)
    0.6199...
    """
    y = np.asarray(y, dtype=np.float64)
    index = _index_from_qid(qid, y.shape[0])
    check_relevance(y, "exp_gain" if exp_gain else "graded", "ndcg")
    empty_score = _check_empty_score(empty_score)
    per_query = _query_scores("ndcg", y, prediction, index, _top(k), exp_gain, empty_score)
    return _average(per_query, query_weights(weight, index))


def map_score(
    y: Any,
    prediction: Any,
    qid: Any,
    k: int | None = None,
    empty_score: float = 1.0,
    weight: Any = None,
) -> float:
    """Mean average precision of binary relevance, over queries (XGBoost's ``map@k``).

    A query's average precision at k is the sum, over the relevant documents in the top k,
    of the precision at their rank, divided by ``min(number of relevant documents, k)``.

    Parameters
    ----------
    y : array-like of shape (n_rows,)
        Relevance labels, 0 or 1.
    prediction : array-like of shape (n_rows,)
        Scores; larger ranks higher (ties keep row order).
    qid : array-like of int, shape (n_rows,)
        Query id of every row.
    k : int, optional
        Truncation; None scores the whole list.
    empty_score : {1.0, 0.0}, default=1.0
        Score of a query with no relevant document (``map``: 1, ``map-``: 0).
    weight : array-like of shape (n_rows,), optional
        Row weights, equal within each query.

    Returns
    -------
    float

    Examples
    --------
    >>> map_score([1, 0, 1], [0.3, 0.2, 0.1], qid=[0, 0, 0])  # (1/1 + 2/3) / 2
    0.8333...
    """
    y = np.asarray(y, dtype=np.float64)
    index = _index_from_qid(qid, y.shape[0])
    check_relevance(y, "binary", "map")
    empty_score = _check_empty_score(empty_score)
    per_query = _query_scores("map", y, prediction, index, _top(k), empty_score=empty_score)
    return _average(per_query, query_weights(weight, index))


def precision_at_k(
    y: Any, prediction: Any, qid: Any, k: int | None = None, weight: Any = None
) -> float:
    """Precision of the top k documents of each query, averaged over queries (XGBoost's
    ``pre@k``).

    A query with fewer than k documents is scored on all of them (hits / its size); without
    ``k`` the precision is the share of relevant documents.

    Parameters
    ----------
    y : array-like of shape (n_rows,)
        Relevance labels, 0 or 1.
    prediction : array-like of shape (n_rows,)
        Scores; larger ranks higher (ties keep row order).
    qid : array-like of int, shape (n_rows,)
        Query id of every row.
    k : int, optional
        How many top documents count.
    weight : array-like of shape (n_rows,), optional
        Row weights, equal within each query.

    Returns
    -------
    float

    Examples
    --------
    >>> precision_at_k([1, 0, 1, 0], [0.4, 0.3, 0.2, 0.1], qid=[0, 0, 0, 0], k=2)
    0.5
    """
    y = np.asarray(y, dtype=np.float64)
    index = _index_from_qid(qid, y.shape[0])
    check_relevance(y, "binary", "pre")
    per_query = _query_scores("pre", y, prediction, index, _top(k))
    return _average(per_query, query_weights(weight, index))


# -- training metrics -----------------------------------------------------------------------
def _dataset_index(data: Any, name: str) -> Any:
    index = data.query_index() if hasattr(data, "query_index") else None
    if index is None:
        raise ValueError(
            f"metric {name!r} needs query groups: pass qid= or group= to the evaluation Dataset"
        )
    return index


def parse_metric(name: str, params: dict) -> Metric | None:
    """The metric called ``name`` if it is one of this family's, else None.

    ``ndcg``, ``map`` and ``pre``, each with an optional ``@k`` and an optional ``-`` suffix
    (``pre`` already scores a query without relevant documents 0, so its ``-`` changes
    nothing); ``ndcg`` reads ``params["ndcg_exp_gain"]`` (default True).
    """
    match = _NAME.match(name) if isinstance(name, str) else None
    if match is None:
        return None
    family, k_text, minus = match.groups()
    k = None if k_text is None else int(k_text)
    if k is not None and k < 1:
        raise ValueError(f"eval_metric={name!r}: the k of {family}@k must be >= 1")
    top = _top(k)
    empty = 0.0 if minus else 1.0
    exp_gain = params.get("ndcg_exp_gain")
    exp_gain = True if exp_gain is None else bool(exp_gain)

    def score(y: Any, prediction: Any, weight: Any, data: Any) -> float:
        index = _dataset_index(data, name)
        y = np.asarray(y, dtype=np.float64)
        if family == "ndcg":
            check_relevance(y, "exp_gain" if exp_gain else "graded", f"metric {name!r}")
        else:
            check_relevance(y, "binary", f"metric {name!r}")
        per_query = _query_scores(family, y, prediction, index, top, exp_gain, empty)
        return _average(per_query, query_weights(weight, index))

    return Metric(name, score, maximize=True, needs_data=True)
