"""Metrics: the evaluation metrics used during training (:func:`get_metric` by name), the ranking
and survival metrics, and the numpy-only scores of calibration and uncertainty studies
(docs/uncertainty.md).

Importing this package stays light (numpy only): the training loop and ``import treeboost``
load it.
"""

from __future__ import annotations

from . import ranking as _ranking
from . import scores as _scores
from . import survival as _survival
from . import training as _training
from .ranking import *  # noqa: F403
from .scores import *  # noqa: F403
from .survival import *  # noqa: F403
from .training import *  # noqa: F403

__all__ = [*_training.__all__, *_ranking.__all__, *_survival.__all__, *_scores.__all__]
