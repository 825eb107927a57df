"""Columns in and out of pandas and polars frames, as numpy arrays, so the time-series tools work
on either library without converting whole frames (neither is imported unless given)."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np


def frame_kind(frame: Any) -> str:
    pd, pl = sys.modules.get("pandas"), sys.modules.get("polars")
    if pd is not None and isinstance(frame, pd.DataFrame):
        return "pandas"
    if pl is not None and isinstance(frame, pl.LazyFrame):
        raise TypeError("frame is a polars LazyFrame; collect() it first")
    if pl is not None and isinstance(frame, pl.DataFrame):
        return "polars"
    raise TypeError(
        f"frame must be a pandas or polars DataFrame, got {type(frame).__name__}"
    )


def column_names(frame: Any) -> list[str]:
    return [str(c) for c in frame.columns]


def require_columns(frame: Any, columns: list[str], what: str) -> None:
    names = column_names(frame)
    for column in columns:
        if column not in names:
            shown = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")
            raise ValueError(f"{what} {column!r} is not a column of the frame; columns: {shown}")


def column(frame: Any, name: str) -> np.ndarray:
    """One column as a numpy array (missing values as NaN / NaT / None)."""
    if frame_kind(frame) == "pandas":
        return frame[name].to_numpy()
    series = frame.get_column(name)
    return series.to_numpy()


def numeric_column(frame: Any, name: str) -> np.ndarray:
    values = column(frame, name)
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"column {name!r} must be numeric to be lagged or forecast, got {values.dtype}"
        ) from None


def with_columns(frame: Any, new: dict[str, np.ndarray], keep: np.ndarray | None) -> Any:
    """``frame`` with the ``new`` columns appended, then only the rows where ``keep`` is True."""
    if frame_kind(frame) == "pandas":
        import pandas as pd

        out = frame.copy()
        added = pd.DataFrame(new, index=frame.index)
        out = pd.concat([out, added], axis=1)
        return out if keep is None else out.loc[keep]
    import polars as pl

    out = frame.with_columns([pl.Series(name, values) for name, values in new.items()])
    return out if keep is None else out.filter(pl.Series(keep))


def new_frame(like: Any, columns: dict[str, np.ndarray]) -> Any:
    """A frame of the same library as ``like`` holding ``columns`` (pandas keeps its index)."""
    if frame_kind(like) == "pandas":
        import pandas as pd

        return pd.DataFrame(columns, index=like.index)
    import polars as pl

    return pl.DataFrame(columns)
