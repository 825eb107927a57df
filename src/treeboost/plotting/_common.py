"""Helpers shared by the plot functions: axes creation, model and array checks."""

from __future__ import annotations

from typing import Any

import numpy as np


def import_pyplot():
    """``matplotlib.pyplot``, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "treeboost.plotting needs matplotlib; install the plot extra: "
            "pip install 'treeboost[plot]'"
        ) from None
    return plt


def axes_or_new(ax, figsize: tuple[float, float]):
    """``ax`` itself, or the Axes of a new pyplot figure of ``figsize`` inches."""
    if ax is not None:
        if not hasattr(ax, "figure") or not hasattr(ax, "plot"):
            raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
        return ax
    plt = import_pyplot()
    _, ax = plt.subplots(figsize=figsize)
    return ax


def as_booster(model: Any):
    """The Booster of ``model``: a Booster, or a fitted estimator with ``get_booster()``."""
    from ..model.booster import Booster

    if isinstance(model, Booster):
        return model
    if hasattr(model, "get_booster"):
        return model.get_booster()
    raise TypeError(
        f"model must be a treeboost Booster or a fitted TreeBoost estimator, "
        f"got {type(model).__name__}"
    )


def positive_int(name: str, value: Any, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        valid = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(f"{name}={value!r} is not valid; expected {valid}")
    return int(value)


def float_vector(name: str, values: Any, n: int | None = None) -> np.ndarray:
    """A 1-D float64 array of finite-or-NaN values, of length ``n`` when given."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numeric, got {type(values).__name__}") from None
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if n is not None and array.shape[0] != n:
        raise ValueError(f"{name} has {array.shape[0]} values; expected {n}")
    return array


def _pandas_matrix(frame) -> np.ndarray:
    """A DataFrame as floats; categorical and text columns become category codes (NaN where
    missing), so plots can color by them."""
    import pandas as pd

    columns = []
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if pd.api.types.is_numeric_dtype(column) and not isinstance(
            column.dtype, pd.CategoricalDtype
        ):
            columns.append(column.to_numpy(dtype=np.float64, na_value=np.nan))
        else:
            codes = pd.Categorical(column).codes.astype(np.float64)
            codes[codes < 0] = np.nan
            columns.append(codes)
    return np.column_stack(columns) if columns else np.empty((len(frame), 0))


def feature_matrix(X: Any) -> tuple[np.ndarray, list[str] | None]:
    """Float matrix and column names (None for arrays without names) of tabular input; pandas
    categorical and text columns become their category codes."""
    columns = getattr(X, "columns", None)
    names = [str(c) for c in columns] if columns is not None else None
    if hasattr(X, "iloc"):
        X = _pandas_matrix(X)
    elif hasattr(X, "to_numpy"):
        X = X.to_numpy()
    try:
        matrix = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("X must hold numeric features") from None
    if matrix.ndim != 2:
        raise ValueError(f"X must be 2-D (rows, features), got shape {matrix.shape}")
    return matrix, names
