"""Reading LibSVM / SVMlight text files (``label index:value ...``) with optional query groups."""

from __future__ import annotations

import os
from typing import Any

import numpy as np


def read_group_sizes(path: str) -> np.ndarray:
    """Query group sizes, one positive integer per line (LightGBM's ``.query`` files)."""
    sizes = []
    with open(path) as fh:
        for number, line in enumerate(fh, 1):
            text = line.strip()
            if not text:
                continue
            try:
                size = int(text)
            except ValueError:
                raise ValueError(
                    f"{path}, line {number}: {text!r} is not a group size (a positive integer)"
                ) from None
            if size < 1:
                raise ValueError(f"{path}, line {number}: group size {size} must be >= 1")
            sizes.append(size)
    return np.asarray(sizes, dtype=np.int64)


def read_libsvm(
    path: str, n_features: int | None = None, zero_based: bool | str = "auto"
) -> tuple[Any, np.ndarray, np.ndarray | None]:
    """Features (a scipy CSR matrix), labels, and query ids when the file has ``qid:``.

    Raises FileNotFoundError / ValueError naming the file for a missing or malformed input.
    """
    from sklearn.datasets import load_svmlight_file

    if not os.path.exists(path):
        raise FileNotFoundError(f"LibSVM file {path!r} does not exist")
    try:
        X, y, qid = load_svmlight_file(
            path, n_features=n_features, zero_based=zero_based, query_id=True
        )
    except ValueError as exc:
        raise ValueError(f"{path} is not a valid LibSVM file: {exc}") from None
    return X, y, (qid if qid.size and np.any(qid != qid[0]) else None)
