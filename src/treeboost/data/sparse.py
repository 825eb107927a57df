"""scipy.sparse input, kept sparse from the user's matrix to the trees.

Absent entries are zeros, as in the dense array the matrix stands for (``X.toarray()``); a stored
NaN is a missing value. This differs from XGBoost, which treats absent entries as missing, and
agrees with scikit-learn and LightGBM's default: a model trained on a sparse matrix equals the
model trained on its dense twin.

Binned, each feature's zero bin (the bin of 0.0) is implicit, and :class:`SparseBins` keeps the
other entries twice: row-wise (CSR) for histograms and prediction, column-wise (CSC) to build a
split feature's column for partitioning. Memory is proportional to the non-zeros.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..kernels.sparse import (
    bin_csr_values,
    count_listed_per_row,
    csr_to_csc,
    fill_listed,
    group_distinct_values,
    scatter_column,
    sort_column_segments,
)

__all__ = ["SparseBins", "as_csr", "is_sparse", "sparse_value_groups"]


def is_sparse(data: Any) -> bool:
    """Whether ``data`` is a scipy.sparse matrix or array (scipy itself is never imported here
    unless the caller already did)."""
    scipy_sparse = sys.modules.get("scipy.sparse")
    return scipy_sparse is not None and scipy_sparse.issparse(data)


def as_csr(data: Any) -> Any:
    """A canonical CSR copy or view of sparse ``data``: float32 or float64 values, sorted
    indices without duplicates (summed, as scipy does); index dtypes as scipy chose them.

    Raises
    ------
    ValueError
        For a matrix that is not 2-D or stores an infinite value.
    TypeError
        For non-numeric values.
    """
    import scipy.sparse as sp

    if len(data.shape) != 2:
        raise ValueError(f"sparse data must be 2-D, got shape {data.shape}")
    csr = sp.csr_matrix(data)
    if csr.dtype not in (np.float32, np.float64):
        if csr.dtype.kind not in "biuf":
            raise TypeError(
                f"sparse data has dtype {csr.dtype}; expected numeric values (float, int, bool)"
            )
        csr = csr.astype(
            np.float32 if csr.dtype.kind == "f" and csr.dtype.itemsize < 4 else np.float64
        )
    if not csr.has_canonical_format:
        csr = csr.copy()
        csr.sum_duplicates()
    bad = np.flatnonzero(np.isinf(csr.data))
    if bad.size:
        p = int(bad[0])
        row = int(np.searchsorted(csr.indptr, p, side="right") - 1)
        raise ValueError(
            f"sparse data contains {csr.data[p]} in column {int(csr.indices[p])}, row {row}; "
            "infinite features are not supported: use NaN for a missing value or clip"
        )
    return csr


def sparse_value_groups(csr: Any, weight: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Every feature's distinct non-missing values with their mass, all features at once.

    Mass is the count of rows, or the sum of their weights (rows of weight 0 left out), and the
    absent entries count at 0.0. Returns ``(feature, value, mass)`` sorted by feature, then value
    (float64 values, one entry per distinct value of a feature)."""
    n_rows, n_features = csr.shape
    csc = csr.tocsc()
    counts = np.diff(csc.indptr)
    absent = np.empty(n_features)
    values = csc.data.astype(np.float64)
    if weight is None:
        mass = np.ones(values.size)
        absent[:] = n_rows - counts
    else:
        row_mass = np.asarray(weight, dtype=np.float64)
        mass = row_mass[csc.indices]
        # Every stored entry, NaN too, takes its row out of the implicit zeros.
        feature = np.repeat(np.arange(n_features, dtype=np.int64), counts)
        stored = np.bincount(feature, weights=mass, minlength=n_features)
        absent[:] = float(row_mass.sum()) - stored
        # Rounding must not invent a zero: a feature stored in every row of positive weight
        # has no absent mass at all.
        positive = row_mass > 0
        stored_positive = np.bincount(feature, weights=positive[csc.indices], minlength=n_features)
        absent[stored_positive >= np.count_nonzero(positive)] = 0.0
    sort_column_segments(csc.indptr.astype(np.int64), values, mass)
    size = values.size + n_features
    out = (np.empty(size, dtype=np.int64), np.empty(size), np.empty(size))
    n = group_distinct_values(csc.indptr.astype(np.int64), values, mass, absent, *out)
    return tuple(a[:n] for a in out)


