"""Kernels of the survival losses and metrics: Cox partial likelihood, accelerated failure time
(AFT), and the concordance index.

Dtypes are fixed by the callers: times, bounds, margins and weights float64 (an empty weight
array means "every row has weight 1"), ``order`` int64, ``gh_out`` float32 (1, n, 2).

Cox risk sets are sums over every row still at risk, so the Cox kernels are one sequential pass
over the rows sorted by time; the AFT kernels are elementwise and run in parallel.

The AFT loss follows "Survival regression with accelerated failure time model in XGBoost"
(Barnwal, Cho, Hocking 2020): ln T = margin + sigma * Z, Z drawn from a standard normal,
logistic or (minimum) extreme-value distribution.
"""

from __future__ import annotations

import math

import numpy as np

from ._presets import njit_inline, njit_parallel, njit_serial, prange

# Distribution codes of the AFT kernels.
AFT_NORMAL = 0
AFT_LOGISTIC = 1
AFT_EXTREME = 2

# Censoring types of one AFT row.
_UNCENSORED = 0
_RIGHT = 1
_LEFT = 2
_INTERVAL = 3

# Range the AFT gradient and hessian are clipped to: far from the data a censored row's exact
# gradient grows without bound, and one such row would dominate a leaf (XGBoost's limits).
AFT_MIN_GRADIENT = -15.0
AFT_MAX_GRADIENT = 15.0
AFT_MIN_HESSIAN = 1e-16
AFT_MAX_HESSIAN = 15.0
# A likelihood (or its denominator) below this counts as zero: the loss is floored here, and a
# derivative whose denominator is this small and which came out infinite or NaN is replaced by
# its limit as the margin goes to +-inf.
AFT_EPS = 1e-12

_SQRT_2PI = math.sqrt(2.0 * math.pi)
_SQRT_2 = math.sqrt(2.0)


# -- standard densities of Z: pdf, cdf, and the first two derivatives of the pdf -------------
@njit_inline
def _pdf(z, dist):
    if dist == AFT_NORMAL:
        return math.exp(-0.5 * z * z) / _SQRT_2PI
    w = math.exp(z)
    if dist == AFT_LOGISTIC:
        if math.isinf(w) or math.isinf(w * w):
            return 0.0
        return w / ((1.0 + w) * (1.0 + w))
    if math.isinf(w):
        return 0.0
    return w * math.exp(-w)


@njit_inline
def _cdf(z, dist):
    if dist == AFT_NORMAL:
        return 0.5 * (1.0 + math.erf(z / _SQRT_2))
    w = math.exp(z)
    if dist == AFT_LOGISTIC:
        return 1.0 if math.isinf(w) else w / (1.0 + w)
    return 1.0 - math.exp(-w)


@njit_inline
def _grad_pdf(z, dist):
    if dist == AFT_NORMAL:
        return -z * _pdf(z, dist)
    w = math.exp(z)
    if math.isinf(w):
        return 0.0
    if dist == AFT_LOGISTIC:
        return _pdf(z, dist) * (1.0 - w) / (1.0 + w)
    return (1.0 - w) * _pdf(z, dist)


@njit_inline
def _hess_pdf(z, dist):
    if dist == AFT_NORMAL:
        return (z * z - 1.0) * _pdf(z, dist)
    w = math.exp(z)
    if math.isinf(w) or math.isinf(w * w):
        return 0.0
    if dist == AFT_LOGISTIC:
        return _pdf(z, dist) * (w * w - 4.0 * w + 1.0) / ((1.0 + w) * (1.0 + w))
    return (w * w - 3.0 * w + 1.0) * _pdf(z, dist)


# -- limits of the derivatives as the margin runs off to +-inf -------------------------------
# ``beyond`` is True when the (upper or lower) standardised time is above zero, i.e. the
# margin sits below the observed log time.
@njit_inline
def _gradient_limit(censoring, beyond, dist, sigma):
    if dist == AFT_NORMAL:
        low, high = AFT_MIN_GRADIENT, AFT_MAX_GRADIENT
    elif dist == AFT_LOGISTIC:
        low, high = -1.0 / sigma, 1.0 / sigma
    else:
        low, high = AFT_MIN_GRADIENT, 1.0 / sigma
    if censoring == _RIGHT:
        return low if beyond else 0.0
    if censoring == _LEFT:
        return 0.0 if beyond else high
    return low if beyond else high


