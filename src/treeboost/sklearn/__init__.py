"""scikit-learn estimators: :class:`TreeBoostRegressor` and :class:`TreeBoostClassifier`."""

from __future__ import annotations

from .estimators import TreeBoostClassifier, TreeBoostRegressor

__all__ = ["TreeBoostClassifier", "TreeBoostRegressor"]
