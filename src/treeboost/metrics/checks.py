"""Argument checks shared by the uncertainty modules: each error names the parameter, the value
it got and what would be valid."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def check_alpha(alpha: Any, name: str = "alpha") -> float:
    """One miscoverage level strictly between 0 and 1, as a float."""
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"{name}={alpha!r} is not valid; valid: a float in (0, 1)")
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"{name}={alpha!r} is not valid; valid: a float in (0, 1)")
    return alpha


def check_alphas(alpha: Any) -> tuple[np.ndarray, bool]:
    """One or several miscoverage levels; also says whether a single scalar was given."""
    if np.ndim(alpha) == 0:
        return np.array([check_alpha(alpha)]), True
    values = list(np.asarray(alpha, dtype=object).ravel())
    if not values:
        raise ValueError("alpha=[] is not valid; valid: a float in (0, 1) or a list of them")
    return np.array([check_alpha(a, "alpha") for a in values]), False


def check_choice(name: str, value: Any, valid: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in valid:
        raise ValueError(
            f"{name}={value!r} is not valid; valid: {', '.join(repr(v) for v in valid)}"
        )
    return value


def check_fraction(name: str, value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}={value!r} is not valid; valid: a float in (0, 1)")
    if not 0.0 < float(value) < 1.0:
        raise ValueError(f"{name}={value!r} is not valid; valid: a float in (0, 1)")
    return float(value)


def check_nonnegative(name: str, value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}={value!r} is not valid; valid: a number >= 0")
    if not float(value) >= 0.0:
        raise ValueError(f"{name}={value!r} is not valid; valid: a number >= 0")
    return float(value)


def check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}={value!r} is not valid; valid: an integer >= {minimum}")
    if value < minimum:
        raise ValueError(f"{name}={value!r} is not valid; valid: an integer >= {minimum}")
    return int(value)


def as_1d_float(name: str, values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-d; got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ValueError(f"{name}[{bad}] = {array[bad]} is not finite")
    return array


def check_same_length(**arrays: np.ndarray) -> int:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        text = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"inputs must have the same number of rows; {text}")
    return next(iter(lengths.values()))
