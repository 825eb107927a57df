"""JSON model files: writing, and validating every field on reading (docs/model-format.md).

Loading never executes code. Floats are written with Python's shortest round-trip repr, so
predictions after a save/load round trip are bit-identical.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from .booster import Booster
from .params import validate_params
from .tree.tree import NODE_ARRAYS, Tree

FORMAT_NAME = "treeboost"
FORMAT_VERSION = 1

TOP_LEVEL_KEYS = ("format", "version", "objective", "n_outputs", "base_margin", "feature_names",
                  "feature_types", "params", "best_iteration", "best_score", "trees")
FEATURE_TYPES = ("float",)


class ModelFormatError(ValueError):
    """A model file that is not a valid treeboost model."""


def _params_for_file(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in params.items():
        if callable(value):
            value = "custom" if name == "objective" else None
        out[name] = value
    return out


def dump_model(booster: Booster) -> str:
    """Serialise a Booster to JSON text (deterministic: same model, same bytes)."""
    trees = []
    for tree, output in zip(booster.trees, booster.tree_outputs):
        entry: dict[str, Any] = {"output": int(output)}
        for name in NODE_ARRAYS:
            entry[name] = getattr(tree, name).tolist()
        trees.append(entry)
    doc = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "objective": booster.objective.name,
        "n_outputs": booster.n_outputs,
        "base_margin": booster.base_margin.tolist(),
        "feature_names": booster.feature_names,
        "feature_types": booster.feature_types,
        "params": _params_for_file(booster.params),
        "best_iteration": booster.best_iteration,
        "best_score": booster.best_score,
        "trees": trees,
    }
    try:
        return json.dumps(doc, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        raise ValueError(f"the model holds a non-finite number and cannot be saved: {exc}") from None


# -- loading ---------------------------------------------------------------------------------
def _fail(where: str, message: str) -> ModelFormatError:
    return ModelFormatError(f"invalid treeboost model file: {where}: {message}")


def _int(doc: dict, key: str, where: str, low: int = 0) -> int:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _fail(where, f"{key!r} must be an integer >= {low}, got {value!r}")
    return value


def _float_list(value: Any, where: str, length: int | None = None) -> np.ndarray:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        want = "a list" if length is None else f"a list of {length} numbers"
        raise _fail(where, f"must be {want}")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise _fail(where, f"holds {v!r}, not a finite number")
    return np.asarray(value, dtype=np.float64)


def _int_list(value: Any, where: str, length: int) -> np.ndarray:
    if not isinstance(value, list) or len(value) != length:
        raise _fail(where, f"must be a list of {length} integers")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int):
            raise _fail(where, f"holds {v!r}, not an integer")
    return np.asarray(value, dtype=np.int64)


def _read_tree(entry: Any, index: int, n_features: int, n_outputs: int) -> tuple[Tree, int]:
    where = f"trees[{index}]"
    if not isinstance(entry, dict):
        raise _fail(where, "must be an object")
    missing = [k for k in ("output", *NODE_ARRAYS) if k not in entry]
    if missing:
        raise _fail(where, f"missing keys {missing}")
    output = _int(entry, "output", where)
    if output >= n_outputs or output != index % n_outputs:
        raise _fail(where, f"output {output} does not match its position (expected "
                           f"{index % n_outputs})")
    if not isinstance(entry["left"], list) or not entry["left"]:
        raise _fail(where, "'left' must be a non-empty list")
    n_nodes = len(entry["left"])
    columns = {}
    for name, dtype in NODE_ARRAYS.items():
        if np.issubdtype(dtype, np.floating):
            columns[name] = _float_list(entry[name], f"{where}.{name}", n_nodes)
        else:
            columns[name] = _int_list(entry[name], f"{where}.{name}", n_nodes)
    left, right, feature = columns["left"], columns["right"], columns["feature"]
    is_leaf = left < 0
    if np.any((left < 0) != (right < 0)) or np.any(left < -1) or np.any(right < -1):
        raise _fail(where, "a node must have both children or none (-1)")
    nodes = np.arange(n_nodes)
    # Children come after their parent and every non-root node has exactly one parent: a tree.
    if np.any(left[~is_leaf] <= nodes[~is_leaf]) or np.any(right[~is_leaf] <= nodes[~is_leaf]):
        raise _fail(where, "child indices must be greater than their parent's")
    if np.any(left >= n_nodes) or np.any(right >= n_nodes):
        raise _fail(where, "child index out of range")
    parents = np.concatenate([left[~is_leaf], right[~is_leaf]])
    if parents.size != n_nodes - 1 or np.unique(parents).size != parents.size:
        raise _fail(where, "nodes do not form a tree (a node has several parents or none)")
    if np.any(feature[~is_leaf] < 0) or np.any(feature[~is_leaf] >= n_features):
        raise _fail(where, f"split feature out of range [0, {n_features})")
    if np.any((columns["default_left"] != 0) & (columns["default_left"] != 1)):
        raise _fail(where, "default_left must hold 0 or 1")
    if np.any(columns["split_bin"] < 0) or np.any(columns["sample_count"] < 0):
        raise _fail(where, "split_bin and sample_count must be >= 0")
    return Tree(**{name: columns[name].astype(dtype) for name, dtype in NODE_ARRAYS.items()}), output


def load_model_text(text: str) -> Booster:
    """Parse and validate model JSON; raises :class:`ModelFormatError` on any defect."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFormatError(f"invalid treeboost model file: not valid JSON ({exc}); the file "
                               "may be truncated") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise _fail("top level", f"'format' must be {FORMAT_NAME!r}")
    version = _int(doc, "version", "top level", low=1)
    if version > FORMAT_VERSION:
        raise _fail("top level", f"version {version} is newer than this treeboost reads "
                                 f"({FORMAT_VERSION}); upgrade treeboost")
    missing = [k for k in TOP_LEVEL_KEYS if k not in doc]
    if missing:
        raise _fail("top level", f"missing keys {missing}")
    params_doc = doc["params"]
    if not isinstance(params_doc, dict):
        raise _fail("params", "must be an object")
    custom = params_doc.get("objective") == "custom"
    try:
        params = validate_params({k: v for k, v in params_doc.items()
                                  if not (custom and k == "objective")})
    except (TypeError, ValueError) as exc:
        raise _fail("params", str(exc)) from None
    if custom:
        params["objective"] = "custom"
    if doc["objective"] != params["objective"]:
        raise _fail("objective", f"{doc['objective']!r} differs from params objective "
                                 f"{params['objective']!r}")
    try:
        objective = Booster._objective_for(params)
    except (TypeError, ValueError) as exc:
        raise _fail("objective", str(exc)) from None
    n_outputs = _int(doc, "n_outputs", "top level", low=1)
    if n_outputs != objective.n_outputs:
        raise _fail("n_outputs", f"{n_outputs} does not match the objective "
                                 f"({objective.n_outputs})")
    base_margin = _float_list(doc["base_margin"], "base_margin", n_outputs)
    names = doc["feature_names"]
    if (not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names)
            or len(set(names)) != len(names)):
        raise _fail("feature_names", "must be a non-empty list of distinct strings")
    types = doc["feature_types"]
    if not isinstance(types, list) or len(types) != len(names) or any(
            t not in FEATURE_TYPES for t in types):
        raise _fail("feature_types", f"must list one of {FEATURE_TYPES} per feature")
    if not isinstance(doc["trees"], list) or len(doc["trees"]) % n_outputs:
        raise _fail("trees", f"must be a list whose length is a multiple of {n_outputs}")
    booster = Booster(params, objective, base_margin, names, types)
    for i, entry in enumerate(doc["trees"]):
        tree, output = _read_tree(entry, i, len(names), n_outputs)
        booster.append_tree(tree, output)
    best_iteration = doc["best_iteration"]
    if best_iteration is not None:
        best_iteration = _int(doc, "best_iteration", "top level")
        if best_iteration >= booster.num_boosted_rounds():
            raise _fail("best_iteration", f"{best_iteration} is beyond the "
                                          f"{booster.num_boosted_rounds()} rounds held")
        best_score = doc["best_score"]
        if best_score is not None and (isinstance(best_score, bool)
                                       or not isinstance(best_score, (int, float))):
            raise _fail("best_score", f"must be a number or null, got {best_score!r}")
        booster.set_best(best_iteration, best_score)
    return booster
