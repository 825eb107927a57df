"""What ``treeboost train`` and ``treeboost tune`` share: the training-data options, ``--param``
values, and building the training and validation Datasets from files."""

from __future__ import annotations

import argparse
import math
from typing import Any

from ._io import CLIError, add_format_option, read_training, select_features


def add_training_data_options(parser: argparse.ArgumentParser, valid_help: str = "") -> None:
    """DATA, --target, --format, --objective, --param, --valid / --valid-fraction, --seed."""
    parser.add_argument("data", metavar="DATA", help="training data file")
    parser.add_argument(
        "--target", metavar="COL", help="label column (CSV/Parquet; LibSVM files carry the label)"
    )
    add_format_option(parser)
    add_qid_option(parser)
    parser.add_argument("--objective", metavar="NAME", help="e.g. reg:squarederror (default)")
    parser.add_argument(
        "--param",
        metavar="K=V",
        action="append",
        default=[],
        help="training parameter, repeatable; values are read as int, float, bool or string "
        "(comma-separated values give a list)",
    )
    valid = parser.add_mutually_exclusive_group()
    valid.add_argument("--valid", metavar="DATA", help="validation data file")
    valid.add_argument(
        "--valid-fraction",
        type=float,
        metavar="F",
        help="hold out this fraction of the training rows for validation" + valid_help,
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the --valid-fraction split (default 0)"
    )


def add_qid_option(parser: argparse.ArgumentParser) -> None:
    """--qid COL: the query id column of ranking data."""
    parser.add_argument(
        "--qid",
        metavar="COL",
        help="query id column for ranking objectives (CSV/Parquet; rows of a query need not be "
        "adjacent); not a feature",
    )


def split_qid(X, qid_column: str | None, path: str):
    """The features without the query id column, and the query ids (None without --qid)."""
    import numpy as np

    if qid_column is None:
        return X, None
    if not hasattr(X, "columns"):
        raise CLIError(
            f"--qid {qid_column!r} names a column, but {path!r} is LibSVM: its queries come from "
            "its qid: fields or a .query file, which this command does not read; use CSV/Parquet"
        )
    if qid_column not in X.columns:
        raise CLIError(
            f"--qid column {qid_column!r} is not in {path!r}; columns: "
            f"{', '.join(map(str, list(X.columns)[:20]))}"
        )
    values = X[qid_column].to_numpy()
    if values.dtype.kind == "f":
        if np.isnan(values).any() or np.any(values != np.round(values)):
            raise CLIError(f"--qid column {qid_column!r} in {path!r} must hold integer ids")
        values = values.astype(np.int64)
    if values.dtype.kind not in "iu":
        raise CLIError(f"--qid column {qid_column!r} in {path!r} must hold integer ids")
    return X.drop(columns=[qid_column]), values


def parse_value(text: str) -> Any:
    """``--param`` value: int, float, bool, None, a comma-separated list of those, or str."""
    if "," in text:
        return [parse_value(part.strip()) for part in text.split(",") if part.strip()]
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_params(items: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CLIError(f"--param {item!r}: expected NAME=VALUE, e.g. max_depth=4")
        params[name] = parse_value(value.strip())
    return params


def command_params(args: argparse.Namespace) -> dict[str, Any]:
    """``--param`` values with ``--objective`` folded in."""
    params = parse_params(args.param)
    if args.objective is not None:
        params["objective"] = args.objective
    return params


def _split(n_rows: int, fraction: float, seed: int, qid=None):
    """Training and validation rows; with query ids, whole queries go to one side."""
    import numpy as np

    if not (0.0 < fraction < 1.0) or math.isnan(fraction):
        raise CLIError(f"--valid-fraction {fraction} must be between 0 and 1 (exclusive)")
    units = np.unique(qid) if qid is not None else None
    n_units = n_rows if units is None else units.size
    what = "rows" if units is None else "queries"
    n_valid = int(round(fraction * n_units))
    if n_valid < 1 or n_valid >= n_units:
        raise CLIError(
            f"--valid-fraction {fraction} of {n_units} {what} leaves an empty training or "
            "validation set"
        )
    order = np.random.default_rng(seed).permutation(n_units)
    if units is None:
        return np.sort(order[n_valid:]), np.sort(order[:n_valid])
    in_valid = np.isin(qid, units[order[:n_valid]])
    return np.flatnonzero(~in_valid), np.flatnonzero(in_valid)


def _take(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def training_sets(args: argparse.Namespace, params: dict[str, Any]):
    """(dtrain, dvalid or None) from the files and split options; infers ``num_class`` of a
    multiclass objective from the labels (written into ``params``)."""
    import numpy as np

    from ..data import Dataset

    X, y = read_training(args.data, args.format, args.target)
    X, qid = split_qid(X, getattr(args, "qid", None), args.data)
    if params.get("objective") == "multi:softprob" and "num_class" not in params:
        if y.size and (np.any(y < 0) or np.any(y != np.round(y))):
            raise CLIError("multi:softprob labels must be class indices 0, 1, ...")
        params["num_class"] = int(y.max()) + 1 if y.size else 0

    Xv = yv = qid_valid = None
    if args.valid_fraction is not None:
        train_rows, valid_rows = _split(len(y), args.valid_fraction, args.seed, qid)
        X, Xv = _take(X, train_rows), _take(X, valid_rows)
        y, yv = y[train_rows], y[valid_rows]
        if qid is not None:
            qid, qid_valid = qid[train_rows], qid[valid_rows]

    dtrain = Dataset(X, label=y, qid=qid)
    if args.valid is not None:
        n_features = dtrain.num_col() if not hasattr(X, "columns") else None
        Xv, yv = read_training(args.valid, args.format, args.target, n_features)
        Xv, qid_valid = split_qid(Xv, getattr(args, "qid", None), args.valid)
        if hasattr(Xv, "columns"):
            Xv = select_features(Xv, dtrain.feature_names, args.valid)
        elif Xv.shape[1] != dtrain.num_col():
            raise CLIError(
                f"{args.valid!r} has {Xv.shape[1]} features; the training data has "
                f"{dtrain.num_col()}"
            )
    dvalid = None if Xv is None else Dataset(Xv, label=yv, qid=qid_valid, reference=dtrain)
    return dtrain, dvalid
