"""The Objective interface the boosting loop is written against, and shared input checks."""

from __future__ import annotations

from abc import ABC, abstractmethod
from fractions import Fraction

import numpy as np

from ..kernels.exact import N_EXPONENTS, mantissa_sums

# Floor under the per-row hessian of the classification losses: a confident row would otherwise
# contribute exactly zero curvature, and a leaf made only of such rows would divide by zero.
HESSIAN_FLOOR = 1e-16

# The unweighted case is passed to kernels as an empty array, so each kernel has one signature.
_NO_WEIGHT = np.empty(0, dtype=np.float64)


def exact_sum(values: np.ndarray) -> Fraction:
    """The exact sum of finite float64 ``values`` (no rounding at all).

    Base margins are means of labels; summed exactly, they do not depend on the order of the
    rows, so data split across machines and summed per part gives the very same base margin as
    one array (kernels/exact.py sums the mantissas per exponent).
    """
    bits = np.ascontiguousarray(values, dtype=np.float64).ravel().view(np.int64)
    high = np.zeros(N_EXPONENTS, dtype=np.int64)
    low = np.zeros(N_EXPONENTS, dtype=np.int64)
    mantissa_sums(bits, high, low)
    total = Fraction(0)
    for e in np.flatnonzero((high != 0) | (low != 0)).tolist():
        whole = (int(high[e]) << 26) + int(low[e])
        total += Fraction(whole) * Fraction(2) ** (max(e, 1) - 1075)
    return total


class Objective(ABC):
    """A training loss: gradients and hessians, base margin, and the link to predictions.

    Margins ("raw predictions") live in float64 arrays of shape (n_rows, n_outputs); predictions
    are the margins mapped through the objective's link by :meth:`transform`.

    Attributes
    ----------
    name : str
        Objective name as the user spells it, e.g. ``"binary:logistic"``.
    is_multiclass : bool
        True when every row has one output per class.
    n_outputs : int
        Number of margins per row (one tree per output and round).
    default_metric : str
        Name of the metric evaluated when the user names none; ``""`` means no default.
    """

    name: str = ""
    is_multiclass: bool = False
    default_metric: str = ""

    def __init__(self, n_outputs: int = 1) -> None:
        self.n_outputs = int(n_outputs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, n_outputs={self.n_outputs})"

    def bind(self, data) -> None:
        """Read what the loss needs beyond labels and weights from the training Dataset.

        Called once by the training loop before :meth:`validate_labels`. Ranking losses read
        the query groups (``data.query_index()``), survival losses the censoring bounds
        (``data.label_lower_bound`` / ``data.label_upper_bound``); they raise ValueError naming
        what is missing. The default reads nothing.
        """
        return None

    def leaf_refresh_alphas(self) -> np.ndarray | None:
        """Levels at which each output's leaves are re-fitted after growth, or None.

        Losses without a useful hessian (absolute and pinball) grow trees on their subgradient
        and then set every leaf to the weighted ``alpha`` quantile of its rows' residuals
        ``y - margin`` (times the learning rate): one level per output.
        """
        return None

    def eval_transform(self, margin: np.ndarray) -> np.ndarray:
        """Predictions handed to evaluation metrics; the same as :meth:`transform` except where
        the prediction is a label or a raw score (``multi:softmax``, ``binary:logitraw``)."""
        return self.transform(margin)

    @abstractmethod
    def validate_labels(self, y: np.ndarray, weight: np.ndarray | None) -> None:
        """Raise ValueError when the labels cannot be trained on with this objective.

        Parameters
        ----------
        y : ndarray of shape (n_rows,)
            Labels.
        weight : ndarray of shape (n_rows,) or None
            Sample weights.
        """

    @abstractmethod
    def init_margin(self, y: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
        """Estimate the base margin from the labels.

        Parameters
        ----------
        y : ndarray of shape (n_rows,)
            Labels, already accepted by :meth:`validate_labels`.
        weight : ndarray of shape (n_rows,) or None
            Sample weights.

        Returns
        -------
        ndarray of shape (n_outputs,), float64
            The constant margin that best fits the labels, in margin space.
        """

    @abstractmethod
    def base_score_to_margin(self, base_score: float) -> np.ndarray:
        """Map a user ``base_score`` (prediction space) to a base margin.

        Parameters
        ----------
        base_score : float
            Base prediction, in the same space as :meth:`transform`'s output.

        Returns
        -------
        ndarray of shape (n_outputs,), float64
        """

    @abstractmethod
    def gradient_hessian(
        self,
        y: np.ndarray,
        margin: np.ndarray,
        weight: np.ndarray | None,
        gh_out: np.ndarray,
        n_threads: int = 1,
    ) -> None:
        """Write the weighted gradient and hessian of every row and output into ``gh_out``.

        Parameters
        ----------
        y : ndarray of shape (n_rows,)
            Labels.
        margin : ndarray of shape (n_rows, n_outputs), float64
            Current margins.
        weight : ndarray of shape (n_rows,) or None
            Sample weights; None means every row has weight 1.
        gh_out : ndarray of shape (n_outputs, n_rows, 2), float32, C order
            Output: ``gh_out[k, i, 0]`` the gradient, ``gh_out[k, i, 1]`` the hessian.
        n_threads : int, default=1
            Accepted for interface symmetry and not used: the caller sets numba's thread count,
            and the result is the same whatever it is.
        """

    @abstractmethod
    def transform(self, margin: np.ndarray) -> np.ndarray:
        """Map margins of shape (n_rows, n_outputs) to predictions.

        Parameters
        ----------
        margin : ndarray of shape (n_rows, n_outputs) or (n_rows,)
            Margins.

        Returns
        -------
        ndarray of shape (n_rows,) for single-output objectives, else (n_rows, n_outputs)
        """


def as_labels(y: np.ndarray, objective_name: str) -> np.ndarray:
    """Return ``y`` as a 1-d float64 C-ordered array, raising ValueError if it is not finite."""
    y = np.ascontiguousarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"{objective_name} needs a 1-d label; got shape {y.shape}")
    if y.size and not np.all(np.isfinite(y)):
        bad = float(y[~np.isfinite(y)][0])
        raise ValueError(f"{objective_name} needs finite labels; got {bad!r}")
    return y


