"""Argument checks of the online booster: one-line errors naming the argument, its value and
what would be valid."""

from __future__ import annotations

from typing import Any

import numpy as np


def _shape_text(value: Any) -> str:
    shape = getattr(value, "shape", None)
    return f"shape {tuple(shape)}" if shape is not None else f"{type(value).__name__}"


def check_int(name: str, value: Any, minimum: int, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}")
    return int(value)


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name}={value!r} is not valid; valid: {valid}")
    return value


def as_rows(X: Any, n_features: int | None) -> np.ndarray:
    """X as a C-ordered float64 matrix (n, n_features); NaN allowed (it goes right)."""
    try:
        array = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"X must be a numeric array of shape (n, n_features); got {X!r:.80}"
        ) from None
    if array.ndim == 1 and n_features in (None, array.shape[0]):
        array = array.reshape(1, -1)  # one state
    if array.ndim != 2:
        raise ValueError(f"X must be 2-d (n, n_features); got {_shape_text(array)}")
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(
            f"X has {array.shape[1]} columns ({_shape_text(array)}); this booster was built "
            f"with n_features={n_features}"
        )
    if np.isinf(array).any():
        raise ValueError("X holds inf; valid: finite values or NaN (missing, goes right)")
    return np.ascontiguousarray(array)


def as_gradient(name: str, value: Any, n_rows: int, n_outputs: int, positive: bool) -> np.ndarray:
    """A gradient (or hessian) as float32 (n_rows, n_outputs), finite (and > 0 if positive)."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a numeric array of shape ({n_rows}, {n_outputs}); got "
            f"{type(value).__name__}"
        ) from None
    if array.ndim == 1 and n_outputs == 1:
        array = array.reshape(-1, 1)
    if array.shape != (n_rows, n_outputs):
        raise ValueError(
            f"{name} has {_shape_text(array)}; valid: ({n_rows}, {n_outputs}), one row per row "
            f"of X and one column per output"
        )
    bad = ~np.isfinite(array)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{name}[{row}, {col}] = {float(array[row, col])!r}; valid: finite values only "
            f"({int(bad.sum())} non-finite)"
        )
    if positive and (array <= 0).any():
        row, col = np.argwhere(array <= 0)[0]
        raise ValueError(f"{name}[{row}, {col}] = {float(array[row, col])!r}; valid: values > 0")
    return np.ascontiguousarray(array, dtype=np.float32)


def as_bias(value: Any, n_outputs: int) -> np.ndarray:
    try:
        bias = np.asarray(0.0 if value is None else value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"init_bias must be a number or {n_outputs} numbers; got {value!r}"
        ) from None
    if bias.ndim == 0:
        bias = np.full(n_outputs, float(bias))
    if bias.shape != (n_outputs,) or not np.all(np.isfinite(bias)):
        raise ValueError(
            f"init_bias={value!r} is not valid; valid: one finite number or {n_outputs} of them"
        )
    return bias
