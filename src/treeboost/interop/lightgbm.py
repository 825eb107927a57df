"""LightGBM models as treeboost model contents, read from LightGBM's text model format.

The text is parsed here, so a saved model file loads without lightgbm installed; a live
``lightgbm.Booster`` or a LightGBM scikit-learn estimator is first turned into that text.

How LightGBM places a row at a split node (``NumericalDecision`` / ``CategoricalDecision`` of
its ``tree.h``) and how each rule is carried over:

- numeric split, missing type *None*: NaN is replaced by 0.0, then ``x <= threshold`` (double)
  goes left. Treeboost sends NaN to ``default_left = (0.0 <= threshold)``: exact.
- numeric split, missing type *NaN*: NaN takes the node's default direction: exact.
- numeric split, missing type *Zero* (``zero_as_missing``): NaN and every ``|x| <= 1e-35``
  take the default direction. When that is where ``x <= threshold`` sends the whole zero band
  anyway, one treeboost split with that default is exact. Otherwise the split becomes a chain
  of splits on the same feature (below the band, the band with NaN, between band and
  threshold, above it) whose ends copy the two subtrees, each copy holding its share of the
  counts: the same leaves, margins and SHAP values, with more nodes.
- categorical split: the integer category codes in the node's bitset go left; negative codes,
  codes outside the bitset and NaN go right. Treeboost sends unlisted and missing categories
  right (``default_left = 0``): exact for whole-number codes (LightGBM truncates a fractional
  code, treeboost treats it as unseen).

LightGBM leaf ``j`` of a tree with ``L`` leaves becomes treeboost node ``L - 1 + j``
(:func:`node_of_leaf`); split node ``i`` keeps its number. Trees with chains are numbered
depth first instead; :func:`lightgbm_leaf_map` gives the leaf of every node of every tree.
Covers are LightGBM's row counts, which is what LightGBM's own TreeSHAP weighs by, so SHAP
values agree too.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np

from ..model.model_file import ModelContents
from ..model.params import validate_params
from ..objectives import get_objective
from ..tree.tree import Tree

# LightGBM's kZeroThreshold (a float constant, compared after widening to double).
ZERO_THRESHOLD = float(np.float32(1e-35))

# Category codes a feature may use: each categorical split holds a table over all of them.
MAX_CATEGORY_CODES = 1 << 20

# Nodes one tree may grow to when its zero-as-missing splits are written out as chains.
MAX_EXPANDED_NODES = 1 << 20

# decision_type bits (LightGBM tree.h): categorical, default left, then two bits of missing type.
_CATEGORICAL_BIT = 1
_DEFAULT_LEFT_BIT = 2
_MISSING_NONE, _MISSING_ZERO, _MISSING_NAN = 0, 1, 2

_TREE_INT_FIELDS = ("split_feature", "decision_type", "left_child", "right_child", "leaf_count",
                    "internal_count", "cat_boundaries", "cat_threshold")
_TREE_FLOAT_FIELDS = ("split_gain", "threshold", "leaf_value", "internal_value")


class _Invalid(ValueError):
    """A defect of the model text (reported as one ValueError line)."""


def node_of_leaf(n_leaves: int, leaf: int) -> int:
    """The treeboost node id of LightGBM leaf ``leaf`` in a tree with ``n_leaves`` leaves.

    Split nodes keep LightGBM's numbering ``0 .. n_leaves - 2`` and leaves follow them, so
    ``predict(pred_leaf=True)`` of the imported model is LightGBM's leaf index plus
    ``n_leaves - 1`` of each tree.
    """
    return int(n_leaves) - 1 + int(leaf)


def lightgbm_leaf_map(model: Any) -> list[np.ndarray]:
    """Per tree, the LightGBM leaf index that each treeboost node stands for (-1 at split
    nodes): ``leaf_map[t][predict(X, pred_leaf=True)[:, t]]`` is LightGBM's
    ``predict(X, pred_leaf=True)[:, t]``. Accepts what :func:`contents_from_lightgbm` does.
    Needed only for trees with zero-as-missing splits written out as chains, where a leaf
    can have several copies; elsewhere :func:`node_of_leaf` gives the node of each leaf."""
    return _convert(_model_text(model))[1]


def contents_from_lightgbm(model: Any) -> ModelContents:
    """A LightGBM model as :class:`~treeboost.model.model_file.ModelContents`.

    Parameters
    ----------
    model : lightgbm.Booster, LightGBM estimator, str or path-like
        A live booster (``model_to_string()`` is read), a fitted LightGBM scikit-learn
        estimator (its ``booster_``), the path of a text model file, or the model text itself
        (recognised by its first line, ``tree``).

    Returns
    -------
    ModelContents

    Raises
    ------
    ValueError
        One line naming the defect, for malformed text or a model treeboost cannot represent
        exactly (linear trees, an objective without a treeboost counterpart).
    """
    return _convert(_model_text(model))[0]


def _convert(text: str) -> tuple[ModelContents, list[np.ndarray]]:
    try:
        return _contents(text)
    except _Invalid as exc:
        raise ValueError(f"invalid LightGBM model text: {exc}") from None
    except (KeyError, IndexError, TypeError, ValueError, OverflowError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith("cannot import LightGBM"):
            raise
        detail = " ".join(str(exc).split())[:200]
        raise ValueError(
            f"invalid LightGBM model text: {type(exc).__name__}: {detail}"
        ) from None


# -- reading the text ---------------------------------------------------------------------
def _model_text(model: Any) -> str:
    if type(model).__name__.startswith("LGBM"):
        # An unfitted estimator raises lightgbm's own error type when asked for booster_.
        try:
            model = model.booster_
        except (AttributeError, ValueError):
            raise ValueError(
                f"the {type(model).__name__} is not fitted; call fit() first"
            ) from None
    if hasattr(model, "model_to_string"):
        return str(model.model_to_string())
    if isinstance(model, bytes):
        try:
            model = model.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("LightGBM model bytes are not UTF-8 text") from None
    if isinstance(model, str) and model.lstrip().startswith("tree"):
        first = model.lstrip().split("\n", 1)[0].strip()
        if first == "tree":
            return model
    if isinstance(model, (str, os.PathLike)):
        try:
            with open(os.fspath(model), encoding="utf-8") as fh:
                return fh.read()
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"cannot read LightGBM model file {model!r}: {exc}") from None
    raise TypeError(
        f"model must be a lightgbm.Booster, a LightGBM estimator, a path or the model text; "
        f"got {type(model).__name__}"
    )


def _key_values(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        if "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
        elif line.strip():
            # A flag line such as ``average_output``.
            out[line.strip()] = ""
    return out


def _parse_sections(text: str) -> tuple[dict, list[dict], dict, Any]:
    """(header, tree blocks, parameters, pandas_categorical) of the model text."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "tree":
        raise _Invalid("the first line must be 'tree'")
    try:
        end_trees = next(i for i, line in enumerate(lines) if line.strip() == "end of trees")
    except StopIteration:
        raise _Invalid("'end of trees' is missing; the text may be truncated") from None
    starts = [i for i in range(end_trees) if lines[i].startswith("Tree=")]
    header = _key_values(lines[1 : starts[0] if starts else end_trees])
    blocks = []
    for j, start in enumerate(starts):
        stop = starts[j + 1] if j + 1 < len(starts) else end_trees
        block = _key_values(lines[start + 1 : stop])
        block["Tree"] = lines[start].split("=", 1)[1].strip()
        blocks.append(block)
    params: dict[str, str] = {}
    pandas_categorical = None
    for line in lines[end_trees:]:
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]") and ": " in stripped:
            key, value = stripped[1:-1].split(": ", 1)
            params[key] = value
        elif stripped.startswith("pandas_categorical:"):
            try:
                pandas_categorical = json.loads(stripped[len("pandas_categorical:") :])
            except json.JSONDecodeError:
                raise _Invalid("pandas_categorical is not valid JSON") from None
    return header, blocks, params, pandas_categorical


