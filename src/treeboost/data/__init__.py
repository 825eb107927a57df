"""Data layer: input adapters, binning (BinMapper) and the Dataset container."""

from __future__ import annotations

from .binning import BinMapper
from .dataset import Dataset

__all__ = ["BinMapper", "Dataset"]
