"""Best split of a node from its histogram: the regularized second-order gain.

Scores follow eq. 7 of the XGBoost paper (Chen & Guestrin, 2016), generalised to L1 and to a
clipped leaf weight: the loss reduction of a leaf with sums (G, H) at its best weight w is
``-(2 G w + (H + lambda) w^2 + 2 alpha |w|)``, which is ``T(G)^2 / (H + lambda)`` when w is not
clipped (T is the L1 soft threshold). The split gain is ``score(L) + score(R) - score(parent)``,
without the paper's factor 1/2, the way XGBoost reports gain and compares it with ``gamma``.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_inline, njit_masked, njit_parallel, njit_serial, prange

# Candidates whose gains differ by less than this relative amount are ties, and the first one
# (lowest feature, then lowest bin) wins. Gains that are equal in exact arithmetic differ in the
# last float32 digits depending on how gradients were rounded (a row of weight 3 versus three
# copies of the row), and that noise must not pick the split.
GAIN_TIE_TOLERANCE = 1e-6
# Feature groups of one split scan run in parallel (a constant: the scan's result and its
# order of work do not depend on the thread count).
SCAN_GROUPS = 8
# Below this many bins a scan runs on the calling thread: starting a parallel region costs a
# few microseconds, about what two threads save on ~1,000 bins (measured on 2 cores).
PARALLEL_SCAN_BINS = 1024


@njit_serial
def soft_threshold(g, alpha):
    if g > alpha:
        return g - alpha
    if g < -alpha:
        return g + alpha
    return 0.0


@njit_serial
def leaf_weight(sum_g, sum_h, reg_lambda, reg_alpha, max_delta_step):
    """Optimal leaf weight ``-T(G) / (H + lambda)``, clipped to ``max_delta_step`` when that is
    > 0."""
    denom = sum_h + reg_lambda
    if denom <= 0.0:
        return 0.0
    w = -soft_threshold(sum_g, reg_alpha) / denom
    if max_delta_step > 0.0:
        if w > max_delta_step:
            w = max_delta_step
        elif w < -max_delta_step:
            w = -max_delta_step
    return w


@njit_serial
def leaf_score(sum_g, sum_h, reg_lambda, reg_alpha, max_delta_step):
    """Twice the loss reduction of a leaf at its optimal weight."""
    denom = sum_h + reg_lambda
    if denom <= 0.0:
        return 0.0
    if max_delta_step <= 0.0:
        t = soft_threshold(sum_g, reg_alpha)
        return t * t / denom
    w = leaf_weight(sum_g, sum_h, reg_lambda, reg_alpha, max_delta_step)
    return -(2.0 * sum_g * w + denom * w * w + 2.0 * reg_alpha * abs(w))


@njit_serial
def _score(g, h, reg_lambda, reg_alpha, max_delta_step, plain):
    # ``plain`` (no L1, no clipping) is the common case: one division, no branches to predict.
    if plain:
        return g * g / (h + reg_lambda)
    return leaf_score(g, h, reg_lambda, reg_alpha, max_delta_step)


@njit_masked
def _boundary_gains(
    left_gs, left_hs, n, add_g, add_h, sum_g, sum_h, parent_score, reg_lambda, reg_alpha,
    max_delta_step, min_h, plain, gains,
):  # fmt: skip
    """``gains[i]`` of the split whose left side sums to ``left_*[i] + add_*`` (-inf where a
    side holds less than ``min_h``). The plain case has a loop of its own, with no branch in
    it, so that its divisions are vectorised."""
    if plain:
        for i in range(n):
            lg = left_gs[i] + add_g
            lh = left_hs[i] + add_h
            rg = sum_g - lg
            rh = sum_h - lh
            gain = lg * lg / (lh + reg_lambda) + rg * rg / (rh + reg_lambda) - parent_score
            gains[i] = gain if (lh >= min_h) & (rh >= min_h) else -np.inf
        return
    for i in range(n):
        lg = left_gs[i] + add_g
        lh = left_hs[i] + add_h
        rg = sum_g - lg
        rh = sum_h - lh
        gain = (
            leaf_score(lg, lh, reg_lambda, reg_alpha, max_delta_step)
            + leaf_score(rg, rh, reg_lambda, reg_alpha, max_delta_step)
            - parent_score
        )
        gains[i] = gain if (lh >= min_h) & (rh >= min_h) else -np.inf


@njit_inline
def _scan_feature(
    hist,
    off,
    n_bins,
    sum_g,
    sum_h,
    parent_score,
    reg_lambda,
    reg_alpha,
    max_delta_step,
    min_h,
    out,
    scratch,
):
    """Best split of one feature into ``out = (gain, split_bin, default_left, left_g, left_h)``;
    gain -inf when no candidate satisfies ``min_h`` on both sides.

    Candidates are taken in order (split bin ascending, missing values right before left) and
    the first one best within the tie tolerance wins. An empty bin repeats the previous
    boundary's sums, and so its gain, which cannot beat that boundary: the first pass keeps
    only boundaries after non-empty bins (small nodes leave most bins empty), without a
    branch; the second computes their gains in loops without branches (vectorised divisions);
    the third picks the winner. ``scratch`` holds at least 5 x ``n_bins`` values.
    """
    plain = reg_alpha == 0.0 and max_delta_step <= 0.0
    miss_g = hist[off, 0]
    miss_h = hist[off, 1]
    has_missing = miss_h != 0.0 or miss_g != 0.0
    left_gs = scratch[0]
    left_hs = scratch[1]
    bins = scratch[2]
    gains_right = scratch[3]  # missing values go right
    gains_left = scratch[4]  # missing values go left
    n_kept = 0
    acc_g = 0.0
    acc_h = 0.0
    # Splitting after the last value bin would leave the right side with missing values only.
    for t in range(1, n_bins - 1):
        g = hist[off + t, 0]
        h = hist[off + t, 1]
        acc_g += g
        acc_h += h
        left_gs[n_kept] = acc_g
        left_hs[n_kept] = acc_h
        bins[n_kept] = t
        n_kept += np.int64((t == 1) | (g != 0.0) | (h != 0.0))
    _boundary_gains(
        left_gs,
        left_hs,
        n_kept,
        0.0,
        0.0,
        sum_g,
        sum_h,
        parent_score,
        reg_lambda,
        reg_alpha,
        max_delta_step,
        min_h,
        plain,
        gains_right,
    )
    if has_missing:
        _boundary_gains(
            left_gs,
            left_hs,
            n_kept,
            miss_g,
            miss_h,
            sum_g,
            sum_h,
            parent_score,
            reg_lambda,
            reg_alpha,
            max_delta_step,
            min_h,
            plain,
            gains_left,
        )
    best_gain = -np.inf
    best = -1
    best_left = 0
    for i in range(n_kept):
        for missing_left in range(2 if has_missing else 1):
            gain = gains_left[i] if missing_left else gains_right[i]
            if gain == -np.inf:
                continue
            if best < 0 or gain > best_gain + GAIN_TIE_TOLERANCE * abs(best_gain):
                best_gain = gain
                best = i
                best_left = missing_left
    out[0] = best_gain
    if best >= 0:
        lg = left_gs[best] + (miss_g if best_left else 0.0)
        lh = left_hs[best] + (miss_h if best_left else 0.0)
        out[1] = bins[best]
        out[2] = 1.0 if best_left else (1.0 if (not has_missing and lh > sum_h - lh) else 0.0)
        out[3] = lg
        out[4] = lh


@njit_serial
def _best_of_features(per_feature, features):
    """The best row of ``per_feature`` (gain, bin, default_left, left_g, left_h), compared in
    feature order with the tie tolerance, as the tuple the split finders return."""
    best = -1
    for j in range(features.shape[0]):
        gain = per_feature[j, 0]
        if gain == -np.inf:
            continue
        if best < 0 or gain > per_feature[best, 0] + GAIN_TIE_TOLERANCE * abs(per_feature[best, 0]):
            best = j
    if best < 0:
        return -np.inf, -1, 0, False, 0.0, 0.0
    row = per_feature[best]
    return row[0], features[best], int(row[1]), row[2] != 0.0, row[3], row[4]


@njit_serial
def find_best_split(
    hist,
    features,
    bin_offsets,
    sum_g,
    sum_h,
    reg_lambda,
    reg_alpha,
    max_delta_step,
    min_child_weight,
):
    """Scan every value-bin boundary of the allowed ``features``, both ways for missing values.

    Returns ``(gain, feature, split_bin, default_left, left_g, left_h)``; ``feature == -1`` when
    no split satisfies ``min_child_weight`` on both sides. Bins ``1..split_bin`` go left; bin 0
    (missing) goes left iff ``default_left``. When the node has no missing values the default
    direction is the child with the larger hessian sum, where unseen missing values most
    plausibly belong.

    Each feature is scanned to its own best candidate, and the bests are then compared in
    feature order, so the answer does not depend on whether (or how) the features were
    scanned in parallel: in groups on several threads when there are enough bins to repay
    starting them, else on the calling thread.
    """
    per_feature = np.empty((features.shape[0], 5), dtype=np.float64)
    return find_best_split_each(hist, features, bin_offsets, sum_g, sum_h, reg_lambda, reg_alpha,
                                max_delta_step, min_child_weight, per_feature)  # fmt: skip


@njit_serial
def find_best_split_each(
    hist,
    features,
    bin_offsets,
    sum_g,
    sum_h,
    reg_lambda,
    reg_alpha,
    max_delta_step,
    min_child_weight,
    per_feature,
):
    """:func:`find_best_split`, leaving each feature's own best in ``per_feature[j]`` (gain,
    split bin, default left, left_g, left_h; gain -inf when feature ``j`` has no valid split)."""
    parent_score = leaf_score(sum_g, sum_h, reg_lambda, reg_alpha, max_delta_step)
    min_h = max(min_child_weight, 1e-300)
    n_features = features.shape[0]
    widest = 1
    total = 0
    for j in range(n_features):
        width = bin_offsets[features[j] + 1] - bin_offsets[features[j]]
        widest = max(widest, width)
        total += width
    if total < PARALLEL_SCAN_BINS:
        scratch = np.empty((5, widest), dtype=np.float64)
        _scan_features(hist, features, bin_offsets, 0, n_features, sum_g, sum_h,
                       parent_score, reg_lambda, reg_alpha, max_delta_step, min_h, per_feature,
                       scratch)  # fmt: skip
    else:
        _scan_features_parallel(hist, features, bin_offsets, widest, sum_g, sum_h,
                                parent_score, reg_lambda, reg_alpha, max_delta_step, min_h,
                                per_feature)  # fmt: skip
    return _best_of_features(per_feature, features)


@njit_serial
def _scan_features(
    hist, features, bin_offsets, lo, hi, sum_g, sum_h, parent_score, reg_lambda, reg_alpha,
    max_delta_step, min_h, per_feature, scratch,
):  # fmt: skip
    """Each of ``features[lo:hi]`` scanned to its best candidate, into ``per_feature``."""
    for j in range(lo, hi):
        f = features[j]
        _scan_feature(
            hist,
            bin_offsets[f],
            bin_offsets[f + 1] - bin_offsets[f],
            sum_g,
            sum_h,
            parent_score,
            reg_lambda,
            reg_alpha,
            max_delta_step,
            min_h,
            per_feature[j],
            scratch,
        )


@njit_parallel
def _scan_features_parallel(
    hist, features, bin_offsets, widest, sum_g, sum_h, parent_score, reg_lambda, reg_alpha,
    max_delta_step, min_h, per_feature,
):  # fmt: skip
    """:func:`_scan_features` over all features in a fixed number of groups run in parallel,
    each with its own scratch (one allocation per group, not per feature)."""
    n_features = features.shape[0]
    n_groups = min(n_features, SCAN_GROUPS)
    for c in prange(n_groups):
        scratch = np.empty((5, widest), dtype=np.float64)
        _scan_features(hist, features, bin_offsets, c * n_features // n_groups,
                       (c + 1) * n_features // n_groups, sum_g, sum_h, parent_score, reg_lambda,
                       reg_alpha, max_delta_step, min_h, per_feature, scratch)  # fmt: skip


@njit_inline
def _scan_feature_sequential(
    hist, off, n_bins, sum_g, sum_h, parent_score, reg_lambda, reg_alpha, max_delta_step, min_h, out
):
    """:func:`_scan_feature`'s result, one candidate after the other (the test twin)."""
    plain = reg_alpha == 0.0 and max_delta_step <= 0.0
    miss_g = hist[off, 0]
    miss_h = hist[off, 1]
    has_missing = miss_h != 0.0 or miss_g != 0.0
    best_gain = -np.inf
    found = False
    acc_g = 0.0
    acc_h = 0.0
    # Splitting after the last value bin would leave the right side with missing values only.
    for t in range(1, n_bins - 1):
        acc_g += hist[off + t, 0]
        acc_h += hist[off + t, 1]
        for missing_left in range(2 if has_missing else 1):
            lg = acc_g + (miss_g if missing_left else 0.0)
            lh = acc_h + (miss_h if missing_left else 0.0)
            rg = sum_g - lg
            rh = sum_h - lh
            if lh < min_h or rh < min_h:
                continue
            gain = (
                _score(lg, lh, reg_lambda, reg_alpha, max_delta_step, plain)
                + _score(rg, rh, reg_lambda, reg_alpha, max_delta_step, plain)
                - parent_score
            )
            if not found or gain > best_gain + GAIN_TIE_TOLERANCE * abs(best_gain):
                found = True
                best_gain = gain
                out[1] = t
                out[2] = 1.0 if missing_left else (1.0 if (not has_missing and lh > rh) else 0.0)
                out[3] = lg
                out[4] = lh
    out[0] = best_gain


