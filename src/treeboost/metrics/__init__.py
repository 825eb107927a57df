"""Metrics: the evaluation metrics used during training (:func:`get_metric` by name) and the
numpy-only scores of calibration and uncertainty studies (docs/uncertainty.md).

Importing this package stays light (numpy only): the training loop and ``import treeboost``
load it.
"""

from __future__ import annotations

from . import scores as _scores
from . import training as _training
from .scores import *  # noqa: F403
from .training import *  # noqa: F403

__all__ = [*_training.__all__, *_scores.__all__]
