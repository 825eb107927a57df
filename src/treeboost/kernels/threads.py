"""A kernel that only starts a parallel region: timing it tells whether the pool's threads run at
once (quiet cores) or wait for busy ones (training/threads.py)."""

from __future__ import annotations

from ._presets import njit_parallel, prange


@njit_parallel
def touch_threads(out):
    """One parallel region that does nothing but write ``out``."""
    for i in prange(out.shape[0]):
        out[i] = i
