"""XGBoost models as treeboost contents, and treeboost models as XGBoost JSON.

:func:`contents_from_xgboost` reads XGBoost's JSON or UBJSON model (a file, its bytes, the parsed
document, a live ``xgboost.Booster`` or scikit-learn estimator) into
:class:`~treeboost.model.model_file.ModelContents`; files are read without xgboost.
:func:`xgboost_json_from_booster` writes a Booster as a JSON document that XGBoost loads.

The comparison differs between the two libraries: XGBoost turns every input into float32 and
sends ``x < c`` left, with ``c`` a float32; treeboost sends ``x <= t`` left, with ``t`` a
float64. :func:`thresholds_from_xgboost` picks ``t`` so that both rules agree for every float64
input, rounded to float32 the way XGBoost rounds it (to nearest, ties to even); see
docs/interop.md for the whole exactness table.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np

from ._common import model_contents, tree_from_nodes

__all__ = [
    "contents_from_xgboost",
    "read_ubjson",
    "thresholds_from_xgboost",
    "thresholds_to_xgboost",
    "xgboost_json_from_booster",
]

SOURCE = "invalid XGBoost model"
# The parent of the root in XGBoost's node arrays.
_NO_PARENT = 2147483647
# XGBoost's "unset" for the pairs sampled per row of a ranking objective.
_UINT32_MAX = 4294967295
# Category codes are exact float32 integers in XGBoost, so they stay below 2**24.
_MAX_CATEGORY = 1 << 24


def _error(message: str) -> ValueError:
    return ValueError(" ".join(f"{SOURCE}: {message}".split()))


def _unsupported(what: str) -> ValueError:
    return ValueError(" ".join(f"XGBoost model not supported: {what}".split()))


# -- UBJSON ---------------------------------------------------------------------------------
# Markers of the Universal Binary JSON draft 12 subset XGBoost writes; every number is
# big-endian.
_UBJ_NUMBERS = {
    ord("i"): np.dtype(">i1"),
    ord("U"): np.dtype(">u1"),
    ord("I"): np.dtype(">i2"),
    ord("l"): np.dtype(">i4"),
    ord("L"): np.dtype(">i8"),
    ord("d"): np.dtype(">f4"),
    ord("D"): np.dtype(">f8"),
}
_UBJ_MAX_DEPTH = 64


class _UBJReader:
    """A bounded recursive-descent reader: counts are checked against the bytes left, so a
    damaged file fails fast instead of asking for memory it does not describe."""

    def __init__(self, data: bytes):
        self.data = memoryview(data)
        self.pos = 0

    def fail(self, message: str) -> ValueError:
        return _error(f"UBJSON at byte {self.pos}: {message}; the file may be truncated")

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise self.fail("unexpected end of data")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise self.fail(f"needs {n} bytes, {len(self.data) - self.pos} left")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def number(self, marker: int) -> int | float:
        dtype = _UBJ_NUMBERS[marker]
        value = np.frombuffer(self.take(dtype.itemsize), dtype=dtype)[0]
        return float(value) if dtype.kind == "f" else int(value)

    def count(self, marker: int | None = None) -> int:
        marker = self.byte() if marker is None else marker
        if marker not in _UBJ_NUMBERS or _UBJ_NUMBERS[marker].kind == "f":
            raise self.fail(f"a length must be an integer, got marker {chr(marker)!r}")
        n = self.number(marker)
        if n < 0 or n > len(self.data) - self.pos + 1:
            raise self.fail(f"length {n} is larger than the data")
        return int(n)

    def string(self) -> str:
        raw = self.take(self.count())
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("a string is not UTF-8") from None

    def value(self, depth: int = 0, marker: int | None = None) -> Any:
        if depth > _UBJ_MAX_DEPTH:
            raise self.fail(f"nesting deeper than {_UBJ_MAX_DEPTH}")
        marker = self.byte() if marker is None else marker
        while marker == ord("N"):  # no-op padding
            marker = self.byte()
        if marker in _UBJ_NUMBERS:
            return self.number(marker)
        if marker == ord("S"):
            return self.string()
        if marker == ord("C"):
            return chr(self.byte())
        if marker == ord("H"):
            text = self.string()
            try:
                return float(text)
            except ValueError:
                raise self.fail(f"high-precision number {text[:30]!r} is not a number") from None
        if marker == ord("T"):
            return True
        if marker == ord("F"):
            return False
        if marker == ord("Z"):
            return None
        if marker == ord("["):
            return self.array(depth)
        if marker == ord("{"):
            return self.object(depth)
        raise self.fail(f"unknown marker {chr(marker)!r}")

    def _container_header(self) -> tuple[int | None, int | None]:
        """The optional ``$type`` and ``#count`` after an opening bracket."""
        kind = count = None
        if self.pos < len(self.data) and self.data[self.pos] == ord("$"):
            self.pos += 1
            kind = self.byte()
            if self.byte() != ord("#"):
                raise self.fail("a typed container must give its count")
            return kind, self.count()
        if self.pos < len(self.data) and self.data[self.pos] == ord("#"):
            self.pos += 1
            count = self.count()
        return kind, count

    def array(self, depth: int) -> Any:
        kind, count = self._container_header()
        if kind in _UBJ_NUMBERS and count is not None:
            dtype = _UBJ_NUMBERS[kind]
            raw = self.take(count * dtype.itemsize)
            return np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="))
        out = []
        if count is not None:
            for _ in range(count):
                out.append(self.value(depth + 1, kind))
            return out
        while True:
            marker = self.byte()
            if marker == ord("]"):
                return out
            out.append(self.value(depth + 1, marker))

    def object(self, depth: int) -> dict:
        kind, count = self._container_header()
        out: dict = {}
        i = 0
        while count is None or i < count:
            if count is None:
                if self.pos < len(self.data) and self.data[self.pos] == ord("}"):
                    self.pos += 1
                    return out
            key = self.string()
            out[key] = self.value(depth + 1, kind)
            i += 1
        return out


