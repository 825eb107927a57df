"""One JSON file for a fitted calibrated or conformal model: the settings, the treeboost
model(s) as embedded model-file objects, the calibration maps and the conformity scores.

The format (``"format": "treeboost-uncertainty"``, version 1) is described in
docs/uncertainty.md. As with model files, loading runs no code: every field is checked and a
broken file is one ``ValueError`` line naming the field. The estimator classes call
:func:`save` and :func:`load` from their ``save`` / ``load`` methods, handing over what this
module must not import (the class itself, the quantile-pair type), so that the import graph
stays one-way.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np

from ._persist_fields import (
    CLASS_DTYPES,
    CLASSIFIERS,
    FORMAT,
    KINDS,
    REGRESSORS,
    VERSION,
    check_header,
    parse_document,
)
from ._persist_read import load_calibrated, load_conformal_classifier, load_conformal_regressor
from .isotonic import IsotonicCalibrator, SigmoidCalibrator

__all__ = ["FORMAT", "VERSION", "dumps", "load", "read_kind", "save"]


# -- writing ----------------------------------------------------------------------------------
def save(model: Any, path: str | os.PathLike) -> None:
    """Write a fitted ``CalibratedClassifier``, ``ConformalRegressor`` or
    ``ConformalClassifier`` wrapping treeboost models to ``path`` (see :func:`dumps`)."""
    from ..model.model_file import atomic_write_text

    atomic_write_text(path, dumps(model), encoding="ascii")


def dumps(model: Any) -> str:
    """The file's JSON text: compact, ASCII, keys in a fixed order, floats in their shortest
    round-trip form, so a loaded model predicts bit for bit what the saved one did.

    Raises
    ------
    TypeError
        When a wrapped model is not a treeboost one (only TreeBoostClassifier,
        TreeBoostRegressor, BoosterClassifier and BoosterRegressor carry their trees into the
        file), or a setting that prediction reads cannot be written.
    ValueError
        When the model is not fitted, or holds a NaN or infinite number.
    """
    kind = type(model).__name__
    if kind not in KINDS:
        raise TypeError(f"cannot save a {kind}; valid: {', '.join(KINDS)}")
    fitted = {
        "CalibratedClassifier": "calibrated_models_",
        "ConformalRegressor": "conformity_scores_",
        "ConformalClassifier": "models_",
    }[kind]
    if not hasattr(model, fitted):
        raise ValueError(f"this {kind} is not fitted yet; call fit before save")
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "params": _encode_params(kind, model),
        "n_features_in": int(model.n_features_in_),
        "feature_names_in": _names(model),
    }
    if kind == "CalibratedClassifier":
        document["classes"] = _encode_classes(model.classes_, "classes_")
        document["folds"] = [
            {
                "estimator": _encode_estimator(estimator, f"calibrated_models_[{i}]"),
                "calibrators": [_encode_calibrator(c) for c in calibrators],
            }
            for i, (estimator, calibrators) in enumerate(model.calibrated_models_)
        ]
    elif kind == "ConformalClassifier":
        document["classes"] = _encode_classes(model.classes_, "classes_")
        document["folds"] = [
            {
                "estimator": _encode_estimator(estimator, f"models_[{i}]"),
                "scores": _floats(scores),
                "labels": [int(v) for v in labels],
            }
            for i, (estimator, scores, labels) in enumerate(
                zip(model.models_, model.calibration_scores_, model.calibration_labels_)
            )
        ]
    else:
        document["conformity_scores"] = _floats(model.conformity_scores_)
        if hasattr(model, "estimators_"):
            document["estimators"] = [
                _encode_estimator(e, f"estimators_[{i}]") for i, e in enumerate(model.estimators_)
            ]
            document["fold_of_row"] = [int(v) for v in model.fold_of_row_]
        else:
            document["estimator"] = _encode_regressor(model.estimator_)
            difficulty = model.difficulty_estimator_
            document["difficulty_estimator"] = (
                None if difficulty is None else _encode_estimator(difficulty, "difficulty")
            )
    try:
        return json.dumps(document, separators=(",", ":"), allow_nan=False)
    except ValueError:
        raise ValueError(
            f"cannot save this {kind}: it holds a NaN or infinite number, which the file format "
            "does not allow"
        ) from None


def _floats(values: Any) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def _names(model: Any) -> list[str] | None:
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def _plain(value: Any) -> Any:
    """A JSON value equal to ``value``, or None when it has none (a callable, a random
    generator, a callback object: these are not stored, as in the model file)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        items = [_plain(v) for v in value]
        return None if any(i is None and v is not None for i, v in zip(items, value)) else items
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        items = {k: _plain(v) for k, v in value.items()}
        return None if any(items[k] is None and value[k] is not None for k in value) else items
    return None


