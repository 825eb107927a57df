"""Feature encoding for tables with categorical columns: pandas, polars and pyarrow inputs, and
numeric arrays with columns declared categorical.

Every input becomes a float matrix: numeric columns as values (missing = NaN), categorical columns
as category codes 0..k-1 (missing, and categories unknown to the model, = NaN). The code of a
category is its position in the feature's category list, which the model stores with the actual
labels, so a later input is matched by label, never by the frame's own codes. None of pandas,
polars or pyarrow is imported here unless the input is one of their objects.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

# Bins are uint16 at most and bin 0 is the missing bin.
MAX_CATEGORIES = 65535


@dataclass
class EncodedFeatures:
    matrix: np.ndarray
    names: list[str] | None
    types: list[str]  # "float" or "c" (categorical)
    categories: list[list | None]  # per feature: category labels in code order, or None


@dataclass
class _Column:
    name: str
    # float64 for numeric columns; object labels (None = missing) for categorical ones, or, when
    # ``uniques`` is set, int codes into ``uniques`` (-1 = missing).
    values: np.ndarray
    categorical: bool
    declared: list | None = None  # category order declared by the input's dtype
    uniques: list | None = None  # the labels ``values`` codes, when it holds codes

    @property
    def n_rows(self) -> int:
        return self.values.shape[0]


def _module(name: str):
    return sys.modules.get(name)


def is_table(data: Any) -> bool:
    """True for a pandas DataFrame, polars DataFrame / LazyFrame or pyarrow Table."""
    pd, pl, pa = _module("pandas"), _module("polars"), _module("pyarrow")
    return (
        (pd is not None and isinstance(data, pd.DataFrame))
        or (pl is not None and isinstance(data, (pl.DataFrame, pl.LazyFrame)))
        or (pa is not None and isinstance(data, (pa.Table, pa.RecordBatch)))
    )


def _pandas_columns(frame) -> list[_Column]:
    import pandas as pd
    from pandas.api import types as pdt

    out = []
    for name, dtype in frame.dtypes.items():
        series = frame[name]
        if isinstance(dtype, pd.CategoricalDtype):
            # pandas already holds codes into its categories: keep them, so encoding maps the
            # k categories rather than every row (-1 is pandas' missing code too).
            categories = list(dtype.categories)
            codes = np.asarray(series.cat.codes.to_numpy(), dtype=np.int64)
            out.append(_Column(str(name), codes, True, categories, uniques=categories))
        elif pdt.is_bool_dtype(dtype) or (
            pdt.is_numeric_dtype(dtype) and not pdt.is_complex_dtype(dtype)
        ):
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
            out.append(_Column(str(name), values, False))
        elif pdt.is_string_dtype(dtype) or pdt.is_object_dtype(dtype):
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            uniques = list(np.asarray(uniques, dtype=object))
            out.append(_Column(str(name), np.asarray(codes, dtype=np.int64), True,
                               uniques=uniques))
        else:
            raise TypeError(
                f"data column {name!r} has dtype {dtype}: supported are numeric, bool, category "
                "and string columns"
            )
    return out


def _polars_columns(frame) -> list[_Column]:
    import polars as pl

    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    out = []
    for name, dtype in frame.schema.items():
        series = frame.get_column(name)
        if isinstance(dtype, pl.Enum):
            out.append(
                _Column(
                    name,
                    np.array(series.to_list(), dtype=object),
                    True,
                    list(dtype.categories.to_list()),
                )
            )
        elif isinstance(dtype, (pl.Categorical, pl.String)) or dtype == pl.Utf8:
            out.append(_Column(name, np.array(series.to_list(), dtype=object), True))
        elif dtype.is_numeric() or dtype == pl.Boolean:
            values = series.cast(pl.Float64).fill_null(float("nan")).to_numpy()
            out.append(_Column(name, np.asarray(values, dtype=np.float64), False))
        else:
            raise TypeError(
                f"data column {name!r} has polars dtype {dtype}: supported are numeric, Boolean, "
                "Categorical, Enum and String columns"
            )
    return out


def _arrow_columns(table) -> list[_Column]:
    import pyarrow as pa
    import pyarrow.compute as pc

    out = []
    for name, column in zip(table.schema.names, table.columns):
        dtype = column.type
        if pa.types.is_dictionary(dtype):
            chunks = column.chunks if hasattr(column, "chunks") else [column]
            declared = chunks[0].dictionary.to_pylist() if chunks else []
            out.append(_Column(name, np.array(column.to_pylist(), dtype=object), True, declared))
        elif pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
            out.append(_Column(name, np.array(column.to_pylist(), dtype=object), True))
        elif (
            pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_boolean(dtype)
        ):
            values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
            values = np.asarray(values, dtype=np.float64)
            out.append(_Column(name, values, False))
        else:
            raise TypeError(
                f"data column {name!r} has Arrow type {dtype}: supported are integer, floating, "
                "boolean, dictionary and string columns"
            )
    return out


def needs_column_encoding(data: Any) -> bool:
    """Whether a table goes through :func:`table_columns`: a pandas frame with a category or
    string column, and every polars or Arrow table. Plain numeric pandas frames take the faster
    path of :func:`treeboost.data.adapters.to_float_matrix`."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(data, pd.DataFrame):
        from pandas.api import types as pdt

        return any(
            isinstance(d, pd.CategoricalDtype) or pdt.is_object_dtype(d) or pdt.is_string_dtype(d)
            for d in data.dtypes
        )
    return True  # polars and Arrow tables always go through the column-wise path


