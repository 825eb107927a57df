"""treeboost: gradient boosted decision trees with numba kernels.

Nothing is compiled at import; kernels compile on first use and are cached on disk
(:func:`warmup` compiles them ahead of time).
"""

from __future__ import annotations

__version__ = "0.1.0"

from .booster import Booster
from .callbacks import EarlyStopping, EvaluationMonitor, TrainingCallback
from .data import BinMapper, Dataset
from .engine import cv, train
from .sklearn import TreeBoostClassifier, TreeBoostRegressor
from .warmup import warmup

__all__ = [
    "BinMapper",
    "Booster",
    "Dataset",
    "EarlyStopping",
    "EvaluationMonitor",
    "TrainingCallback",
    "TreeBoostClassifier",
    "TreeBoostRegressor",
    "__version__",
    "cv",
    "train",
    "warmup",
]
