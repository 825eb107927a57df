"""``treeboost predict``: apply a saved model to a data file and write a CSV of predictions,
raw margins, leaf indices or SHAP contributions."""

from __future__ import annotations

import argparse

from . import _io
from ._io import add_format_option, check_output, load_booster, read_features, write_csv


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


def run(args: argparse.Namespace) -> int:
    booster = load_booster(args.model)
    check_output(args.output)
    X = read_features(args.data, args.format, booster.feature_names)
    frame = prediction_frame(booster, X, args)
    write_csv(frame, args.output)
    # With -o - the CSV is the output; a summary line would corrupt it.
    if args.output == "-":
        return 0
    print(f"wrote {len(frame)} rows x {frame.shape[1]} columns to {args.output}")
    return 0