def read_ubjson(data: bytes) -> Any:
    """Parse a UBJSON document (XGBoost's ``.ubj`` model files) into Python objects.

    Typed numeric arrays become numpy arrays of their own dtype (float32 stays float32);
    everything else becomes dicts, lists, str, int, float, bool or None.

    Raises
    ------
    ValueError
        For data that is not one complete UBJSON value (truncated, damaged or trailing bytes).
    """
    reader = _UBJReader(bytes(data))
    value = reader.value()
    if reader.pos != len(reader.data):
        raise reader.fail(f"{len(reader.data) - reader.pos} bytes after the document")
    return value


# -- thresholds -------------------------------------------------------------------------------
def thresholds_from_xgboost(conditions: Any) -> np.ndarray:
    """Float64 thresholds ``t`` with ``(x <= t) == (float32(x) < c)`` for every float64 ``x``.

    XGBoost rounds its input to float32 (to nearest, ties to even) and sends ``x < c`` left.
    The values that land below ``c`` are those up to the midpoint between ``c`` and the float32
    just below it; the midpoint itself belongs to whichever neighbour has an even mantissa.
    For float32 input this is the float32 just below ``c``'s rule exactly.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        c32 = np.asarray(conditions, dtype=np.float64).astype(np.float32)
        below = np.nextafter(c32, np.float32(-np.inf))
        mid = (below.astype(np.float64) + c32.astype(np.float64)) / 2.0
        # Below -FLT_MAX the float32 neighbour is -inf: the rounding boundary is half an ulp out.
        step = np.nextafter(c32, np.float32(np.inf)).astype(np.float64) - c32.astype(np.float64)
        mid = np.where(np.isinf(below), c32.astype(np.float64) - step / 2.0, mid)
    even = (below.view(np.uint32) & 1) == 0
    return np.where(even, mid, np.nextafter(mid, -np.inf))


def thresholds_to_xgboost(thresholds: Any) -> np.ndarray:
    """Float32 split conditions ``c`` with ``(x < c) == (x <= t)`` for every float32 ``x``:
    the float32 just above the largest float32 not above ``t``."""
    t = np.asarray(thresholds, dtype=np.float64)
    t32 = t.astype(np.float32)
    above = t32.astype(np.float64) > t
    t32[above] = np.nextafter(t32[above], np.float32(-np.inf))
    return np.nextafter(t32, np.float32(np.inf))


# -- reading the document ---------------------------------------------------------------------
def _looks_like_json(data: bytes) -> bool:
    text = data.lstrip()
    if not text.startswith(b"{"):
        return False
    rest = text[1:].lstrip()
    return rest[:1] in (b'"', b"}")


def _parse_bytes(data: bytes) -> Any:
    if _looks_like_json(data):
        try:
            return json.loads(data.decode("utf-8"))
        except ValueError as exc:  # bad UTF-8, bad JSON, an integer of thousands of digits
            raise _error(f"not valid JSON ({exc}); the file may be truncated") from None
        except RecursionError:
            raise _error("JSON nested too deeply") from None
    if data.lstrip()[:1] == b"{":
        return read_ubjson(data)
    raise _error("neither XGBoost JSON nor UBJSON (the document must be an object)")


def _document(model: Any) -> Any:
    """The parsed model document of any accepted kind of input."""
    if isinstance(model, dict):
        return model
    if isinstance(model, (bytes, bytearray, memoryview)):
        return _parse_bytes(bytes(model))
    if isinstance(model, str) and model.lstrip().startswith("{"):
        return _parse_bytes(model.encode("utf-8"))
    if isinstance(model, (str, os.PathLike)):
        try:
            with open(os.fspath(model), "rb") as fh:
                data = fh.read()
        except OSError as exc:
            path = os.fspath(model)
            raise ValueError(f"cannot read XGBoost model file {path!r}: {exc}") from None
        return _parse_bytes(data)
    if hasattr(model, "get_booster"):
        try:
            model = model.get_booster()
        except Exception as exc:  # an estimator that was never fitted
            raise ValueError(f"cannot get the booster of {type(model).__name__}: {exc}") from None
    if hasattr(model, "save_raw"):
        return _parse_bytes(bytes(model.save_raw(raw_format="json")))
    raise TypeError(
        "model must be an xgboost.Booster, an XGBoost scikit-learn estimator, a path to a "
        f".json or .ubj model file, its bytes or its parsed dict; got {type(model).__name__}"
    )


def _get(doc: Any, key: str, where: str, kind: type | tuple = dict) -> Any:
    if not isinstance(doc, dict) or key not in doc:
        raise _error(f"{where} has no {key!r}")
    value = doc[key]
    if not isinstance(value, kind):
        raise _error(f"{where}.{key} is a {type(value).__name__}, not {kind}")
    return value


def _number(value: Any, where: str) -> float:
    """A number XGBoost writes as a string ("0.5", "[5E-1]" is left to _numbers)."""
    try:
        out = float(value.item() if isinstance(value, np.generic) else value)
    except (TypeError, ValueError):
        raise _error(f"{where} is {str(value)[:40]!r}, not a number") from None
    if not math.isfinite(out):
        raise _error(f"{where} is {out}, not a finite number")
    return out


def _integer(value: Any, where: str, low: int = 0) -> int:
    out = _number(value, where)
    if not out.is_integer() or out < low or out > 2**31:
        raise _error(f"{where} is {value!r}, not an integer >= {low}")
    return int(out)


def _numbers(value: Any, where: str) -> list[float]:
    """XGBoost's vector parameters: "[a,b]" strings, plain scalars, or lists."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            parts = [p for p in text[1:-1].split(",") if p.strip()]
            return [_number(p, where) for p in parts]
        return [_number(text, where)]
    if isinstance(value, (list, np.ndarray)):
        return [_number(v, where) for v in value]
    return [_number(value, where)]