def _numbers(block: dict, name: str, count: int, kind: type, where: str) -> np.ndarray:
    text = block.get(name)
    if text is None:
        raise _Invalid(f"{where}: '{name}' is missing")
    parts = text.split() if count else []
    if len(parts) != count:
        raise _Invalid(f"{where}: '{name}' has {len(parts)} values, expected {count}")
    try:
        if kind is int:
            values = np.array([int(p) for p in parts], dtype=np.int64)
        else:
            values = np.array([float(p) for p in parts], dtype=np.float64)
    except ValueError:
        raise _Invalid(f"{where}: '{name}' holds a value that is not a number") from None
    if kind is float and not np.all(np.isfinite(values)):
        raise _Invalid(f"{where}: '{name}' holds a non-finite number")
    return values


def _header_int(header: dict, name: str, low: int, default: int | None = None) -> int:
    if name not in header and default is not None:
        return default
    try:
        value = int(header[name])
    except KeyError:
        raise _Invalid(f"header: '{name}' is missing") from None
    except ValueError:
        raise _Invalid(f"header: '{name}={header[name]}' is not an integer") from None
    if value < low:
        raise _Invalid(f"header: '{name}={value}' must be >= {low}")
    return value


# -- objective ------------------------------------------------------------------------------
def _objective(spec: str, num_class: int) -> tuple[dict[str, Any], float]:
    """(treeboost params, factor on every leaf value) for LightGBM's ``objective=`` line."""
    words = spec.split()
    if not words:
        raise _Invalid("header: 'objective' is empty")
    name, options = words[0], dict(w.split(":", 1) for w in words[1:] if ":" in w)

    def option(key: str, default: float) -> float:
        try:
            return float(options.get(key, default))
        except ValueError:
            raise _Invalid(f"objective option {key}={options[key]!r} is not a number") from None

    if name in ("regression", "regression_l2", "l2", "mse", "mean_squared_error", "rmse"):
        if "sqrt" in words:
            raise ValueError(
                "cannot import LightGBM objective 'regression' with reg_sqrt: its prediction "
                "squares the raw score, which no treeboost objective does"
            )
        return {"objective": "reg:squarederror"}, 1.0
    if name in ("regression_l1", "l1", "mae", "mean_absolute_error"):
        return {"objective": "reg:absoluteerror"}, 1.0
    if name == "huber":
        # Prediction is the raw score for both; only continued training would see the loss.
        return {"objective": "reg:pseudohubererror", "huber_slope": option("alpha", 0.9)}, 1.0
    if name == "quantile":
        return {"objective": "reg:quantileerror", "quantile_alpha": option("alpha", 0.9)}, 1.0
    if name == "poisson":
        return {"objective": "count:poisson"}, 1.0
    if name == "gamma":
        return {"objective": "reg:gamma"}, 1.0
    if name == "tweedie":
        power = option("tweedie_variance_power", 1.5)
        return {"objective": "reg:tweedie", "tweedie_variance_power": power}, 1.0
    if name in ("binary", "cross_entropy", "xentropy"):
        # LightGBM's probability is 1 / (1 + exp(-sigmoid * raw)); folding the factor into the
        # leaves keeps the probabilities (the margins are then sigmoid * LightGBM's raw score).
        return {"objective": "binary:logistic"}, option("sigmoid", 1.0)
    if name in ("multiclass", "softmax"):
        return {"objective": "multi:softprob", "num_class": num_class}, 1.0
    if name in ("lambdarank", "rank_xendcg", "xendcg", "xe_ndcg", "xe_ndcg_mart", "xendcg_mart"):
        return {"objective": "rank:ndcg"}, 1.0
    raise ValueError(
        f"cannot import LightGBM objective {name!r}: no treeboost objective predicts like it; "
        "supported: regression, regression_l1, huber, quantile, poisson, gamma, tweedie, binary, "
        "cross_entropy, multiclass, lambdarank, rank_xendcg"
    )