@njit_serial
def find_best_split_sequential(
    hist,
    features,
    bin_offsets,
    sum_g,
    sum_h,
    reg_lambda,
    reg_alpha,
    max_delta_step,
    min_child_weight,
):
    """:func:`find_best_split` scanning each feature candidate by candidate: the slow,
    obviously-correct twin its tests compare against."""
    parent_score = leaf_score(sum_g, sum_h, reg_lambda, reg_alpha, max_delta_step)
    min_h = max(min_child_weight, 1e-300)
    n_features = features.shape[0]
    per_feature = np.empty((n_features, 5), dtype=np.float64)
    for j in range(n_features):
        f = features[j]
        _scan_feature_sequential(
            hist,
            bin_offsets[f],
            bin_offsets[f + 1] - bin_offsets[f],
            sum_g,
            sum_h,
            parent_score,
            reg_lambda,
            reg_alpha,
            max_delta_step,
            min_h,
            per_feature[j],
        )
    return _best_of_features(per_feature, features)


@njit_serial
def score_at_weight(sum_g, sum_h, w, reg_lambda, reg_alpha):
    """Twice the loss reduction of a leaf with sums (G, H) held at weight ``w``."""
    return -(2.0 * sum_g * w + (sum_h + reg_lambda) * w * w + 2.0 * reg_alpha * abs(w))


