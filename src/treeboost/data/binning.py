"""BinMapper: per-feature bin thresholds, fitted on a subsample, and the mapping of values to bins.

See the "Bins" convention of docs/architecture.md: bin 0 is missing (NaN), value bins are
``1..n_value_bins`` and value ``v`` of feature ``f`` goes to
``1 + searchsorted(bin_upper_bounds_[f], v, side="left")``, so bin ``t`` holds exactly the values
with ``bin_upper_bounds_[f][t-2] < v <= bin_upper_bounds_[f][t-1]``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..kernels.binning import build_search_index, map_to_bins
from .sparse import SparseBins, as_csr, is_sparse, sparse_value_groups

__all__ = ["BinMapper", "check_max_bin"]

# Rows per parallel task of the binning kernel: large enough to amortize scheduling, small enough
# that one chunk of a ~100-feature matrix stays in L2 cache.
_ROWS_PER_CHUNK = 4096


def check_max_bin(max_bin: Any) -> int:
    """Return ``max_bin`` as int if it is an integer in [2, 65536], else raise ValueError."""
    if (
        isinstance(max_bin, (bool, np.bool_))
        or not isinstance(max_bin, numbers.Integral)
        or not 2 <= max_bin <= 65536
    ):
        raise ValueError(
            f"max_bin must be an integer in [2, 65536] (it counts the missing-value bin), "
            f"got {max_bin!r}"
        )
    return int(max_bin)


def _check_int_at_least(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _as_float_matrix(X: Any) -> np.ndarray:
    matrix = np.asarray(X)
    if matrix.ndim != 2:
        raise ValueError(
            f"X must be 2-D (n_rows, n_features), got shape {matrix.shape}; "
            "for a single feature use X.reshape(-1, 1)"
        )
    if matrix.dtype not in (np.float32, np.float64):
        matrix = matrix.astype(np.float64)
    return matrix


def _midpoints(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Thresholds strictly between ``lower`` and ``upper`` where float64 allows, else ``lower``.

    Halving each term first cannot overflow; where the result does not land strictly inside
    (neighbouring floats, subnormals), ``lower`` itself is a valid bound:
    ``lower <= bound < upper``.
    """
    middle = 0.5 * lower + 0.5 * upper
    inside = (lower < middle) & (middle < upper)
    return np.where(inside, middle, lower)


def _fit_feature(column: np.ndarray, weight: np.ndarray | None, max_value_bins: int) -> np.ndarray:
    """Upper bounds (float64, strictly increasing) of one feature's value bins.

    ``column`` is a private contiguous copy: it is sorted in place.
    """
    if weight is None:
        # Sorting in the input dtype (float32 sorts faster); NaN sorts to the end.
        column.sort()
        values = column[: np.searchsorted(column, np.nan, side="left")]
        mass = None
    else:
        # A zero-weight row must not shape the bins: weighting a row by 0 equals removing it.
        valid = ~np.isnan(column) & (weight > 0)
        values = column[valid]
        order = np.argsort(values)
        values = values[order]
        mass = weight[valid][order]
    if values.size == 0:
        return np.empty(0, dtype=np.float64)

    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    distinct = values[starts].astype(np.float64)
    if distinct.size <= max_value_bins:
        return _midpoints(distinct[:-1], distinct[1:])
    if mass is None:
        cumulative = np.append(starts[1:], values.size).astype(np.float64)
    else:
        cumulative = np.cumsum(np.add.reduceat(mass, starts))
    return _bounds_from_distinct(distinct, cumulative, max_value_bins)


def _bounds_from_distinct(
    distinct: np.ndarray, cumulative: np.ndarray, max_value_bins: int
) -> np.ndarray:
    """Upper bounds for ascending ``distinct`` values whose cumulative mass is ``cumulative``."""
    if distinct.size <= max_value_bins:
        return _midpoints(distinct[:-1], distinct[1:])
    total = cumulative[-1]
    # Cut after the distinct value where each quantile level is reached; a value heavier than a
    # quantile step reaches several levels at once, hence the deduplication.
    levels = total * (np.arange(1, max_value_bins) / max_value_bins)
    cut_after = np.unique(np.searchsorted(cumulative, levels, side="left"))
    cut_after = cut_after[cut_after < distinct.size - 1]
    return _midpoints(distinct[cut_after], distinct[cut_after + 1])


