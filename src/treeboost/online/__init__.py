"""Online boosting: one tree per update from gradients of an outer loss (docs/online.md)."""

from __future__ import annotations

from .booster import OnlineBooster
from .optimizers import SGD, Adam, Optimizer

__all__ = ["SGD", "Adam", "OnlineBooster", "Optimizer"]
