"""Lagged predictors and future targets from a frame, by time rather than by row.

Every row gets an integer step index within its group: its position when no time column is
given, else ``(time - first time of the group) / freq``. A lag of ``k`` reads the row whose step
is ``k`` less in the same group (NaN when that time is absent, as it is across a gap in the
record), so a lag never reads a later timestamp; a lead of ``k`` reads the row ``k`` steps later,
and is meant as a target only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._frames import column, frame_kind, numeric_column, require_columns, with_columns


@dataclass
class StepIndex:
    """Where each row sits in time: its group's code and its step within the group."""

    codes: np.ndarray  # int64 group code per row
    steps: np.ndarray  # int64 step per row, 0 at the group's first time
    freq: Any  # the step: 1 (rows), a number, or a numpy timedelta64
    span: int  # the largest step of any group

    def __post_init__(self) -> None:
        # Rows sorted by (group, step) once; every lookup is then a binary search. Targets
        # outside [0, span] are never looked up, so span + 1 keys per group keep groups apart.
        keys = self.codes * (self.span + 1) + self.steps
        self._order = np.argsort(keys, kind="stable")
        self._sorted_keys = keys[self._order]

    def lookup(self, offset: int) -> tuple[np.ndarray, np.ndarray]:
        """For every row, the row ``offset`` steps later in its group (earlier when negative):
        ``(found mask, row index)``; the index is meaningless where not found."""
        target = self.steps + offset
        inside = (target >= 0) & (target <= self.span)
        wanted = self.codes * (self.span + 1) + target
        pos = np.searchsorted(self._sorted_keys, wanted)
        pos = np.minimum(pos, self._sorted_keys.shape[0] - 1)
        found = inside & (self._sorted_keys[pos] == wanted)
        return found, self._order[pos]

    def shifted(self, values: np.ndarray, offset: int) -> np.ndarray:
        """``values`` of the row ``offset`` steps away in the same group, NaN where absent."""
        found, rows = self.lookup(offset)
        out = np.full(values.shape[0], np.nan)
        out[found] = values[rows[found]]
        return out


def _group_codes(frame: Any, group: str | None, n: int) -> np.ndarray:
    if group is None:
        return np.zeros(n, dtype=np.int64)
    require_columns(frame, [group], "group")
    values = column(frame, group)
    codes: dict = {}
    out = np.empty(n, dtype=np.int64)
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and v != v):
            raise ValueError(f"group column {group!r} is missing at row {i}; every row needs one")
        out[i] = codes.setdefault(v, len(codes))
    return out


def _time_numbers(frame: Any, time: str) -> tuple[np.ndarray, bool]:
    """The time column as int64 nanoseconds (datetimes) or float64, and whether datetimes."""
    values = column(frame, time)
    if np.issubdtype(values.dtype, np.datetime64):
        if np.isnat(values).any():
            row = int(np.flatnonzero(np.isnat(values))[0])
            raise ValueError(f"time column {time!r} is missing at row {row}")
        return values.astype("datetime64[ns]").astype(np.int64), True
    try:
        numbers = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"time column {time!r} must hold datetimes or numbers, got {values.dtype}"
        ) from None
    if np.isnan(numbers).any():
        row = int(np.flatnonzero(np.isnan(numbers))[0])
        raise ValueError(f"time column {time!r} is missing at row {row}")
    return numbers, False


def _freq_number(freq: Any, is_datetime: bool, time: str) -> float:
    if is_datetime:
        if isinstance(freq, (bool, int, float, np.number)):
            raise ValueError(
                f"freq={freq!r} is a bare number, but the time column {time!r} holds datetimes; "
                "give a timedelta or a string such as '1h'"
            )
        try:
            delta = np.timedelta64(freq) if not isinstance(freq, str) else None
        except (TypeError, ValueError):
            delta = None
        if delta is None:
            import pandas as pd

            try:
                delta = pd.Timedelta(freq).to_timedelta64()
            except (TypeError, ValueError):
                raise ValueError(
                    f"freq={freq!r} is not a time step; valid: a timedelta or a string such as "
                    "'1h' or '10min'"
                ) from None
        value = float(delta.astype("timedelta64[ns]").astype(np.int64))
    else:
        if isinstance(freq, (bool, np.bool_)) or not isinstance(freq, (int, float, np.number)):
            raise ValueError(f"freq={freq!r} is not valid for the numeric time column {time!r}")
        value = float(freq)
    if not value > 0:
        raise ValueError(f"freq={freq!r} is not valid; the time step must be positive")
    return value


