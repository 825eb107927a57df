"""Probability calibration: ``tb.calibration.CalibratedClassifier`` (Platt, isotonic,
Venn-ABERS) and the binary ``VennAbers`` predictor. See docs/uncertainty.md."""

from __future__ import annotations

from .uncertainty.calibration import CalibratedClassifier
from .uncertainty.venn_abers import VennAbers

__all__ = ["CalibratedClassifier", "VennAbers"]