@njit_inline
def _hessian_limit(censoring, beyond, dist, sigma):
    if dist == AFT_NORMAL:
        flat = 1.0 / (sigma * sigma)
        if censoring == _RIGHT:
            return flat if beyond else AFT_MIN_HESSIAN
        if censoring == _LEFT:
            return AFT_MIN_HESSIAN if beyond else flat
        return flat
    if dist == AFT_LOGISTIC:
        return AFT_MIN_HESSIAN
    if censoring == _LEFT:
        return AFT_MIN_HESSIAN
    return AFT_MAX_HESSIAN if beyond else AFT_MIN_HESSIAN


@njit_inline
def _clip(x, low, high):
    return low if x < low else (high if x > high else x)


@njit_inline
def aft_gradient_hessian_row(lower, upper, margin, dist, sigma):
    """Gradient and hessian of one row's AFT negative log likelihood w.r.t. its margin.

    Uncensored (lower == upper): the loss is -log f(z) + const with z = (ln t - margin) / sigma,
    so g = f'(z) / (sigma f(z)) and h = (f'(z)**2 - f(z) f''(z)) / (sigma f(z))**2. Censored:
    the loss is -log(F(z_u) - F(z_l)), so g = (f(z_u) - f(z_l)) / (sigma (F(z_u) - F(z_l))) and
    h = ((f_u - f_l)**2 - (F_u - F_l)(f'_u - f'_l)) / (sigma (F_u - F_l))**2, with F_u = 1 for
    an infinite upper bound (right-censored) and F_l = 0 for a zero lower bound (left-censored).
    """
    if lower == upper:
        censoring = _UNCENSORED
        z = (math.log(lower) - margin) / sigma
        pdf = _pdf(z, dist)
        grad_pdf = _grad_pdf(z, dist)
        g_num = grad_pdf
        g_den = sigma * pdf
        h_num = grad_pdf * grad_pdf - pdf * _hess_pdf(z, dist)
        h_den = sigma * sigma * pdf * pdf
        beyond = z > 0.0
    else:
        censoring = _INTERVAL
        z_u = 0.0
        z_l = 0.0
        if math.isinf(upper):
            censoring = _RIGHT
            pdf_u, cdf_u, grad_u = 0.0, 1.0, 0.0
        else:
            z_u = (math.log(upper) - margin) / sigma
            pdf_u, cdf_u, grad_u = _pdf(z_u, dist), _cdf(z_u, dist), _grad_pdf(z_u, dist)
        if lower <= 0.0:
            censoring = _LEFT
            pdf_l, cdf_l, grad_l = 0.0, 0.0, 0.0
        else:
            z_l = (math.log(lower) - margin) / sigma
            pdf_l, cdf_l, grad_l = _pdf(z_l, dist), _cdf(z_l, dist), _grad_pdf(z_l, dist)
        mass = cdf_u - cdf_l
        slope = pdf_u - pdf_l
        g_num = slope
        g_den = sigma * mass
        h_num = slope * slope - mass * (grad_u - grad_l)
        h_den = g_den * g_den
        beyond = z_u > 0.0 or z_l > 0.0
    # A zero denominator would raise inside a kernel; it is exactly the case the limits cover.
    if g_den == 0.0:
        g = _gradient_limit(censoring, beyond, dist, sigma)
    else:
        g = g_num / g_den
        if g_den < AFT_EPS and not math.isfinite(g):
            g = _gradient_limit(censoring, beyond, dist, sigma)
    if h_den == 0.0:
        h = _hessian_limit(censoring, beyond, dist, sigma)
    else:
        h = h_num / h_den
        if h_den < AFT_EPS and not math.isfinite(h):
            h = _hessian_limit(censoring, beyond, dist, sigma)
    g = _clip(g, AFT_MIN_GRADIENT, AFT_MAX_GRADIENT)
    h = _clip(h, AFT_MIN_HESSIAN, AFT_MAX_HESSIAN)
    return g, h


