"""scikit-learn estimators: :class:`TreeBoostRegressor`, :class:`TreeBoostClassifier`,
:class:`TreeBoostRanker` and :class:`TreeBoostSurvival`."""

from __future__ import annotations

from .estimators import TreeBoostClassifier, TreeBoostRegressor
from .ranking import TreeBoostRanker
from .survival import TreeBoostSurvival

__all__ = ["TreeBoostClassifier", "TreeBoostRanker", "TreeBoostRegressor", "TreeBoostSurvival"]