def _seed(value: Any) -> int | None:
    return (
        int(value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else None
    )


def _cv(value: Any) -> Any:
    # A splitter object is not stored: prediction does not read cv, only a refit does.
    if isinstance(value, str) or value is None:
        return value
    return _seed(value)


def _encode_params(kind: str, model: Any) -> dict[str, Any]:
    n_jobs = _seed(model.n_jobs)
    if kind == "CalibratedClassifier":
        return {"method": model.method, "cv": _cv(model.cv), "n_jobs": n_jobs,
                "random_state": _seed(model.random_state)}  # fmt: skip
    if kind == "ConformalRegressor":
        return {
            "method": model.method,
            "cv": _cv(model.cv),
            "calibration_size": float(model.calibration_size),
            "min_difficulty": float(model.min_difficulty),
            "n_jobs": n_jobs,
            "random_state": _seed(model.random_state),
        }
    if model.random_state is not None and _seed(model.random_state) is None:
        # predict_p draws its tie-breaking numbers from random_state: a generator object would
        # give other draws after loading.
        raise TypeError(
            f"cannot save a ConformalClassifier with random_state={model.random_state!r}; "
            "valid: an integer or None"
        )
    return {
        "conformity_score": model.conformity_score,
        "mondrian": bool(model.mondrian),
        "cv": _cv(model.cv),
        "calibration_size": float(model.calibration_size),
        "randomized": None if model.randomized is None else bool(model.randomized),
        "raps_lambda": float(model.raps_lambda),
        "raps_k_reg": int(model.raps_k_reg),
        "n_jobs": n_jobs,
        "random_state": _seed(model.random_state),
    }


def _encode_classes(classes: Any, where: str) -> dict[str, Any]:
    classes = np.asarray(classes)
    if classes.dtype.kind in "UO" and all(isinstance(c, str) for c in classes.tolist()):
        return {"dtype": "str", "values": [str(c) for c in classes.tolist()]}
    if classes.dtype.name not in CLASS_DTYPES:
        raise TypeError(
            f"cannot save {where} of dtype {classes.dtype}; valid: booleans, integers, floats "
            "or strings"
        )
    return {"dtype": classes.dtype.name, "values": classes.tolist()}


def _encode_estimator(estimator: Any, where: str) -> dict[str, Any]:
    name = type(estimator).__name__
    if name not in (*CLASSIFIERS, *REGRESSORS) or not type(estimator).__module__.startswith(
        "treeboost."
    ):
        raise TypeError(
            f"cannot save {where}: it is a {name}; only treeboost models can be saved "
            f"(valid: {', '.join((*CLASSIFIERS, *REGRESSORS))})"
        )
    if name.startswith("Booster"):
        return {"type": name, "booster": json.loads(estimator.booster.save_raw())}
    out: dict[str, Any] = {
        "type": name,
        "params": {k: _plain(v) for k, v in estimator.get_params(deep=False).items()},
        "n_features_in": int(estimator.n_features_in_),
        "feature_names_in": _names(estimator),
        "table_input": bool(getattr(estimator, "_table_input", False)),
    }
    if name == "TreeBoostClassifier":
        out["classes"] = _encode_classes(estimator.classes_, f"{where}.classes_")
    out["booster"] = json.loads(estimator.get_booster().save_raw())
    return out


def _encode_regressor(estimator: Any) -> dict[str, Any]:
    if (
        hasattr(estimator, "lower")
        and hasattr(estimator, "upper")
        and not hasattr(estimator, "get_params")
    ):
        return {
            "type": "QuantilePair",
            "lower": _encode_estimator(estimator.lower, "estimator_.lower"),
            "upper": _encode_estimator(estimator.upper, "estimator_.upper"),
        }
    return _encode_estimator(estimator, "estimator_")


def _encode_calibrator(calibrator: Any) -> dict[str, Any]:
    if isinstance(calibrator, SigmoidCalibrator):
        return {"a": float(calibrator.a_), "b": float(calibrator.b_)}
    if isinstance(calibrator, IsotonicCalibrator):
        return {"x": _floats(calibrator.x_), "y": _floats(calibrator.fitted_)}
    return {
        "scores": _floats(calibrator.scores_),
        "p0": _floats(calibrator.p0_by_slot_),
        "p1": _floats(calibrator.p1_by_slot_),
    }


# -- reading ----------------------------------------------------------------------------------
def read_kind(path_or_text: str | bytes | os.PathLike) -> str:
    """The ``kind`` of a file in this format (its header checked); a ``ValueError`` when it is
    not one. The command line uses it to pick the class that loads the file."""
    document = parse_document(path_or_text)
    check_header(document)
    return document["kind"]


def load(path_or_text: str | bytes | os.PathLike, cls: type, pair_type: Any = None) -> Any:
    """Read a file written by :func:`save` into a fitted ``cls``.

    Parameters
    ----------
    path_or_text : path, or the JSON text (str or bytes)
    cls : the class of the saved model; the file's ``kind`` must name it.
    pair_type : callable, optional
        ``ConformalRegressor`` only: builds its (lower, upper) quantile-model pair.

    Raises
    ------
    ValueError
        One line naming the field when the file is not valid.
    """
    document = parse_document(path_or_text)
    check_header(document)
    kind = document["kind"]
    if kind != cls.__name__:
        raise ValueError(
            f"this {FORMAT} file holds a {kind}; load it with {kind}.load, not {cls.__name__}.load"
        )
    if kind == "CalibratedClassifier":
        return load_calibrated(document, cls)
    if kind == "ConformalClassifier":
        return load_conformal_classifier(document, cls)
    return load_conformal_regressor(document, cls, pair_type)