# -- categorical features -------------------------------------------------------------------
def _categorical_features(
    header: dict, params: dict, blocks: list[dict], names: list[str]
) -> list[int]:
    """Features LightGBM treated as categorical, in column order."""
    found = set()
    infos = _feature_infos(header, names)
    if infos:
        found.update(f for f, info in enumerate(infos) if info != "none" and info[:1] != "[")
    for entry in params.get("categorical_feature", "").split(","):
        entry = entry.strip()
        if entry.isdigit() and int(entry) < len(names):
            found.add(int(entry))
        elif entry in names:
            found.add(names.index(entry))
    for block in blocks:
        features = block.get("split_feature", "").split()
        kinds = block.get("decision_type", "").split()
        for feature, kind in zip(features, kinds, strict=False):
            if kind.lstrip("-").isdigit() and int(kind) & _CATEGORICAL_BIT and feature.isdigit():
                found.add(int(feature))
    return sorted(f for f in found if f < len(names))


def _feature_infos(header: dict, names: list[str]) -> list[str]:
    infos = header.get("feature_infos", "").split()
    return infos if len(infos) == len(names) else []


def _info_codes(header: dict, names: list[str], categorical: list[int]) -> dict[int, int]:
    """Per categorical feature, one more than the largest code its feature_infos lists."""
    infos = _feature_infos(header, names)
    out = {}
    for f in categorical:
        codes = [int(c) for c in infos[f].split(":") if c.isdigit()] if infos else []
        out[f] = max(codes) + 1 if codes else 0
    return out