def _readable(freq: Any) -> str:
    """A time step as people write it: 1 h, 30 min, 15 s (numbers as they are)."""
    if not isinstance(freq, np.timedelta64):
        return f"{freq:g}"
    ns = int(freq.astype("timedelta64[ns]").astype(np.int64))
    for unit, size in (("d", 86_400 * 10**9), ("h", 3_600 * 10**9), ("min", 60 * 10**9),
                       ("s", 10**9), ("ms", 10**6), ("us", 10**3)):
        if ns % size == 0:
            return f"{ns // size} {unit}"
    return f"{ns} ns"


def step_index(frame: Any, group: str | None = None, time: str | None = None,
               freq: Any = None) -> StepIndex:
    """The :class:`StepIndex` of ``frame``'s rows; checks that time increases within each group
    on a regular grid of ``freq`` (inferred as the smallest step when None)."""
    frame_kind(frame)
    n = int(frame.shape[0])
    if n == 0:
        raise ValueError("frame has no rows")
    codes = _group_codes(frame, group, n)
    order = np.argsort(codes, kind="stable")  # rows of each group together, in frame order
    sorted_codes = codes[order]
    first = np.ones(n, dtype=bool)
    first[1:] = sorted_codes[1:] != sorted_codes[:-1]
    if time is None:
        starts = np.flatnonzero(first)
        position = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
        steps = np.empty(n, dtype=np.int64)
        steps[order] = position
        return StepIndex(codes, steps, 1, int(steps.max()))
    require_columns(frame, [time], "time")
    t, is_datetime = _time_numbers(frame, time)
    ts = t[order].astype(np.float64) if not is_datetime else t[order]
    diffs = np.diff(ts).astype(np.float64)
    same = ~first[1:]
    bad = same & (diffs <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0]) + 1
        row = int(order[i])
        where = "" if group is None else f" in group {column(frame, group)[row]!r}"
        kind = "is repeated" if diffs[i - 1] == 0 else "goes back in time"
        shown = column(frame, time)[row]
        raise ValueError(
            f"time column {time!r} {kind} at row {row} ({shown}){where}; times must increase "
            "strictly within each series"
        )
    if freq is None:
        positive = diffs[same]
        if positive.size == 0:
            step = 1.0
        else:
            step = float(positive.min())
        freq_out: Any = np.timedelta64(int(step), "ns") if is_datetime else step
    else:
        step = _freq_number(freq, is_datetime, time)
        freq_out = np.timedelta64(int(step), "ns") if is_datetime else step
    group_start = np.repeat(ts[first], np.diff(np.append(np.flatnonzero(first), n)))
    raw = (ts - group_start).astype(np.float64) / step
    rounded = np.round(raw)
    off_grid = np.abs(raw - rounded) > 1e-6 * np.maximum(1.0, np.abs(raw))
    if off_grid.any():
        row = int(order[int(np.flatnonzero(off_grid)[0])])
        raise ValueError(
            f"time column {time!r} is irregular: row {row} ({column(frame, time)[row]}) is not a "
            f"whole number of steps of {_readable(freq_out)} after its series' first time; pass "
            "the right freq= or resample the series onto a regular grid"
        )
    steps = np.empty(n, dtype=np.int64)
    steps[order] = rounded.astype(np.int64)
    return StepIndex(codes, steps, freq_out, int(steps.max()))


