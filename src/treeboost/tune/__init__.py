"""Hyperparameter search: grid, random, genetic, tabu and boosted-surrogate strategies behind one
ask/tell interface, :func:`search` for any black-box function, and :class:`TreeBoostSearchCV`
for scikit-learn estimators. See docs/tune.md."""

from __future__ import annotations

from .defaults import default_space
from .history import EvaluationCache, Trial, load_history
from .search import SearchResult, search
from .space import Categorical, Float, Integer, Ordinal, Param, Space
from .strategies import (
    STRATEGIES,
    GeneticSearch,
    GridSearch,
    RandomSearch,
    Strategy,
    SurrogateSearch,
    TabuSearch,
    make_strategy,
)


def __getattr__(name: str):
    # the scikit-learn meta-estimator loads scikit-learn only when it is used
    if name == "TreeBoostSearchCV":
        from .search_cv import TreeBoostSearchCV

        return TreeBoostSearchCV
    raise AttributeError(f"module 'treeboost.tune' has no attribute {name!r}")


__all__ = [
    "STRATEGIES",
    "Categorical",
    "EvaluationCache",
    "Float",
    "GeneticSearch",
    "GridSearch",
    "Integer",
    "Ordinal",
    "Param",
    "RandomSearch",
    "SearchResult",
    "Space",
    "Strategy",
    "SurrogateSearch",
    "TabuSearch",
    "TreeBoostSearchCV",
    "Trial",
    "default_space",
    "load_history",
    "make_strategy",
    "search",
]
