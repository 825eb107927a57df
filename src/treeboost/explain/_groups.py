"""Feature names and groups: which columns each importance or selection unit covers.

A *unit* is what gets one importance value or one selection decision: a named group of columns
(permuted, summed or selected together), or a single feature that belongs to no group.
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Units", "check_sample_weight", "check_target", "feature_names_of", "resolve_units"]


@dataclass(frozen=True)
class Units:
    """The units of an importance table or a selection, in report order.

    Attributes
    ----------
    names : list of str
        One name per unit: the group's name, or the feature's name for an ungrouped feature.
    columns : list of ndarray of int64
        Column indices of each unit, ascending.
    feature_names : list of str
        Names of all columns of the data.
    groups : dict of str to list of str
        Every unit's member features by name (a single feature maps to itself).
    """

    names: list[str]
    columns: list[np.ndarray]
    feature_names: list[str]
    groups: dict[str, list[str]]

    def __len__(self) -> int:
        return len(self.names)


def is_dataframe(data: Any) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(data, pandas.DataFrame)


def n_rows_cols(X: Any) -> tuple[int, int]:
    """Shape of a 2-D input, with a clear error for anything else."""
    shape = getattr(X, "shape", None)
    if shape is None:
        X = np.asarray(X)
        shape = X.shape
    if len(shape) != 2:
        raise ValueError(f"X must be 2-D (n_rows, n_features), got shape {tuple(shape)}")
    if shape[0] < 1 or shape[1] < 1:
        raise ValueError(f"X is empty (shape {tuple(shape)}); it needs rows and columns")
    return int(shape[0]), int(shape[1])


def feature_names_of(X: Any, model_names: Sequence[str] | None = None) -> list[str]:
    """Column names: a DataFrame's, else the model's, else ``"f0", "f1", ...``."""
    n_cols = n_rows_cols(X)[1]
    if is_dataframe(X):
        return [str(c) for c in X.columns]
    if model_names is not None and len(model_names) == n_cols:
        return [str(name) for name in model_names]
    return [f"f{i}" for i in range(n_cols)]


def _member_index(group: str, member: Any, index_of: dict[str, int], n_cols: int) -> int:
    if isinstance(member, str):
        if member not in index_of:
            known = ", ".join(repr(n) for n in list(index_of)[:8])
            more = ", ..." if len(index_of) > 8 else ""
            raise ValueError(
                f"groups[{group!r}] names the feature {member!r}, which is not a column of X; "
                f"known features: {known}{more}"
            )
        return index_of[member]
    if isinstance(member, (numbers.Integral, np.integer)) and not isinstance(member, bool):
        if not 0 <= int(member) < n_cols:
            raise ValueError(
                f"groups[{group!r}] holds the column index {member}, which is out of range; "
                f"valid indices are 0 to {n_cols - 1}"
            )
        return int(member)
    raise TypeError(
        f"groups[{group!r}] holds {member!r} of type {type(member).__name__}; members must be "
        "feature names (str) or column indices (int)"
    )


def resolve_units(feature_names: list[str], groups: Mapping[str, Sequence[Any]] | None) -> Units:
    """Turn ``groups`` into units: the groups in the given order, then every ungrouped feature.

    Parameters
    ----------
    feature_names : list of str
        Names of the data's columns.
    groups : mapping of str to sequence of (str or int), optional
        ``{"amygdala": ["amygdala_left", "amygdala_right"], ...}``. Members are feature names or
        column indices; a feature may belong to at most one group.

    Raises
    ------
    ValueError
        For an unknown feature, an empty group, a feature in two groups, or a group named like
        an ungrouped feature.
    TypeError
        If ``groups`` is not a mapping of names to lists.
    """
    n_cols = len(feature_names)
    if groups is None:
        return Units(
            names=list(feature_names),
            columns=[np.array([i], dtype=np.int64) for i in range(n_cols)],
            feature_names=list(feature_names),
            groups={name: [name] for name in feature_names},
        )
    if not isinstance(groups, Mapping):
        raise TypeError(
            f"groups must be a dict {{group name: [feature names]}}, got {type(groups).__name__}"
        )
    index_of = {name: i for i, name in enumerate(feature_names)}
    owner: dict[int, str] = {}
    names: list[str] = []
    columns: list[np.ndarray] = []
    for group, members in groups.items():
        if not isinstance(group, str):
            raise TypeError(f"group names must be str, got {group!r} ({type(group).__name__})")
        if isinstance(members, (str, bytes)) or not isinstance(members, (Sequence, np.ndarray)):
            raise TypeError(
                f"groups[{group!r}] must be a list of feature names, got {type(members).__name__}"
            )
        if len(members) == 0:
            raise ValueError(f"groups[{group!r}] is empty; every group needs at least one feature")
        indices = []
        for member in members:
            i = _member_index(group, member, index_of, n_cols)
            if i in owner:
                where = "twice in that group" if owner[i] == group else f"also in {owner[i]!r}"
                raise ValueError(
                    f"feature {feature_names[i]!r} in groups[{group!r}] is {where}; groups "
                    "must not overlap"
                )
            owner[i] = group
            indices.append(i)
        names.append(group)
        columns.append(np.array(sorted(indices), dtype=np.int64))
    for i, name in enumerate(feature_names):
        if i in owner:
            continue
        if name in groups:
            raise ValueError(
                f"group name {name!r} is also the name of a feature outside every group; "
                "rename the group"
            )
        names.append(name)
        columns.append(np.array([i], dtype=np.int64))
    return Units(
        names=names,
        columns=columns,
        feature_names=list(feature_names),
        groups={n: [feature_names[i] for i in c] for n, c in zip(names, columns)},
    )


def check_target(y: Any, n_rows: int) -> np.ndarray:
    """y as a 1-D array with one entry per row of X."""
    if y is None:
        raise ValueError("y is required: importances and selection compare predictions with it")
    target = np.asarray(y)
    if target.ndim == 2 and target.shape[1] == 1:
        target = target[:, 0]
    if target.ndim != 1 or target.shape[0] != n_rows:
        raise ValueError(
            f"y must have shape ({n_rows},) to match the {n_rows} rows of X, "
            f"got shape {target.shape}"
        )
    return target


def check_sample_weight(sample_weight: Any, n_rows: int) -> np.ndarray | None:
    """Finite non-negative weights, one per row, or None."""
    if sample_weight is None:
        return None
    try:
        weight = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"sample_weight must be numeric: {exc}") from exc
    if weight.shape != (n_rows,):
        raise ValueError(
            f"sample_weight must have shape ({n_rows},) to match the {n_rows} rows of X, "
            f"got shape {weight.shape}"
        )
    if not np.all(np.isfinite(weight)) or np.any(weight < 0):
        raise ValueError("sample_weight must hold finite values >= 0")
    return weight