@dataclass
class SparseBins:
    """A binned sparse matrix: per feature a zero bin, and the entries in other bins.

    Attributes
    ----------
    shape : (n_rows, n_features)
    zero_bin : int64 (n_features,)
        The bin of 0.0 in each feature, the bin of every unlisted entry.
    bin_offsets : int64 (n_features + 1,)
        Feature ``f`` owns the global bins ``bin_offsets[f]:bin_offsets[f + 1]``.
    indptr, gbins : CSR arrays (int64, uint32)
        Listed entries row by row as global bins (``bin_offsets[f] + bin``, ascending within a
        row): a histogram adds a row without looking up its features' offsets.
    col_ptr, row_idx, col_bins : CSC arrays of the same entries (bins within their feature),
        rows ascending per column.
    """

    shape: tuple[int, int]
    zero_bin: np.ndarray
    bin_offsets: np.ndarray
    indptr: np.ndarray
    gbins: np.ndarray
    col_ptr: np.ndarray
    row_idx: np.ndarray
    col_bins: np.ndarray

    @property
    def dtype(self) -> np.dtype:
        return self.col_bins.dtype

    @property
    def nbytes(self) -> int:
        arrays = (self.zero_bin, self.bin_offsets, self.indptr, self.gbins, self.col_ptr)
        return sum(a.nbytes for a in arrays + (self.row_idx, self.col_bins))

    @property
    def indices(self) -> np.ndarray:
        """The feature of every CSR entry (derived; for inspection and tests)."""
        return (np.searchsorted(self.bin_offsets, self.gbins, side="right") - 1).astype(np.int32)

    @property
    def bins(self) -> np.ndarray:
        """The bin within its feature of every CSR entry (derived; for inspection and tests)."""
        return (self.gbins - self.bin_offsets[self.indices]).astype(self.dtype)

    @classmethod
    def from_csr(cls, csr: Any, mapper: Any) -> SparseBins:
        """Bin canonical CSR input (:func:`as_csr`) with a fitted BinMapper."""
        n_rows, n_features = csr.shape
        # 1 + the number of bounds below 0.0 (every feature's bounds end in a +inf sentinel).
        bounds, bound_offsets = mapper._search_index[:2]
        below = np.add.reduceat((bounds < 0.0).astype(np.int64), bound_offsets[:-1])
        zero_bin = (1 + below).astype(np.int64)
        data = csr.data.view()
        data.flags.writeable = False
        stored_bins = np.empty(csr.nnz, dtype=mapper.dtype_)
        bin_csr_values(csr.indptr, csr.indices, data, mapper._search_index, stored_bins)
        counts = np.empty(n_rows, dtype=np.int64)
        count_listed_per_row(csr.indptr, csr.indices, stored_bins, zero_bin, counts)
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        n_listed = int(indptr[-1])
        indices = np.empty(n_listed, dtype=np.int32)
        bins = np.empty(n_listed, dtype=mapper.dtype_)
        fill_listed(csr.indptr, csr.indices, stored_bins, zero_bin, indptr, indices, bins)
        del stored_bins
        col_ptr = np.empty(n_features + 1, dtype=np.int64)
        row_idx = np.empty(n_listed, dtype=np.int32)
        col_bins = np.empty(n_listed, dtype=mapper.dtype_)
        csr_to_csc(indptr, indices, bins, n_features, col_ptr, row_idx, col_bins)
        bin_offsets = np.asarray(mapper.bin_offsets_, dtype=np.int64)
        gbins = (bin_offsets[indices] + bins).astype(np.uint32)
        return cls(
            (n_rows, n_features),
            zero_bin,
            bin_offsets,
            indptr,
            gbins,
            col_ptr,
            row_idx,
            col_bins,
        )

    def column(self, feature: int, out: np.ndarray) -> np.ndarray:
        """Write feature ``feature``'s bin of every row into ``out`` (n_rows) and return it."""
        scatter_column(
            self.col_ptr, self.row_idx, self.col_bins, feature, self.zero_bin[feature], out
        )
        return out

    def toarray(self) -> np.ndarray:
        """The dense binned matrix (for tests and small data)."""
        dense = np.repeat(self.zero_bin[None, :].astype(self.dtype), self.shape[0], axis=0)
        rows = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))
        dense[rows, self.indices] = self.bins
        return dense
