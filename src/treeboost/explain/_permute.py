"""Stacked permuted copies of X: one block of rows per feature (or group) whose columns are
shuffled, so that a whole repeat of permutation importance is one prediction call."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._groups import is_dataframe

# Upper bound on the cells of one stacked matrix (64 MiB of float64): large tables are scored in
# several batches instead of one that would not fit in memory.
MAX_STACKED_CELLS = 1 << 23


def units_per_batch(n_rows: int, n_cols: int, n_units: int) -> int:
    """How many permuted blocks one stacked matrix holds."""
    return max(1, min(n_units, MAX_STACKED_CELLS // max(1, n_rows * n_cols)))


def stack_permuted(X: Any, unit_columns: list[np.ndarray], permutations: list[np.ndarray]) -> Any:
    """Blocks ``b = 0, 1, ...`` of ``n_rows`` rows each: X with the columns ``unit_columns[b]``
    reordered by ``permutations[b]`` (one row order for all columns of a group) and every
    other column as it is. A DataFrame gives a DataFrame with the same columns and dtypes."""
    if is_dataframe(X):
        return _stack_frame(X, unit_columns, permutations)
    n_rows = X.shape[0]
    stacked = np.tile(X, (len(unit_columns), 1))
    for block, (columns, order) in enumerate(zip(unit_columns, permutations)):
        rows = slice(block * n_rows, (block + 1) * n_rows)
        stacked[rows, columns] = X[order[:, None], columns]
    return stacked


def _stack_frame(X: Any, unit_columns: list[np.ndarray], permutations: list[np.ndarray]) -> Any:
    import pandas as pd

    n_rows = X.shape[0]
    identity = np.tile(np.arange(n_rows), len(unit_columns))
    block_of_column = {
        int(column): block for block, columns in enumerate(unit_columns) for column in columns
    }
    pieces = []
    for j in range(X.shape[1]):
        index = identity
        block = block_of_column.get(j)
        if block is not None:
            index = identity.copy()
            index[block * n_rows : (block + 1) * n_rows] = permutations[block]
        # Series.take keeps extension and categorical dtypes, unlike going through numpy.
        pieces.append(X.iloc[:, j].take(index).reset_index(drop=True))
    return pd.concat(pieces, axis=1)
