"""Genetic search: a population evolved by tournament selection, crossover, mutation, elitism."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

from .base import Strategy, check_fraction, check_int


class GeneticSearch(Strategy):
    """Generational genetic algorithm over configurations.

    Generation 0 is ``population_size`` random configurations (the best cached ones take the
    first places when the cache already holds measurements). Each next generation keeps the
    ``n_elite`` best members unchanged (they are not measured again) and fills the rest with
    children: two parents picked by tournaments of ``tournament_size``, uniform crossover with
    probability ``crossover_rate``, then each gene mutated with probability ``mutation_rate``
    (default 1 / number of parameters) by a Gaussian step of ``mutation_scale`` in unit
    coordinates (a different choice for a categorical). A child that was already measured is
    mutated again, and replaced by a random configuration if that keeps failing.

    The next generation is bred once every child of the current one has a score; an ask that
    comes earlier (parallel measurements) gets an extra child of the current population.
    """

    name = "genetic"

    def __init__(
        self,
        space,
        *,
        population_size: int = 20,
        n_elite: int = 2,
        tournament_size: int = 3,
        crossover_rate: float = 0.9,
        mutation_rate: float | None = None,
        mutation_scale: float = 0.15,
        **kwargs,
    ):
        super().__init__(space, **kwargs)
        self.population_size = check_int("population_size", population_size, 2)
        self.n_elite = check_int("n_elite", n_elite, 0)
        if self.n_elite >= self.population_size:
            raise ValueError(
                f"n_elite={n_elite!r} is not valid; valid: an integer below "
                f"population_size={population_size}"
            )
        self.tournament_size = check_int("tournament_size", tournament_size, 1)
        self.crossover_rate = check_fraction("crossover_rate", crossover_rate)
        if mutation_rate is None:
            mutation_rate = 1.0 / len(self.space)
        self.mutation_rate = check_fraction("mutation_rate", mutation_rate)
        self.mutation_scale = check_fraction("mutation_scale", mutation_scale, 0.0, 10.0)
        self.generation = 0
        self._queue: list[dict[str, Any]] = []
        self._members: list[Hashable] = []  # keys of the current generation
        self._population: list[tuple[dict[str, Any], float]] = []  # scored parents

    # -- generations -------------------------------------------------------------------------------
    def _start(self) -> None:
        seeded = sorted(self.measured(), key=lambda cu: -cu[1])[: self.population_size]
        self._members = [self.space.key(c) for c, _ in seeded]
        for _ in range(20 * self.population_size):  # bounded: a small space may run out
            if len(self._members) >= self.population_size:
                break
            config = self.sample_unseen()
            if config is None:
                break
            key = self.space.key(config)
            if key in self._members:
                continue
            self._members.append(key)
            self._queue.append(config)
        self._configs = {self.space.key(c): c for c, _ in seeded}
        self._configs.update({self.space.key(c): c for c in self._queue})

    def _generation_scored(self) -> bool:
        return all(k in self.cache for k in self._members)

    def _breed_next(self) -> None:
        scored = [(self._configs[k], self.cached_utility(k)) for k in self._members]
        scored.sort(key=lambda cu: -cu[1])
        self._population = scored
        self.generation += 1
        elite = scored[: self.n_elite]
        self._members = [self.space.key(c) for c, _ in elite]
        self._configs = {self.space.key(c): c for c, _ in elite}
        while len(self._members) < self.population_size:
            child = self._child()
            if child is None:
                break
            key = self.space.key(child)
            if key in self._configs:  # the space is nearly used up: a smaller generation
                break
            self._members.append(key)
            self._configs[key] = child
            self._queue.append(child)

    def _child(self) -> dict[str, Any] | None:
        if not self._population:
            return self.sample_unseen()
        mother, father = self._select(), self._select()
        child = self._crossover(mother, father)
        for _ in range(20):
            child = self._mutate(child)
            key = self.space.key(child)
            if not self.known(key) and key not in self._configs:
                return child
        return self.sample_unseen()

    # -- operators ---------------------------------------------------------------------------------
    def _select(self) -> dict[str, Any]:
        picks = self.rng.integers(len(self._population), size=self.tournament_size)
        best = min(int(i) for i in picks)  # the population is sorted best first
        return self._population[best][0]

    def _crossover(self, mother: dict, father: dict) -> dict[str, Any]:
        if self.rng.random() >= self.crossover_rate:
            return dict(mother)
        child = {}
        for name in self.space.names:
            pick = mother if self.rng.random() < 0.5 else father
            if name in pick:
                child[name] = pick[name]
        return self.space.repair(child, self.rng)

    def _mutate(self, config: dict[str, Any]) -> dict[str, Any]:
        out = dict(config)
        changed = False
        for name in self.space.names:
            if name in out and self.rng.random() < self.mutation_rate:
                out[name] = self.space.params[name].mutate(out[name], self.rng, self.mutation_scale)
                changed = True
        if not changed:  # every call moves at least one gene, so retries explore
            active = [n for n in self.space.names if n in out]
            name = active[int(self.rng.integers(len(active)))]
            out[name] = self.space.params[name].mutate(out[name], self.rng, self.mutation_scale)
        return self.space.repair(out, self.rng)

    # -- ask/tell ----------------------------------------------------------------------------------
    def _propose(self) -> dict[str, Any] | None:
        if self.exhausted():
            return None
        if not self._members:
            self._start()
        for _ in range(self.population_size + 1):
            while self._queue:
                config = self._queue.pop(0)
                if not self.known(self.space.key(config)):
                    return config
            if not self._generation_scored():
                break
            self._breed_next()
        # measurements of this generation are still out: breed from what is known
        if not self._population:
            return self.sample_unseen()
        return self._child()

    def state(self) -> dict[str, Any]:
        best = self._population[0][1] if self._population else -math.inf
        if math.isfinite(best) and self.direction == "minimize":
            best = -best
        return {
            "generation": self.generation,
            "best_parent_score": best if math.isfinite(best) else None,
        }