def _category_labels(
    categorical: list[int], pandas_categorical: Any, n_codes: dict[int, int]
) -> dict[int, list]:
    """Per categorical feature its labels in code order: the pandas categories when the model
    was trained on a DataFrame, else the codes ``0 .. n - 1`` themselves."""
    if (
        isinstance(pandas_categorical, list)
        and len(pandas_categorical) == len(categorical)
        and all(isinstance(c, list) for c in pandas_categorical)
    ):
        labels = {}
        for f, cats in zip(categorical, pandas_categorical, strict=True):
            if len(cats) < n_codes.get(f, 0):
                raise _Invalid(f"feature {f}: a split uses a category code beyond its labels")
            if len(set(map(repr, cats))) != len(cats) or not cats:
                raise _Invalid(f"feature {f}: pandas_categorical lists a category twice")
            labels[f] = list(cats)
        return labels
    return {f: list(range(max(1, n_codes.get(f, 0)))) for f in categorical}


# -- trees ------------------------------------------------------------------------------------
def _tree_arrays(block: dict, where: str, n_features: int) -> dict[str, Any]:
    n_leaves = int(block.get("num_leaves", "x")) if block.get("num_leaves", "").isdigit() else -1
    if n_leaves < 1:
        raise _Invalid(f"{where}: 'num_leaves' must be a positive integer")
    if block.get("is_linear", "0").strip() not in ("0", ""):
        raise ValueError(
            f"cannot import LightGBM {where}: linear trees (is_linear=1) have a linear model in "
            "each leaf, which treeboost trees cannot hold"
        )
    n_split = n_leaves - 1
    arrays: dict[str, Any] = {"n_leaves": n_leaves}
    arrays["leaf_value"] = _numbers(block, "leaf_value", n_leaves, float, where)
    if n_split == 0:
        return arrays
    for name in ("split_feature", "decision_type", "left_child", "right_child", "internal_count"):
        arrays[name] = _numbers(block, name, n_split, int, where)
    for name in ("split_gain", "threshold", "internal_value"):
        arrays[name] = _numbers(block, name, n_split, float, where)
    arrays["leaf_count"] = _numbers(block, "leaf_count", n_leaves, int, where)
    n_cat = int(block["num_cat"]) if block.get("num_cat", "0").isdigit() else -1
    if n_cat < 0:
        raise _Invalid(f"{where}: 'num_cat' must be a non-negative integer")
    if n_cat:
        bounds = _numbers(block, "cat_boundaries", n_cat + 1, int, where)
        if bounds[0] != 0 or np.any(np.diff(bounds) < 0):
            raise _Invalid(f"{where}: 'cat_boundaries' must start at 0 and not decrease")
        arrays["cat_boundaries"] = bounds
        arrays["cat_threshold"] = _numbers(block, "cat_threshold", int(bounds[-1]), int, where)
        if np.any(arrays["cat_threshold"] < 0) or np.any(arrays["cat_threshold"] >= 2**32):
            raise _Invalid(f"{where}: 'cat_threshold' holds a value outside uint32")
    arrays["n_cat"] = n_cat
    feature = arrays["split_feature"]
    if np.any(feature < 0) or np.any(feature >= n_features):
        raise _Invalid(f"{where}: 'split_feature' is out of range [0, {n_features})")
    if np.any(arrays["decision_type"] < 0) or np.any(arrays["decision_type"] >= 16):
        raise _Invalid(f"{where}: 'decision_type' is out of range [0, 16)")
    if np.any(arrays["internal_count"] < 0) or np.any(arrays["leaf_count"] < 0):
        raise _Invalid(f"{where}: a node count is negative")
    _check_links(arrays["left_child"], arrays["right_child"], n_leaves, where)
    return arrays