def _array(
    tree: dict, key: str, where: str, dtype: type, n: int | None, finite: bool = True
) -> np.ndarray:
    value = tree.get(key)
    if not isinstance(value, (list, np.ndarray)):
        raise _error(f"{where}.{key} is missing or not a list")
    try:
        out = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _error(f"{where}.{key} holds a value that is not a number") from None
    if out.ndim != 1 or (n is not None and out.shape[0] != n):
        raise _error(f"{where}.{key} has {out.size} entries, expected {n}")
    if finite and not np.all(np.isfinite(out)):
        raise _error(f"{where}.{key} holds a non-finite number")
    if np.issubdtype(dtype, np.integer):
        if np.any(out != np.round(out)) or np.any(np.abs(out) > 2**31):
            raise _error(f"{where}.{key} holds a value that is not an int32")
        return out.astype(np.int64)
    # XGBoost stores float32; JSON text holds its shortest decimal, which this restores.
    with np.errstate(over="ignore"):
        out = out.astype(np.float32)
    if finite and not np.all(np.isfinite(out)):
        raise _error(f"{where}.{key} holds a number beyond the float32 range")
    return out.astype(np.float64)


# -- objectives -------------------------------------------------------------------------------
# How XGBoost maps base_score to a margin: binary:logitraw keeps it as a margin.
_LOGIT = ("binary:logistic", "reg:logistic")
_LOG = ("count:poisson", "reg:gamma", "reg:tweedie", "survival:cox", "survival:aft")
_SAME = (
    "binary:logitraw",
    "reg:squarederror",
    "reg:absoluteerror",
    "reg:squaredlogerror",
    "reg:pseudohubererror",
    "reg:quantileerror",
    "multi:softprob",
    "multi:softmax",
    "rank:pairwise",
    "rank:ndcg",
    "rank:map",
)
_RANK_BOOLS = (
    "lambdarank_normalization",
    "lambdarank_score_normalization",
    "lambdarank_unbiased",
    "ndcg_exp_gain",
)


def _flag(value: Any, where: str) -> bool:
    return _number(1 if value is True else 0 if value is False else value, where) != 0


def _objective(doc: dict, num_class: int, num_target: int) -> tuple[str, dict, str]:
    """(treeboost objective name, its parameters, link of base_score) of XGBoost's
    ``learner.objective``."""
    name = _get(doc, "name", "learner.objective", str)
    where = f"learner.objective ({name})"
    params: dict[str, Any] = {}

    def section(key: str) -> dict:
        value = doc.get(key, {})
        return value if isinstance(value, dict) else {}

    if name == "reg:linear":  # the old name of reg:squarederror
        name = "reg:squarederror"
    if name not in _LOGIT + _LOG + _SAME:
        raise _unsupported(f"objective {name!r}; supported: {', '.join(_LOGIT + _LOG + _SAME)}")
    link = "logit" if name in _LOGIT else "log" if name in _LOG else "identity"
    if num_target > 1 and name not in ("reg:squarederror", "reg:quantileerror"):
        raise _unsupported(f"num_target={num_target} with objective {name!r}")
    if name == "reg:logistic":  # same link and gradients as binary:logistic
        name = "binary:logistic"
    if name.startswith("binary:"):
        spw = section("reg_loss_param").get("scale_pos_weight", 1)
        params["scale_pos_weight"] = _number(spw, f"{where}.scale_pos_weight")
    elif name.startswith("multi:"):
        params["num_class"] = num_class
    elif name == "reg:squarederror" and num_target > 1:
        params["num_target"] = num_target
    elif name == "reg:pseudohubererror":
        slope = section("pseudo_huber_param").get("huber_slope", 1)
        params["huber_slope"] = _number(slope, f"{where}.huber_slope")
    elif name == "reg:quantileerror":
        alpha = _numbers(section("quantile_loss_param").get("quantile_alpha", 0.5), where)
        params["quantile_alpha"] = alpha[0] if len(alpha) == 1 else alpha
    elif name == "count:poisson":
        step = section("poisson_regression_param").get("max_delta_step", 0.7)
        params["max_delta_step"] = _number(step, f"{where}.max_delta_step")
    elif name == "reg:tweedie":
        power = section("tweedie_regression_param").get("tweedie_variance_power", 1.5)
        params["tweedie_variance_power"] = _number(power, f"{where}.tweedie_variance_power")
    elif name == "survival:aft":
        aft = section("aft_loss_param")
        params["aft_loss_distribution"] = str(aft.get("aft_loss_distribution", "normal"))
        params["aft_loss_distribution_scale"] = _number(
            aft.get("aft_loss_distribution_scale", 1), f"{where}.aft_loss_distribution_scale"
        )
    elif name.startswith("rank:"):
        rank = section("lambdarank_param")
        if "lambdarank_pair_method" in rank:
            params["lambdarank_pair_method"] = str(rank["lambdarank_pair_method"])
        if "lambdarank_num_pair_per_sample" in rank:
            pairs = (
                _integer(rank["lambdarank_num_pair_per_sample"], where, 0)
                if str(rank["lambdarank_num_pair_per_sample"]) != str(_UINT32_MAX)
                else None
            )
            params["lambdarank_num_pair_per_sample"] = pairs
        if "lambdarank_bias_norm" in rank:
            params["lambdarank_bias_norm"] = _number(rank["lambdarank_bias_norm"], where)
        for key in _RANK_BOOLS:
            if key in rank:
                params[key] = _flag(rank[key], f"{where}.{key}")
    return name, params, link


