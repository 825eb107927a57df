"""Tabu search on the parameter lattice: best admissible neighbour, tabu tenure, aspiration,
and restarts that keep it from circling among configurations it has already measured."""

from __future__ import annotations

import math
from typing import Any

from .base import Strategy, check_int


class TabuSearch(Strategy):
    """Tabu search over the lattice ``space.grid(resolution)``.

    A *move* changes one active parameter: an ordered parameter to the adjacent lattice value,
    a categorical one to any other choice (parameters that a move activates get a random
    value). From the current configuration every admissible neighbour is measured (cached ones
    cost nothing), then the search moves to the best admissible neighbour even when it is worse
    than the current one. After a move, returning the changed parameter to its old value is
    tabu for ``tenure`` moves, unless that neighbour beats the best configuration visited
    (aspiration).

    The search *restarts* when no neighbour is admissible, after
    ``restart_after`` moves without improving the best visited score, or after
    ``max_free_moves`` consecutive moves that measured nothing new (every neighbour already
    measured: without this, the walk can circle for ever without a single new evaluation).
    Restarts alternate between intensification, from an unmeasured neighbour of one of the
    ``n_elite`` best configurations measured, and diversification, from the unmeasured lattice
    point farthest from everything measured (among ``n_restart_candidates`` random ones).
    Every configuration is measured at most once; the search ends when the lattice is used up.
    """

    name = "tabu"

    def __init__(
        self,
        space,
        *,
        resolution: int = 9,
        tenure: int = 4,
        restart_after: int = 12,
        max_free_moves: int = 3,
        n_restart_candidates: int = 64,
        n_elite: int = 5,
        **kwargs,
    ):
        super().__init__(space, **kwargs)
        self.resolution = check_int("resolution", resolution, 2)
        self.tenure = check_int("tenure", tenure, 0)
        self.restart_after = check_int("restart_after", restart_after, 1)
        self.max_free_moves = check_int("max_free_moves", max_free_moves, 1)
        self.n_restart_candidates = check_int("n_restart_candidates", n_restart_candidates, 1)
        self.n_elite = check_int("n_elite", n_elite, 0)
        self._lattice = {n: p.grid(self.resolution) for n, p in self.space.params.items()}
        self._current: dict[str, Any] | None = None
        self._neighbours: list[dict[str, Any]] = []
        self._tabu: dict[tuple[str, str], int] = {}  # (param, value json) -> move it expires
        self._best_visited = -math.inf
        self.n_moves = 0
        self.n_restarts = 0
        self._stale = 0
        self._free_moves = 0
        self._evaluated_since_move = False

    # -- the lattice -------------------------------------------------------------------------------
    def _snap(self, config: dict[str, Any]) -> dict[str, Any]:
        """The nearest lattice point (a configuration from the cache may lie between points)."""
        out = {}
        for name, value in config.items():
            param, values = self.space.params[name], self._lattice[name]
            if param.ordered:
                u = param.unit(value)
                out[name] = min(values, key=lambda v, u=u: abs(param.unit(v) - u))
            else:
                out[name] = value
        return out

    def _moves(self, config: dict[str, Any]) -> list[tuple[str, Any, dict[str, Any]]]:
        moves = []
        for name in self.space.names:
            if name not in config:
                continue
            param, values = self.space.params[name], self._lattice[name]
            if param.ordered:
                i = values.index(config[name])
                targets = [values[j] for j in (i - 1, i + 1) if 0 <= j < len(values)]
            else:
                targets = [v for v in values if v != config[name]]
            for value in targets:
                neighbour = self.space.repair({**config, name: value}, self.rng)
                moves.append((name, value, self._snap(neighbour)))
        return moves

    def _is_tabu(self, name: str, value: Any) -> bool:
        expires = self._tabu.get((name, repr(value)))
        return expires is not None and expires > self.n_moves

    # -- walking -----------------------------------------------------------------------------------
    def _set_current(self, config: dict[str, Any]) -> None:
        self._current = config
        moves = self._moves(config)
        order = self.rng.permutation(len(moves))
        self._neighbours = [moves[i] for i in order]
        self._evaluated_since_move = False

    def _start_point(self) -> dict[str, Any] | None:
        best = self.best_measured()
        if best is not None and self.n_restarts == 0 and math.isfinite(best[1]):
            return self._snap(best[0])  # continue from what the cache already knows
        return self.sample_unseen(lattice=self.resolution)

    def _restart(self) -> bool:
        """Odd restarts intensify (an unmeasured neighbour of an elite configuration), even
        ones diversify (the candidate farthest from everything measured)."""
        self.n_restarts += 1
        self._tabu.clear()
        self._stale = 0
        self._free_moves = 0
        self._best_visited = -math.inf
        if self.n_restarts % 2 == 1:
            elite = self._elite_neighbour()
            if elite is not None:
                self._set_current(elite)
                return True
        candidates = []
        for _ in range(self.n_restart_candidates):
            config = self.sample_unseen(tries=20, lattice=self.resolution)
            if config is None:
                break
            candidates.append(config)
        if not candidates:
            return False
        measured = [c for c, _ in self.cache.items()]
        if measured:
            nearest = self.space.distances(candidates, measured).min(axis=1)
            config = candidates[int(nearest.argmax())]
        else:
            config = candidates[0]
        self._set_current(config)
        return True

    def _elite_neighbour(self) -> dict[str, Any] | None:
        """An unmeasured neighbour of one of the ``n_elite`` best measured configurations."""
        ranked = sorted(self.measured(), key=lambda cu: -cu[1])[: self.n_elite]
        for config, utility in ranked:
            if not math.isfinite(utility):
                break
            moves = self._moves(self._snap(config))
            unseen = [n for _, _, n in moves if not self.known(self.space.key(n))]
            if unseen:
                return unseen[int(self.rng.integers(len(unseen)))]
        return None

    def _move(self) -> bool:
        """Move to the best admissible neighbour; False when none is admissible."""
        choice = None
        for name, value, neighbour in self._neighbours:
            u = self.cached_utility(self.space.key(neighbour))
            if u is None:
                continue
            if self._is_tabu(name, value) and not u > self._best_visited:
                continue
            if choice is None or u > choice[0]:
                choice = (u, name, neighbour)
        if choice is None:
            return False
        u, name, neighbour = choice
        self.n_moves += 1
        self._tabu = {k: t for k, t in self._tabu.items() if t > self.n_moves}
        self._tabu[(name, repr(self._current[name]))] = self.n_moves + self.tenure
        self._free_moves = 0 if self._evaluated_since_move else self._free_moves + 1
        if u > self._best_visited:
            self._best_visited, self._stale = u, 0
        else:
            self._stale += 1
        self._set_current(neighbour)
        return True

    def _propose(self) -> dict[str, Any] | None:
        for _ in range(10_000):
            if self._current is None:
                start = self._start_point()
                if start is None:
                    return None
                self._set_current(start)
            current_key = self.space.key(self._current)
            if not self.known(current_key):
                self._evaluated_since_move = True
                return self._current
            if current_key in self.cache:
                self._best_visited = max(self._best_visited, self.cached_utility(current_key))
            for name, value, neighbour in self._neighbours:
                if not self._is_tabu(name, value) and not self.known(self.space.key(neighbour)):
                    self._evaluated_since_move = True
                    return neighbour
            waiting = current_key not in self.cache or any(
                self.space.key(n) not in self.cache and self.known(self.space.key(n))
                for _, _, n in self._neighbours
            )
            if waiting:
                # results of this neighbourhood are still out (parallel asks): explore meanwhile
                return self.sample_unseen(lattice=self.resolution)
            needs_restart = (
                self._stale >= self.restart_after or self._free_moves >= self.max_free_moves
            )
            if needs_restart or not self._move():
                if not self._restart():
                    return None
        return None  # pragma: no cover - each pass measures, moves or restarts

    def state(self) -> dict[str, Any]:
        return {"moves": self.n_moves, "restarts": self.n_restarts, "tabu": len(self._tabu)}
