"""``treeboost predict``: apply a saved model to a data file and write a CSV of predictions,
raw margins, leaf indices or SHAP contributions; or apply a calibrated or conformal model saved
by ``treeboost calibrate --save`` / ``treeboost conformal --save`` (or by the Python ``save``
methods) and write calibrated probabilities, Venn-ABERS pairs, prediction sets or intervals."""

from __future__ import annotations

import argparse

from . import _io
from ._io import (
    CLIError,
    add_format_option,
    check_output,
    check_readable,
    load_booster,
    one_line,
    read_features,
    write_csv,
)

# The first bytes of a calibrated or conformal model file: its "format" key comes first.
_UNCERTAINTY_MARK = b'"treeboost-uncertainty"'


def add_parser(commands) -> None:
    """The ``predict`` subcommand and its options."""
    predict = commands.add_parser(
        "predict",
        help="write predictions of a saved model as CSV",
        description="Predict with a saved model; writes a CSV with a header row.",
    )
    predict.add_argument("model", metavar="MODEL", help=_io.MODEL_HELP)
    predict.add_argument("data", metavar="DATA", help="data file")
    add_format_option(predict)
    predict.add_argument(
        "-o", "--output", required=True, metavar="CSV", help="predictions CSV ('-' for stdout)"
    )
    kind = predict.add_mutually_exclusive_group()
    kind.add_argument("--margin", action="store_true", help="raw margins")
    kind.add_argument("--leaf", action="store_true", help="leaf index in every tree")
    kind.add_argument("--contribs", action="store_true", help="SHAP contributions plus bias")
    predict.add_argument(
        "--alpha",
        type=float,
        default=None,
        metavar="A",
        help="miscoverage level of a conformal model's sets or intervals (default 0.1)",
    )


def prediction_frame(booster, X, args: argparse.Namespace):
    """The predictions asked for by ``--margin``, ``--leaf`` or ``--contribs`` (else the plain
    prediction) as a DataFrame with one named column per value."""
    import numpy as np
    import pandas as pd

    if args.leaf:
        values = booster.predict(X, pred_leaf=True)
        columns = [f"leaf_{i}" for i in range(values.shape[1])]
    elif args.contribs:
        values = booster.predict(X, pred_contribs=True)
        # A feature may itself be called "bias"; the extra column must not repeat its name.
        bias = "bias" if "bias" not in booster.feature_names else "_bias"
        names = [*booster.feature_names, bias]
        if values.ndim == 3:
            columns = [f"class{c}_{n}" for c in range(values.shape[1]) for n in names]
            values = values.reshape(values.shape[0], -1)
        else:
            columns = names
    else:
        values = booster.predict(X, output_margin=args.margin)
        stem = "margin" if args.margin else "prediction"
        if values.ndim == 1:
            columns = [stem]
        else:
            stem = "margin" if args.margin else "prob"
            columns = [f"{stem}_{k}" for k in range(values.shape[1])]
    values = np.asarray(values).reshape(len(values), -1)
    return pd.DataFrame(values, columns=columns)


def is_uncertainty_file(path: str) -> bool:
    """Whether ``path`` holds a calibrated or conformal model (format treeboost-uncertainty)
    rather than a plain model file."""
    check_readable(path, "model file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError as exc:
        raise CLIError(f"cannot read model file {path!r}: {exc.strerror or exc}") from None
    return head.lstrip().startswith(b"{") and _UNCERTAINTY_MARK in head


def load_uncertainty_model(path: str):
    """The fitted CalibratedClassifier, ConformalClassifier or ConformalRegressor in ``path``."""
    from ..uncertainty import CalibratedClassifier, ConformalClassifier, ConformalRegressor
    from ..uncertainty.persist import read_kind

    classes = {c.__name__: c for c in (CalibratedClassifier, ConformalClassifier,
                                       ConformalRegressor)}  # fmt: skip
    try:
        return classes[read_kind(path)].load(path)
    except ValueError as exc:
        raise CLIError(f"{path!r} is not a valid model file: {one_line(exc)}") from None


def _wrapped_booster(model):
    """The first treeboost Booster inside a calibrated or conformal model (its features are
    the model's)."""
    if hasattr(model, "calibrated_models_"):
        inner = model.calibrated_models_[0][0]
    elif hasattr(model, "models_"):
        inner = model.models_[0]
    else:
        inner = model.estimators_[0] if hasattr(model, "estimators_") else model.estimator_
        inner = getattr(inner, "lower", inner)
    return inner.get_booster() if hasattr(inner, "get_booster") else inner.booster


def uncertainty_frame(model, X, alpha: float | None):
    """Calibrated probabilities (with Venn-ABERS ``p0``, ``p1``), one 0/1 column per class of
    a prediction set, or ``prediction``, ``lower``, ``upper`` of an interval."""
    import pandas as pd

    kind = type(model).__name__
    if kind == "CalibratedClassifier":
        if alpha is not None:
            raise CLIError("--alpha applies to conformal models; this file holds a calibrator")
        proba = model.predict_proba(X)
        labels = [str(c) for c in model.classes_]
        if proba.shape[1] == 2:
            frame = pd.DataFrame({"prob": proba[:, 1]})
        else:
            frame = pd.DataFrame(proba, columns=[f"prob_{c}" for c in labels])
        if model.method == "venn_abers":
            pairs = model.predict_interval(X)
            if pairs.ndim == 2:
                frame["p0"], frame["p1"] = pairs[:, 0], pairs[:, 1]
            else:
                for k, c in enumerate(labels):
                    frame[f"p0_{c}"], frame[f"p1_{c}"] = pairs[:, k, 0], pairs[:, k, 1]
        return frame
    alpha = 0.1 if alpha is None else alpha
    if not 0.0 < alpha < 1.0:
        raise CLIError(f"--alpha {alpha:g} is not valid; valid: a number in (0, 1)")
    if kind == "ConformalClassifier":
        sets = model.predict_set(X, alpha)
        columns = [f"set_{c}" for c in model.classes_]
        return pd.DataFrame(sets.astype(int), columns=columns)
    interval = model.predict_interval(X, alpha)
    return pd.DataFrame(
        {"prediction": model.predict(X), "lower": interval[:, 0], "upper": interval[:, 1]}
    )


def _run_uncertainty(args: argparse.Namespace) -> int:
    if args.margin or args.leaf or args.contribs:
        raise CLIError(
            f"{args.model!r} is a calibrated or conformal model; --margin, --leaf and --contribs "
            "apply to plain model files"
        )
    model = load_uncertainty_model(args.model)
    check_output(args.output)
    X = read_features(args.data, args.format, _wrapped_booster(model).feature_names)
    if getattr(model, "feature_names_in_", None) is None:
        X = X.to_numpy() if hasattr(X, "to_numpy") else X  # fitted on unnamed columns
    return _write(uncertainty_frame(model, X, args.alpha), args)


def run(args: argparse.Namespace) -> int:
    if is_uncertainty_file(args.model):
        return _run_uncertainty(args)
    if args.alpha is not None:
        raise CLIError("--alpha applies to conformal models saved with --save")
    booster = load_booster(args.model)
    check_output(args.output)
    X = read_features(args.data, args.format, booster.feature_names)
    return _write(prediction_frame(booster, X, args), args)


def _write(frame, args: argparse.Namespace) -> int:
    write_csv(frame, args.output)
    # With -o - the CSV is the output; a summary line would corrupt it.
    if args.output == "-":
        return 0
    print(f"wrote {len(frame)} rows x {frame.shape[1]} columns to {args.output}")
    return 0
