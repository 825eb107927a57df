"""Random search: independent draws from the space, never repeating a measured point."""

from __future__ import annotations

from typing import Any

from .base import Strategy


class RandomSearch(Strategy):
    """Uniform (or log-uniform) draws from every parameter's range."""

    name = "random"

    def _propose(self) -> dict[str, Any] | None:
        if self.exhausted():
            return None
        return self.sample_unseen()
