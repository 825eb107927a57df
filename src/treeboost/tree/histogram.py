"""The histogram seam: the grower asks for a node's histogram and gets an array back.

This is the one place where data size bites, so it is kept behind a small class: a distributed
backend would sum per-worker histograms here, a GPU backend would build them on the device, and the
split finder and grower above would not change.
"""

from __future__ import annotations

import numpy as np

from ..kernels.histogram import MAX_CHUNKS, build_histogram, n_chunks_for, subtract_histogram


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
        self, gh: np.ndarray, sample_indices: np.ndarray, start: int, end: int, features: np.ndarray
    ) -> np.ndarray:
        """Histogram of rows ``sample_indices[start:end]`` over ``features``."""
        hist = self.acquire()
        n_chunks = min(n_chunks_for(end - start), self._chunk_hists.shape[0])
        build_histogram(
            self.binned,
            gh,
            sample_indices,
            start,
            end,
            features,
            self.bin_offsets,
            n_chunks,
            self._chunk_hists,
            hist,
        )
        return hist

    def subtract_into_parent(
        self, parent: np.ndarray, child: np.ndarray, features: np.ndarray
    ) -> np.ndarray:
        """Turn ``parent`` into the sibling of ``child`` in place and return it."""
        subtract_histogram(parent, child, features, self.bin_offsets)
        return parent


__all__ = ["HistogramBuilder", "MAX_CHUNKS"]
