"""Query groups of ranking data: per-row query ids, and the index that lists each query's rows.

Rows of one query need not be adjacent: a query is every row with the same id, in row order.
Group sizes (LightGBM's and XGBoost's ``group``) describe adjacent runs and become ids here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class QueryIndex:
    """Each query's rows: rows of query ``q`` are ``rows[ptr[q]:ptr[q + 1]]``, in row order.

    Attributes
    ----------
    rows : ndarray of int32, shape (n_rows,)
        Row numbers grouped by query (queries in increasing id order).
    ptr : ndarray of int64, shape (n_queries + 1,)
        Start of each query in ``rows``; ``ptr[-1] == n_rows``.
    ids : ndarray of int64, shape (n_queries,)
        The query id of each query.
    """

    rows: np.ndarray
    ptr: np.ndarray
    ids: np.ndarray

    @property
    def n_queries(self) -> int:
        return int(self.ids.shape[0])

    def sizes(self) -> np.ndarray:
        """Rows per query (int64)."""
        return np.diff(self.ptr)


def check_qid(qid: Any, n_rows: int) -> np.ndarray:
    """Per-row query ids as int64; integer-valued floats are accepted, anything else raises."""
    ids = np.asarray(qid)
    if ids.ndim == 2 and ids.shape[1] == 1:
        ids = ids[:, 0]
    if ids.ndim != 1 or ids.shape[0] != n_rows:
        raise ValueError(
            f"qid must have shape ({n_rows},), one query id per row; got shape {ids.shape}"
        )
    if ids.dtype.kind == "f":
        if not np.all(np.isfinite(ids)) or not np.all(ids == np.round(ids)):
            bad = int(np.flatnonzero(~np.isfinite(ids) | (ids != np.round(ids)))[0])
            raise ValueError(
                f"qid[{bad}] = {float(ids[bad])} is not an integer; query ids must be integers"
            )
        ids = ids.astype(np.int64)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"qid must hold integer query ids, got dtype {ids.dtype}")
    return np.ascontiguousarray(ids, dtype=np.int64)


def qid_from_group(sizes: np.ndarray) -> np.ndarray:
    """Query ids 0, 1, ... of adjacent groups with the given sizes."""
    return np.repeat(np.arange(sizes.shape[0], dtype=np.int64), sizes)


def build_query_index(qid: np.ndarray) -> QueryIndex:
    """Group the rows by query id (a stable sort: rows keep their order within a query)."""
    order = np.argsort(qid, kind="stable")
    sorted_ids = qid[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_ids[1:] != sorted_ids[:-1])))
    ptr = np.append(starts, qid.shape[0]).astype(np.int64)
    return QueryIndex(order.astype(np.int32), ptr, sorted_ids[starts].astype(np.int64))


def adjacent_group_sizes(qid: np.ndarray) -> np.ndarray | None:
    """Sizes of the runs of equal ids, when every query is one run; else None."""
    if qid.shape[0] == 0:
        return np.empty(0, dtype=np.int64)
    run_starts = np.flatnonzero(np.concatenate(([True], qid[1:] != qid[:-1])))
    if np.unique(qid[run_starts]).shape[0] != run_starts.shape[0]:
        return None
    return np.diff(np.append(run_starts, qid.shape[0])).astype(np.int64)


def check_whole_queries(qid: np.ndarray, rows: np.ndarray) -> None:
    """Raise ValueError unless ``rows`` takes every row of each query it touches."""
    taken = qid[rows]
    ids, counts = np.unique(taken, return_counts=True)
    all_ids, all_counts = np.unique(qid, return_counts=True)
    full = all_counts[np.searchsorted(all_ids, ids)]
    if np.unique(rows).shape[0] != rows.shape[0] or np.any(counts != full):
        bad = ids[np.flatnonzero(counts != full)] if np.any(counts != full) else ids[:1]
        raise ValueError(
            f"row_indices split a query group (query id {int(bad[0])}); a slice of a Dataset "
            "with queries must take every row of each query it keeps, once"
        )
