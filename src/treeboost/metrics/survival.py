"""Survival metrics (filled in by the survival work)."""

from __future__ import annotations

from .base import Metric

__all__: list[str] = []

METRIC_NAMES: tuple[str, ...] = ()


def parse_metric(name: str, params: dict) -> Metric | None:
    """The metric called ``name`` if it is one of this family's, else None."""
    return None
