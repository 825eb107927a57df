"""Trust the numbers: calibration, Venn-ABERS, conformal prediction, out-of-fold predictions
and the metrics that measure them. The public names are re-exported by
:mod:`treeboost.calibration`, :mod:`treeboost.conformal`, :mod:`treeboost.model_selection` and
:mod:`treeboost.metrics`."""

from __future__ import annotations

from .calibration import CalibratedClassifier
from .conformal_classification import Confidence, ConformalClassifier, certainty_report
from .conformal_regression import ConformalRegressor
from .cross_val import loo_predict, oof_predict
from .scores import (
    BootstrapResult,
    accuracy,
    ace,
    average_precision,
    bootstrap_ci,
    brier_score,
    class_coverage,
    coverage,
    ece,
    f1,
    log_loss,
    mean_set_size,
    mean_width,
    reliability_curve,
    roc_auc,
    sensitivity,
    specificity,
)
from .venn_abers import VennAbers

__all__ = [
    "BootstrapResult",
    "CalibratedClassifier",
    "Confidence",
    "ConformalClassifier",
    "ConformalRegressor",
    "VennAbers",
    "accuracy",
    "ace",
    "average_precision",
    "bootstrap_ci",
    "brier_score",
    "certainty_report",
    "class_coverage",
    "coverage",
    "ece",
    "f1",
    "log_loss",
    "loo_predict",
    "mean_set_size",
    "mean_width",
    "oof_predict",
    "reliability_curve",
    "roc_auc",
    "sensitivity",
    "specificity",
]