@njit_serial
def bounded_leaf_weight(sum_g, sum_h, reg_lambda, reg_alpha, max_delta_step, lower, upper):
    """The leaf weight of :func:`leaf_weight`, clipped into the node's bounds [lower, upper]."""
    w = leaf_weight(sum_g, sum_h, reg_lambda, reg_alpha, max_delta_step)
    if w < lower:
        return lower
    if w > upper:
        return upper
    return w


@njit_inline
def _scan_feature_bounded(
    hist,
    off,
    n_bins,
    sum_g,
    sum_h,
    parent_score,
    reg_lambda,
    reg_alpha,
    max_delta_step,
    min_h,
    direction,
    lower,
    upper,
    out,
):
    """:func:`_scan_feature` for a node with weight bounds and a monotone ``direction`` on this
    feature (+1 increasing, -1 decreasing, 0 free): child weights are clipped into the bounds,
    scored at the clipped weights, and a candidate whose weights go the wrong way is skipped."""
    miss_g = hist[off, 0]
    miss_h = hist[off, 1]
    has_missing = miss_h != 0.0 or miss_g != 0.0
    best_gain = -np.inf
    found = False
    acc_g = 0.0
    acc_h = 0.0
    for t in range(1, n_bins - 1):
        acc_g += hist[off + t, 0]
        acc_h += hist[off + t, 1]
        for missing_left in range(2 if has_missing else 1):
            lg = acc_g + (miss_g if missing_left else 0.0)
            lh = acc_h + (miss_h if missing_left else 0.0)
            rg = sum_g - lg
            rh = sum_h - lh
            if lh < min_h or rh < min_h:
                continue
            wl = bounded_leaf_weight(lg, lh, reg_lambda, reg_alpha, max_delta_step, lower, upper)
            wr = bounded_leaf_weight(rg, rh, reg_lambda, reg_alpha, max_delta_step, lower, upper)
            if (direction > 0 and wl > wr) or (direction < 0 and wl < wr):
                continue
            gain = (
                score_at_weight(lg, lh, wl, reg_lambda, reg_alpha)
                + score_at_weight(rg, rh, wr, reg_lambda, reg_alpha)
                - parent_score
            )
            if not found or gain > best_gain + GAIN_TIE_TOLERANCE * abs(best_gain):
                found = True
                best_gain = gain
                out[1] = t
                out[2] = 1.0 if missing_left else (1.0 if (not has_missing and lh > rh) else 0.0)
                out[3] = lg
                out[4] = lh
    out[0] = best_gain


