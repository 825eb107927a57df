"""The checks of every field of a calibrated or conformal model file: each returns the value
in its in-memory form or raises one ``ValueError`` line naming the field, its value and what
is valid."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np

FORMAT = "treeboost-uncertainty"
VERSION = 1
KINDS = ("CalibratedClassifier", "ConformalRegressor", "ConformalClassifier")

CLASSIFIERS = ("TreeBoostClassifier", "BoosterClassifier")
REGRESSORS = ("TreeBoostRegressor", "BoosterRegressor")
CLASS_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                "uint64", "float32", "float64", "str")  # fmt: skip
# Calibrated probabilities may miss [0, 1] by rounding in the pooled means; no more than this.
_PROBABILITY_SLACK = 1e-9


class Invalid(ValueError):
    """A field of the file that fails its check."""


def fail(where: str, problem: str) -> Invalid:
    return Invalid(f"invalid {FORMAT} file: {where} {problem}")


def _reject_constant(name: str) -> Any:
    raise Invalid(f"invalid {FORMAT} file: holds {name}; only finite numbers are valid")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise Invalid(f"invalid {FORMAT} file: key {duplicate!r} appears twice in one object")
    return out


def parse_document(path_or_text: str | bytes | os.PathLike) -> Any:
    """The parsed JSON of a path or of the text itself (str or bytes starting with ``{``);
    NaN and infinity literals and repeated keys are refused."""
    if isinstance(path_or_text, bytes) or (
        isinstance(path_or_text, str) and path_or_text.lstrip().startswith("{")
    ):
        content = path_or_text
    else:
        try:
            with open(os.fspath(path_or_text), "rb") as fh:
                content = fh.read()
        except (OSError, TypeError) as exc:
            raise ValueError(f"cannot read {FORMAT} file {path_or_text!r}: {exc}") from None
    try:
        return json.loads(content, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except Invalid:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        message = " ".join(str(exc).split())
        raise ValueError(f"not a {FORMAT} file: not valid JSON ({message})") from None


def check_header(document: Any) -> None:
    """``format``, ``version`` (not newer than this reader's) and ``kind``."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else type(document).__name__
        raise ValueError(f"not a {FORMAT} file: format is {found!r}; expected {FORMAT!r}")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise fail("version", f"is {version!r}; valid: an integer >= 1")
    if version > VERSION:
        raise ValueError(
            f"{FORMAT} file version {version} is newer than this treeboost reads ({VERSION})"
        )
    as_choice(document.get("kind"), "kind", KINDS)


def as_object(value: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """A JSON object with exactly ``keys``."""
    if not isinstance(value, dict):
        raise fail(where, f"is a {type(value).__name__}; expected an object")
    missing = [k for k in keys if k not in value]
    if missing:
        raise fail(where, f"lacks the key {missing[0]!r}")
    unknown = [k for k in value if k not in keys]
    if unknown:
        raise fail(where, f"has the unknown key {unknown[0]!r}; valid: {', '.join(keys)}")
    return value


def as_choice(value: Any, where: str, valid: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in valid:
        raise fail(where, f"is {value!r}; valid: {', '.join(repr(v) for v in valid)}")
    return value


def as_int(value: Any, where: str, minimum: int | None = None, optional: bool = False) -> Any:
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(where, f"is {value!r}; expected an integer")
    if minimum is not None and value < minimum:
        raise fail(where, f"is {value}; valid: an integer >= {minimum}")
    return value


def as_number(value: Any, where: str, low: float = -math.inf, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(where, f"is {value!r}; expected a number")
    if not low <= value <= high:
        raise fail(where, f"is {value!r}; valid: a number in [{low}, {high}]")
    return float(value)


def as_bool(value: Any, where: str, optional: bool = False) -> Any:
    if optional and value is None:
        return None
    if not isinstance(value, bool):
        raise fail(where, f"is {value!r}; expected true or false")
    return value


def as_array(value: Any, where: str, min_length: int = 1, integer: bool = False) -> np.ndarray:
    if not isinstance(value, list):
        raise fail(where, f"is a {type(value).__name__}; expected a list of numbers")
    if len(value) < min_length:
        raise fail(where, f"has {len(value)} values; expected at least {min_length}")
    kinds = (int,) if integer else (int, float)
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, kinds):
            expected = "an integer" if integer else "a number"
            raise fail(f"{where}[{i}]", f"is {v!r}; expected {expected}")
    return np.array(value, dtype=np.int64 if integer else np.float64)


def increasing(values: np.ndarray, where: str) -> np.ndarray:
    if np.any(np.diff(values) <= 0):
        raise fail(where, "must be strictly increasing")
    return values


def probabilities(values: np.ndarray, where: str) -> np.ndarray:
    if np.any(values < -_PROBABILITY_SLACK) or np.any(values > 1.0 + _PROBABILITY_SLACK):
        raise fail(where, "holds a value outside [0, 1]")
    return values


def as_cv(value: Any, where: str) -> Any:
    if value is None or value in ("prefit", "split"):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 2:
        return value
    raise fail(where, f"is {value!r}; valid: null, 'prefit', 'split' or an integer >= 2")


def as_names(value: Any, where: str, n_features: int) -> np.ndarray | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(where, "must be null or a list of strings")
    if len(value) != n_features or len(set(value)) != len(value):
        raise fail(where, f"must hold {n_features} distinct names")
    return np.asarray(value, dtype=object)


def as_classes(value: Any, where: str) -> np.ndarray:
    value = as_object(value, where, ("dtype", "values"))
    dtype = as_choice(value["dtype"], f"{where}.dtype", CLASS_DTYPES)
    values = value["values"]
    if not isinstance(values, list) or len(values) < 2:
        raise fail(f"{where}.values", "must be a list of at least 2 class labels")
    valid = {"str": (str,), "bool": (bool,)}.get(dtype, (int,) if "int" in dtype else (int, float))
    for i, v in enumerate(values):
        if not isinstance(v, valid) or (dtype != "bool" and isinstance(v, bool)):
            raise fail(f"{where}.values[{i}]", f"is {v!r}; expected a {dtype} label")
    try:
        classes = np.asarray(values, dtype=str if dtype == "str" else dtype)
    except OverflowError:
        raise fail(f"{where}.values", f"holds a label out of the range of {dtype}") from None
    if classes.tolist() != values or np.any(classes[1:] <= classes[:-1]):
        raise fail(f"{where}.values", "must be distinct, sorted and representable in the dtype")
    return classes