def as_weight(weight: np.ndarray | None, n_rows: int) -> np.ndarray:
    """Return the weight as a float64 array for the kernels: empty when ``weight`` is None."""
    if weight is None:
        return _NO_WEIGHT
    weight = np.ascontiguousarray(weight, dtype=np.float64)
    if weight.shape != (n_rows,):
        raise ValueError(f"weight must have shape ({n_rows},); got {weight.shape}")
    return weight


def weights_or_ones(weight: np.ndarray | None, n_rows: int) -> np.ndarray:
    """Return the weight as a float64 array, all ones when ``weight`` is None."""
    if weight is None:
        return np.ones(n_rows, dtype=np.float64)
    return as_weight(weight, n_rows)


def as_margin(margin: np.ndarray, n_rows: int, n_outputs: int) -> np.ndarray:
    """Return ``margin`` as float64 C-ordered (n_rows, n_outputs); 1-d is accepted when k is 1."""
    margin = np.ascontiguousarray(margin, dtype=np.float64)
    if margin.ndim == 1 and n_outputs == 1 and margin.shape[0] == n_rows:
        return margin.reshape(n_rows, 1)
    if margin.shape != (n_rows, n_outputs):
        raise ValueError(f"margin must have shape ({n_rows}, {n_outputs}); got {margin.shape}")
    return margin


def check_gh_out(gh_out: np.ndarray, n_rows: int, n_outputs: int) -> None:
    """Raise ValueError unless ``gh_out`` is a writable float32 C-ordered (k, n, 2) array."""
    expected = (n_outputs, n_rows, 2)
    if (
        not isinstance(gh_out, np.ndarray)
        or gh_out.dtype != np.float32
        or gh_out.shape != expected
        or not gh_out.flags.c_contiguous
        or not gh_out.flags.writeable
    ):
        got = f"{gh_out.dtype} {gh_out.shape}" if isinstance(gh_out, np.ndarray) else type(gh_out)
        raise ValueError(
            f"gh_out must be a writable C-ordered float32 array of shape {expected}; got {got}"
        )


def margin_rows(margin: np.ndarray) -> np.ndarray:
    """View a (n,) or (n, k) margin as float64 (n, k) for :meth:`Objective.transform`."""
    margin = np.asarray(margin, dtype=np.float64)
    if margin.ndim == 1:
        return margin.reshape(-1, 1)
    if margin.ndim != 2:
        raise ValueError(f"margin must be 1-d or 2-d; got shape {margin.shape}")
    return margin
