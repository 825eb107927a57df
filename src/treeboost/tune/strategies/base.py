"""The ask/tell interface every strategy implements, and what they share."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np

from ..history import EvaluationCache
from ..space import Space, as_space

DIRECTIONS = ("maximize", "minimize")


def check_direction(direction: Any) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction={direction!r} is not valid; valid: {', '.join(DIRECTIONS)}")
    return direction


def check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}={value!r} is not valid; valid: an integer >= {minimum}")
    if value < minimum:
        raise ValueError(f"{name}={value!r} is not valid; valid: an integer >= {minimum}")
    return int(value)


def check_fraction(name: str, value: Any, low: float = 0.0, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name}={value!r} is not valid; valid: a number in [{low}, {high}]")
    if not low <= value <= high:
        raise ValueError(f"{name}={value!r} is not valid; valid: a number in [{low}, {high}]")
    return float(value)


class Strategy:
    """Base class: proposes configurations (:meth:`ask`) and learns their scores (:meth:`tell`).

    Parameters
    ----------
    space : Space or dict
    direction : {"maximize", "minimize"}
    random_state : int or None
        Seed of the strategy's own generator: the same seed and the same scores give the same
        sequence of configurations.
    cache : EvaluationCache, optional
        Scores measured earlier (by this or another strategy). The strategy never asks for a
        cached configuration and reads cached scores for free. A fresh cache by default.

    Several asks may precede the matching tells (configurations measured in parallel, or
    elsewhere); :meth:`tell` also accepts configurations that were never asked.
    """

    name = "base"

    def __init__(
        self,
        space: Space | Mapping,
        *,
        direction: str = "maximize",
        random_state: int | None = None,
        cache: EvaluationCache | None = None,
    ):
        self.space = as_space(space)
        self.direction = check_direction(direction)
        if random_state is not None and not isinstance(random_state, (int, np.integer)):
            raise TypeError(f"random_state={random_state!r} is not valid; valid: an int or None")
        self.random_state = random_state
        self.rng = np.random.default_rng(random_state)
        self.cache = EvaluationCache() if cache is None else cache
        if not isinstance(self.cache, EvaluationCache):
            raise TypeError(f"cache={cache!r} is not valid; valid: an EvaluationCache or None")
        self._pending: dict[Hashable, dict[str, Any]] = {}
        self.n_told = 0

    # -- public interface --------------------------------------------------------------------------
    def ask(self) -> dict[str, Any] | None:
        """The next configuration to measure, or None when the strategy has nothing left."""
        config = self._propose()
        if config is None:
            return None
        config = self.space.validate(config)
        self._pending[self.space.key(config)] = config
        return dict(config)

    def tell(self, config: Mapping[str, Any], score: float | None) -> None:
        """Record the score of ``config``; None or NaN marks a failed evaluation."""
        config = self.space.validate(config)
        key = self.space.key(config)
        score = float("nan") if score is None else float(score)
        self._pending.pop(key, None)
        self.cache.record(key, config, score)
        self.n_told += 1
        self._observe(config, key, self.utility(score))

    def state(self) -> dict[str, Any]:
        """A small JSON description of where the strategy is (recorded with each trial)."""
        return {}

    # -- helpers for subclasses --------------------------------------------------------------------
    def utility(self, score: float) -> float:
        """The score turned into 'higher is better'; a failed evaluation is the worst."""
        if not math.isfinite(score):
            return -math.inf
        return score if self.direction == "maximize" else -score

    def known(self, key: Hashable) -> bool:
        return key in self.cache or key in self._pending

    def cached_utility(self, key: Hashable) -> float | None:
        score = self.cache.get(key)
        return None if score is None else self.utility(score)

    def measured(self) -> list[tuple[dict[str, Any], float]]:
        """(configuration, utility) of everything in the cache."""
        return [(c, self.utility(s)) for c, s in self.cache.items()]

    def best_measured(self) -> tuple[dict[str, Any], float] | None:
        best = None
        for config, u in self.measured():
            if best is None or u > best[1]:
                best = (config, u)
        return best

    def exhausted(self) -> bool:
        size = self.space.size()
        return size is not None and len(self.cache) + len(self._pending) >= size

    def sample_unseen(self, tries: int = 200, lattice: int | None = None) -> dict | None:
        """A random configuration neither measured nor pending (None if the space is used up)."""
        for _ in range(tries):
            if lattice is None:
                config = self.space.sample(self.rng)
            else:
                config = self.space.sample_lattice(self.rng, lattice)
            if not self.known(self.space.key(config)):
                return config
        # Sampling keeps colliding: list the unseen points of the (finite) lattice instead.
        if self.space.is_finite or lattice is not None:
            points = self.space.grid(lattice) if lattice else self.space.points()
            unseen = [c for c in points if not self.known(self.space.key(c))]
            if unseen:
                return unseen[int(self.rng.integers(len(unseen)))]
        return None

    # -- what subclasses implement -----------------------------------------------------------------
    def _propose(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def _observe(self, config: dict[str, Any], key: Hashable, utility: float) -> None:
        """React to a new score (the cache already holds it)."""