def _fit_sparse(csr: Any, weight: np.ndarray | None, max_value_bins: int) -> list[np.ndarray]:
    """:func:`_fit_feature` for every feature of a sparse matrix (absent entries are 0.0), with
    the midpoint bounds of features that have few distinct values computed all at once."""
    n_features = csr.shape[1]
    feature, values, mass = sparse_value_groups(csr, weight)
    n_distinct = np.bincount(feature, minlength=n_features)
    ends = np.cumsum(n_distinct)
    # Midpoints between consecutive distinct values of the same feature.
    same = feature[1:] == feature[:-1]
    mids = _midpoints(values[:-1][same], values[1:][same])
    bounds = np.split(mids, np.cumsum(np.maximum(n_distinct - 1, 0))[:-1])
    for f in np.flatnonzero(n_distinct > max_value_bins):
        lo, hi = ends[f] - n_distinct[f], ends[f]
        bounds[f] = _bounds_from_distinct(values[lo:hi], np.cumsum(mass[lo:hi]), max_value_bins)
    return bounds


class BinMapper:
    """Find per-feature bin thresholds and map raw values to bin indices.

    Parameters
    ----------
    max_bin : int, default=256
        Maximum number of bins per feature, counting the missing-value bin 0, so a feature gets at
        most ``max_bin - 1`` value bins. Up to 256 the binned matrix is uint8, above it uint16.
    subsample : int, default=200_000
        Number of rows, drawn without replacement, used to find the thresholds.
    random_state : int, default=0
        Seed of the row subsample.

    Attributes
    ----------
    n_features_ : int
        Number of features seen by :meth:`fit`.
    bin_upper_bounds_ : list of ndarray of float64
        Per feature, the strictly increasing upper bounds of its value bins, of length
        ``n_value_bins - 1`` (the last value bin is unbounded above).
    n_bins_ : ndarray of int32, shape (n_features,)
        Bins per feature including the missing bin: ``1 + n_value_bins``.
    bin_offsets_ : ndarray of int64, shape (n_features + 1,)
        Cumulative sum of ``n_bins_`` starting at 0: feature ``f`` owns the bins
        ``bin_offsets_[f]:bin_offsets_[f + 1]`` of a concatenated histogram.
    dtype_ : numpy dtype class
        ``np.uint8`` if ``max_bin <= 256`` else ``np.uint16``.
    """

    def __init__(self, max_bin: int = 256, subsample: int = 200_000, random_state: int = 0):
        self.max_bin = check_max_bin(max_bin)
        self.subsample = _check_int_at_least(subsample, "subsample", 1)
        self.random_state = _check_int_at_least(random_state, "random_state", 0)

    def fit(self, X: Any, sample_weight: Any = None, n_categories: Any = None) -> BinMapper:
        """Find the bin thresholds of every feature of ``X``.

        Parameters
        ----------
        X : ndarray of float32 or float64, or scipy.sparse matrix, shape (n_rows, n_features)
            Raw features; NaN is missing; a sparse matrix's absent entries are 0.
        sample_weight : array-like of shape (n_rows,), optional
            Non-negative row weights for the quantiles (validated by :class:`Dataset`). Rows of
            weight 0 are left out, exactly as if they were removed.
        n_categories : sequence of int, optional
            Per feature, its number of categories (0 = numeric). A categorical feature's values
            are codes 0..k-1 and get one bin each, ``1 + code``, whatever ``max_bin`` is.

        Returns
        -------
        self : BinMapper
        """
        sparse = is_sparse(X)
        matrix = as_csr(X) if sparse else _as_float_matrix(X)
        n_rows = matrix.shape[0]
        weight = None
        if sample_weight is not None:
            weight = np.asarray(sample_weight, dtype=np.float64)
            if weight.shape != (n_rows,):
                raise ValueError(
                    f"sample_weight must have shape ({n_rows},), got shape {weight.shape}"
                )
        rows = None
        if n_rows > self.subsample:
            rng = np.random.default_rng(self.random_state)
            # Sorted indices read the matrix front to back, which is much faster than random order.
            rows = np.sort(rng.choice(n_rows, size=self.subsample, replace=False))
            weight = None if weight is None else weight[rows]
        if sparse:
            if n_categories is not None and any(n_categories):
                raise ValueError("categorical features need dense or table input, not sparse")
            sample = matrix if rows is None else matrix[rows]
            self._set_bounds(_fit_sparse(sample, weight, self.max_bin - 1))
            return self
        bounds = []
        sizes = [0] * matrix.shape[1] if n_categories is None else list(n_categories)
        for feature in range(matrix.shape[1]):
            if sizes[feature]:
                # Bounds between consecutive integer codes: code c lands in bin 1 + c.
                bounds.append(np.arange(max(sizes[feature] - 1, 0), dtype=np.float64) + 0.5)
                continue
            # One contiguous copy per column (gathering the subsample rows directly), sorted
            # in place by _fit_feature.
            if rows is None:
                column = np.array(matrix[:, feature])
            else:
                column = matrix[rows, feature]
            bounds.append(_fit_feature(column, weight, self.max_bin - 1))
        self._set_bounds(bounds)
        return self

    def _set_bounds(self, bounds: list[np.ndarray]) -> None:
        self.n_features_ = len(bounds)
        self.bin_upper_bounds_ = bounds
        self.n_bins_ = np.array([2 + b.size for b in bounds], dtype=np.int32)
        self.bin_offsets_ = np.concatenate(([0], np.cumsum(self.n_bins_, dtype=np.int64)))
        wide = self.max_bin > 256 or (self.n_bins_.size and int(self.n_bins_.max()) > 256)
        self.dtype_ = np.uint16 if wide else np.uint8
        # The kernel's view of the same bounds (flat arrays plus a bucket lookup table).
        self._search_index = build_search_index(bounds)

    def _check_fitted(self) -> None:
        if not hasattr(self, "bin_upper_bounds_"):
            raise RuntimeError("this BinMapper is not fitted yet; call fit(X) first")

    def transform(self, X: Any) -> np.ndarray:
        """Map raw values to bins: NaN to 0, ``v`` to ``1 + searchsorted(ub, v, side="left")``.

        Parameters
        ----------
        X : ndarray of float32 or float64, or scipy.sparse matrix, shape (n_rows, n_features_)
            C or F ordered arrays are not copied.

        Returns
        -------
        binned : ndarray of ``dtype_``, shape (n_rows, n_features_), C-contiguous
            or, for sparse ``X``, a :class:`SparseBins` (absent entries in each zero bin).
        """
        self._check_fitted()
        matrix = as_csr(X) if is_sparse(X) else _as_float_matrix(X)
        if matrix.shape[1] != self.n_features_:
            raise ValueError(
                f"X has {matrix.shape[1]} columns but this BinMapper was fitted on "
                f"{self.n_features_} features"
            )
        if is_sparse(matrix):
            return SparseBins.from_csr(matrix, self)
        if matrix.flags.c_contiguous:
            values, is_transposed = matrix, False
        elif matrix.flags.f_contiguous:
            # The transpose of an F-ordered matrix is a C-ordered view: no copy.
            values, is_transposed = matrix.T, True
        else:
            values, is_transposed = np.ascontiguousarray(matrix), False
        # Passing every input as read-only makes writable and read-only (e.g. pandas) arrays share
        # one compiled signature per dtype.
        values = values.view()
        values.flags.writeable = False
        binned = np.empty(matrix.shape, dtype=self.dtype_)
        map_to_bins(values, is_transposed, self._search_index, _ROWS_PER_CHUNK, binned)
        return binned

    def fit_transform(self, X: Any, sample_weight: Any = None) -> np.ndarray:
        """Fit on ``X`` and return its binned matrix."""
        return self.fit(X, sample_weight).transform(X)

    def to_dict(self) -> dict:
        """Return the fitted state as a JSON-serializable dict (see :meth:`from_dict`)."""
        self._check_fitted()
        return {
            "max_bin": self.max_bin,
            "subsample": self.subsample,
            "random_state": self.random_state,
            "bin_upper_bounds": [bounds.tolist() for bounds in self.bin_upper_bounds_],
        }

    @classmethod
    def from_dict(cls, state: dict) -> BinMapper:
        """Rebuild a fitted BinMapper from the output of :meth:`to_dict`.

        Raises
        ------
        ValueError
            If a field is missing or the bounds are not strictly increasing or too many.
        """
        if not isinstance(state, dict):
            raise ValueError(f"BinMapper state must be a dict, got {type(state).__name__}")
        missing = {"max_bin", "bin_upper_bounds"} - state.keys()
        if missing:
            raise ValueError(f"BinMapper state lacks the field(s) {sorted(missing)}")
        mapper = cls(
            max_bin=state["max_bin"],
            subsample=state.get("subsample", 200_000),
            random_state=state.get("random_state", 0),
        )
        if not isinstance(state["bin_upper_bounds"], (list, tuple)):
            raise ValueError("BinMapper state field 'bin_upper_bounds' must be a list of lists")
        bounds = []
        for feature, values in enumerate(state["bin_upper_bounds"]):
            try:
                array = np.asarray(values, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"bin_upper_bounds[{feature}] must be a list of numbers: {exc}"
                ) from exc
            if array.ndim != 1 or array.size > mapper.max_bin - 2:
                raise ValueError(
                    f"bin_upper_bounds[{feature}] must be a flat list of at most "
                    f"max_bin - 2 = {mapper.max_bin - 2} numbers, got shape {array.shape}"
                )
            if np.isnan(array).any() or not np.all(array[1:] > array[:-1]):
                raise ValueError(
                    f"bin_upper_bounds[{feature}] must be strictly increasing and free of NaN"
                )
            bounds.append(array)
        mapper._set_bounds(bounds)
        return mapper

    def __repr__(self) -> str:
        return (
            f"BinMapper(max_bin={self.max_bin}, subsample={self.subsample}, "
            f"random_state={self.random_state})"
        )
