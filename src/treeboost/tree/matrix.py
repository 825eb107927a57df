"""The binned-matrix interface: training rows in bins, as the grower and the boosting loop use them.

A :class:`BinnedMatrix` answers the four questions training asks of the binned rows:

- ``histograms()``: a builder of node histograms (the histogram seam of tree/histogram.py);
- ``column(f)``: every row's bin of one feature, contiguous, for partitioning a node;
- ``add_tree(tree, output, margin, rows=None)``: add one tree's leaf value to the margin of
  every row (or of ``rows``) by walking the binned rows (the rows a subsampled round left out,
  DART, evaluation sets that share the bins);
- ``n_rows``, ``n_features``, ``bin_offsets``, ``n_bins``: its shape and bin layout;
- ``dense_layout()``: the row- and column-major bins when a variant holds them (the compiled
  whole-tree kernel needs them), else None.

:func:`binned_matrix` is the one place that tells the representations apart; the grower and the
boosting loop never look at them. A distributed or GPU backend is one more variant: its
``histograms()`` sums per-worker histograms or builds them on the device, and everything above
stays the same.
"""

from __future__ import annotations

import numpy as np

from ..data.sparse import SparseBins
from ..kernels.categorical import add_tree_binned_tables
from ..kernels.predict import add_tree_binned
from ..kernels.sparse import add_tree_binned_csr
from .histogram import HistogramBuilder, SparseHistogramBuilder, check_histogram_memory
from .tree import Tree


class BinnedMatrix:
    """Binned rows of one Dataset (see the module docstring for the interface)."""

    def __init__(self, shape: tuple[int, int], bin_offsets: np.ndarray):
        self.n_rows, self.n_features = int(shape[0]), int(shape[1])
        self.bin_offsets = np.ascontiguousarray(bin_offsets, dtype=np.int64)
        self.n_bins = np.diff(self.bin_offsets)
        self.all_rows = np.arange(self.n_rows, dtype=np.int64)

    @property
    def shape(self) -> tuple[int, int]:
        return self.n_rows, self.n_features

    def histograms(self) -> HistogramBuilder:
        """A new histogram builder over these rows (it owns reusable scratch buffers)."""
        raise NotImplementedError

    def column(self, feature: int) -> np.ndarray:
        """Every row's bin of ``feature`` as a contiguous array (valid until the next call)."""
        raise NotImplementedError

    def add_tree(
        self, tree: Tree, output: int, margin: np.ndarray, rows: np.ndarray | None = None
    ) -> None:
        """``margin[row, output] +=`` the value of the leaf each binned row (each of ``rows``,
        int64 indices, when given) reaches in ``tree``."""
        raise NotImplementedError

    def dense_layout(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(C-order bins, their C-order transpose) for kernels that grow a whole tree in one
        call (kernels/grow.py), or None when the rows are not held that way."""
        return None


class DenseBinnedMatrix(BinnedMatrix):
    """A C-order (n_rows, n_features) uint8/uint16 matrix. Histograms read it row by row;
    partitioning reads a column-major copy, made on first use, where a node's ascending rows of
    one feature lie close together. The copy is held as the C-order transpose (n_features,
    n_rows), so one feature's column is a C-contiguous row to numba as well as to NumPy (the
    kernels compile one signature for both callers)."""

    def __init__(self, binned: np.ndarray, bin_offsets: np.ndarray):
        super().__init__(binned.shape, bin_offsets)
        self.binned = binned
        self._columns: np.ndarray | None = None

    def histograms(self) -> HistogramBuilder:
        return HistogramBuilder(self.binned, self.bin_offsets)

    def _column_major(self) -> np.ndarray:
        if self._columns is None:
            self._columns = np.ascontiguousarray(self.binned.T)
        return self._columns

    def column(self, feature: int) -> np.ndarray:
        return self._column_major()[feature]

    def dense_layout(self) -> tuple[np.ndarray, np.ndarray]:
        return self.binned, self._column_major()

    def add_tree(
        self, tree: Tree, output: int, margin: np.ndarray, rows: np.ndarray | None = None
    ) -> None:
        rows = self.all_rows if rows is None else rows
        if tree.categories:
            # Categorical splits send sets of bins left: every split walks as a bin table.
            offsets, tables = tree.bin_tables(self.n_bins)
            add_tree_binned_tables(
                self.binned,
                rows,
                tree.left,
                tree.right,
                tree.feature,
                offsets,
                tables,
                tree.value,
                output,
                margin,
            )
            return
        add_tree_binned(
            self.binned,
            rows,
            tree.left,
            tree.right,
            tree.feature,
            tree.split_bin,
            tree.default_left,
            tree.value,
            output,
            margin,
        )


class SparseBinnedMatrix(BinnedMatrix):
    """A :class:`~treeboost.data.sparse.SparseBins` matrix: implicit zero bins, the other entries
    listed by row (histograms, tree walks) and by column (partition columns)."""

    def __init__(self, binned: SparseBins, bin_offsets: np.ndarray):
        super().__init__(binned.shape, bin_offsets)
        self.binned = binned
        self._column = np.empty(binned.shape[0], dtype=binned.dtype)

    def histograms(self) -> HistogramBuilder:
        return SparseHistogramBuilder(self.binned, self.bin_offsets)

    def column(self, feature: int) -> np.ndarray:
        return self.binned.column(feature, self._column)

    def add_tree(
        self, tree: Tree, output: int, margin: np.ndarray, rows: np.ndarray | None = None
    ) -> None:
        offsets, tables = tree.bin_tables(self.n_bins)
        b = self.binned
        add_tree_binned_csr(
            b.indptr,
            self.all_rows if rows is None else rows,
            b.gbins,
            b.zero_bin,
            b.bin_offsets,
            tree.left,
            tree.right,
            tree.feature,
            offsets,
            tables,
            tree.value,
            output,
            margin,
        )


def binned_matrix(binned: np.ndarray | SparseBins, bin_offsets: np.ndarray) -> BinnedMatrix:
    """The :class:`BinnedMatrix` variant for a Dataset's ``binned`` rows."""
    if isinstance(binned, BinnedMatrix):
        return binned
    # Before any histogram is allocated: a request that cannot fit fails now, saying how much
    # it needed, instead of swapping or being killed in the first round.
    offsets = np.asarray(bin_offsets)
    check_histogram_memory(
        int(offsets[-1]), binned.shape[0], binned.shape[1], sparse=isinstance(binned, SparseBins)
    )
    if isinstance(binned, SparseBins):
        return SparseBinnedMatrix(binned, bin_offsets)
    return DenseBinnedMatrix(np.ascontiguousarray(binned), bin_offsets)


__all__ = ["BinnedMatrix", "DenseBinnedMatrix", "SparseBinnedMatrix", "binned_matrix"]
