"""Regression objectives: squared error (one or several targets), robust losses, quantiles and
expectiles, and the log-link losses for counts and positive targets (Poisson, gamma, Tweedie)."""

from __future__ import annotations

import numpy as np

from ..kernels.objectives import (
    fill_absolute_error_gradients,
    fill_expectile_gradients,
    fill_gamma_gradients,
    fill_multi_squared_error_gradients,
    fill_poisson_gradients,
    fill_pseudo_huber_gradients,
    fill_quantile_gradients,
    fill_squared_error_gradients,
    fill_squared_log_error_gradients,
    fill_tweedie_gradients,
)
from .base import (
    HESSIAN_FLOOR,
    Objective,
    as_labels,
    as_margin,
    as_weight,
    check_gh_out,
    exact_sum,
    margin_rows,
    weights_or_ones,
)


def weighted_quantile(values: np.ndarray, weight: np.ndarray | None, alpha: float) -> float:
    """The ``alpha`` quantile of ``values``: linear interpolation between order statistics when
    unweighted (numpy's default), else the smallest value whose cumulative weight reaches
    ``alpha`` of the total. 0.0 for an empty input."""
    if values.shape[0] == 0:
        return 0.0
    if weight is None:
        return float(np.quantile(values, alpha))
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weight[order])
    total = cumulative[-1]
    if total <= 0:
        return float(np.quantile(values, alpha))
    position = int(np.searchsorted(cumulative, alpha * total, side="left"))
    return float(values[order[min(position, values.shape[0] - 1)]])


def _finite_base(name: str, objective: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"base_score must be finite for {objective}; got {value!r}")
    return value


