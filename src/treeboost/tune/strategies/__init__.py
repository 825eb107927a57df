"""Search strategies behind one ask/tell interface."""

from __future__ import annotations

from typing import Any

from .base import Strategy
from .genetic import GeneticSearch
from .grid import GridSearch
from .random_search import RandomSearch
from .surrogate import SurrogateSearch
from .tabu import TabuSearch

STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls for cls in (GridSearch, RandomSearch, GeneticSearch, TabuSearch, SurrogateSearch)
}


def make_strategy(strategy: str | Strategy, space, **kwargs: Any) -> Strategy:
    """A strategy object from its name (``"grid"``, ``"random"``, ``"genetic"``, ``"tabu"``,
    ``"surrogate"``); keyword arguments go to its constructor."""
    if isinstance(strategy, Strategy):
        return strategy
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy={strategy!r} is not valid; valid: {', '.join(STRATEGIES)}")
    return STRATEGIES[strategy](space, **kwargs)


__all__ = [
    "STRATEGIES",
    "GeneticSearch",
    "GridSearch",
    "RandomSearch",
    "Strategy",
    "SurrogateSearch",
    "TabuSearch",
    "make_strategy",
]