def _check_links(left: np.ndarray, right: np.ndarray, n_leaves: int, where: str) -> None:
    """Every child is a later split node or a leaf, and every node but the root has exactly one
    parent: the links form one tree, so every walk ends."""
    n_split = n_leaves - 1
    seen_split = np.zeros(n_split, dtype=np.int64)
    seen_leaf = np.zeros(n_leaves, dtype=np.int64)
    for node in range(n_split):
        for child in (int(left[node]), int(right[node])):
            if child >= 0:
                if child <= node or child >= n_split:
                    raise _Invalid(f"{where}: node {node} has child {child}, not a later node")
                seen_split[child] += 1
            else:
                leaf = ~child
                if leaf >= n_leaves:
                    raise _Invalid(f"{where}: node {node} names leaf {leaf} of {n_leaves}")
                seen_leaf[leaf] += 1
    if np.any(seen_split[1:] != 1) or np.any(seen_leaf != 1):
        raise _Invalid(f"{where}: the child links do not form one tree")


def _bitset_codes(words: np.ndarray) -> np.ndarray:
    """The category codes set in a LightGBM bitset of 32-bit words."""
    bits = (words.astype(np.uint64)[:, None] >> np.arange(32, dtype=np.uint64)) & np.uint64(1)
    return np.flatnonzero(bits.ravel())