def _base_margin(value: Any, link: str, n_outputs: int) -> np.ndarray:
    """XGBoost's ``base_score`` (prediction space, float32) as treeboost's base margin."""
    scores = np.asarray(_numbers(value, "learner_model_param.base_score"), dtype=np.float32)
    if scores.size not in (1, n_outputs):
        raise _error(f"base_score has {scores.size} values for {n_outputs} outputs")
    scores = np.broadcast_to(scores, (n_outputs,)).astype(np.float64)
    if link == "logit":
        if np.any((scores <= 0) | (scores >= 1)):
            raise _error(f"base_score {scores.tolist()} must lie in (0, 1) for a logistic model")
        margin = np.log(scores / (1.0 - scores))
    elif link == "log":
        if np.any(scores <= 0):
            raise _error(f"base_score {scores.tolist()} must be > 0 for a log-link model")
        margin = np.log(scores)
    else:
        margin = scores
    # XGBoost keeps the base margin as a float32.
    return margin.astype(np.float32).astype(np.float64)


# -- features and categories ------------------------------------------------------------------
def _features(learner: dict, n_features: int) -> tuple[list[str], list[str]]:
    names = learner.get("feature_names") or [f"f{i}" for i in range(n_features)]
    types = learner.get("feature_types") or ["float"] * n_features
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _error("learner.feature_names must be a list of strings")
    if not isinstance(types, list) or len(types) != len(names) or len(names) != n_features:
        raise _error(f"learner.feature_names/feature_types must list {n_features} features")
    out_types = []
    for name, kind in zip(names, types):
        if kind == "c":
            out_types.append("c")
        elif kind in ("float", "int", "i", "q"):
            out_types.append("float")
        else:
            raise _unsupported(f"feature type {kind!r} of feature {name!r}")
    return names, out_types


def _category_labels(model: dict, types: list[str]) -> list | None:
    """Per feature, the category labels XGBoost stored (``model.cats.enc``), or None when the
    model holds none (it then reads category codes)."""
    cats = model.get("cats")
    enc = cats.get("enc") if isinstance(cats, dict) else None
    if not isinstance(enc, list) or not enc:
        return None
    if len(enc) != len(types):
        raise _error(f"cats.enc lists {len(enc)} features, the model has {len(types)}")
    out: list = []
    for f, (entry, kind) in enumerate(zip(enc, types)):
        if kind != "c":
            out.append(None)
            continue
        if not isinstance(entry, dict):
            raise _error(f"cats.enc[{f}] is not an object")
        values = entry.get("values")
        values = [] if values is None else np.asarray(values).ravel()
        offsets = entry.get("offsets")
        if offsets is not None and len(offsets):
            raw = np.asarray(values, dtype=np.int64)
            offs = np.asarray(offsets, dtype=np.int64)
            if np.any(np.diff(offs) < 0) or offs[0] != 0 or offs[-1] != raw.size:
                raise _error(f"cats.enc[{f}] offsets do not match its values")
            if np.any((raw < 0) | (raw > 255)):
                raise _error(f"cats.enc[{f}] holds a byte out of range")
            data = raw.astype(np.uint8).tobytes()
            try:
                labels = [data[a:b].decode("utf-8") for a, b in zip(offs[:-1], offs[1:])]
            except UnicodeDecodeError:
                raise _error(f"cats.enc[{f}] holds a label that is not UTF-8") from None
        else:
            labels = [
                int(v) if float(v).is_integer() else float(v)
                for v in np.asarray(values, dtype=np.float64)
            ]
        if len(set(labels)) != len(labels):
            raise _error(f"cats.enc[{f}] lists a category twice")
        out.append(labels)
    return out


