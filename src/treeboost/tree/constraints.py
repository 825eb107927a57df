"""Turn the user's ``monotone_constraints`` and ``interaction_constraints`` into index form."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .split import TreeConstraints


def _feature_index(item: Any, names: list[str], parameter: str) -> int:
    if isinstance(item, str):
        if item not in names:
            raise ValueError(
                f"{parameter}: feature {item!r} is not a feature name; names are "
                f"{', '.join(names[:10])}{' ...' if len(names) > 10 else ''}"
            )
        return names.index(item)
    if isinstance(item, (bool, np.bool_)) or not isinstance(item, (int, np.integer)):
        raise TypeError(f"{parameter}: {item!r} must be a feature index or name")
    if not 0 <= int(item) < len(names):
        raise ValueError(
            f"{parameter}: feature index {item} is out of range; valid: 0 to {len(names) - 1}"
        )
    return int(item)


def _direction(value: Any, where: str) -> int:
    if isinstance(value, (bool, np.bool_)) or value not in (-1, 0, 1):
        raise ValueError(f"monotone_constraints: {where} has {value!r}; valid: -1, 0, 1")
    return int(value)


def resolve_monotone(value: Any, names: list[str]) -> np.ndarray | None:
    """int8 direction per feature from a list, a dict by name (or index), or a string such as
    ``"(1,0,-1)"``; None when nothing is constrained."""
    if value is None:
        return None
    n = len(names)
    directions = np.zeros(n, dtype=np.int8)
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[\(\[]?\s*(-?\d+\s*(,\s*-?\d+\s*)*)?[\)\]]?", text):
            raise ValueError(f"monotone_constraints={value!r} is not a list like '(1,0,-1)'")
        value = [int(v) for v in re.findall(r"-?\d+", text)]
    if isinstance(value, dict):
        for key, direction in value.items():
            index = _feature_index(key, names, "monotone_constraints")
            directions[index] = _direction(direction, f"feature {key!r}")
    else:
        value = list(value)
        if len(value) != n:
            raise ValueError(
                f"monotone_constraints has {len(value)} entries; the data has {n} features "
                "(give one per feature, or a dict by feature name)"
            )
        for i, direction in enumerate(value):
            directions[i] = _direction(direction, f"position {i}")
    return directions if directions.any() else None


def resolve_interactions(value: Any, names: list[str]) -> tuple[frozenset[int], ...] | None:
    """Feature groups as index sets; every feature listed in no group gets a group of its own."""
    if value is None:
        return None
    groups = []
    for group in value:
        indices = frozenset(_feature_index(f, names, "interaction_constraints") for f in group)
        if indices:
            groups.append(indices)
    covered = frozenset().union(*groups) if groups else frozenset()
    groups.extend(frozenset({i}) for i in range(len(names)) if i not in covered)
    return tuple(groups)


def resolve_constraints(monotone: Any, interactions: Any, names: list[str]) -> TreeConstraints:
    return TreeConstraints(
        monotone=resolve_monotone(monotone, names),
        interaction_sets=resolve_interactions(interactions, names),
    )
