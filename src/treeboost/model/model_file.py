"""JSON model files: writing, and validating every field on reading (docs/model-format.md).

The file is read into and written from :class:`ModelContents`, plain tree arrays and fields;
the Booster converts to and from it, so this module depends on no model or training code.
Loading never executes code. Floats are written with Python's shortest round-trip repr, so
predictions after a save/load round trip are bit-identical. Every defect of a document, whatever
its kind, is reported as :class:`ModelFormatError` (a ``ValueError``) naming where it was found.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..objectives import CustomObjective, Objective, get_objective
from ..tree.tree import NODE_ARRAYS, Tree
from .params import trees_per_round, validate_params
from .survival import BaselineHazard

FORMAT_NAME = "treeboost"
FORMAT_VERSION = 1

TOP_LEVEL_KEYS = (
    "format",
    "version",
    "objective",
    "n_outputs",
    "base_margin",
    "feature_names",
    "feature_types",
    "params",
    "best_iteration",
    "best_score",
    "trees",
)
TREE_KEYS = ("output", *NODE_ARRAYS)
# Present only when the model has categorical features / the tree categorical splits.
OPTIONAL_TOP_LEVEL_KEYS = ("categories", "survival_baseline")
# The Breslow baseline of a Cox model: distinct event times and the cumulative hazard at each.
BASELINE_KEYS = ("times", "cumulative_hazard")
OPTIONAL_TREE_KEYS = ("categorical_splits",)
FEATURE_TYPES = ("float", "c")

# Settings of the machine that trained the model, not of the model: neither written nor kept on
# loading, so that the same data, parameters and seed give the same bytes whatever the thread
# count or device (a model trained on a GPU predicts anywhere).
RUNTIME_PARAMS = ("n_jobs", "device")

# max_bin <= 65536 counts the missing bin, so a split bin (a value bin) is at most 65535.
MAX_SPLIT_BIN = 65535
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class ModelFormatError(ValueError):
    """A model file that is not a valid treeboost model."""


@dataclass
class ModelContents:
    """Everything a model file holds, as plain fields: what the Booster is built from."""

    objective: Objective
    base_margin: np.ndarray  # (n_outputs,) float64
    feature_names: list[str]
    feature_types: list[str]  # "float" or "c" per feature
    categories: list  # per feature: category labels in code order, or None
    params: dict[str, Any]
    trees: list[Tree]
    tree_outputs: list[int]  # the output each tree adds to
    best_iteration: int | None = None
    best_score: float | None = None
    survival_baseline: BaselineHazard | None = None

    def __post_init__(self) -> None:
        # Whoever builds the contents (read_model, the converters of interop/, save_raw), a
        # Booster only ever holds trees whose covers TreeSHAP can weigh and whose margins stay
        # finite, so every model saves to a file that loads again.
        for i, tree in enumerate(self.trees):
            problem = cover_problem(tree.cover, tree.left, tree.right)
            if problem:
                raise ValueError(f"invalid model: tree {i}: {problem}")
        problem = margin_range_problem(np.asarray(self.base_margin, dtype=np.float64), self.trees)
        if problem:
            raise ValueError(f"invalid model: {problem}")

    @property
    def n_outputs(self) -> int:
        return int(self.objective.n_outputs)


def _unusable_custom_objective(predt, dtrain):  # pragma: no cover - guarded by train()
    raise ValueError(
        "this model was trained with a custom objective, which is not stored in the "
        "model file; pass obj= again to continue training"
    )


def objective_for_params(params: dict[str, Any]) -> Objective:
    """The objective a stored model names (a placeholder for a custom objective, which the file
    cannot hold)."""
    if params["objective"] == "custom":
        return CustomObjective(_unusable_custom_objective, max(1, params["num_class"]))
    return get_objective(params["objective"], params)


# -- writing ---------------------------------------------------------------------------------
def _params_for_file(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in params.items():
        if name in RUNTIME_PARAMS:
            continue
        if callable(value):
            value = "custom" if name == "objective" else None
        out[name] = value
    return out


def _best_score_for_file(score: float | None) -> float | None:
    # A metric can be NaN (AUC of a one-class set); the model is still worth saving.
    if score is None or not math.isfinite(score):
        return None
    return float(score)


def write_model(model: ModelContents) -> str:
    """The model as JSON text (deterministic: same model, same bytes)."""
    trees = []
    for tree, output in zip(model.trees, model.tree_outputs, strict=True):
        entry: dict[str, Any] = {"output": int(output)}
        for name in NODE_ARRAYS:
            entry[name] = getattr(tree, name).tolist()
        if tree.categories:
            # Node id -> the category codes that go left (missing values: default_left).
            entry["categorical_splits"] = {
                str(node): (np.flatnonzero(table[1:]).tolist())
                for node, table in sorted(tree.categories.items())
            }
        trees.append(entry)
    doc = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "objective": model.objective.name,
        "n_outputs": model.n_outputs,
        "base_margin": model.base_margin.tolist(),
        "feature_names": model.feature_names,
        "feature_types": model.feature_types,
        "params": _params_for_file(model.params),
        "best_iteration": model.best_iteration,
        "best_score": _best_score_for_file(model.best_score),
        "trees": trees,
    }
    if model.survival_baseline is not None:
        doc["survival_baseline"] = {
            "times": model.survival_baseline.times.tolist(),
            "cumulative_hazard": model.survival_baseline.cumulative_hazard.tolist(),
        }
    if any(c is not None for c in model.categories):
        doc["categories"] = [None if c is None else _json_labels(c) for c in model.categories]
    try:
        return json.dumps(doc, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        raise ValueError(
            f"the model holds a non-finite number and cannot be saved: {exc}"
        ) from None


def _json_labels(labels: list) -> list:
    out = []
    for label in labels:
        if isinstance(label, (np.generic,)):
            label = label.item()
        if isinstance(label, float) and label.is_integer():
            label = float(label)
        if not isinstance(label, (str, int, float, bool)):
            label = str(label)
        out.append(label)
    return out


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` so that the path always holds either its old content or all
    of the new one: the text goes to a temporary file in the same directory, is flushed to
    disk, and replaces ``path`` in one ``os.replace`` (atomic on POSIX and Windows). A crash or
    a kill mid-save leaves at most a stray ``.tmp`` file beside the target, never a half-written
    model at the target path."""
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    data = text.encode(encoding)
    fd, tmp = tempfile.mkstemp(
        dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates the file 0600; give it the mode a plain open() would have.
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    # The rename itself reaches the disk once the directory is synced (POSIX; best effort).
    if hasattr(os, "O_DIRECTORY"):
        try:
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


def _current_umask() -> int:
    """The process umask, read without changing it where Linux reports it (/proc), since
    ``os.umask`` sets it process-wide and another thread could create a file meanwhile."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # the common default while it is briefly set
    os.umask(mask)
    return mask


# -- parsing ---------------------------------------------------------------------------------
def _fail(where: str, message: str) -> ModelFormatError:
    return ModelFormatError(f"invalid treeboost model file: {where}: {message}")


def _reject_constant(literal: str) -> Any:
    raise _fail("JSON", f"{literal} is not allowed; every number must be finite")


def _parse_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _fail("JSON", f"number {literal} is out of the float64 range")
    return value


def _parse_int(literal: str) -> int:
    # Checked on the text first: Python refuses to convert integers of over 4300 digits.
    value = int(literal) if len(literal) <= 20 else None
    if value is None or not _INT64_MIN <= value <= _INT64_MAX:
        raise _fail("JSON", f"integer {literal[:30]} is out of the int64 range")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _fail("JSON", f"key {key!r} appears twice in one object")
        out[key] = value
    return out


def _parse(text: str | bytes) -> Any:
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _fail("encoding", f"not UTF-8 text ({exc})") from None
    if not isinstance(text, str):
        raise TypeError(f"model text must be str or bytes, got {type(text).__name__}")
    try:
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_parse_float,
            parse_int=_parse_int,
            object_pairs_hook=_unique_keys,
        )
    except ModelFormatError:
        raise
    except json.JSONDecodeError as exc:
        raise ModelFormatError(
            f"invalid treeboost model file: not valid JSON ({exc}); the file may be truncated"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ModelFormatError(f"invalid treeboost model file: not valid JSON ({exc})") from None


# -- field checks ----------------------------------------------------------------------------
def _check_keys(
    doc: dict, expected: tuple[str, ...], where: str, optional: tuple[str, ...] = ()
) -> None:
    missing = [k for k in expected if k not in doc]
    if missing:
        raise _fail(where, f"missing keys {missing}")
    unknown = sorted(k for k in doc if k not in expected and k not in optional)
    if unknown:
        raise _fail(where, f"unknown keys {unknown}; valid keys: {', '.join(expected)}")


def _int(doc: dict, key: str, where: str, low: int = 0) -> int:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _fail(where, f"{key!r} must be an integer >= {low}, got {value!r}")
    return value


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))


def _float_list(value: Any, where: str, length: int | None = None) -> np.ndarray:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        want = "a list" if length is None else f"a list of {length} numbers"
        raise _fail(where, f"must be {want}, got {_describe(value)}")
    for v in value:
        # Integers are accepted as numbers; the parser has already bounded them to int64.
        if not _is_number(v) or not math.isfinite(v):
            raise _fail(where, f"holds {v!r}, not a finite number")
    return np.asarray(value, dtype=np.float64)


def _int_list(value: Any, where: str, length: int, dtype: type) -> np.ndarray:
    if not isinstance(value, list) or len(value) != length:
        raise _fail(where, f"must be a list of {length} integers, got {_describe(value)}")
    info = np.iinfo(dtype)
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int):
            raise _fail(where, f"holds {v!r}, not an integer")
        if not info.min <= v <= info.max:
            raise _fail(where, f"holds {v}, outside the {np.dtype(dtype).name} range")
    return np.asarray(value, dtype=np.int64)


def _is_text(value: str) -> bool:
    """Whether a string is Unicode text (a lone surrogate from a ``\\ud800`` escape is not, and
    would fail later wherever the name is printed or written as UTF-8)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return f"{type(value).__name__} {value!r}"[:80]


# -- trees -----------------------------------------------------------------------------------
def _read_categories(value: Any, types: list[str]) -> list:
    """Per feature, its category labels (features typed "c") or None."""
    if value is None:
        if "c" in types:
            raise _fail("categories", "a model with categorical features must list them")
        return [None] * len(types)
    if not isinstance(value, list) or len(value) != len(types):
        raise _fail("categories", f"must be a list with one entry per feature ({len(types)})")
    out = []
    for i, (labels, kind) in enumerate(zip(value, types)):
        if kind != "c":
            if labels is not None:
                raise _fail("categories", f"feature {i} is numeric and must have null")
            out.append(None)
            continue
        if not isinstance(labels, list) or not all(
            isinstance(v, (str, int, float, bool)) for v in labels
        ):
            raise _fail("categories", f"feature {i} must list its category labels")
        if not all(_is_text(v) for v in labels if isinstance(v, str)):
            raise _fail("categories", f"feature {i} has a label that is not valid Unicode text")
        if len(set(labels)) != len(labels):
            raise _fail("categories", f"feature {i} lists a category twice")
        out.append(labels)
    return out


def _read_tree(
    entry: Any, index: int, n_features: int, n_outputs: int, categories: list | None = None
) -> tuple[Tree, int]:
    where = f"trees[{index}]"
    if not isinstance(entry, dict):
        raise _fail(where, f"must be an object, got {_describe(entry)}")
    _check_keys(entry, TREE_KEYS, where, OPTIONAL_TREE_KEYS)
    output = _int(entry, "output", where)
    if output != index % n_outputs:
        raise _fail(
            where,
            f"output {output} does not match its position (expected "
            f"{index % n_outputs}: rounds hold one tree per output, in order)",
        )
    if not isinstance(entry["left"], list) or not entry["left"]:
        raise _fail(where, "'left' must be a non-empty list")
    n_nodes = len(entry["left"])
    columns = {}
    for name, dtype in NODE_ARRAYS.items():
        if np.issubdtype(dtype, np.floating):
            columns[name] = _float_list(entry[name], f"{where}.{name}", n_nodes)
        else:
            columns[name] = _int_list(entry[name], f"{where}.{name}", n_nodes, dtype)
    categorical_nodes = _read_categorical_splits(
        entry, columns, n_nodes, categories or [None] * n_features, where
    )
    _check_structure(columns, n_nodes, n_features, where, set(categorical_nodes))
    tree = Tree(
        **{name: columns[name].astype(dtype) for name, dtype in NODE_ARRAYS.items()},
        categories=categorical_nodes,
    )
    return tree, output


def _read_categorical_splits(entry, columns, n_nodes, categories, where) -> dict:
    splits = entry.get("categorical_splits")
    if splits is None:
        return {}
    if not isinstance(splits, dict):
        raise _fail(where, "'categorical_splits' must be an object {node: [codes]}")
    out = {}
    for key, codes in splits.items():
        if not key.isdigit() or int(key) >= n_nodes:
            raise _fail(where, f"categorical_splits names node {key!r}, not a node of the tree")
        node = int(key)
        feature = int(columns["feature"][node])
        if feature < 0 or feature >= len(categories) or categories[feature] is None:
            raise _fail(where, f"node {node} is a categorical split on a non-categorical feature")
        n_cats = len(categories[feature])
        length = len(codes) if isinstance(codes, list) else 0
        codes = _int_list(codes, f"{where}.categorical_splits[{key}]", length, np.int64)
        if np.any(codes < 0) or np.any(codes >= n_cats):
            raise _fail(where, f"node {node}: a category code is out of range [0, {n_cats})")
        table = np.zeros(n_cats + 1, dtype=np.uint8)
        table[0] = columns["default_left"][node]
        table[1 + codes] = 1
        out[node] = table
    return out


def _check_structure(
    columns: dict[str, np.ndarray],
    n_nodes: int,
    n_features: int,
    where: str,
    categorical_nodes: set | None = None,
) -> None:
    """Node 0 is the root, children come after their parent, every other node has one parent."""
    left, right, feature = columns["left"], columns["right"], columns["feature"]
    split_bin = columns["split_bin"]
    is_leaf = left < 0
    split = ~is_leaf
    if np.any(left < -1) or np.any(right < -1) or np.any((left < 0) != (right < 0)):
        raise _fail(where, "a node must have two children (indices >= 0) or none (-1 and -1)")
    nodes = np.arange(n_nodes)
    if np.any(left[split] <= nodes[split]) or np.any(right[split] <= nodes[split]):
        node = int(np.flatnonzero(split & ((left <= nodes) | (right <= nodes)))[0])
        raise _fail(
            where,
            f"node {node} has a child index <= its own; children must come after "
            "their parent (no cycles)",
        )
    if np.any(left >= n_nodes) or np.any(right >= n_nodes):
        raise _fail(where, f"a child index is out of range [0, {n_nodes})")
    children = np.concatenate([left[split], right[split]])
    if children.size != n_nodes - 1 or np.unique(children).size != children.size:
        raise _fail(
            where,
            "the nodes do not form a tree (a node has two parents, or a node "
            "other than the root has none)",
        )
    if np.any(feature[split] < 0) or np.any(feature[split] >= n_features):
        raise _fail(where, f"a split feature is out of range [0, {n_features})")
    if np.any(feature[is_leaf] != -1) or np.any(split_bin[is_leaf] != 0):
        raise _fail(where, "a leaf must have feature -1 and split_bin 0")
    numeric_split = split.copy()
    numeric_split[list(categorical_nodes or ())] = False
    if np.any(split_bin[numeric_split] < 1) or np.any(split_bin[numeric_split] > MAX_SPLIT_BIN):
        raise _fail(where, f"a split node's split_bin is out of range [1, {MAX_SPLIT_BIN}]")
    if np.any((columns["default_left"] != 0) & (columns["default_left"] != 1)):
        raise _fail(where, "default_left must hold 0 or 1")
    if np.any(columns["sample_count"] < 0):
        raise _fail(where, "sample_count must be >= 0")
    problem = cover_problem(columns["cover"], left, right)
    if problem:
        raise _fail(where, problem)


# -- loading ---------------------------------------------------------------------------------
def _read_params(doc: dict) -> dict[str, Any]:
    params_doc = doc["params"]
    if not isinstance(params_doc, dict):
        raise _fail("params", f"must be an object, got {_describe(params_doc)}")
    custom = params_doc.get("objective") == "custom"
    try:
        params = validate_params(
            {k: v for k, v in params_doc.items() if not (custom and k == "objective")}
        )
    except (TypeError, ValueError) as exc:
        raise _fail("params", str(exc)) from None
    if custom:
        params["objective"] = "custom"
    for name in RUNTIME_PARAMS:  # as in a freshly trained model (training/engine.py)
        params.pop(name, None)
    if doc["objective"] != params["objective"]:
        raise _fail(
            "objective",
            f"{doc['objective']!r} differs from params objective {params['objective']!r}",
        )
    return params


def _read_feature_names(names: Any) -> list[str]:
    if not isinstance(names, list) or not names:
        raise _fail("feature_names", f"must be a non-empty list of strings, got {_describe(names)}")
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise _fail("feature_names", f"item {i} is {name!r}, not a string")
        if not _is_text(name):
            raise _fail("feature_names", f"item {i} is {name!r}, not valid Unicode text")
        if name in seen:
            raise _fail(
                "feature_names",
                f"{name!r} appears twice (positions {seen[name]} and {i}); names must be distinct",
            )
        seen[name] = i
    return names


def _read_best(doc: dict, n_rounds: int) -> tuple[int | None, float | None]:
    best_iteration, best_score = doc["best_iteration"], doc["best_score"]
    if best_score is not None and not _is_number(best_score):
        raise _fail("best_score", f"must be a number or null, got {best_score!r}")
    if best_iteration is None:
        if best_score is not None:
            raise _fail("best_score", "must be null when best_iteration is null")
        return None, None
    best_iteration = _int(doc, "best_iteration", "top level")
    if best_iteration >= n_rounds:
        raise _fail(
            "best_iteration",
            f"{best_iteration} is beyond the {n_rounds} rounds held",
        )
    return best_iteration, None if best_score is None else float(best_score)


def _read_baseline(value: Any, objective: str) -> BaselineHazard | None:
    if value is None:
        return None
    where = "survival_baseline"
    if objective != "survival:cox":
        raise _fail(where, f"is only valid for objective 'survival:cox', not {objective!r}")
    if not isinstance(value, dict):
        raise _fail(where, f"must be an object, got {_describe(value)}")
    _check_keys(value, BASELINE_KEYS, where)
    times = _float_list(value["times"], f"{where}.times")
    hazard = _float_list(value["cumulative_hazard"], f"{where}.cumulative_hazard", times.size)
    if np.any(times < 0) or np.any(np.diff(times) <= 0):
        raise _fail(where, "times must be >= 0 and strictly increasing")
    if np.any(hazard < 0) or np.any(np.diff(hazard) < 0):
        raise _fail(where, "cumulative_hazard must be >= 0 and non-decreasing")
    return BaselineHazard(times, hazard)


def cover_problem(cover: np.ndarray, left: np.ndarray, right: np.ndarray) -> str | None:
    """What is wrong with a tree's covers, or None. Cover is a sum of hessians over the node's
    rows, so it is >= 0 and children carry parts of their parent's (TreeSHAP weighs paths by
    child / parent cover; a child above its parent would let the weights grow without bound).
    The tolerance absorbs the float32 rounding of imported models."""
    if np.any(cover < 0):
        return f"cover must be >= 0, got {float(cover[cover < 0][0])!r}"
    split = np.flatnonzero(left >= 0)
    limit = cover[split] * (1 + 1e-6) + 1e-300
    over = (cover[left[split]] > limit) | (cover[right[split]] > limit)
    if np.any(over):
        return f"node {int(split[over][0])} has a child whose cover exceeds its own"
    return None


def margin_range_problem(base_margin: np.ndarray, trees: list[Tree]) -> str | None:
    """None when the largest margin the model can produce (base margin plus every tree's
    largest leaf value) is finite, so that no input can make a prediction overflow."""
    bound = float(np.max(np.abs(base_margin), initial=0.0))
    for tree in trees:
        bound += float(np.max(np.abs(tree.value), initial=0.0))
    if not math.isfinite(bound) or bound > np.finfo(np.float64).max / 2:
        return (
            "leaf values are so large that their sum overflows float64 (the margin of some "
            "row would be infinite)"
        )
    return None


def _check_margin_range(base_margin: np.ndarray, trees: list[Tree]) -> None:
    problem = margin_range_problem(base_margin, trees)
    if problem:
        raise _fail("trees", problem)


def read_model(text: str | bytes) -> ModelContents:
    """Parse and validate model JSON; raises :class:`ModelFormatError` on any defect."""
    doc = _parse(text)
    if not isinstance(doc, dict):
        raise _fail("top level", f"must be a JSON object, got {_describe(doc)}")
    if doc.get("format") != FORMAT_NAME:
        raise _fail("top level", f"'format' must be {FORMAT_NAME!r}, got {doc.get('format')!r}")
    version = _int(doc, "version", "top level", low=1)
    if version > FORMAT_VERSION:
        raise _fail(
            "top level",
            f"version {version} is newer than this treeboost reads "
            f"({FORMAT_VERSION}); upgrade treeboost",
        )
    _check_keys(doc, TOP_LEVEL_KEYS, "top level", OPTIONAL_TOP_LEVEL_KEYS)
    params = _read_params(doc)
    try:
        objective = objective_for_params(params)
    except (TypeError, ValueError) as exc:
        raise _fail("objective", str(exc)) from None
    n_outputs = _int(doc, "n_outputs", "top level", low=1)
    if n_outputs != objective.n_outputs:
        raise _fail(
            "n_outputs", f"{n_outputs} does not match the objective ({objective.n_outputs})"
        )
    base_margin = _float_list(doc["base_margin"], "base_margin", n_outputs)
    names = _read_feature_names(doc["feature_names"])
    types = doc["feature_types"]
    if (
        not isinstance(types, list)
        or len(types) != len(names)
        or any(t not in FEATURE_TYPES for t in types)
    ):
        raise _fail(
            "feature_types", f"must list one of {FEATURE_TYPES} per feature ({len(names)} features)"
        )
    per_round = trees_per_round(n_outputs, params)
    if not isinstance(doc["trees"], list) or len(doc["trees"]) % per_round:
        raise _fail(
            "trees",
            f"must be a list whose length is a multiple of {per_round} (one tree per output "
            f"and parallel tree, {n_outputs} x {params.get('num_parallel_tree', 1)}, per round)",
        )
    categories = _read_categories(doc.get("categories"), types)
    trees, outputs = [], []
    for i, entry in enumerate(doc["trees"]):
        tree, output = _read_tree(entry, i, len(names), n_outputs, categories)
        trees.append(tree)
        outputs.append(output)
    _check_margin_range(base_margin, trees)
    best_iteration, best_score = _read_best(doc, len(trees) // per_round)
    return ModelContents(
        objective=objective,
        base_margin=base_margin,
        feature_names=names,
        feature_types=types,
        categories=categories,
        params=params,
        trees=trees,
        tree_outputs=outputs,
        best_iteration=best_iteration,
        best_score=best_score,
        survival_baseline=_read_baseline(doc.get("survival_baseline"), params["objective"]),
    )
