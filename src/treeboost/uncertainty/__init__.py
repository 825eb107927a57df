"""Trust the numbers: calibration, Venn-ABERS, conformal prediction, out-of-fold predictions
and the metrics that measure them. The public names are re-exported by
:mod:`treeboost.calibration`, :mod:`treeboost.conformal`, :mod:`treeboost.model_selection` and
:mod:`treeboost.metrics`.

Names load on first access: :mod:`treeboost.metrics` imports :mod:`.scores` (numpy only) while
``import treeboost`` runs, and must not pull in scikit-learn with the estimators.
"""

from __future__ import annotations

import importlib

from ..metrics.scores import __all__ as _scores_all

_ESTIMATORS = {
    "CalibratedClassifier": "calibration",
    "Confidence": "conformal.classification",
    "ConformalClassifier": "conformal.classification",
    "certainty_report": "conformal.classification",
    "ConformalRegressor": "conformal.regression",
    "loo_predict": "cross_val",
    "oof_predict": "cross_val",
    "VennAbers": "venn_abers",
    "AdaptiveConformal": "conformal.adaptive",
    "aci_coverage_bound": "conformal.adaptive",
    "WeightedConformalRegressor": "conformal.weighted",
    "weighted_conformal_quantile": "conformal.weighted",
}
_METRICS = tuple(_scores_all)

__all__ = sorted([*_ESTIMATORS, *_METRICS])


def __getattr__(name: str):
    if name in _ESTIMATORS:
        return getattr(importlib.import_module(f".{_ESTIMATORS[name]}", __name__), name)
    if name in _METRICS:
        return getattr(importlib.import_module("..metrics.scores", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
