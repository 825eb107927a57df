"""Conformal prediction: :class:`ConformalRegressor` (split, CV+, jackknife+, CQR),
:class:`ConformalClassifier` (LAC, APS, RAPS; Mondrian; split or cross-conformal),
:class:`WeightedConformalRegressor` (covariate shift) and :class:`AdaptiveConformal` (online,
for sequences); also ``tb.conformal``. See docs/uncertainty.md."""

from __future__ import annotations

from .adaptive import AdaptiveConformal, aci_coverage_bound
from .classification import Confidence, ConformalClassifier, certainty_report
from .regression import ConformalRegressor
from .weighted import WeightedConformalRegressor, weighted_conformal_quantile

__all__ = [
    "AdaptiveConformal",
    "Confidence",
    "ConformalClassifier",
    "ConformalRegressor",
    "WeightedConformalRegressor",
    "aci_coverage_bound",
    "certainty_report",
    "weighted_conformal_quantile",
]
