"""Turn user input into a float matrix, feature names and feature types.

Supported inputs: 2-D NumPy arrays (and anything ``np.asarray`` turns into a numeric 2-D array) and
pandas DataFrames with numeric or bool columns. pandas is never imported here: a DataFrame can only
exist if the user already imported pandas, so it is looked up in ``sys.modules``.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

__all__ = ["to_float_matrix"]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def to_float_matrix(data: Any) -> tuple[np.ndarray, list[str] | None, list[str]]:
    """Convert user input to a 2-D float32 or float64 matrix.

    float32 and float64 arrays are returned as they are (no copy, C or F order kept); integer and
    bool arrays become float64; a DataFrame becomes float32 if all its columns are float32, else
    float64, with missing values as NaN.

    Parameters
    ----------
    data : array-like or pandas.DataFrame
        Feature matrix of shape (n_rows, n_features).

    Returns
    -------
    matrix : ndarray of float32 or float64, shape (n_rows, n_features)
    feature_names : list of str or None
        Column names of a DataFrame (as str); None when the input carries no names.
    feature_types : list of str
        ``"float"`` for every feature (categorical features are not supported yet).

    Raises
    ------
    ValueError
        If the input is not 2-D.
    TypeError
        If the input, or a DataFrame column, is not numeric.
    """
    if _is_pandas_dataframe(data):
        matrix, feature_names = _from_dataframe(data)
    else:
        matrix, feature_names = _from_array_like(data), None
    return matrix, feature_names, ["float"] * matrix.shape[1]


def _is_pandas_dataframe(data: Any) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(data, pandas.DataFrame)


def _check_2d(ndim: int, shape: tuple[int, ...]) -> None:
    if ndim != 2:
        raise ValueError(
            f"data must be 2-D with shape (n_rows, n_features), got {ndim}-D input of shape "
            f"{shape}; for a single feature use X.reshape(-1, 1), for a single row X.reshape(1, -1)"
        )


def _from_array_like(data: Any) -> np.ndarray:
    if hasattr(data, "tocsr") and hasattr(data, "nnz"):
        raise TypeError(
            "data is a scipy.sparse matrix, which is not supported yet; convert it with .toarray()"
        )
    try:
        matrix = np.asarray(data)
    except ValueError as exc:
        raise ValueError(f"data could not be converted to a 2-D array: {exc}") from exc
    if matrix.ndim == 0:
        raise TypeError(
            f"data of type {type(data).__name__} is not supported; pass a 2-D numpy array or a "
            "pandas DataFrame"
        )
    _check_2d(matrix.ndim, matrix.shape)
    if matrix.dtype in _FLOAT_DTYPES:
        return matrix
    if matrix.dtype.kind in "biu":
        return matrix.astype(np.float64)
    if matrix.dtype.kind == "f":
        # float16 widens losslessly to float32; longdouble narrows to the widest supported float.
        return matrix.astype(np.float32 if matrix.dtype.itemsize < 4 else np.float64)
    raise TypeError(
        f"data has dtype {matrix.dtype}; expected a numeric array (float32, float64, int or bool)"
    )


def _from_dataframe(frame: Any) -> tuple[np.ndarray, list[str]]:
    import pandas as pd
    from pandas.api import types as pd_types

    _check_2d(2, frame.shape)
    is_float32 = []
    has_extension_dtype = False
    for column, dtype in frame.dtypes.items():
        # A categorical of bools counts as "bool" to pandas, but its values are category codes.
        is_numeric = not isinstance(dtype, pd.CategoricalDtype) and (
            pd_types.is_bool_dtype(dtype)
            or (pd_types.is_numeric_dtype(dtype) and not pd_types.is_complex_dtype(dtype))
        )
        if not is_numeric:
            raise TypeError(
                f"data column {column!r} has dtype {dtype}: only numeric and bool columns are "
                "supported, and native categorical support is not available for it yet; encode it "
                "as numbers (for a categorical column, .cat.codes) or drop it"
            )
        is_float32.append(dtype == np.float32)
        has_extension_dtype |= not isinstance(dtype, np.dtype)

    target = np.float32 if is_float32 and all(is_float32) else np.float64
    if has_extension_dtype:
        # Nullable columns (Int64, boolean, Float64) hold pd.NA, which becomes NaN = missing.
        matrix = frame.to_numpy(dtype=target, na_value=np.nan)
    else:
        # Without na_value pandas can hand back a view of a single-dtype frame instead of a copy.
        matrix = frame.to_numpy(dtype=target)
    return matrix, [str(column) for column in frame.columns]