@njit_inline
def aft_loss_row(lower, upper, margin, dist, sigma):
    """One row's AFT negative log likelihood, its likelihood floored at ``AFT_EPS``.

    Uncensored rows use the density of T itself, f(z) / (sigma t), so the value is comparable
    across rows and with XGBoost's ``aft-nloglik``.
    """
    if lower == upper:
        z = (math.log(lower) - margin) / sigma
        return -math.log(max(_pdf(z, dist) / (sigma * lower), AFT_EPS))
    cdf_u = 1.0
    if not math.isinf(upper):
        cdf_u = _cdf((math.log(upper) - margin) / sigma, dist)
    cdf_l = 0.0
    if lower > 0.0:
        cdf_l = _cdf((math.log(lower) - margin) / sigma, dist)
    return -math.log(max(cdf_u - cdf_l, AFT_EPS))


@njit_parallel
def fill_aft_gradients(lower, upper, margin, weight, dist, sigma, gh_out):
    """Weighted AFT gradients and hessians of every row into ``gh_out[0]``."""
    n = lower.shape[0]
    weighted = weight.shape[0] > 0
    for i in prange(n):
        w = weight[i] if weighted else 1.0
        g, h = aft_gradient_hessian_row(lower[i], upper[i], margin[i, 0], dist, sigma)
        gh_out[0, i, 0] = w * g
        gh_out[0, i, 1] = w * h


@njit_parallel
def aft_loss_rows(lower, upper, margin, dist, sigma, out):
    """Each row's AFT negative log likelihood at ``margin`` (1-d) into ``out``."""
    n = lower.shape[0]
    for i in prange(n):
        out[i] = aft_loss_row(lower[i], upper[i], margin[i], dist, sigma)


# -- Cox proportional hazards -----------------------------------------------------------------
@njit_serial
def fill_cox_gradients(time, is_event, margin, weight, order, hess_floor, gh_out):
    """Gradients of the Cox negative log partial likelihood, Breslow's handling of ties.

    With e_k = w_k exp(margin_k), the risk set sum S(t) = sum of e_j over rows with
    time_j >= t, and A_k, B_k the sums of w_i / S(t_i) and w_i / S(t_i)**2 over the events i
    with t_i <= t_k (every event tied with row k included):
    g_k = e_k A_k - w_k d_k and h_k = e_k A_k - e_k**2 B_k, the exact diagonal of the Hessian.
    ``order`` sorts the rows by time; exp() is taken of margin - max(margin), which scales e, S,
    1 / A and 1 / sqrt(B) alike and leaves g and h unchanged.
    """
    n = time.shape[0]
    if n == 0:
        return
    weighted = weight.shape[0] > 0
    top = margin[0, 0]
    for i in range(1, n):
        top = max(top, margin[i, 0])
    scaled = np.empty(n, dtype=np.float64)  # e_k of the sorted rows
    risk = np.empty(n, dtype=np.float64)  # S(t) of each sorted row's time
    for p in range(n):
        row = order[p]
        w = weight[row] if weighted else 1.0
        scaled[p] = w * math.exp(margin[row, 0] - top)
    # Backward pass: the risk set of a time holds every row at that time or later.
    total = 0.0
    end = n
    while end > 0:
        start = end - 1
        t = time[order[start]]
        while start > 0 and time[order[start - 1]] == t:
            start -= 1
        for p in range(start, end):
            total += scaled[p]
        for p in range(start, end):
            risk[p] = total
        end = start
    # Forward pass: each row collects the events up to and including its own time.
    first = 0.0
    second = 0.0
    start = 0
    while start < n:
        t = time[order[start]]
        end = start + 1
        while end < n and time[order[end]] == t:
            end += 1
        events = 0.0
        for p in range(start, end):
            row = order[p]
            if is_event[row]:
                events += weight[row] if weighted else 1.0
        s = risk[start]
        # s is 0 only when every exp() in the risk set underflowed (margins more than ~745
        # below the largest); those rows then carry no share of the events.
        if events > 0.0 and s > 0.0:
            first += events / s
            second += events / (s * s)
        for p in range(start, end):
            row = order[p]
            w = weight[row] if weighted else 1.0
            e = scaled[p]
            d = w if is_event[row] else 0.0
            gh_out[0, row, 0] = e * first - d
            gh_out[0, row, 1] = max(e * first - e * e * second, w * hess_floor)
        start = end


