"""The one place the numba decorator presets are defined."""

from __future__ import annotations

import numba

# cache=True: compiled code persists across processes; nogil=True: callers may use threads.
njit_serial = numba.njit(cache=True, nogil=True)
# Small helpers called per tree node: inlined at the numba IR level into their callers.
njit_inline = numba.njit(cache=True, nogil=True, inline="always")
njit_parallel = numba.njit(cache=True, nogil=True, parallel=True)
prange = numba.prange
# Loops that compute every candidate and mask the invalid ones afterwards: a division by zero
# gives inf or nan (as NumPy does) instead of raising, so the loop has no check in it and
# vectorises. Only where every such value is masked before it is used.
njit_masked = numba.njit(cache=True, nogil=True, error_model="numpy")