def _build_tree(
    arrays: dict, scale: float, names: list[str], labels: dict[int, list], where: str
) -> tuple[Tree, np.ndarray]:
    n_leaves = arrays["n_leaves"]
    n_split = n_leaves - 1
    leaf_value = arrays["leaf_value"] * scale
    if n_split == 0:
        return Tree.from_lists({
            "left": [-1], "right": [-1], "feature": [-1], "threshold": [0.0], "split_bin": [0],
            "default_left": [0], "value": [float(leaf_value[0])], "cover": [1.0], "gain": [0.0],
            "sample_count": [0],
        }), np.zeros(1, dtype=np.int64)

    def node_id(child: np.ndarray) -> np.ndarray:
        return np.where(child >= 0, child, n_split + ~child)

    feature = arrays["split_feature"]
    kind = arrays["decision_type"]
    is_categorical = (kind & _CATEGORICAL_BIT) != 0
    default_left = (kind & _DEFAULT_LEFT_BIT) != 0
    missing = (kind >> 2) & 3
    threshold = arrays["threshold"].copy()
    categories: dict[int, np.ndarray] = {}
    zero_nodes: set[int] = set()
    for node in range(n_split):
        f = int(feature[node])
        if is_categorical[node]:
            categories[node] = _category_table(arrays, node, len(labels.get(f, [])), where)
            # Missing, negative and unlisted codes all go right in LightGBM.
            default_left[node] = False
            threshold[node] = 0.0
        elif missing[node] == _MISSING_NONE:
            # NaN is compared as 0.0.
            default_left[node] = 0.0 <= threshold[node]
        elif missing[node] == _MISSING_ZERO:
            t = float(threshold[node])
            if not (t >= ZERO_THRESHOLD and default_left[node] or t < -ZERO_THRESHOLD and not (
                default_left[node]
            )):
                # The zero band goes where x <= threshold would not send it: extra nodes.
                zero_nodes.add(node)
        elif missing[node] != _MISSING_NAN:
            raise _Invalid(f"{where}: node {node} has an unknown missing type {missing[node]}")
    if zero_nodes:
        split = {"threshold": threshold, "default_left": default_left,
                 "is_categorical": is_categorical, "categories": categories}
        return _expanded_tree(arrays, split, scale, zero_nodes, where)
    counts = np.concatenate([arrays["internal_count"], arrays["leaf_count"]])
    columns = {
        "left": np.concatenate([node_id(arrays["left_child"]), np.full(n_leaves, -1)]),
        "right": np.concatenate([node_id(arrays["right_child"]), np.full(n_leaves, -1)]),
        "feature": np.concatenate([feature, np.full(n_leaves, -1)]),
        "threshold": np.concatenate([threshold, np.zeros(n_leaves)]),
        # Placeholder binned rule: the model carries no bins; raw prediction reads thresholds.
        "split_bin": np.concatenate([np.where(is_categorical, 0, 1), np.zeros(n_leaves)]),
        "default_left": np.concatenate([default_left, np.zeros(n_leaves)]),
        "value": np.concatenate([arrays["internal_value"] * scale, leaf_value]),
        "cover": counts.astype(np.float64),
        "gain": np.concatenate([arrays["split_gain"], np.zeros(n_leaves)]),
        "sample_count": counts,
    }
    leaf_of = np.concatenate([np.full(n_split, -1), np.arange(n_leaves)]).astype(np.int64)
    return Tree.from_lists(columns, categories), leaf_of


def _zero_band_chain(threshold: float, default_left: bool) -> list[tuple[float, str, bool]]:
    """A zero-as-missing split as a chain of ``x <= bound`` splits on one feature: per link
    ``(bound, "L" or "R", holds the zero band)``, the last bound +inf.

    LightGBM sends NaN and ``-1e-35 <= x <= 1e-35`` the default way and every other value by
    ``x <= threshold``; the chain cuts the line at those three points and merges neighbouring
    pieces that go the same way."""
    below_band = float(np.nextafter(-ZERO_THRESHOLD, -np.inf))
    bounds = sorted({below_band, ZERO_THRESHOLD, threshold}) + [np.inf]
    pieces: list[tuple[float, str, bool]] = []
    low = -np.inf
    for high in bounds:
        band = low >= below_band and high <= ZERO_THRESHOLD
        side = ("L" if default_left else "R") if band else ("L" if high <= threshold else "R")
        if pieces and pieces[-1][1] == side:
            pieces[-1] = (high, side, pieces[-1][2] or band)
        else:
            pieces.append((high, side, band))
        low = high
    return pieces


