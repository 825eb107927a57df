"""The one place the numba decorator presets are defined."""

from __future__ import annotations

import numba

# cache=True: compiled code persists across processes; nogil=True: callers may use threads.
njit_serial = numba.njit(cache=True, nogil=True)
# Small helpers called per tree node: inlined at the numba IR level into their callers.
njit_inline = numba.njit(cache=True, nogil=True, inline="always")
njit_parallel = numba.njit(cache=True, nogil=True, parallel=True)
prange = numba.prange
