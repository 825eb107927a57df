"""Conformal prediction: ``tb.conformal.ConformalRegressor`` (split, CV+, jackknife+, CQR) and
``tb.conformal.ConformalClassifier`` (LAC, APS, RAPS; Mondrian; split or cross-conformal).
See docs/uncertainty.md."""

from __future__ import annotations

from .uncertainty.conformal_classification import (
    Confidence,
    ConformalClassifier,
    certainty_report,
)
from .uncertainty.conformal_regression import ConformalRegressor

__all__ = ["Confidence", "ConformalClassifier", "ConformalRegressor", "certainty_report"]
