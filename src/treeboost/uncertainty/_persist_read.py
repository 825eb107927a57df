"""Rebuilding a fitted calibrated or conformal model from a parsed file: the wrapped treeboost
models, the calibration maps and the conformity scores, every field checked on the way."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..model.booster import Booster
from ._persist_fields import (
    CLASSIFIERS,
    REGRESSORS,
    as_array,
    as_bool,
    as_choice,
    as_classes,
    as_cv,
    as_int,
    as_names,
    as_number,
    as_object,
    fail,
    increasing,
    probabilities,
)
from .booster_models import BoosterClassifier, BoosterRegressor
from .isotonic import IsotonicCalibrator, SigmoidCalibrator
from .venn_abers import VennAbers


def _booster(value: Any, where: str) -> Booster:
    if not isinstance(value, dict):
        raise fail(where, "must be a treeboost model object")
    text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    try:
        return Booster.load_model(text)
    except (ValueError, TypeError, KeyError) as exc:
        raise fail(where, f"is not a valid treeboost model: {' '.join(str(exc).split())}") from None


def _estimator(value: Any, where: str, types: tuple[str, ...], n_features: int) -> Any:
    if not isinstance(value, dict):
        raise fail(where, f"is a {type(value).__name__}; expected an object")
    name = as_choice(value.get("type"), f"{where}.type", types)
    if name.startswith("Booster"):
        value = as_object(value, where, ("type", "booster"))
        booster = _booster(value["booster"], f"{where}.booster")
        model: Any = (BoosterClassifier if name == "BoosterClassifier" else BoosterRegressor)(
            booster
        )
        model_features = booster.n_features
        objective = booster.objective.name
        if (name == "BoosterClassifier") != objective.startswith(("binary:", "multi:")):
            role = "a classifier" if name == "BoosterClassifier" else "a regressor"
            raise fail(f"{where}.booster", f"has objective {objective!r}, not one of {role}")
    else:
        keys = ["type", "params", "n_features_in", "feature_names_in", "table_input", "booster"]
        if name == "TreeBoostClassifier":
            keys.insert(5, "classes")
        value = as_object(value, where, tuple(keys))
        model = _treeboost_estimator(name, value, where)
        booster = model._Booster
        model_features = model.n_features_in_
    if booster.n_features != model_features:
        raise fail(
            f"{where}.booster", f"has {booster.n_features} features; expected {model_features}"
        )
    if model_features != n_features:
        raise fail(where, f"takes {model_features} features; the file says {n_features}")
    if name in CLASSIFIERS and len(model.classes_) != max(2, booster.n_outputs):
        raise fail(where, f"has {len(model.classes_)} classes but {booster.n_outputs} outputs")
    return model


def _treeboost_estimator(name: str, value: dict[str, Any], where: str) -> Any:
    from ..sklearn import TreeBoostClassifier, TreeBoostRegressor

    cls = TreeBoostClassifier if name == "TreeBoostClassifier" else TreeBoostRegressor
    params = value["params"]
    if not isinstance(params, dict):
        raise fail(f"{where}.params", "must be an object")
    valid = cls().get_params(deep=False)
    unknown = [k for k in params if k not in valid]
    if unknown:
        raise fail(f"{where}.params", f"has the unknown parameter {unknown[0]!r}")
    for key, setting in params.items():
        _check_setting(key, setting, f"{where}.params.{key}")
    model = cls(**params)
    model.n_features_in_ = as_int(value["n_features_in"], f"{where}.n_features_in", minimum=1)
    names = as_names(value["feature_names_in"], f"{where}.feature_names_in", model.n_features_in_)
    if names is not None:
        model.feature_names_in_ = names
    model._table_input = as_bool(value["table_input"], f"{where}.table_input")
    if name == "TreeBoostClassifier":
        model.classes_ = as_classes(value["classes"], f"{where}.classes")
        model.n_classes_ = len(model.classes_)
    model._Booster = _booster(value["booster"], f"{where}.booster")
    model.evals_result_ = {}
    return model


def _check_setting(name: str, value: Any, where: str) -> None:
    """A training setting of a wrapped estimator, by the rules ``train()`` applies to it; None
    means unset (the estimator's default, or a callable that was not stored)."""
    from ..model.params import VALIDATORS

    if value is None or name == "random_state":
        as_int(value, where, optional=True)
        return
    if name == "n_estimators":
        as_int(value, where, minimum=1)
    elif name == "early_stopping_rounds":
        as_int(value, where, minimum=1)
    elif name in VALIDATORS:
        try:
            VALIDATORS[name](value)
        except (ValueError, TypeError) as exc:
            raise fail(where, f"is not valid: {' '.join(str(exc).split())}") from None


def _meta(document: dict[str, Any], cls: type, param_checks: dict[str, Any], keys: tuple) -> Any:
    """The estimator with its checked settings and input description; ``param_checks`` maps
    each setting to its check."""
    document = as_object(document, "the file", keys)
    params = as_object(document["params"], "params", tuple(param_checks))
    settings = {k: check(params[k], f"params.{k}") for k, check in param_checks.items()}
    model = cls(**settings)
    model.n_features_in_ = as_int(document["n_features_in"], "n_features_in", minimum=1)
    names = as_names(document["feature_names_in"], "feature_names_in", model.n_features_in_)
    if names is not None:
        model.feature_names_in_ = names
    return model


def _optional_int(minimum: int | None = None):
    return lambda v, where: as_int(v, where, minimum, optional=True)


_HEAD = ("format", "version", "kind", "params", "n_features_in", "feature_names_in")


def load_calibrated(document: dict[str, Any], cls: type) -> Any:
    checks = {
        "method": lambda v, w: as_choice(v, w, ("sigmoid", "isotonic", "venn_abers")),
        "cv": as_cv,
        "n_jobs": _optional_int(),
        "random_state": _optional_int(),
    }
    model = _meta(document, cls, checks, (*_HEAD, "classes", "folds"))
    model.classes_ = as_classes(document["classes"], "classes")
    n_columns = 1 if len(model.classes_) == 2 else len(model.classes_)
    folds = document["folds"]
    if not isinstance(folds, list) or not folds:
        raise fail("folds", "must be a non-empty list")
    model.calibrated_models_ = []
    for i, fold in enumerate(folds):
        where = f"folds[{i}]"
        fold = as_object(fold, where, ("estimator", "calibrators"))
        estimator = _estimator(fold["estimator"], f"{where}.estimator", CLASSIFIERS,
                               model.n_features_in_)  # fmt: skip
        if not np.array_equal(estimator.classes_, model.classes_):
            raise fail(f"{where}.estimator", "has other classes than the file's classes")
        calibrators = fold["calibrators"]
        if not isinstance(calibrators, list) or len(calibrators) != n_columns:
            raise fail(f"{where}.calibrators", f"must be a list of {n_columns} calibrators")
        model.calibrated_models_.append(
            (
                estimator,
                [_calibrator(c, f"{where}.calibrators[{k}]", model.method)
                 for k, c in enumerate(calibrators)],
            )
        )  # fmt: skip
    # The model that was calibrated (the first fold's with k folds): what a refit would clone.
    model.estimator = model.calibrated_models_[0][0]
    return model


def _calibrator(value: Any, where: str, method: str) -> Any:
    if method == "sigmoid":
        value = as_object(value, where, ("a", "b"))
        calibrator = SigmoidCalibrator()
        calibrator.a_ = as_number(value["a"], f"{where}.a")
        calibrator.b_ = as_number(value["b"], f"{where}.b")
        return calibrator
    if method == "isotonic":
        value = as_object(value, where, ("x", "y"))
        x = increasing(as_array(value["x"], f"{where}.x"), f"{where}.x")
        y = probabilities(as_array(value["y"], f"{where}.y"), f"{where}.y")
        if y.shape != x.shape:
            raise fail(f"{where}.y", f"has {y.size} values; expected {x.size}, one per x")
        if np.any(np.diff(y) < 0):
            raise fail(f"{where}.y", "must be non-decreasing")
        calibrator = IsotonicCalibrator()
        calibrator.x_, calibrator.fitted_ = x, y
        return calibrator
    value = as_object(value, where, ("scores", "p0", "p1"))
    scores = increasing(as_array(value["scores"], f"{where}.scores"), f"{where}.scores")
    venn_abers = VennAbers()
    venn_abers.scores_ = scores
    for key in ("p0", "p1"):
        table = probabilities(as_array(value[key], f"{where}.{key}"), f"{where}.{key}")
        if table.size != scores.size + 1:
            raise fail(f"{where}.{key}", f"has {table.size} values; expected {scores.size + 1}")
        setattr(venn_abers, f"{key}_by_slot_", table)
    return venn_abers


def load_conformal_classifier(document: dict[str, Any], cls: type) -> Any:
    checks = {
        "conformity_score": lambda v, w: as_choice(v, w, ("lac", "aps", "raps")),
        "mondrian": as_bool,
        "cv": as_cv,
        "calibration_size": lambda v, w: as_number(v, w, 0.0, 1.0),
        "randomized": lambda v, w: as_bool(v, w, optional=True),
        "raps_lambda": lambda v, w: as_number(v, w, 0.0),
        "raps_k_reg": lambda v, w: as_int(v, w, 0),
        "n_jobs": _optional_int(),
        "random_state": _optional_int(),
    }
    model = _meta(document, cls, checks, (*_HEAD, "classes", "folds"))
    model.classes_ = as_classes(document["classes"], "classes")
    n_classes = len(model.classes_)
    folds = document["folds"]
    if not isinstance(folds, list) or not folds:
        raise fail("folds", "must be a non-empty list")
    model.models_, model.calibration_scores_, model.calibration_labels_ = [], [], []
    for i, fold in enumerate(folds):
        where = f"folds[{i}]"
        fold = as_object(fold, where, ("estimator", "scores", "labels"))
        estimator = _estimator(fold["estimator"], f"{where}.estimator", CLASSIFIERS,
                               model.n_features_in_)  # fmt: skip
        # A fold model may lack a class (its probability is then 0), never have an extra one.
        if set(np.asarray(estimator.classes_).tolist()) - set(model.classes_.tolist()):
            raise fail(f"{where}.estimator", "has classes the file's classes lack")
        scores = as_array(fold["scores"], f"{where}.scores")
        labels = as_array(fold["labels"], f"{where}.labels", integer=True)
        if labels.shape != scores.shape:
            raise fail(f"{where}.labels", f"has {labels.size} values; expected {scores.size}")
        if np.any((labels < 0) | (labels >= n_classes)):
            raise fail(f"{where}.labels", f"holds a class index outside 0..{n_classes - 1}")
        model.models_.append(estimator)
        model.calibration_scores_.append(scores)
        model.calibration_labels_.append(labels.astype(np.intp))
    model.estimator = model.models_[0]
    return model


def load_conformal_regressor(document: dict[str, Any], cls: type, pair_type: Any) -> Any:
    checks = {
        "method": lambda v, w: as_choice(v, w, ("split", "cv_plus", "jackknife_plus", "cqr")),
        "cv": as_cv,
        "calibration_size": lambda v, w: as_number(v, w, 0.0, 1.0),
        "min_difficulty": lambda v, w: as_number(v, w, 0.0),
        "n_jobs": _optional_int(),
        "random_state": _optional_int(),
    }
    params = document.get("params")
    if not isinstance(params, dict):
        raise fail("params", f"is a {type(params).__name__}; expected an object")
    method = checks["method"](params.get("method"), "params.method")
    folds = method in ("cv_plus", "jackknife_plus")
    rest = ("estimators", "fold_of_row") if folds else ("estimator", "difficulty_estimator")
    model = _meta(document, cls, checks, (*_HEAD, "conformity_scores", *rest))
    n_features = model.n_features_in_
    scores = as_array(document["conformity_scores"], "conformity_scores")
    if method != "cqr" and np.any(scores < 0):
        raise fail("conformity_scores", f"holds a negative value; method {method!r} gives >= 0")
    model.conformity_scores_ = scores
    if folds:
        estimators = document["estimators"]
        if not isinstance(estimators, list) or not estimators:
            raise fail("estimators", "must be a non-empty list")
        model.estimators_ = [
            _estimator(e, f"estimators[{i}]", REGRESSORS, n_features)
            for i, e in enumerate(estimators)
        ]
        fold_of_row = as_array(document["fold_of_row"], "fold_of_row", integer=True)
        if fold_of_row.shape != scores.shape:
            raise fail("fold_of_row", f"has {fold_of_row.size} values; expected {scores.size}")
        if np.any((fold_of_row < 0) | (fold_of_row >= len(estimators))):
            raise fail("fold_of_row", f"holds a fold outside 0..{len(estimators) - 1}")
        model.fold_of_row_ = fold_of_row
        model.estimator = model.estimators_[0]
        return model
    value = document["estimator"]
    if isinstance(value, dict) and value.get("type") == "QuantilePair":
        if method != "cqr":
            raise fail(
                "estimator", f"is a quantile pair, which only method 'cqr' uses, not {method!r}"
            )
        value = as_object(value, "estimator", ("type", "lower", "upper"))
        lower = _estimator(value["lower"], "estimator.lower", REGRESSORS, n_features)
        upper = _estimator(value["upper"], "estimator.upper", REGRESSORS, n_features)
        model.estimator = (lower, upper)
        model.estimator_ = pair_type(lower, upper)
    else:
        model.estimator = model.estimator_ = _estimator(value, "estimator", REGRESSORS, n_features)
        outputs = _booster_of(model.estimator_).n_outputs
        if (method == "cqr") != (outputs >= 2):
            expected = "at least 2 quantile outputs" if method == "cqr" else "1 output"
            raise fail("estimator", f"has {outputs} outputs; method {method!r} needs {expected}")
    difficulty = document["difficulty_estimator"]
    if difficulty is not None and method != "split":
        raise fail("difficulty_estimator", f"must be null for method {method!r}")
    model.difficulty_estimator = model.difficulty_estimator_ = (
        None if difficulty is None
        else _estimator(difficulty, "difficulty_estimator", REGRESSORS, n_features)
    )  # fmt: skip
    return model


def _booster_of(estimator: Any) -> Booster:
    return estimator.booster if isinstance(estimator, BoosterRegressor) else estimator._Booster