def _expanded_tree(
    arrays: dict, split: dict, scale: float, zero_nodes: set[int], where: str
) -> tuple[Tree, np.ndarray]:
    """A tree whose zero-as-missing splits become chains of splits (:func:`_zero_band_chain`);
    a subtree reached from several links is copied, each copy with its share of the counts,
    so that TreeSHAP's cover-weighted averages are those of the original tree.

    Returns the tree and, per node, the LightGBM leaf it stands for (-1 for split nodes)."""
    names = ("left", "right", "feature", "threshold", "split_bin", "default_left", "value",
             "cover", "gain", "sample_count")
    cols: dict[str, list] = {name: [] for name in names}
    leaf_of: list[int] = []
    tables: dict[int, np.ndarray] = {}
    left_child, right_child = arrays["left_child"], arrays["right_child"]

    def new_node(**fields) -> int:
        if len(leaf_of) >= MAX_EXPANDED_NODES:
            raise ValueError(
                f"cannot import LightGBM {where}: its zero-as-missing splits need over "
                f"{MAX_EXPANDED_NODES} treeboost nodes"
            )
        defaults = {"left": -1, "right": -1, "feature": -1, "threshold": 0.0, "split_bin": 0,
                    "default_left": 0, "gain": 0.0}
        for name in names:
            cols[name].append(fields.get(name, defaults.get(name)))
        leaf_of.append(fields.get("leaf", -1))
        return len(leaf_of) - 1

    def emit(child: int, share: float) -> int:
        if child < 0:
            leaf = ~child
            count = int(arrays["leaf_count"][leaf])
            return new_node(value=float(arrays["leaf_value"][leaf] * scale),
                            cover=count * share, sample_count=count, leaf=leaf)
        node = child
        common = {"feature": int(arrays["split_feature"][node]), "split_bin": 1,
                  "value": float(arrays["internal_value"][node] * scale),
                  "sample_count": int(arrays["internal_count"][node])}
        if node not in zero_nodes:
            me = new_node(**common, threshold=float(split["threshold"][node]),
                          default_left=int(split["default_left"][node]),
                          gain=float(arrays["split_gain"][node]))
            if split["is_categorical"][node]:
                cols["split_bin"][me] = 0
                tables[me] = split["categories"][node]
            _link(me, emit(int(left_child[node]), share), emit(int(right_child[node]), share))
            return me
        chain = _zero_band_chain(float(split["threshold"][node]), bool(
            arrays["decision_type"][node] & _DEFAULT_LEFT_BIT))
        copies = {side: sum(1 for _, s, _ in chain if s == side) for side in "LR"}
        target = {"L": int(left_child[node]), "R": int(right_child[node])}

        def link(i: int) -> int:
            bound, side, band = chain[i]
            if i == len(chain) - 1:
                return emit(target[side], share / copies[side])
            me = new_node(**common, threshold=bound, default_left=int(band),
                          gain=float(arrays["split_gain"][node]) if i == 0 else 0.0)
            _link(me, emit(target[side], share / copies[side]), link(i + 1))
            return me

        return link(0)

    def _link(me: int, left: int, right: int) -> None:
        cols["left"][me], cols["right"][me] = left, right
        cols["cover"][me] = cols["cover"][left] + cols["cover"][right]

    emit(0, 1.0)
    return Tree.from_lists(cols, tables), np.asarray(leaf_of, dtype=np.int64)


def _category_table(arrays: dict, node: int, n_labels: int, where: str) -> np.ndarray:
    cat_idx = arrays["threshold"][node]
    if not float(cat_idx).is_integer() or not 0 <= cat_idx < arrays.get("n_cat", 0):
        raise _Invalid(f"{where}: node {node} names categorical split {cat_idx!r}")
    bounds = arrays["cat_boundaries"]
    i = int(cat_idx)
    codes = _bitset_codes(arrays["cat_threshold"][bounds[i] : bounds[i + 1]])
    if codes.size and codes[-1] >= n_labels:
        raise _Invalid(f"{where}: node {node} uses category code {codes[-1]} of {n_labels}")
    table = np.zeros(n_labels + 1, dtype=np.uint8)
    table[1 + codes] = 1
    return table


