"""Exact sums of float64 values: each value's integer mantissa added into its exponent's slot."""

from __future__ import annotations

import numpy as np

from ._presets import njit_serial

# 11-bit exponent field of a float64.
N_EXPONENTS = 2048


@njit_serial
def mantissa_sums(bits: np.ndarray, high: np.ndarray, low: np.ndarray) -> None:
    """Add each value (its IEEE bits, int64) into ``high`` / ``low`` (int64, one slot per
    exponent field): the signed mantissa's upper bits >> 26 and its lower 26 bits. The sum of
    the value is ``sum_e (high[e] * 2**26 + low[e]) * 2**(max(e, 1) - 1075)``; neither half
    can overflow before 2**36 values."""
    for i in range(bits.shape[0]):
        b = bits[i]
        field = (b >> 52) & 0x7FF
        mantissa = b & ((1 << 52) - 1)
        if field > 0:
            mantissa |= 1 << 52
        if b < 0:
            mantissa = -mantissa
        high[field] += mantissa >> 26
        low[field] += mantissa & ((1 << 26) - 1)