def _offsets(name: str, values: Any, low: int, freq: Any) -> list[int]:
    if values is None:
        return []
    items = [values] if np.isscalar(values) or isinstance(values, np.timedelta64) else list(values)
    out = []
    for v in items:
        if isinstance(v, np.timedelta64) or type(v).__name__ == "Timedelta":
            if not isinstance(freq, np.timedelta64):
                raise ValueError(f"{name} entry {v!r} is a time span, but the series has no "
                                 "datetime time column")
            ratio = np.timedelta64(v, "ns").astype(np.int64) / freq.astype(np.int64)
            if ratio != int(ratio):
                raise ValueError(f"{name} entry {v!r} is not a whole number of steps of {freq}")
            v = int(ratio)
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"{name} entry {v!r} is not valid; valid: integers >= {low} (steps)")
        if v < low:
            hint = " (a negative lag would read the future; use leads for targets)" if (
                name == "lags") else ""
            raise ValueError(f"{name} entry {v} is not valid; valid: integers >= {low}{hint}")
        out.append(int(v))
    return sorted(set(out))


def make_lag_features(
    frame: Any,
    columns: Any,
    lags: Any = (1,),
    leads: Any = (),
    group: str | None = None,
    time: str | None = None,
    dropna: bool = True,
    freq: Any = None,
) -> Any:
    """Add lagged copies of ``columns`` (``NAME_lagK``) and future values (``NAME_leadK``).

    Parameters
    ----------
    frame : pandas or polars DataFrame
    columns : str or list of str
        Numeric columns to lag (and to lead).
    lags : int or sequence, default (1,)
        Steps back, each >= 0 (0 is the current value). With a datetime ``time`` column they may
        also be time spans (``np.timedelta64(2, "h")``), which must be whole steps.
    leads : int or sequence, default ()
        Steps ahead, each >= 1: future values, to be used as targets, never as predictors.
    group : str, optional
        Column naming the series (a station, a patient): lags never cross from one to another.
    time : str, optional
        Time column (datetimes or numbers). Times must increase strictly within a series and lie
        on a regular grid of ``freq``; missing times are gaps, so a lag of 1 step reads the value
        one step earlier in time, which is NaN across a gap. Without it, row order is time.
    dropna : bool, default True
        Drop rows where any new column is NaN (series starts and ends, gaps).
    freq : optional
        The time step (a number, a timedelta or a string such as ``"1h"``); inferred as the
        smallest step between consecutive times of a series when None.

    Returns
    -------
    A frame of the same library with the new columns appended (pandas keeps its index).
    """
    frame_kind(frame)
    names = [columns] if isinstance(columns, str) else list(columns)
    if not names:
        raise ValueError("columns is empty; name at least one column to lag")
    require_columns(frame, names, "column")
    index = step_index(frame, group, time, freq)
    lag_steps = _offsets("lags", lags, 0, index.freq)
    lead_steps = _offsets("leads", leads, 1, index.freq)
    if not lag_steps and not lead_steps:
        raise ValueError("lags and leads are both empty; ask for at least one")
    for k in [*lag_steps, *lead_steps]:
        if k > index.span:
            raise ValueError(
                f"{'lag' if k in lag_steps else 'lead'} {k} is longer than every series: the "
                f"longest spans {index.span} steps"
            )
    existing = set(str(c) for c in frame.columns)
    new: dict[str, np.ndarray] = {}
    for name in names:
        values = numeric_column(frame, name)
        for k in lag_steps:
            new[f"{name}_lag{k}"] = values.copy() if k == 0 else index.shifted(values, -k)
        for k in lead_steps:
            new[f"{name}_lead{k}"] = index.shifted(values, k)
    clash = [c for c in new if c in existing]
    if clash:
        raise ValueError(f"column {clash[0]!r} already exists; rename it or drop it first")
    keep = None
    if dropna:
        keep = np.ones(int(frame.shape[0]), dtype=bool)
        for values in new.values():
            keep &= ~np.isnan(values)
    return with_columns(frame, new, keep)