def _max_codes(all_arrays: list[dict], categorical: list[int]) -> dict[int, int]:
    """Per categorical feature, one more than the largest code any split lists."""
    out = {f: 0 for f in categorical}
    for arrays in all_arrays:
        for node in np.flatnonzero(arrays.get("decision_type", np.zeros(0, int)) & 1):
            f = int(arrays["split_feature"][node])
            i = arrays["threshold"][node]
            if not float(i).is_integer() or not 0 <= i < arrays.get("n_cat", 0):
                raise _Invalid(f"a categorical split names categorical split {i!r}")
            bounds = arrays["cat_boundaries"]
            codes = _bitset_codes(arrays["cat_threshold"][bounds[int(i)] : bounds[int(i) + 1]])
            if codes.size:
                out[f] = max(out.get(f, 0), int(codes[-1]) + 1)
    return out


# -- the whole model ----------------------------------------------------------------------
def _contents(text: str) -> tuple[ModelContents, list[np.ndarray]]:
    header, blocks, params, pandas_categorical = _parse_sections(text)
    num_class = _header_int(header, "num_class", 1)
    per_round = _header_int(header, "num_tree_per_iteration", 1)
    n_features = _header_int(header, "max_feature_idx", 0) + 1
    names = header.get("feature_names", "").split()
    if len(names) != n_features:
        raise _Invalid(f"header: 'feature_names' lists {len(names)} names for {n_features}")
    if len(set(names)) != len(names):
        raise _Invalid("header: 'feature_names' lists a name twice")
    if len(blocks) % per_round:
        raise _Invalid(f"{len(blocks)} trees is not a multiple of {per_round} per iteration")
    for i, block in enumerate(blocks):
        if block["Tree"] != str(i):
            raise _Invalid(f"tree {i} is labelled 'Tree={block['Tree']}'")
    tb_params, scale = _objective(header.get("objective", ""), num_class)
    n_outputs = num_class if tb_params["objective"] == "multi:softprob" else 1
    if n_outputs != per_round:
        raise _Invalid(
            f"num_tree_per_iteration={per_round} does not match objective "
            f"{header.get('objective')!r} with num_class={num_class}"
        )
    if "average_output" in header:
        # Random forest mode: the prediction is the mean of the iterations, not their sum.
        scale /= max(1, len(blocks) // per_round)
    all_arrays = [_tree_arrays(b, f"tree {i}", n_features) for i, b in enumerate(blocks)]
    categorical = _categorical_features(header, params, blocks, names)
    n_codes = _max_codes(all_arrays, categorical)
    from_infos = _info_codes(header, names, categorical)
    n_codes = {f: max(n_codes.get(f, 0), from_infos.get(f, 0)) for f in categorical}
    for f, n in n_codes.items():
        if n > MAX_CATEGORY_CODES:
            raise _Invalid(f"feature {names[f]!r} uses category code {n - 1}, above the "
                           f"supported {MAX_CATEGORY_CODES - 1}")
    labels = _category_labels(categorical, pandas_categorical, n_codes)
    built = [
        _build_tree(arrays, scale, names, labels, f"tree {i}")
        for i, arrays in enumerate(all_arrays)
    ]
    trees = [tree for tree, _ in built]
    params_out = validate_params(tb_params)
    objective = get_objective(params_out["objective"], params_out)
    if not math.isfinite(scale):
        raise _Invalid("the sigmoid factor is not finite")
    contents = ModelContents(
        objective=objective,
        # LightGBM starts every row at 0: boost_from_average is already in the first trees.
        base_margin=np.zeros(n_outputs),
        feature_names=names,
        feature_types=["c" if f in labels else "float" for f in range(n_features)],
        categories=[labels.get(f) for f in range(n_features)],
        params=params_out,
        trees=trees,
        tree_outputs=[i % n_outputs for i in range(len(trees))],
    )
    return contents, [leaf_of for _, leaf_of in built]
