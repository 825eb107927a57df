"""The finite-sample conformal quantile and the ranks of CV+ / jackknife+ bounds.

Split conformal prediction is valid at level ``1 - alpha`` when the threshold is the
``ceil((n + 1) * (1 - alpha))``-th smallest of the ``n`` calibration scores (Vovk et al. 2005;
Lei et al. 2018, eq. 3). When that rank exceeds ``n`` the threshold is ``+inf``: too few
calibration rows to promise the level with anything finite.
"""

from __future__ import annotations

import math

import numpy as np

# (n + 1) * (1 - alpha) is an integer for many common (n, alpha) pairs but the float product can
# land a hair above it (e.g. 1000 * 0.9 = 900.0000000000001); ceil would then skip one rank and
# make every interval needlessly wide.
_RANK_TOLERANCE = 1e-9


def conformal_rank(n: int, alpha: float) -> int:
    """``ceil((n + 1) * (1 - alpha))``: the 1-based rank of the threshold among n scores."""
    return int(math.ceil((n + 1) * (1.0 - alpha) - _RANK_TOLERANCE))


def lower_rank(n: int, alpha: float) -> int:
    """``floor(alpha * (n + 1))``: 1-based rank of the lower end of a CV+/jackknife+ interval."""
    return int(math.floor(alpha * (n + 1) + _RANK_TOLERANCE))


def conformal_quantile(scores: np.ndarray, alpha: float) -> float:
    """The ``ceil((n + 1)(1 - alpha))``-th smallest of ``scores`` (``+inf`` beyond ``n``)."""
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    rank = conformal_rank(n, alpha)
    if rank > n:
        return math.inf
    return float(np.partition(scores, rank - 1)[rank - 1])


def kth_smallest_per_row(values: np.ndarray, rank: int) -> np.ndarray:
    """Row-wise ``rank``-th smallest (1-based) of a 2-d array; ``+inf`` when rank > n_columns,
    ``-inf`` when rank < 1."""
    n = values.shape[1]
    if rank > n:
        return np.full(values.shape[0], np.inf)
    if rank < 1:
        return np.full(values.shape[0], -np.inf)
    return np.partition(values, rank - 1, axis=1)[:, rank - 1]
