"""The histogram seam: the grower asks for a node's histogram and gets an array back.

This is the one place where data size bites, so it is kept behind a small class: a distributed
backend would sum per-worker histograms here, a GPU backend would build them on the device, and the
split finder and grower above would not change. Every builder answers ``build(...)`` with the
histogram and the node's *active* features (those that can split its rows); a binned-matrix
variant (tree/matrix.py) hands the grower its builder.
"""

from __future__ import annotations

import os

import numpy as np

from ..kernels.histogram import MAX_CHUNKS, build_histogram, n_chunks_for, subtract_histogram
from ..kernels.sparse import build_histogram_csc, build_histogram_csr, mark_node_rows

# Sparse data can have many bins (wide matrices): the per-chunk scratch histograms are capped at
# this many bytes in all, fewer chunks where one histogram is large.
_SPARSE_CHUNK_BYTES = 256 << 20
# Row-wise sums scatter into the whole histogram; once it outgrows the caches, nodes holding at
# least a third of the rows are summed column by column instead (every listed entry read in
# order, membership by a row mask). Measured on 100,000 rows with 100 stored values each, all
# rows: 300,000 columns (14 MiB histogram) 29 ms by column against 60 ms by row; 100,000
# columns (4.8 MiB) 25 ms either way; a third of the rows 28 ms against 19-36 ms.
_CSC_MIN_HIST_BYTES = 8 << 20
_CSC_ROW_FRACTION = 3


# Histogram buffers a grower holds at once beyond the per-chunk scratch: the node being split,
# its sibling, and the parents kept for subtraction (a few levels deep).
_HELD_HISTOGRAMS = 4


