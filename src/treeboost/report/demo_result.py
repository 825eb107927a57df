"""What the demo computed, as one dataclass: the demo job (:mod:`.demo`) fills it in and the
report builder (:mod:`.demo_report`) reads it. It sits in a module of its own so that neither
of those two needs to import the other for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class DemoResult:
    """What the demo computed: test metrics, the model and the data it was judged on."""

    metrics: dict[str, float]
    booster: Any
    evals_result: dict
    confusion: dict[str, int]
    sizes: dict[str, int]
    X_test: np.ndarray
    y_test: np.ndarray
    prob_test: np.ndarray
    train_seconds: float
    report_page: Path | None = None
    report_figures: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