def table_names(data: Any) -> list[str]:
    """Column names of a table, as :func:`table_columns` names them, without converting data."""
    pd, pl = _module("pandas"), _module("polars")
    if pd is not None and isinstance(data, pd.DataFrame):
        return [str(name) for name in data.columns]
    if pl is not None and isinstance(data, pl.LazyFrame):
        return list(data.collect_schema().names())
    if pl is not None and isinstance(data, pl.DataFrame):
        return list(data.columns)
    return list(data.schema.names)


def table_columns(data: Any) -> list[_Column]:
    pd, pl = _module("pandas"), _module("polars")
    if pd is not None and isinstance(data, pd.DataFrame):
        return _pandas_columns(data)
    if pl is not None and isinstance(data, (pl.DataFrame, pl.LazyFrame)):
        return _polars_columns(data)
    return _arrow_columns(data)


def _sort_key(label: Any) -> tuple:
    return (type(label).__name__, label)


def resolve_categorical(spec: Any, names: list[str], columns: list[_Column] | None) -> np.ndarray:
    """Boolean mask of categorical features from ``categorical_features``: None or "auto" (the
    table's dtypes decide), indices, names or a boolean mask."""
    n = len(names)
    auto = np.array([c.categorical for c in columns], dtype=bool) if columns else np.zeros(n, bool)
    if spec is None or (isinstance(spec, str) and spec == "auto"):
        return auto
    if isinstance(spec, str):
        raise ValueError(
            f"categorical_features={spec!r} is not valid; valid: 'auto', a list of column "
            "indices or names, or a boolean mask"
        )
    items = list(spec)
    mask = np.zeros(n, dtype=bool)
    if items and all(isinstance(v, (bool, np.bool_)) for v in items):
        if len(items) != n:
            raise ValueError(
                f"a boolean categorical_features mask needs {n} entries, one per feature; "
                f"got {len(items)}"
            )
        mask[:] = items
    else:
        for v in items:
            if isinstance(v, str):
                if v not in names:
                    raise ValueError(
                        f"categorical_features names {v!r}, which is not a column; columns are "
                        f"{', '.join(names[:10])}{' ...' if n > 10 else ''}"
                    )
                mask[names.index(v)] = True
            elif isinstance(v, (int, np.integer)) and 0 <= int(v) < n:
                mask[int(v)] = True
            else:
                raise ValueError(
                    f"categorical_features entry {v!r} is not a column index in [0, {n - 1}] "
                    "or a column name"
                )
    undeclared = auto & ~mask
    if undeclared.any():
        column = names[int(np.flatnonzero(undeclared)[0])]
        raise ValueError(
            f"column {column!r} holds categories or strings but is not in categorical_features; "
            "add it, or use categorical_features='auto'"
        )
    return mask