@njit_serial
def cox_negative_log_likelihood(time, is_event, log_hazard_ratio, weight, order):
    """Weighted negative log partial likelihood (Breslow ties) over the weight of the events:
    the sum over events i of w_i (log S(t_i) - log hr_i), with S(t) the sum of w_j hr_j over
    rows with time_j >= t, divided by the sum of w_i over events. NaN without events.
    Hazard ratios enter as logs, exponentiated relative to their maximum so S stays finite."""
    n = time.shape[0]
    if n == 0:
        return math.nan
    weighted = weight.shape[0] > 0
    top = log_hazard_ratio[0]
    for i in range(1, n):
        top = max(top, log_hazard_ratio[i])
    total = 0.0
    loss = 0.0
    event_weight = 0.0
    end = n
    while end > 0:
        start = end - 1
        t = time[order[start]]
        while start > 0 and time[order[start - 1]] == t:
            start -= 1
        for p in range(start, end):
            row = order[p]
            total += (weight[row] if weighted else 1.0) * math.exp(log_hazard_ratio[row] - top)
        log_total = (math.log(total) if total > 0.0 else -math.inf) + top
        for p in range(start, end):
            row = order[p]
            if is_event[row]:
                w = weight[row] if weighted else 1.0
                loss += w * (log_total - log_hazard_ratio[row])
                event_weight += w
        end = start
    if event_weight == 0.0:
        return math.nan
    return loss / event_weight


# -- Harrell's concordance index ----------------------------------------------------------------
@njit_inline
def _fenwick_add(tree, position, value):
    i = position + 1
    while i < tree.shape[0]:
        tree[i] += value
        i += i & (-i)


@njit_inline
def _fenwick_prefix(tree, position):
    """Sum of the values at positions 0 .. position - 1."""
    total = 0.0
    i = position
    while i > 0:
        total += tree[i]
        i -= i & (-i)
    return total


@njit_serial
def concordance_counts(time, is_event, score_rank, weight, n_ranks):
    """Weighted concordant, tied and comparable pair counts of Harrell's c-index.

    The rows must be sorted by ``time`` ascending; ``score_rank`` is each row's risk score as
    its rank among the distinct scores (0 .. n_ranks - 1). A pair is comparable when the row
    with the earlier time has an event, or when both times are equal and only one row has an
    event (the event counts as earlier). It is concordant when that row has the higher risk,
    tied when the risks are equal. Pairs weigh w_i * w_j. Rows are visited from the latest time
    back, with a Fenwick tree over score ranks holding the weights of the later rows: O(n log n).
    """
    n = time.shape[0]
    weighted = weight.shape[0] > 0
    tree = np.zeros(n_ranks + 1, dtype=np.float64)
    stored = 0.0
    concordant = 0.0
    tied = 0.0
    pairs = 0.0
    end = n
    while end > 0:
        start = end - 1
        t = time[start]
        while start > 0 and time[start - 1] == t:
            start -= 1
        # Censored rows at this time are later than the events at this time.
        for p in range(start, end):
            if not is_event[p]:
                w = weight[p] if weighted else 1.0
                _fenwick_add(tree, score_rank[p], w)
                stored += w
        for p in range(start, end):
            if is_event[p]:
                w = weight[p] if weighted else 1.0
                below = _fenwick_prefix(tree, score_rank[p])
                equal = _fenwick_prefix(tree, score_rank[p] + 1) - below
                concordant += w * below
                tied += w * equal
                pairs += w * stored
        for p in range(start, end):
            if is_event[p]:
                w = weight[p] if weighted else 1.0
                _fenwick_add(tree, score_rank[p], w)
                stored += w
        end = start
    return concordant, tied, pairs
