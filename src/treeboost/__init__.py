"""treeboost: gradient boosted decision trees with numba kernels.

Nothing is compiled at import; kernels compile on first use and are cached on disk
(:func:`warmup` compiles them ahead of time). The package layout, layer by layer, is described
in docs/architecture.md.
"""

from __future__ import annotations

__version__ = "0.1.0"

import importlib
import importlib.abc
import importlib.util
import sys

from .data import BinMapper, Dataset
from .model.booster import Booster
from .training.callbacks import (
    EarlyStopping,
    EvaluationMonitor,
    LearningRateScheduler,
    TrainingCallback,
    TrainingCheckPoint,
)
from .training.engine import cv, train

# Names loaded on first access: scikit-learn (and the pandas it pulls in) loads only when an
# estimator is first used; warmup sits with the command line, at the top of the layers.
_LAZY = {
    "TreeBoostClassifier": "sklearn",
    "TreeBoostRegressor": "sklearn",
    "TreeBoostRanker": "sklearn",
    "TreeBoostSurvival": "sklearn",
    "warmup": "cli.warmup",
}

# Workflow subpackages load on first attribute access (``tb.explain``, ``tb.tune`` ...), so
# ``import treeboost`` stays fast and pulls in no optional dependency.
_SUBMODULES = frozenset(
    {
        "boost",
        "dask",
        "explain",
        "metrics",
        "online",
        "plotting",
        "sklearn",
        "timeseries",
        "tune",
        "uncertainty",
    }
)

# Public module names that are not folders of their own: ``tb.calibration`` and
# ``import treeboost.calibration`` give the module that holds the code.
_MODULE_ALIASES = {
    f"{__name__}.calibration": f"{__name__}.uncertainty.calibration",
    f"{__name__}.conformal": f"{__name__}.uncertainty.conformal",
    f"{__name__}.model_selection": f"{__name__}.uncertainty.cross_val",
}


class _AliasLoader(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an alias in ``_MODULE_ALIASES`` as the very module it names (one module object,
    two names in ``sys.modules``), loading that module on first use."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _MODULE_ALIASES:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = importlib.import_module(_MODULE_ALIASES[spec.name])
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module):
        # The import system stamped the alias's spec on the shared module; give it back its own.
        alias_spec = module.__spec__
        module.__spec__ = alias_spec.loader_state


if not any(isinstance(finder, _AliasLoader) for finder in sys.meta_path):
    sys.meta_path.append(_AliasLoader())


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    if name in _SUBMODULES or f"{__name__}.{name}" in _MODULE_ALIASES:
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
    "TreeBoostRanker",
    "TreeBoostRegressor",
    "TreeBoostSurvival",
    "__version__",
    "cv",
    "train",
    "warmup",
]
