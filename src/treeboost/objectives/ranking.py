"""Ranking objectives (filled in by the ranking work)."""

from __future__ import annotations

from collections.abc import Callable

from .base import Objective

# name -> builder(params)
BUILDERS: dict[str, Callable[[dict], Objective]] = {}
