"""Gradient and hessian kernels of the built-in objectives.

Every kernel compiles exactly one signature; the objective classes fix the dtypes before calling:

- ``y``: float64, shape (n,), C order
- ``margin``: float64, shape (n, k), C order
- ``weight``: float64, shape (n,), or shape (0,) meaning "every row has weight 1"
  (an empty array rather than ``None`` keeps one compiled signature)
- ``gh_out``: float32, shape (k, n, 2), C order; ``gh_out[j, i, 0]`` is the gradient and
  ``gh_out[j, i, 1]`` the hessian of output ``j`` at row ``i``

The arithmetic is done in float64 and only the result is rounded to float32. Every loop is
elementwise over rows, so the output does not depend on the number of threads.
"""

from __future__ import annotations

import numpy as np

from ._presets import njit_parallel, prange

# Rows per block in the softmax kernel: each block reuses one scratch vector of k probabilities
# instead of allocating per row. A constant, so the split never depends on the thread count.
SOFTMAX_BLOCK_ROWS = 1024


@njit_parallel
def fill_squared_error_gradients(y, margin, weight, gh_out):
    """Gradients of 0.5 * (margin - y)**2: g = w * (margin - y), h = w."""
    n = y.shape[0]
    weighted = weight.shape[0] > 0
    for i in prange(n):
        w = weight[i] if weighted else 1.0
        gh_out[0, i, 0] = w * (margin[i, 0] - y[i])
        gh_out[0, i, 1] = w


@njit_parallel
def fill_logistic_gradients(y, margin, weight, scale_pos_weight, hess_floor, gh_out):
    """Gradients of the logistic loss of ``y`` against ``sigmoid(margin)``.

    g = w' * (p - y), h = w' * max(p * (1 - p), hess_floor), where w' is the sample weight times
    ``scale_pos_weight`` on rows whose label is exactly 1.
    """
    n = y.shape[0]
    weighted = weight.shape[0] > 0
    for i in prange(n):
        w = weight[i] if weighted else 1.0
        if y[i] == 1.0:
            w *= scale_pos_weight
        m = margin[i, 0]
        # p and q = 1 - p both from e = exp(-|m|): 1 - p computed as a difference loses all its
        # digits once p rounds to 1 (margin above ~37), and the hessian would drop to zero.
        e = np.exp(-abs(m))
        inv = 1.0 / (1.0 + e)
        if m >= 0.0:
            p = inv
            q = e * inv
        else:
            p = e * inv
            q = inv
        gh_out[0, i, 0] = w * (p - y[i])
        gh_out[0, i, 1] = w * max(p * q, hess_floor)


@njit_parallel
def fill_softmax_gradients(y, margin, weight, hess_floor, gh_out):
    """Gradients of the softmax cross-entropy for integer class labels stored in ``y``.

    With p = softmax(margin row): g_k = w * (p_k - [y == k]), h_k = w * max(2 p_k (1 - p_k),
    hess_floor). The factor 2 on the diagonal hessian follows XGBoost's multi:softprob.
    """
    n = y.shape[0]
    k = margin.shape[1]
    n_blocks = (n + SOFTMAX_BLOCK_ROWS - 1) // SOFTMAX_BLOCK_ROWS
    for b in prange(n_blocks):
        prob = np.empty(k, dtype=np.float64)
        start = b * SOFTMAX_BLOCK_ROWS
        stop = min(start + SOFTMAX_BLOCK_ROWS, n)
        weighted = weight.shape[0] > 0
        for i in range(start, stop):
            # Subtracting the row maximum keeps exp() finite for margins of any size.
            row_max = margin[i, 0]
            for j in range(1, k):
                if margin[i, j] > row_max:
                    row_max = margin[i, j]
            total = 0.0
            for j in range(k):
                prob[j] = np.exp(margin[i, j] - row_max)
                total += prob[j]
            w = weight[i] if weighted else 1.0
            label = int(y[i])
            for j in range(k):
                p = prob[j] / total
                target = 1.0 if j == label else 0.0
                gh_out[j, i, 0] = w * (p - target)
                gh_out[j, i, 1] = w * max(2.0 * p * (1.0 - p), hess_floor)


@njit_parallel
def fill_absolute_error_gradients(y, margin, weight, gh_out):
    """Subgradient of |margin - y|: g = w * sign(margin - y), h = w (leaves are refreshed to the
    weighted median of the residuals afterwards, so the hessian only weighs rows)."""
    n = y.shape[0]
    weighted = weight.shape[0] > 0
    for i in prange(n):
        w = weight[i] if weighted else 1.0
        r = margin[i, 0] - y[i]
        g = 0.0
        if r > 0.0:
            g = 1.0
        elif r < 0.0:
            g = -1.0
        gh_out[0, i, 0] = w * g
        gh_out[0, i, 1] = w