# -- trees ------------------------------------------------------------------------------------
def _tree_order(tree_info: list[int], k: int, per_output: int, n_trees: int) -> list[int]:
    """XGBoost index of the tree at each treeboost position.

    XGBoost groups a round by output (``num_parallel_tree`` trees of output 0, then of output
    1, ...); treeboost holds one tree per output in output order, ``num_parallel_tree`` times.
    """
    per_round = k * per_output
    if n_trees % per_round:
        raise _error(f"{n_trees} trees is not a whole number of rounds of {per_round} trees")
    order = []
    for start in range(0, n_trees, per_round):
        for j in range(per_output):
            for c in range(k):
                index = start + c * per_output + j
                if tree_info[index] != c:
                    raise _unsupported(
                        f"tree {index} adds to output {tree_info[index]}, expected {c} "
                        "(rounds must hold num_parallel_tree trees per output, in output order)"
                    )
                order.append(index)
    return order


def _split_categories(tree: dict, where: str, n: int) -> dict[int, np.ndarray]:
    """Node -> the category codes XGBoost sends right."""
    nodes = tree.get("categories_nodes")
    if nodes is None or len(nodes) == 0:
        return {}
    nodes = _array(tree, "categories_nodes", where, np.int64, None)
    segments = _array(tree, "categories_segments", where, np.int64, nodes.size)
    sizes = _array(tree, "categories_sizes", where, np.int64, nodes.size)
    codes = _array(tree, "categories", where, np.int64, None)
    if codes.size and (codes.min() < 0 or codes.max() >= _MAX_CATEGORY):
        raise _error(f"{where}: a category code is outside [0, {_MAX_CATEGORY})")
    out = {}
    for node, start, size in zip(nodes, segments, sizes):
        if not 0 <= node < n or start < 0 or size < 0 or start + size > codes.size:
            raise _error(f"{where}: categorical split of node {node} is out of range")
        out[int(node)] = codes[start : start + size]
    return out


def _read_tree(tree: Any, where: str, n_features: int) -> dict:
    if not isinstance(tree, dict):
        raise _error(f"{where} is not an object")
    param = tree.get("tree_param", {})
    if isinstance(param, dict) and _number(param.get("size_leaf_vector", 1), where) > 1:
        raise _unsupported(
            "vector-leaf trees (multi_strategy='multi_output_tree'); train with "
            "multi_strategy='one_output_per_tree'"
        )
    left = _array(tree, "left_children", where, np.int64, None)
    n = left.size
    out = {
        "left": left,
        "right": _array(tree, "right_children", where, np.int64, n),
        "feature": _array(tree, "split_indices", where, np.int64, n),
        # A categorical split's condition is unused (XGBoost may write anything there).
        "condition": _array(tree, "split_conditions", where, np.float64, n, finite=False),
        "default_left": _array(tree, "default_left", where, np.int64, n),
        "weight": _array(tree, "base_weights", where, np.float64, n),
        "cover": _array(tree, "sum_hessian", where, np.float64, n),
        "gain": _array(tree, "loss_changes", where, np.float64, n),
    }
    split_type = tree.get("split_type")
    out["split_type"] = (
        np.zeros(n, dtype=np.int64)
        if split_type is None or len(split_type) == 0
        else _array(tree, "split_type", where, np.int64, n)
    )
    out["categories"] = _split_categories(tree, where, n)
    is_cat = (out["split_type"] == 1) & (out["left"] >= 0)
    if set(np.flatnonzero(is_cat).tolist()) != set(out["categories"]):
        raise _error(f"{where}: categorical split nodes and their category lists differ")
    if not np.all(np.isfinite(out["condition"][~is_cat])):
        raise _error(f"{where}.split_conditions holds a non-finite number")
    out["condition"][is_cat] = 0.0
    if np.any((out["feature"] < 0) | (out["feature"] >= n_features)):
        raise _error(f"{where}: a split feature is out of range [0, {n_features})")
    return out


def _to_tree(raw: dict, scale: float, where: str, types: list[str], n_cats: list[int]):
    left, right = raw["left"].copy(), raw["right"].copy()
    leaf = left < 0
    default_left = raw["default_left"] != 0
    feature = raw["feature"]
    # XGBoost keeps a leaf's value in split_conditions; split nodes hold their own weight.
    value = np.where(leaf, raw["condition"], raw["weight"]) * scale
    numeric = ~leaf & (raw["split_type"] != 1)
    bad = numeric & np.array([types[f] == "c" for f in feature], dtype=bool)
    if bad.any():
        node = int(np.flatnonzero(bad)[0])
        raise _unsupported(f"{where}: numeric split on categorical feature {feature[node]}")
    categorical = {}
    for node, codes in raw["categories"].items():
        f = int(feature[node])
        if types[f] != "c":
            raise _error(f"{where}: node {node} is a categorical split on numeric feature {f}")
        # XGBoost sends the listed codes right and every other code (unseen ones too) left;
        # treeboost sends its listed codes left and the rest right: swap the children.
        left[node], right[node] = raw["right"][node], raw["left"][node]
        default_left[node] = not default_left[node]
        categorical[node] = (n_cats[f], codes)
    return tree_from_nodes(
        left,
        right,
        feature,
        thresholds_from_xgboost(np.where(numeric, raw["condition"], 0.0)),
        default_left,
        value,
        raw["cover"],
        gain=raw["gain"],
        categorical=categorical,
        n_features=len(types),
        source=SOURCE,
        where=where,
    )


