"""The :class:`Metric` wrapper that evaluation logs and early stopping are written against."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


class Metric:
    """A named evaluation metric.

    Parameters
    ----------
    name : str
        Name shown in evaluation logs, e.g. ``"auc"`` or ``"ndcg@10"``.
    func : callable
        ``func(y, prediction, weight) -> float``; with ``needs_data``,
        ``func(y, prediction, weight, data) -> float``.
    maximize : bool
        True when larger is better (early stopping needs the direction).
    needs_data : bool, default=False
        The metric reads more of the evaluation Dataset than its labels and weights: the query
        groups of ranking metrics, the censoring bounds of survival metrics.

    Examples
    --------
    >>> from treeboost.metrics import get_metric
    >>> m = get_metric("rmse")
    >>> m([0.0, 2.0], [1.0, 1.0], None)
    1.0
    """

    def __init__(
        self,
        name: str,
        func: Callable[..., float],
        maximize: bool,
        needs_data: bool = False,
    ) -> None:
        self.name = name
        self.func = func
        self.maximize = maximize
        self.needs_data = needs_data

    def __call__(
        self,
        y: np.ndarray,
        prediction: np.ndarray,
        weight: np.ndarray | None = None,
        data: Any = None,
    ) -> float:
        """Return the metric of ``prediction`` against labels ``y`` with optional weights;
        ``data`` is the evaluation Dataset (read only by metrics that need it)."""
        if self.needs_data:
            if data is None:
                raise ValueError(
                    f"metric {self.name!r} needs the evaluation Dataset (its query groups or "
                    "censoring bounds); pass data="
                )
            return float(self.func(y, prediction, weight, data))
        return float(self.func(y, prediction, weight))

    def __repr__(self) -> str:
        return f"Metric(name={self.name!r}, maximize={self.maximize})"