class _ElementwiseRegression(Objective):
    """Single-output regression with the identity link unless a subclass says otherwise.

    Subclasses implement :meth:`_fill` (the gradient kernel call) and :meth:`_constant`
    (the best constant prediction, in prediction space, from labels and weights or None)."""

    is_multiclass = False
    log_link = False

    def __init__(self) -> None:
        super().__init__(n_outputs=1)

    def validate_labels(self, y: np.ndarray, weight: np.ndarray | None) -> None:
        as_labels(y, self.name)

    def init_margin(self, y: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
        y = as_labels(y, self.name)
        w = None if weight is None else weights_or_ones(weight, y.shape[0])
        return self.base_score_to_margin(self._constant(y, w))

    def base_score_to_margin(self, base_score: float) -> np.ndarray:
        value = _finite_base("base_score", self.name, base_score)
        if self.log_link:
            if value <= 0:
                raise ValueError(
                    f"base_score must be > 0 for {self.name} (log link); got {value!r}"
                )
            value = np.log(value)
        return np.array([value], dtype=np.float64)

    def gradient_hessian(self, y, margin, weight, gh_out, n_threads: int = 1) -> None:
        y = np.ascontiguousarray(y, dtype=np.float64)
        n = y.shape[0]
        check_gh_out(gh_out, n, self.n_outputs)
        self._fill(y, as_margin(margin, n, self.n_outputs), as_weight(weight, n), gh_out)

    def transform(self, margin: np.ndarray) -> np.ndarray:
        m = margin_rows(margin)[:, 0]
        return np.exp(m) if self.log_link else m.copy()

    def _constant(self, y: np.ndarray, w: np.ndarray) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _fill(self, y, margin, weight, gh_out) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def _weighted_mean(y: np.ndarray, w: np.ndarray | None) -> float:
    """The weighted mean, from exact sums (see :func:`exact_sum`): the same whatever the row
    order or however the rows are split and summed."""
    if w is None:
        return float(exact_sum(y) / y.size) if y.size else 0.0
    total = exact_sum(w)
    return float(exact_sum(w * y) / total) if total > 0 else 0.0


class SquaredErrorObjective(Objective):
    """``reg:squarederror``: loss 0.5 * (margin - y)**2, identity link.

    The gradient is ``margin - y`` and the hessian 1, each times the sample weight. With a 2-d
    label of k columns (``n_targets=k``) every column is its own output: one tree per column and
    round, predictions of shape (n, k).
    """

    name = "reg:squarederror"
    is_multiclass = False
    default_metric = "rmse"

    def __init__(self, n_targets: int = 1) -> None:
        super().__init__(n_outputs=max(1, int(n_targets)))

    def _labels(self, y: np.ndarray) -> np.ndarray:
        if self.n_outputs == 1:
            return as_labels(y, self.name)
        y = np.ascontiguousarray(y, dtype=np.float64)
        if y.ndim != 2 or y.shape[1] != self.n_outputs:
            raise ValueError(
                f"{self.name} with {self.n_outputs} targets needs a label of shape "
                f"(n_rows, {self.n_outputs}); got {y.shape}"
            )
        if y.size and not np.all(np.isfinite(y)):
            raise ValueError(f"{self.name} needs finite labels")
        return y

    def validate_labels(self, y: np.ndarray, weight: np.ndarray | None) -> None:
        """Accept any finite label of shape (n,) (or (n, k) for k targets)."""
        self._labels(y)

    def init_margin(self, y: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
        """Return the weighted mean label per target (0 when the weights sum to 0)."""
        y = self._labels(y)
        w = weights_or_ones(weight, y.shape[0])
        if self.n_outputs == 1:
            return np.array([_weighted_mean(y, w)], dtype=np.float64)
        return np.array([_weighted_mean(y[:, j], w) for j in range(self.n_outputs)])

    def base_score_to_margin(self, base_score: float) -> np.ndarray:
        """Return ``base_score`` for every target: the link is the identity."""
        value = _finite_base("base_score", self.name, base_score)
        return np.full(self.n_outputs, value, dtype=np.float64)

    def gradient_hessian(self, y, margin, weight, gh_out, n_threads: int = 1) -> None:
        """Write g = w * (margin - y) and h = w; see :class:`Objective`."""
        y = np.ascontiguousarray(y, dtype=np.float64)
        n = y.shape[0]
        check_gh_out(gh_out, n, self.n_outputs)
        m = as_margin(margin, n, self.n_outputs)
        if self.n_outputs == 1:
            fill_squared_error_gradients(y, m, as_weight(weight, n), gh_out)
        else:
            fill_multi_squared_error_gradients(y, m, as_weight(weight, n), gh_out)

    def transform(self, margin: np.ndarray) -> np.ndarray:
        """Return the margins as predictions: (n,) for one target, else (n, k)."""
        m = margin_rows(margin)
        return m[:, 0].copy() if self.n_outputs == 1 else m.copy()


class AbsoluteErrorObjective(_ElementwiseRegression):
    """``reg:absoluteerror``: loss |margin - y|. Trees are grown on the sign of the residual
    and each leaf is then set to the weighted median of its rows' residuals (times the
    learning rate), the exact minimiser of the loss in that leaf."""

    name = "reg:absoluteerror"
    default_metric = "mae"

    def leaf_refresh_alphas(self) -> np.ndarray:
        return np.array([0.5])

    def _constant(self, y, w):
        return weighted_quantile(y, w, 0.5)

    def _fill(self, y, margin, weight, gh_out):
        fill_absolute_error_gradients(y, margin, weight, gh_out)


class PseudoHuberObjective(_ElementwiseRegression):
    """``reg:pseudohubererror``: slope**2 * (sqrt(1 + (r / slope)**2) - 1), r = margin - y;
    quadratic near zero and linear beyond ``huber_slope``."""

    name = "reg:pseudohubererror"
    default_metric = "mphe"

    def __init__(self, huber_slope: float = 1.0) -> None:
        super().__init__()
        self.huber_slope = float(huber_slope)

    def _constant(self, y, w):
        return weighted_quantile(y, w, 0.5)

    def _fill(self, y, margin, weight, gh_out):
        fill_pseudo_huber_gradients(y, margin, weight, self.huber_slope, gh_out)


class SquaredLogErrorObjective(_ElementwiseRegression):
    """``reg:squaredlogerror``: 0.5 * (log1p(margin) - log1p(y))**2 for labels > -1."""

    name = "reg:squaredlogerror"
    default_metric = "rmsle"

    def validate_labels(self, y, weight):
        y = as_labels(y, self.name)
        if y.size and y.min() <= -1.0:
            raise ValueError(f"{self.name} needs labels > -1; got {float(y.min())!r}")

    def _constant(self, y, w):
        return float(np.expm1(_weighted_mean(np.log1p(y), w)))

    def _fill(self, y, margin, weight, gh_out):
        fill_squared_log_error_gradients(y, margin, weight, HESSIAN_FLOOR, gh_out)

    def transform(self, margin):
        return margin_rows(margin)[:, 0].copy()


def _check_levels(name: str, parameter: str, levels) -> np.ndarray:
    values = np.atleast_1d(np.asarray(levels, dtype=np.float64))
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{parameter} must be a number or a non-empty list; got {levels!r}")
    if not np.all((values > 0.0) & (values < 1.0)):
        raise ValueError(f"{parameter}={levels!r}: every level must lie in (0, 1)")
    if np.any(np.diff(values) <= 0):
        raise ValueError(f"{parameter}={levels!r} must be strictly increasing")
    return np.ascontiguousarray(values)


class QuantileObjective(Objective):
    """``reg:quantileerror``: the pinball loss at one or several levels ``quantile_alpha``.

    One output per level; trees are grown on the pinball subgradient and each leaf is set to the
    level's weighted quantile of its rows' residuals (times the learning rate). With several
    levels, :meth:`transform` sorts each row's quantiles (monotone rearrangement): the returned
    quantiles never cross, whatever the trees learned, and rearranging can only bring an
    estimate of a quantile function closer to the true one (Chernozhukov, Fernandez-Val and
    Galichon, 2010). ``output_margin=True`` returns the raw, unsorted outputs.
    """

    name = "reg:quantileerror"
    is_multiclass = False
    default_metric = "quantile"

    def __init__(self, quantile_alpha) -> None:
        if quantile_alpha is None:
            raise ValueError(
                "reg:quantileerror needs quantile_alpha: a level in (0, 1) or a list of them"
            )
        self.alphas = _check_levels(self.name, "quantile_alpha", quantile_alpha)
        super().__init__(n_outputs=self.alphas.shape[0])

    def leaf_refresh_alphas(self) -> np.ndarray:
        return self.alphas

    def validate_labels(self, y, weight):
        as_labels(y, self.name)

    def init_margin(self, y, weight):
        y = as_labels(y, self.name)
        w = None if weight is None else weights_or_ones(weight, y.shape[0])
        return np.array([weighted_quantile(y, w, a) for a in self.alphas], dtype=np.float64)

    def base_score_to_margin(self, base_score):
        value = _finite_base("base_score", self.name, base_score)
        return np.full(self.n_outputs, value, dtype=np.float64)

    def gradient_hessian(self, y, margin, weight, gh_out, n_threads: int = 1):
        y = np.ascontiguousarray(y, dtype=np.float64)
        n = y.shape[0]
        check_gh_out(gh_out, n, self.n_outputs)
        fill_quantile_gradients(
            y, as_margin(margin, n, self.n_outputs), as_weight(weight, n), self.alphas, gh_out
        )

    def transform(self, margin):
        m = margin_rows(margin)
        return m[:, 0].copy() if self.n_outputs == 1 else np.sort(m, axis=1)


def weighted_expectile(y: np.ndarray, w: np.ndarray, tau: float) -> float:
    """The ``tau`` expectile of ``y``: the root of sum w |tau - [y < e]| (y - e) = 0, found by
    the fixed-point iteration of asymmetric weighted means (it converges in a few steps)."""
    if y.shape[0] == 0:
        return 0.0
    e = _weighted_mean(y, w)
    for _ in range(100):
        c = np.where(y >= e, tau, 1.0 - tau) * w
        new = float(np.dot(c, y) / c.sum())
        if abs(new - e) <= 1e-12 * (1.0 + abs(e)):
            return new
        e = new
    return e


class ExpectileObjective(QuantileObjective):
    """``reg:expectileerror``: the asymmetric squared loss |tau - [y < margin]| (margin - y)**2
    at one or several levels ``expectile_alpha``; smooth, so ordinary Newton leaves are used.
    Several levels are sorted per row like quantiles."""

    name = "reg:expectileerror"
    default_metric = "expectile"

    def __init__(self, expectile_alpha) -> None:
        if expectile_alpha is None:
            raise ValueError(
                "reg:expectileerror needs expectile_alpha: a level in (0, 1) or a list of them"
            )
        self.alphas = _check_levels(self.name, "expectile_alpha", expectile_alpha)
        Objective.__init__(self, n_outputs=self.alphas.shape[0])

    def leaf_refresh_alphas(self):
        return None

    def init_margin(self, y, weight):
        y = as_labels(y, self.name)
        w = weights_or_ones(weight, y.shape[0])
        return np.array([weighted_expectile(y, w, t) for t in self.alphas], dtype=np.float64)

    def gradient_hessian(self, y, margin, weight, gh_out, n_threads: int = 1):
        y = np.ascontiguousarray(y, dtype=np.float64)
        n = y.shape[0]
        check_gh_out(gh_out, n, self.n_outputs)
        fill_expectile_gradients(
            y, as_margin(margin, n, self.n_outputs), as_weight(weight, n), self.alphas, gh_out
        )


class PoissonObjective(_ElementwiseRegression):
    """``count:poisson``: Poisson negative log likelihood, log link, labels >= 0.

    The hessian is damped by ``exp(max_delta_step)`` (default 0.7, as XGBoost), which keeps the
    first steps from overshooting when a leaf's counts are near zero."""

    name = "count:poisson"
    default_metric = "poisson-nloglik"
    log_link = True

    def __init__(self, max_delta_step: float | None = None) -> None:
        super().__init__()
        self.max_delta_step = 0.7 if max_delta_step is None else float(max_delta_step)

    def validate_labels(self, y, weight):
        y = as_labels(y, self.name)
        if y.size and y.min() < 0:
            raise ValueError(f"{self.name} needs labels >= 0; got {float(y.min())!r}")
        if y.size and y.max() <= 0:
            raise ValueError(f"{self.name} needs at least one positive label")

    def _constant(self, y, w):
        return max(_weighted_mean(y, w), 1e-6)

    def _fill(self, y, margin, weight, gh_out):
        fill_poisson_gradients(y, margin, weight, self.max_delta_step, gh_out)


class GammaObjective(_ElementwiseRegression):
    """``reg:gamma``: gamma deviance with a log link, labels > 0."""

    name = "reg:gamma"
    default_metric = "gamma-nloglik"
    log_link = True

    def validate_labels(self, y, weight):
        y = as_labels(y, self.name)
        if y.size and y.min() <= 0:
            raise ValueError(f"{self.name} needs labels > 0; got {float(y.min())!r}")

    def _constant(self, y, w):
        return _weighted_mean(y, w)

    def _fill(self, y, margin, weight, gh_out):
        fill_gamma_gradients(y, margin, weight, gh_out)


class TweedieObjective(_ElementwiseRegression):
    """``reg:tweedie``: Tweedie negative log likelihood with power ``tweedie_variance_power``
    in (1, 2) (compound Poisson-gamma: exact zeros and positive amounts), log link."""

    name = "reg:tweedie"
    log_link = True

    def __init__(self, tweedie_variance_power: float = 1.5) -> None:
        super().__init__()
        rho = float(tweedie_variance_power)
        if not 1.0 < rho < 2.0:
            raise ValueError(
                f"tweedie_variance_power={tweedie_variance_power!r} must lie in (1, 2)"
            )
        self.rho = rho
        self.default_metric = f"tweedie-nloglik@{rho:g}"

    def validate_labels(self, y, weight):
        y = as_labels(y, self.name)
        if y.size and y.min() < 0:
            raise ValueError(f"{self.name} needs labels >= 0; got {float(y.min())!r}")
        if y.size and y.max() <= 0:
            raise ValueError(f"{self.name} needs at least one positive label")

    def _constant(self, y, w):
        return max(_weighted_mean(y, w), 1e-6)

    def _fill(self, y, margin, weight, gh_out):
        fill_tweedie_gradients(y, margin, weight, self.rho, gh_out)
