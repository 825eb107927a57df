"""Grid search: every point of the lattice, in order or shuffled."""

from __future__ import annotations

from typing import Any

from .base import Strategy, check_int

ORDERS = ("natural", "shuffled")


class GridSearch(Strategy):
    """Every configuration of ``space.grid(n_points)``.

    Parameters
    ----------
    n_points : int
        Values per Integer / Float parameter (ordinal and categorical ones use all values).
    order : {"natural", "shuffled"}
        ``"natural"`` walks the grid like nested loops (the first parameter slowest);
        ``"shuffled"`` visits it in a random order drawn from ``random_state``.
    """

    name = "grid"

    def __init__(self, space, *, n_points: int = 5, order: str = "natural", **kwargs):
        super().__init__(space, **kwargs)
        self.n_points = check_int("n_points", n_points, 2)
        if order not in ORDERS:
            raise ValueError(f"order={order!r} is not valid; valid: {', '.join(ORDERS)}")
        self.order = order
        self._points: list[dict[str, Any]] | None = None
        self._position = 0

    def _ensure_points(self) -> list[dict[str, Any]]:
        if self._points is None:
            self._points = list(self.space.grid(self.n_points))
            if self.order == "shuffled":
                self._points = [self._points[i] for i in self.rng.permutation(len(self._points))]
        return self._points

    def _propose(self) -> dict[str, Any] | None:
        points = self._ensure_points()
        while self._position < len(points):
            config = points[self._position]
            self._position += 1
            if not self.known(self.space.key(config)):
                return config
        return None

    def state(self) -> dict[str, Any]:
        return {"position": self._position, "size": len(self._ensure_points())}
