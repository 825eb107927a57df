"""Baselines a forecast has to beat: persistence (the last observation) and climatology (the
average for the time of day or year, learned on training rows only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._frames import column, numeric_column, require_columns
from .lags import step_index

SEASONS = ("hour", "month", "dayofyear", "hour-month", "dayofweek")


def persistence_forecast(frame: Any, column_name: str, lead: int, group: str | None = None,
                         time: str | None = None, freq: Any = None) -> np.ndarray:
    """For each row, the forecast of ``column_name`` at the row's time issued ``lead`` steps
    earlier by persistence: the value observed then (NaN when that time is absent). Compare it
    with the row's own value; ``make_lag_features`` with the same ``group``/``time`` gives the
    same numbers as ``NAME_lag{lead}``."""
    if isinstance(lead, (bool, np.bool_)) or not isinstance(lead, (int, np.integer)) or lead < 1:
        raise ValueError(f"lead={lead!r} is not valid; valid: an integer >= 1 (steps)")
    require_columns(frame, [column_name], "column")
    values = numeric_column(frame, column_name)
    return step_index(frame, group, time, freq).shifted(values, -int(lead))


def _season_keys(times: np.ndarray, by: Any, time: str) -> np.ndarray:
    if callable(by):
        return np.asarray(by(times))
    if by not in SEASONS:
        raise ValueError(f"by={by!r} is not valid; valid: {', '.join(SEASONS)} or a callable")
    if not np.issubdtype(times.dtype, np.datetime64):
        raise TypeError(f"by={by!r} needs datetimes in the time column {time!r}; pass a callable "
                        "that maps its values to season keys")
    t = times.astype("datetime64[ns]")
    days = t.astype("datetime64[D]")
    hour = ((t - days) // np.timedelta64(1, "h")).astype(np.int64)
    months = t.astype("datetime64[M]")
    month = (months.astype(np.int64) % 12) + 1
    if by == "hour":
        return hour
    if by == "month":
        return month
    if by == "dayofyear":
        years = t.astype("datetime64[Y]").astype("datetime64[D]")
        return (days - years).astype(np.int64) + 1
    if by == "dayofweek":
        return (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    return month * 100 + hour


def climatology_forecast(train: Any, column_name: str, time: str | None = None,
                         by: str | Callable | None = "hour", frame: Any = None) -> np.ndarray:
    """The mean of ``column_name`` over the ``train`` rows of the same season (``by``: "hour",
    "month", "dayofyear", "dayofweek", "hour-month", a callable mapping time values to keys, or
    None for the overall mean), for every row of ``frame`` (default ``train``). Seasons the
    training rows never saw get the overall training mean."""
    require_columns(train, [column_name], "column")
    target = frame if frame is not None else train
    y = numeric_column(train, column_name)
    present = ~np.isnan(y)
    if not present.any():
        raise ValueError(f"column {column_name!r} has no values in the training rows")
    overall = float(y[present].mean())
    n_out = int(target.shape[0])
    if by is None:
        return np.full(n_out, overall)
    if time is None:
        raise ValueError("climatology by season needs time=, the time column")
    require_columns(train, [time], "time")
    require_columns(target, [time], "time")
    train_keys = _season_keys(column(train, time), by, time)[present]
    means: dict = {}
    for key in np.unique(train_keys):
        means[key.item() if hasattr(key, "item") else key] = float(
            y[present][train_keys == key].mean()
        )
    keys = _season_keys(column(target, time), by, time)
    return np.array([means.get(k.item() if hasattr(k, "item") else k, overall) for k in keys])
