"""Conformal prediction: :class:`ConformalRegressor` (split, CV+, jackknife+, CQR) and
:class:`ConformalClassifier` (LAC, APS, RAPS; Mondrian; split or cross-conformal); also
``tb.conformal``. See docs/uncertainty.md."""

from __future__ import annotations

from .classification import Confidence, ConformalClassifier, certainty_report
from .regression import ConformalRegressor

__all__ = ["Confidence", "ConformalClassifier", "ConformalRegressor", "certainty_report"]