def available_memory() -> int | None:
    """Bytes of memory available to this process now, or None when it cannot be told: psutil
    where installed, else Linux's MemAvailable (/proc/meminfo), else ``os.sysconf``."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # not installed (psutil is a dev extra), or no answer on this platform
        pass
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def histogram_bytes(total_bins: int, n_rows: int, sparse: bool = False) -> int:
    """Bytes of the histograms training over ``total_bins`` bins and ``n_rows`` rows allocates
    up front: one float64 (gradient, hessian) pair per bin, per row chunk and held buffer (the
    chunks as the builders below choose them; sparse bins cap their chunks' bytes)."""
    one = 16 * max(int(total_bins), 1)
    chunks = int(n_chunks_for(max(int(n_rows), 0)))
    if sparse:
        chunks = max(1, min(chunks, _SPARSE_CHUNK_BYTES // one))
    return one * (chunks + _HELD_HISTOGRAMS)


def check_histogram_memory(
    total_bins: int,
    n_rows: int,
    n_features: int,
    available: int | None = None,
    sparse: bool = False,
) -> None:
    """Fail fast, before allocating, when the histograms alone would not fit in memory.

    Raises ``MemoryError`` naming the bytes needed and the bytes available."""
    needed = histogram_bytes(total_bins, n_rows, sparse)
    if available is None:
        available = available_memory()
    if available is not None and needed > available:
        raise MemoryError(
            f"training histograms need {needed / 2**30:.1f} GiB ({n_features} features, "
            f"{total_bins} bins in all, 16 bytes per bin per buffer) but only "
            f"{available / 2**30:.1f} GiB of memory is available; lower max_bin or use fewer "
            "features"
        )


class HistogramBuilder:
    """Builds node histograms of shape (total_bins, 2) over one binned matrix, reusing buffers."""

    def __init__(self, binned: np.ndarray, bin_offsets: np.ndarray):
        self.binned = binned
        self.bin_offsets = np.ascontiguousarray(bin_offsets, dtype=np.int64)
        self.total_bins = int(self.bin_offsets[-1])
        n_chunks = n_chunks_for(binned.shape[0])
        self._chunk_hists = np.empty((max(n_chunks, 1), self.total_bins, 2), dtype=np.float64)
        self._pool: list[np.ndarray] = []

    def acquire(self) -> np.ndarray:
        """A histogram buffer (contents undefined)."""
        if self._pool:
            return self._pool.pop()
        return np.empty((self.total_bins, 2), dtype=np.float64)

    def release(self, hist: np.ndarray | None) -> None:
        if hist is not None:
            self._pool.append(hist)

    def build(
        self,
        gh: np.ndarray,
        sample_indices: np.ndarray,
        start: int,
        end: int,
        features: np.ndarray,
        within: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Histogram of rows ``sample_indices[start:end]`` over ``within`` (default
        ``features``: the tree's features), and the features active in these rows. Dense bins
        say nothing cheaper than "all of them", so the active set is the one summed."""
        summed = features if within is None else within
        hist = self.acquire()
        n_chunks = min(n_chunks_for(end - start), self._chunk_hists.shape[0])
        build_histogram(
            self.binned,
            gh,
            sample_indices,
            start,
            end,
            summed,
            self.bin_offsets,
            n_chunks,
            self._chunk_hists,
            hist,
        )
        return hist, summed

    def subtract_into_parent(
        self, parent: np.ndarray, child: np.ndarray, features: np.ndarray
    ) -> np.ndarray:
        """Turn ``parent`` into the sibling of ``child`` in place and return it."""
        subtract_histogram(parent, child, features, self.bin_offsets)
        return parent


class SparseHistogramBuilder(HistogramBuilder):
    """:class:`HistogramBuilder` over a :class:`~treeboost.data.sparse.SparseBins` matrix: row
    by row from the CSR entries, or, for large nodes and large histograms, column by column from
    the CSC entries."""

    def __init__(self, binned, bin_offsets: np.ndarray):
        self.binned = binned
        self.bin_offsets = np.ascontiguousarray(bin_offsets, dtype=np.int64)
        self.total_bins = int(self.bin_offsets[-1])
        hist_bytes = 16 * max(self.total_bins, 1)
        self._max_chunks = int(
            max(1, min(n_chunks_for(binned.shape[0]), _SPARSE_CHUNK_BYTES // hist_bytes))
        )
        self._chunk_hists = np.empty(
            (self._max_chunks if self._max_chunks > 1 else 0, self.total_bins, 2)
        )
        self._chunk_totals = np.zeros((self._max_chunks, 2))
        self._selected = np.zeros(self.total_bins, dtype=np.uint8)  # per bin
        self._selected_for: np.ndarray | None = None
        self._in_node = np.zeros(binned.shape[0], dtype=np.uint8)
        self._totals = np.zeros(2)
        self._pool: list[np.ndarray] = []

    def build(
        self,
        gh: np.ndarray,
        sample_indices: np.ndarray,
        start: int,
        end: int,
        features: np.ndarray,
        within: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The histogram over ``within`` (default ``features``): features the node's rows
        list at all, a subset of ``features``, such as the parent's active features. Bins of
        other features are left undefined. Also returns the active features of these rows:
        those with gradient mass outside their zero bin (the others cannot split them)."""
        all_selected = features.shape[0] == self.binned.shape[1]
        if not all_selected and self._selected_for is not features:
            chosen = np.zeros(self.binned.shape[1], dtype=np.uint8)
            chosen[features] = 1
            self._selected[:] = np.repeat(chosen, np.diff(self.bin_offsets))
            self._selected_for = features
        summed = features if within is None else within
        active = np.empty(summed.shape[0], dtype=np.uint8)
        hist = self.acquire()
        b = self.binned
        n_node = end - start
        big = 16 * self.total_bins >= _CSC_MIN_HIST_BYTES
        if big and n_node * _CSC_ROW_FRACTION >= b.shape[0]:
            mark_node_rows(sample_indices, start, end, self._in_node, 1, gh, self._totals)
            build_histogram_csc(
                b.col_ptr,
                b.row_idx,
                b.col_bins,
                b.zero_bin,
                gh,
                self._in_node,
                summed,
                self.bin_offsets,
                self._totals,
                hist,
                active,
            )
            mark_node_rows(sample_indices, start, end, self._in_node, 0, gh, self._totals)
            return hist, summed[active.view(bool)]
        # A chunk only pays for zeroing and adding up its own copy of the histogram when it
        # has a few entries per bin (2 chunks beat 4 by 2-10% at every node size measured).
        entries = n_node * b.gbins.shape[0] // max(b.shape[0], 1)
        n_chunks = min(
            n_chunks_for(n_node), self._max_chunks, max(1, entries // (4 * self.total_bins))
        )
        build_histogram_csr(
            b.indptr,
            b.gbins,
            b.zero_bin,
            gh,
            sample_indices,
            start,
            end,
            summed,
            self._selected,
            all_selected,
            self.bin_offsets,
            n_chunks,
            self._chunk_hists,
            self._chunk_totals,
            hist,
            active,
        )
        return hist, summed[active.view(bool)]


__all__ = [
    "HistogramBuilder",
    "MAX_CHUNKS",
    "SparseHistogramBuilder",
    "available_memory",
    "check_histogram_memory",
    "histogram_bytes",
]