@njit_parallel
def fill_quantile_gradients(y, margin, weight, alphas, gh_out):
    """Subgradient of the pinball loss at each level ``alphas[j]`` (one output per level):
    g = w * (1 - a) above the label, -w * a below it (0 on it), h = w."""
    n = y.shape[0]
    k = alphas.shape[0]
    weighted = weight.shape[0] > 0
    for i in prange(n):
        w = weight[i] if weighted else 1.0
        for j in range(k):
            r = margin[i, j] - y[i]
            g = 0.0
            if r > 0.0:
                g = 1.0 - alphas[j]
            elif r < 0.0:
                g = -alphas[j]
            gh_out[j, i, 0] = w * g
            gh_out[j, i, 1] = w


@njit_parallel
def fill_expectile_gradients(y, margin, weight, taus, gh_out):
    """Gradients of the asymmetric squared loss |tau - [y < margin]| * (margin - y)**2 at each
    level ``taus[j]``: g = 2 c w (margin - y), h = 2 c w with c = tau above the label's side."""
    n = y.shape[0]
    k = taus.shape[0]
    weighted = weight.shape[0] > 0
    for i in prange(n):
        w = weight[i] if weighted else 1.0
        for j in range(k):
            r = margin[i, j] - y[i]
            c = 1.0 - taus[j] if r > 0.0 else taus[j]
            gh_out[j, i, 0] = 2.0 * c * w * r
            gh_out[j, i, 1] = 2.0 * c * w


@njit_parallel
def fill_pseudo_huber_gradients(y, margin, weight, slope, gh_out):
    """Gradients of slope**2 * (sqrt(1 + ((margin - y) / slope)**2) - 1)."""
    n = y.shape[0]
    weighted = weight.shape[0] > 0
    for i in prange(n):
        w = weight[i] if weighted else 1.0
        r = margin[i, 0] - y[i]
        z = r / slope
        s = 1.0 + z * z
        root = np.sqrt(s)
        gh_out[0, i, 0] = w * r / root
        gh_out[0, i, 1] = w / (s * root)


@njit_parallel
def fill_squared_log_error_gradients(y, margin, weight, hess_floor, gh_out):
    """Gradients of 0.5 * (log1p(margin) - log1p(y))**2; margins are kept above -1 + 1e-6."""
    n = y.shape[0]
    weighted = weight.shape[0] > 0
    for i in prange(n):
        w = weight[i] if weighted else 1.0
        m = max(margin[i, 0], -1.0 + 1e-6)
        d = np.log1p(m) - np.log1p(y[i])
        inv = 1.0 / (m + 1.0)
        gh_out[0, i, 0] = w * d * inv
        gh_out[0, i, 1] = w * max((1.0 - d) * inv * inv, hess_floor)


@njit_parallel
def fill_poisson_gradients(y, margin, weight, max_delta_step, gh_out):
    """Gradients of the Poisson negative log likelihood with a log link: g = w (e^m - y),
    h = w e^(m + max_delta_step) (XGBoost's damped hessian, which keeps early steps small)."""
    n = y.shape[0]
    weighted = weight.shape[0] > 0
    for i in prange(n):
        w = weight[i] if weighted else 1.0
        e = np.exp(margin[i, 0])
        gh_out[0, i, 0] = w * (e - y[i])
        gh_out[0, i, 1] = w * e * np.exp(max_delta_step)


@njit_parallel
def fill_gamma_gradients(y, margin, weight, gh_out):
    """Gradients of the gamma deviance with a log link: g = w (1 - y e^-m), h = w y e^-m."""
    n = y.shape[0]
    weighted = weight.shape[0] > 0
    for i in prange(n):
        w = weight[i] if weighted else 1.0
        t = y[i] * np.exp(-margin[i, 0])
        gh_out[0, i, 0] = w * (1.0 - t)
        gh_out[0, i, 1] = w * t


@njit_parallel
def fill_tweedie_gradients(y, margin, weight, rho, gh_out):
    """Gradients of the Tweedie negative log likelihood (power ``rho`` in (1, 2)), log link."""
    n = y.shape[0]
    weighted = weight.shape[0] > 0
    for i in prange(n):
        w = weight[i] if weighted else 1.0
        m = margin[i, 0]
        a = np.exp((1.0 - rho) * m)
        b = np.exp((2.0 - rho) * m)
        gh_out[0, i, 0] = w * (-y[i] * a + b)
        gh_out[0, i, 1] = w * (-y[i] * (1.0 - rho) * a + (2.0 - rho) * b)


@njit_parallel
def fill_multi_squared_error_gradients(y, margin, weight, gh_out):
    """Squared error per output for a 2-d label ``y`` of shape (n, k)."""
    n = y.shape[0]
    k = y.shape[1]
    weighted = weight.shape[0] > 0
    for i in prange(n):
        w = weight[i] if weighted else 1.0
        for j in range(k):
            gh_out[j, i, 0] = w * (margin[i, j] - y[i, j])
            gh_out[j, i, 1] = w