@njit_parallel
def find_best_split_bounded(
    hist,
    features,
    bin_offsets,
    sum_g,
    sum_h,
    reg_lambda,
    reg_alpha,
    max_delta_step,
    min_child_weight,
    monotone,
    lower,
    upper,
):
    """:func:`find_best_split` under monotone constraints: ``monotone[f]`` is the direction of
    feature ``f`` and [lower, upper] the bounds the node's weights must stay in (XGBoost's
    scheme: a split on a constrained feature gives its children bounds meeting at the midpoint
    of their weights, so every leaf left of it is below every leaf right of it)."""
    w_parent = bounded_leaf_weight(
        sum_g, sum_h, reg_lambda, reg_alpha, max_delta_step, lower, upper
    )
    parent_score = score_at_weight(sum_g, sum_h, w_parent, reg_lambda, reg_alpha)
    min_h = max(min_child_weight, 1e-300)
    n_features = features.shape[0]
    per_feature = np.empty((n_features, 5), dtype=np.float64)
    for j in prange(n_features):
        f = features[j]
        _scan_feature_bounded(
            hist,
            bin_offsets[f],
            bin_offsets[f + 1] - bin_offsets[f],
            sum_g,
            sum_h,
            parent_score,
            reg_lambda,
            reg_alpha,
            max_delta_step,
            min_h,
            monotone[f],
            lower,
            upper,
            per_feature[j],
        )
    return _best_of_features(per_feature, features)
