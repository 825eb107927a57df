"""Inductive Venn-ABERS predictors (Vovk and Petej 2014; Vovk, Petej and Fedorova 2015).

For a test score ``s``, ``p0`` is the value at ``s`` of the isotonic regression fitted to the
calibration pairs plus ``(s, 0)``, and ``p1`` the same with ``(s, 1)``. The true probability
lies, in the Venn sense, in ``[p0, p1]``; the single probability that minimises the worst-case
log loss is ``p1 / (1 - p0 + p1)``.

Computation. Isotonic regression is the slope of the greatest convex minorant of the cumulative
sum diagram (CSD) of the label sums against the weights. Adding one point at position ``i`` of
the sorted distinct calibration scores splits the CSD into the points left of it and the points
right of it shifted by ``(1, label)``; the fitted value at the new point is the slope of the
lower common tangent ("bridge") of the two lower hulls. The prefix and suffix hulls of every
position come from one monotone-chain pass each way, so fitting costs O(k * h^2) numpy work for
``k`` distinct scores and hulls of ``h`` vertices, and prediction is a binary search.
:func:`p0_p1_naive` refits the isotonic regression for every test score and is the test twin.
"""

from __future__ import annotations

import numpy as np

from ..metrics.checks import as_1d_float, check_same_length
from .isotonic import pool_adjacent_violators, tied_groups


def _cross(ox: float, oy: float, ax: float, ay: float, bx: float, by: float) -> float:
    return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox)


def _prefix_lower_hulls(x: list[float], y: list[float]) -> list[np.ndarray]:
    """For each i, the indices of the lower hull vertices of points 0..i (left to right)."""
    stack: list[int] = []
    hulls = []
    for i in range(len(x)):
        while (
            len(stack) >= 2
            and _cross(x[stack[-2]], y[stack[-2]], x[stack[-1]], y[stack[-1]], x[i], y[i]) <= 0
        ):
            stack.pop()
        stack.append(i)
        hulls.append(np.array(stack))
    return hulls


def _suffix_lower_hulls(x: list[float], y: list[float]) -> list[np.ndarray]:
    """For each i, the indices of the lower hull vertices of points i..end."""
    stack: list[int] = []
    hulls: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * len(x)
    for i in range(len(x) - 1, -1, -1):
        # Walking right to left, the lower hull turns clockwise.
        while (
            len(stack) >= 2
            and _cross(x[stack[-2]], y[stack[-2]], x[stack[-1]], y[stack[-1]], x[i], y[i]) >= 0
        ):
            stack.pop()
        stack.append(i)
        hulls[i] = np.array(stack)
    return hulls


def _bridge_slope(lx, ly, rx, ry) -> float:
    """Slope of the lower common tangent of x-separated point sets (all of L left of all of R):
    ``max over l of min over r`` of the slope from l to r."""
    slopes = (ry[None, :] - ly[:, None]) / (rx[None, :] - lx[:, None])
    return float(slopes.min(axis=1).max())


class VennAbers:
    """Inductive Venn-ABERS calibration of one binary score.

    ``fit(scores, labels)`` on a calibration set (labels 0/1); ``p0_p1(scores)`` gives the
    multiprobability pair and ``predict_proba(scores)`` the merged probability of class 1.
    """

    def fit(self, scores: np.ndarray, labels: np.ndarray) -> VennAbers:
        scores = as_1d_float("scores", scores)
        labels = as_1d_float("labels", labels)
        check_same_length(scores=scores, labels=labels)
        if scores.size == 0:
            raise ValueError("scores is empty; Venn-ABERS needs at least one calibration row")
        bad = np.flatnonzero((labels != 0) & (labels != 1))
        if bad.size:
            raise ValueError(f"labels[{bad[0]}] = {labels[bad[0]]}: labels must be 0 or 1")
        c, counts, positives = tied_groups(scores, labels)
        csd_x = np.r_[0.0, np.cumsum(counts)]
        csd_y = np.r_[0.0, np.cumsum(positives)]
        prefix = _prefix_lower_hulls(csd_x.tolist(), csd_y.tolist())
        suffix = _suffix_lower_hulls(csd_x.tolist(), csd_y.tolist())
        n_slots = c.shape[0] + 1
        p0 = np.empty(n_slots)
        p1 = np.empty(n_slots)
        for slot in range(n_slots):
            left, right = prefix[slot], suffix[slot]
            lx, ly = csd_x[left], csd_y[left]
            rx, ry = csd_x[right] + 1.0, csd_y[right]
            p0[slot] = _bridge_slope(lx, ly, rx, ry)
            p1[slot] = _bridge_slope(lx, ly, rx, ry + 1.0)
        self.scores_ = c
        self.p0_by_slot_ = p0
        self.p1_by_slot_ = p1
        return self

    def p0_p1(self, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "scores_"):
            raise ValueError("this VennAbers is not fitted yet; call fit(scores, labels) first")
        s = as_1d_float("scores", scores)
        # A test score tied with calibration scores: for p0 (label 0, the smallest label) the
        # new point may sit just after the tied group, for p1 just before it; both give the
        # isotonic fit of the tied data exactly.
        p0 = self.p0_by_slot_[np.searchsorted(self.scores_, s, side="right")]
        p1 = self.p1_by_slot_[np.searchsorted(self.scores_, s, side="left")]
        return p0, p1

    def predict_proba(self, scores: np.ndarray) -> np.ndarray:
        p0, p1 = self.p0_p1(scores)
        return merge_p0_p1(p0, p1)


def merge_p0_p1(p0: np.ndarray, p1: np.ndarray) -> np.ndarray:
    """The log-loss minimax merge ``p1 / (1 - p0 + p1)`` (Vovk and Petej 2014, eq. 4)."""
    return p1 / (1.0 - p0 + p1)


def merge_cross_p0_p1(p0: np.ndarray, p1: np.ndarray) -> np.ndarray:
    """Cross Venn-ABERS merge of per-fold pairs (arrays (n, n_folds)), with geometric means:
    ``GM(p1) / (GM(1 - p0) + GM(p1))`` (Vovk, Petej and Fedorova 2015, eq. 7)."""
    with np.errstate(divide="ignore"):
        gm_p1 = np.exp(np.mean(np.log(p1), axis=1))
        gm_not_p0 = np.exp(np.mean(np.log(1.0 - p0), axis=1))
    return gm_p1 / (gm_not_p0 + gm_p1)


def p0_p1_naive(
    cal_scores: np.ndarray, cal_labels: np.ndarray, test_scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Reference twin: refit the isotonic regression with each test point added, twice."""
    cal_scores = np.asarray(cal_scores, dtype=np.float64)
    cal_labels = np.asarray(cal_labels, dtype=np.float64)
    out = np.empty((2, len(test_scores)))
    for j, s in enumerate(np.asarray(test_scores, dtype=np.float64)):
        for label in (0, 1):
            x, weight, sum_y = tied_groups(np.r_[cal_scores, s], np.r_[cal_labels, label])
            fitted = pool_adjacent_violators(sum_y / weight, weight)
            out[label, j] = fitted[np.searchsorted(x, s)]
    return out[0], out[1]