def _new_categories(name: str, known: list) -> list:
    if len(known) > MAX_CATEGORIES:
        raise ValueError(
            f"categorical column {name!r} has {len(known)} categories; at most "
            f"{MAX_CATEGORIES} are supported"
        )
    return known


def _recode(name: str, column: _Column, known: list | None) -> tuple[np.ndarray, list]:
    """:func:`_codes` for a column that already holds codes into its own labels: the labels
    are mapped once, then every row through an array lookup."""
    uniques = column.uniques
    if known is None:
        if column.declared is not None:
            known = list(column.declared)
        else:
            known = sorted((u for u in uniques if u is not None and u == u), key=_sort_key)
        known = _new_categories(name, known)
    lookup = {label: code for code, label in enumerate(known)}
    # One slot past the labels for the missing code -1.
    remap = np.full(len(uniques) + 1, np.nan)
    for i, label in enumerate(uniques):
        remap[i] = lookup.get(label, np.nan)
    return remap[column.values], known


def _codes(
    name: str, values: np.ndarray, numeric: bool, known: list | None, declared: list | None
) -> tuple[np.ndarray, list]:
    """Category codes of one column (NaN for missing or unknown) and the category list."""
    if numeric:
        present = ~np.isnan(values)
        labels = values[present]
    else:
        present = np.array([v is not None and v == v for v in values], dtype=bool)
        labels = values[present]
    if known is None:
        if declared is not None:
            known = list(declared)
        elif numeric:
            known = np.unique(labels).tolist()
        else:
            known = sorted(set(labels.tolist()), key=_sort_key)
        known = _new_categories(name, known)
    lookup = {label: code for code, label in enumerate(known)}
    codes = np.full(values.shape[0], np.nan)
    if numeric:
        codes[present] = [lookup.get(float(v), np.nan) for v in labels]
    else:
        codes[present] = [lookup.get(v, np.nan) for v in labels]
    return codes, known


def encode_columns(
    columns: list[_Column] | None,
    matrix: np.ndarray | None,
    names: list[str],
    categorical: np.ndarray,
    categories: list | None,
) -> tuple[np.ndarray, list[list | None]]:
    """Assemble the float matrix from table columns (or a numeric matrix) and the categorical
    mask, encoding categorical columns as codes against ``categories`` (learned when None)."""
    n_features = len(names)
    n_rows = matrix.shape[0] if columns is None else (columns[0].n_rows if columns else 0)
    out_categories: list[list | None] = [None] * n_features
    if columns is None and not categorical.any():
        return matrix, out_categories
    dtype = np.float64
    result = np.empty((n_rows, n_features), dtype=dtype)
    for f in range(n_features):
        if columns is None:
            values, numeric, declared = np.asarray(matrix[:, f], dtype=np.float64), True, None
        else:
            col = columns[f]
            values, numeric, declared = col.values, not col.categorical, col.declared
            if col.uniques is not None and categorical[f]:
                known = None if categories is None else categories[f]
                result[:, f], out_categories[f] = _recode(names[f], col, known)
                continue
        if categorical[f]:
            known = None if categories is None else categories[f]
            result[:, f], out_categories[f] = _codes(names[f], values, numeric, known, declared)
        else:
            if not numeric:
                raise TypeError(
                    f"column {names[f]!r} holds strings or categories but the model treats it "
                    "as numeric"
                )
            result[:, f] = values
    return result, out_categories
