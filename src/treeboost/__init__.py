"""treeboost: gradient boosted decision trees with numba kernels.

Nothing is compiled at import; kernels compile on first use and are cached on disk
(:func:`warmup` compiles them ahead of time).
"""

from __future__ import annotations

__version__ = "0.1.0"

from .booster import Booster
from .callbacks import (
    EarlyStopping,
    EvaluationMonitor,
    LearningRateScheduler,
    TrainingCallback,
    TrainingCheckPoint,
)
from .data import BinMapper, Dataset
from .engine import cv, train
from .warmup import warmup

_LAZY = {"TreeBoostClassifier": "sklearn", "TreeBoostRegressor": "sklearn"}

# Workflow subpackages load on first attribute access (``tb.explain``, ``tb.tune`` ...), so
# ``import treeboost`` stays fast and pulls in no optional dependency.
_SUBMODULES = frozenset(
    {
        "calibration",
        "conformal",
        "explain",
        "metrics",
        "model_selection",
        "plotting",
        "tune",
        "uncertainty",
    }
)


def __getattr__(name: str):
    import importlib

    # scikit-learn (and the pandas it pulls in) loads only when an estimator is first used.
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'treeboost' has no attribute {name!r}")


__all__ = [
    "BinMapper",
    "Booster",
    "Dataset",
    "EarlyStopping",
    "EvaluationMonitor",
    "LearningRateScheduler",
    "TrainingCallback",
    "TrainingCheckPoint",
    "TreeBoostClassifier",
    "TreeBoostRegressor",
    "__version__",
    "cv",
    "train",
    "warmup",
]
