from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA


def load_tsv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """LightGBM example TSV: label first, then features."""
    table = np.loadtxt(path, delimiter="\t", dtype=np.float64)
    return table[:, 1:], table[:, 0]