def _contents(doc: Any):
    if not isinstance(doc, dict):
        raise _error("the document is not an object")
    learner = _get(doc, "learner", "top level")
    booster = _get(learner, "gradient_booster", "learner")
    kind = booster.get("name")
    weights = None
    if kind == "gblinear":
        raise _unsupported("the linear booster (gblinear) has no trees")
    if kind == "dart":
        weights = booster.get("weight_drop")
        booster = _get(booster, "gbtree", "learner.gradient_booster")
    elif kind != "gbtree":
        raise _unsupported(f"booster {kind!r}; supported: gbtree, dart")
    model = _get(booster, "model", "learner.gradient_booster")
    param = _get(learner, "learner_model_param", "learner")
    n_features = _integer(param.get("num_feature"), "learner_model_param.num_feature", 1)
    num_class = _integer(param.get("num_class", 0), "learner_model_param.num_class")
    num_target = _integer(param.get("num_target", 1), "learner_model_param.num_target", 1)
    k = max(num_class, num_target, 1)
    objective, objective_params, link = _objective(
        _get(learner, "objective", "learner"), num_class, num_target
    )
    base_margin = _base_margin(param.get("base_score", 0.5), link, k)
    names, types = _features(learner, n_features)

    trees_doc = _get(model, "trees", "gradient_booster.model", list)
    tree_info = model.get("tree_info", [])
    if not isinstance(tree_info, (list, np.ndarray)) or len(tree_info) != len(trees_doc):
        raise _error(f"tree_info must list the output of each of the {len(trees_doc)} trees")
    tree_info = [_integer(t, "tree_info", 0) for t in tree_info]
    gbparam = model.get("gbtree_model_param", {})
    per_output = _integer(
        gbparam.get("num_parallel_tree", 1) if isinstance(gbparam, dict) else 1,
        "gbtree_model_param.num_parallel_tree",
        1,
    )
    if weights is None:
        scales = np.ones(len(trees_doc))
    else:
        scales = np.asarray(_numbers(weights, "weight_drop"), dtype=np.float32)
        if scales.size != len(trees_doc):
            raise _error(f"weight_drop has {scales.size} weights for {len(trees_doc)} trees")
    raw = [_read_tree(t, f"trees[{i}]", n_features) for i, t in enumerate(trees_doc)]

    labels = _category_labels(model, types)
    n_cats = [0] * n_features
    for f in range(n_features):
        if labels is not None and labels[f] is not None:
            n_cats[f] = len(labels[f])
    if labels is None:
        # Without stored labels the model reads codes: they span up to the largest code used.
        for r in raw:
            for node, codes in r["categories"].items():
                if codes.size:
                    f = int(r["feature"][node])
                    n_cats[f] = max(n_cats[f], int(codes.max()) + 1)
        labels = [list(range(n_cats[f])) if types[f] == "c" else None for f in range(n_features)]
    indptr = model.get("iteration_indptr")
    if (
        indptr is not None
        and len(indptr)
        and np.any(np.diff(np.asarray(_numbers(indptr, "iteration_indptr"))) != k * per_output)
    ):
        raise _unsupported(f"rounds that do not hold {k * per_output} trees each")
    order = _tree_order(tree_info, k, per_output, len(raw))
    trees = [_to_tree(raw[i], float(scales[i]), f"trees[{i}]", types, n_cats) for i in order]
    objective_params["num_parallel_tree"] = per_output
    if kind == "dart":
        objective_params["booster"] = "dart"
    return model_contents(
        objective,
        objective_params,
        base_margin,
        names,
        types,
        labels,
        trees,
        [tree_info[i] for i in order],
        source=SOURCE,
    )


