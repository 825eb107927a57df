"""Rolling-origin cross-validation: each fold tests on a block of time and trains only on what
came before it, ``gap`` steps earlier at the latest (so lagged features and lead targets of the
training rows cannot overlap the test block)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

WINDOWS = ("expanding", "sliding")


def _positive_int(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or (
        value < low
    ):
        raise ValueError(f"{name}={value!r} is not valid; valid: an integer >= {low}")
    return int(value)


class RollingOriginSplit:
    """A scikit-learn CV splitter over time.

    The last ``n_splits * horizon`` time points are cut into ``n_splits`` consecutive test blocks
    of ``horizon`` points. A fold trains on every earlier point up to ``gap`` points before its
    test block (``window="expanding"``), or on the ``train_size`` points just before that
    (``"sliding"``; default: the first fold's training size).

    Time points are rows in order, or, when ``time`` is given (one value per row, any order),
    the distinct sorted values of ``time``: then every row of a time point falls in the same
    fold, as rows of several stations observed at one hour should.

    Use it as ``cv=`` of scikit-learn (``cross_val_score``, ``TreeBoostSearchCV``) or, once it
    knows the data (``rolling_origin_splits(n, ...)``), as the ``folds`` of :func:`treeboost.cv`.
    """

    def __init__(self, n_splits: int = 5, horizon: int = 1, gap: int = 0,
                 window: str = "expanding", train_size: int | None = None, time: Any = None):
        self.n_splits = _positive_int("n_splits", n_splits)
        self.horizon = _positive_int("horizon", horizon)
        self.gap = _positive_int("gap", gap, low=0)
        if window not in WINDOWS:
            raise ValueError(f"window={window!r} is not valid; valid: {', '.join(WINDOWS)}")
        self.window = window
        self.train_size = None if train_size is None else _positive_int("train_size", train_size)
        self.time = None if time is None else np.asarray(time)
        self._n: int | None = None

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return self.n_splits

    def _points(self, n_rows: int) -> tuple[int, np.ndarray | None]:
        """(number of time points, the time point of each row, or None when rows are points)."""
        if self.time is None:
            return n_rows, None
        if self.time.shape[0] != n_rows:
            raise ValueError(
                f"time has {self.time.shape[0]} values but the data has {n_rows} rows"
            )
        _, point = np.unique(self.time, return_inverse=True)
        return int(point.max()) + 1, point

    def _blocks(self, n_points: int):
        first_test = n_points - self.n_splits * self.horizon
        first_train_end = first_test - self.gap
        if first_train_end < 1:
            raise ValueError(
                f"{n_points} time points are too few for n_splits={self.n_splits} x "
                f"horizon={self.horizon} plus gap={self.gap}: the first fold would have no "
                "training data"
            )
        size = self.train_size if self.train_size is not None else first_train_end
        for k in range(self.n_splits):
            test_start = first_test + k * self.horizon
            train_end = test_start - self.gap
            train_start = 0 if self.window == "expanding" else max(0, train_end - size)
            yield (train_start, train_end), (test_start, test_start + self.horizon)

    def split(self, X: Any = None, y: Any = None, groups: Any = None):
        n_rows = self._n_rows(X, y)
        n_points, point = self._points(n_rows)
        for (a, b), (c, d) in self._blocks(n_points):
            if point is None:
                yield np.arange(a, b), np.arange(c, d)
            else:
                yield (np.flatnonzero((point >= a) & (point < b)),
                       np.flatnonzero((point >= c) & (point < d)))

    def _n_rows(self, X: Any, y: Any) -> int:
        for data in (X, y):
            if data is not None:
                return int(data.shape[0]) if hasattr(data, "shape") else len(data)
        if self._n is not None:
            return self._n
        if self.time is not None:
            return int(self.time.shape[0])
        raise ValueError("split() needs X (or y) unless the splitter was given n or time")

    def __iter__(self):
        return self.split()

    def __len__(self) -> int:
        return self.n_splits

    def __repr__(self) -> str:
        return (f"RollingOriginSplit(n_splits={self.n_splits}, horizon={self.horizon}, "
                f"gap={self.gap}, window={self.window!r}, train_size={self.train_size})")


def rolling_origin_splits(n_or_time: Any, n_splits: int = 5, horizon: int = 1, gap: int = 0,
                          window: str = "expanding", train_size: int | None = None
                          ) -> RollingOriginSplit:
    """A :class:`RollingOriginSplit` bound to the data: ``n_or_time`` is the number of rows
    (in time order) or one time value per row. Iterating it gives the (train, test) index
    pairs, so it serves as ``folds`` of :func:`treeboost.cv` as well as ``cv=`` of
    scikit-learn."""
    if isinstance(n_or_time, numbers.Integral) and not isinstance(n_or_time, (bool, np.bool_)):
        splitter = RollingOriginSplit(n_splits, horizon, gap, window, train_size)
        splitter._n = _positive_int("n", n_or_time)
        return splitter
    time = np.asarray(n_or_time)
    if time.ndim != 1 or time.shape[0] == 0:
        raise ValueError("n_or_time must be a row count or a 1-D array of times, one per row")
    return RollingOriginSplit(n_splits, horizon, gap, window, train_size, time=time)