def contents_from_xgboost(model: Any):
    """An XGBoost model as :class:`~treeboost.model.model_file.ModelContents`.

    Parameters
    ----------
    model : xgboost.Booster, XGBoost scikit-learn estimator, path, bytes, str or dict
        A live model (its JSON is taken with ``save_raw``), a path to a JSON or UBJSON model
        file (told apart by content), the file's bytes or JSON text, or the parsed document.
        Files are read without xgboost.

    Returns
    -------
    ModelContents
        Trees keep XGBoost's node numbering, so leaf indices match XGBoost's ``pred_leaf``.
        Leaf values include the DART weight of their tree; the base margin is ``base_score``
        through the objective's link.

    Raises
    ------
    ValueError
        A one-line message for a damaged document (``invalid XGBoost model: ...``) or a model
        treeboost cannot represent (``XGBoost model not supported: ...``).
    TypeError
        For an input of none of the kinds above.
    """
    doc = _document(model)
    try:
        return _contents(doc)
    except ValueError as exc:
        raise ValueError(" ".join(str(exc).split())) from None
    except (KeyError, IndexError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
        # A document shaped unlike any XGBoost writes (a list where an object belongs, ...).
        raise _error(f"unexpected structure ({type(exc).__name__}: {exc})") from None


# -- export -----------------------------------------------------------------------------------
def _objective_section(name: str, params: dict, k: int) -> dict:
    """``learner.objective`` as XGBoost writes it (XGBoost requires each section)."""
    out: dict[str, Any] = {"name": name}
    if name in ("reg:squarederror", "reg:squaredlogerror", "reg:gamma") or name.startswith(
        "binary:"
    ):
        out["reg_loss_param"] = {"scale_pos_weight": repr(float(params["scale_pos_weight"]))}
    elif name == "reg:pseudohubererror":
        out["pseudo_huber_param"] = {"huber_slope": repr(float(params["huber_slope"]))}
    elif name == "reg:quantileerror":
        alpha = np.atleast_1d(np.asarray(params["quantile_alpha"], dtype=np.float64))
        text = "[" + ",".join(map(repr, alpha.tolist())) + "]"
        out["quantile_loss_param"] = {"quantile_alpha": text}
    elif name == "count:poisson":
        step = params.get("max_delta_step")
        out["poisson_regression_param"] = {"max_delta_step": repr(0.7 if step is None else step)}
    elif name == "reg:tweedie":
        out["tweedie_regression_param"] = {
            "tweedie_variance_power": repr(float(params["tweedie_variance_power"]))
        }
    elif name.startswith("multi:"):
        out["softmax_multiclass_param"] = {"num_class": str(k)}
    elif name == "survival:aft":
        out["aft_loss_param"] = {
            "aft_loss_distribution": params["aft_loss_distribution"],
            "aft_loss_distribution_scale": repr(float(params["aft_loss_distribution_scale"])),
        }
    elif name.startswith("rank:"):
        pairs = params.get("lambdarank_num_pair_per_sample")
        out["lambdarank_param"] = {
            "lambdarank_bias_norm": repr(float(params["lambdarank_bias_norm"])),
            "lambdarank_num_pair_per_sample": str(_UINT32_MAX if pairs is None else pairs),
            "lambdarank_pair_method": params["lambdarank_pair_method"],
            **{key: "1" if params[key] else "0" for key in _RANK_BOOLS},
        }
    return out


def _score_from_margin(margin: np.ndarray, name: str) -> np.ndarray:
    """treeboost's base margin as XGBoost's base_score (prediction space)."""
    if name in _LOGIT:
        return 1.0 / (1.0 + np.exp(-margin))
    if name in _LOG:
        return np.exp(margin)
    return margin


def _swapped(tree) -> np.ndarray:
    """Categorical splits whose right child comes just before the left one: a split read from
    XGBoost, whose children were swapped on reading and are swapped back on writing."""
    out = np.zeros(tree.n_nodes, dtype=bool)
    for node in tree.categories:
        out[int(node)] = tree.left[node] == tree.right[node] + 1
    return out


def _xgboost_layout(tree, swapped: np.ndarray) -> np.ndarray:
    """Old node id of each exported node. XGBoost's walks find a right child at its left
    sibling's id + 1, so a tree whose children are not adjacent is renumbered breadth first
    (leaf indices then differ from treeboost's); otherwise the numbering is kept."""
    split = tree.left >= 0
    first = np.where(swapped, tree.right, tree.left)
    second = np.where(swapped, tree.left, tree.right)
    if np.all(second[split] == first[split] + 1):
        return np.arange(tree.n_nodes)
    order = [0]
    for node in order:  # grows while it is walked: breadth first
        if tree.left[node] >= 0:
            order.extend((int(first[node]), int(second[node])))
    return np.array(order, dtype=np.int64)


def _export_tree(tree, tree_id: int, n_features: int) -> dict:
    swapped = _swapped(tree)
    old = _xgboost_layout(tree, swapped)
    new_of_old = np.empty_like(old)
    new_of_old[old] = np.arange(old.size)
    leaf = tree.left[old] < 0
    first = np.where(swapped, tree.right, tree.left)[old]
    second = np.where(swapped, tree.left, tree.right)[old]
    left = np.where(leaf, -1, new_of_old[np.maximum(first, 0)])
    right = np.where(leaf, -1, new_of_old[np.maximum(second, 0)])
    default_left = tree.default_left[old].astype(np.int64)
    default_left = np.where(swapped[old], 1 - default_left, default_left)
    split_type = np.zeros(tree.n_nodes, dtype=np.int64)
    nodes, segments, sizes, codes = [], [], [], []
    for node in sorted(int(new_of_old[n]) for n in tree.categories):
        # XGBoost sends its listed codes right. A swapped split lists what treeboost sends
        # left (its children are exchanged back); any other lists what treeboost sends right,
        # since XGBoost's walks need the right child next to the left one.
        table = tree.categories[int(old[node])][1:]
        listed = np.flatnonzero(table != 0 if swapped[old[node]] else table == 0)
        split_type[node] = 1
        nodes.append(node)
        segments.append(len(codes))
        sizes.append(int(listed.size))
        codes.extend(int(c) for c in listed)
    conditions = thresholds_to_xgboost(tree.threshold[old])
    if np.any(np.isinf(conditions[~leaf & (split_type == 0)])):
        raise ValueError(
            f"cannot export to XGBoost: tree {tree_id} has a threshold above the float32 range"
        )
    value = tree.value[old].astype(np.float32)
    conditions = np.where(leaf, value, np.where(split_type == 1, 0.0, conditions))
    parents = np.full(tree.n_nodes, _NO_PARENT, dtype=np.int64)
    parents[left[~leaf]] = np.flatnonzero(~leaf)
    parents[right[~leaf]] = np.flatnonzero(~leaf)

    def f32(a: np.ndarray) -> list:
        return np.asarray(a, dtype=np.float32).astype(np.float64).tolist()

    return {
        "base_weights": f32(value),
        "categories": codes,
        "categories_nodes": nodes,
        "categories_segments": segments,
        "categories_sizes": sizes,
        "default_left": np.where(leaf, 0, default_left).tolist(),
        "id": tree_id,
        "left_children": left.tolist(),
        "loss_changes": f32(tree.gain[old]),
        "parents": parents.tolist(),
        "right_children": right.tolist(),
        "split_conditions": f32(conditions),
        "split_indices": np.where(leaf, 0, tree.feature[old]).astype(np.int64).tolist(),
        "split_type": split_type.tolist(),
        "sum_hessian": f32(tree.cover[old]),
        "tree_param": {
            "num_deleted": "0",
            "num_feature": str(n_features),
            "num_nodes": str(tree.n_nodes),
            "size_leaf_vector": "1",
        },
    }


def _export_categories(categories: list) -> dict:
    """``model.cats``: the labels of string-labelled categorical features, so that XGBoost
    re-codes DataFrame input by label; empty when a feature has labels of another kind (the
    model then reads category codes)."""
    enc, segments, sorted_idx = [], [0], []
    for labels in categories:
        if labels is None:
            enc.append({"offsets": [], "values": []})
            segments.append(segments[-1])
            continue
        if not all(isinstance(v, str) for v in labels):
            return {"enc": [], "feature_segments": [], "sorted_idx": []}
        data = [v.encode("utf-8") for v in labels]
        offsets = np.concatenate([[0], np.cumsum([len(b) for b in data])]).astype(int).tolist()
        enc.append({"offsets": offsets, "values": list(b"".join(data))})
        segments.append(segments[-1] + len(labels))
        sorted_idx.extend(int(i) for i in np.argsort(data, kind="stable"))
    return {"enc": enc, "feature_segments": segments, "sorted_idx": sorted_idx}


def xgboost_json_from_booster(booster: Any) -> str:
    """A treeboost Booster as an XGBoost JSON model document (``xgboost.Booster(model_file=)``
    and ``load_model`` read it).

    Numeric thresholds become float32 conditions that send every float32 input the same way
    (:func:`thresholds_to_xgboost`); leaf values and the base score become float32, as XGBoost
    stores them. All rounds are written; ``best_iteration`` goes into the attributes.

    Raises
    ------
    ValueError
        One line naming what XGBoost cannot represent: an objective it lacks
        (``reg:expectileerror``, a custom objective) or a threshold beyond the float32 range.
    """
    name = booster.objective.name
    if name not in _LOGIT + _LOG + _SAME:
        raise ValueError(
            f"cannot export to XGBoost: objective {name!r} has no XGBoost counterpart; "
            f"exportable: {', '.join(o for o in _LOGIT + _LOG + _SAME if o != 'reg:logistic')}"
        )
    params = booster.params
    k = int(booster.n_outputs)
    per_output = int(params.get("num_parallel_tree", 1) or 1)
    n_features = len(booster.feature_names)
    num_class = k if name.startswith("multi:") else 0
    score = _score_from_margin(np.asarray(booster.base_margin, dtype=np.float64), name)
    if not np.all(np.isfinite(score)) or (name in _LOGIT and np.any((score <= 0) | (score >= 1))):
        raise ValueError(
            f"cannot export to XGBoost: base margin {booster.base_margin.tolist()} has no "
            "float32 base_score"
        )
    score_text = "[" + ",".join(repr(float(np.float32(s))) for s in score) + "]"
    # XGBoost groups a round by output; treeboost by parallel tree.
    per_round = k * per_output
    order = [
        start + j * k + c
        for start in range(0, len(booster.trees), per_round)
        for c in range(k)
        for j in range(per_output)
    ]
    trees = [_export_tree(booster.trees[i], t, n_features) for t, i in enumerate(order)]
    n_rounds = len(booster.trees) // per_round
    attributes = {}
    if booster.best_iteration is not None:
        attributes["best_iteration"] = str(booster.best_iteration)
        if booster.best_score is not None:
            attributes["best_score"] = repr(float(booster.best_score))
    names = list(booster.feature_names)
    types = ["c" if t == "c" else "float" for t in booster.feature_types]
    if names == [f"f{i}" for i in range(n_features)] and "c" not in types:
        # XGBoost's own default names: written as none, so unnamed input is accepted.
        names, types = [], []
    doc = {
        "learner": {
            "attributes": attributes,
            "feature_names": names,
            "feature_types": types,
            "gradient_booster": {
                "model": {
                    "cats": _export_categories(booster.categories),
                    "gbtree_model_param": {
                        "num_parallel_tree": str(per_output),
                        "num_trees": str(len(trees)),
                    },
                    "iteration_indptr": [r * per_round for r in range(n_rounds + 1)],
                    "tree_info": [int(booster.tree_outputs[i]) for i in order],
                    "trees": trees,
                },
                "name": "gbtree",
            },
            "learner_model_param": {
                "base_score": score_text,
                "boost_from_average": "1",
                "num_class": str(num_class),
                "num_feature": str(n_features),
                "num_target": str(1 if num_class else k),
            },
            "objective": _objective_section(name, params, k),
        },
        "version": [3, 2, 0],
    }
    return json.dumps(doc, separators=(",", ":"))
