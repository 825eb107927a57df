"""``treeboost evaluate``: score a saved model on labelled data with the metrics of its kind of
task (regression, binary, multiclass, quantile) plus the objective's own metric."""

from __future__ import annotations

import argparse

from . import _io
from ._io import (
    CLIError,
    add_format_option,
    load_booster,
    one_line,
    read_labelled_for_model,
    read_training,
    select_features,
)
from ._training import add_qid_option, split_qid

# Metrics shown by ``evaluate`` for each kind of task; the objective's own metric is added.
TASK_METRICS = {
    "regression": ("rmse", "mae"),
    "binary": ("auc", "logloss", "error"),
    "multiclass": ("mlogloss", "merror"),
    "quantile": (),  # one prediction per level: only the objective's pinball-type loss applies
    "ranking": ("ndcg@10", "ndcg"),
    "survival": ("c-index",),
}


def add_parser(commands) -> None:
    """The ``evaluate`` subcommand and its options."""
    evaluate = commands.add_parser(
        "evaluate",
        help="print metrics of a saved model on labelled data",
        description="Score a saved model on labelled data.",
    )
    evaluate.add_argument("model", metavar="MODEL", help=_io.MODEL_HELP)
    evaluate.add_argument("data", metavar="DATA", help="labelled data file")
    evaluate.add_argument("--target", metavar="COL", help="label column (CSV/Parquet)")
    add_format_option(evaluate)
    add_qid_option(evaluate)


def evaluation_plan(booster) -> tuple[str, list[str]]:
    """The task of the model's objective and the metrics ``evaluate`` reports for it."""
    name = booster.params.get("objective", getattr(booster.objective, "name", ""))
    if name.startswith("binary:"):
        task = "binary"
    elif name.startswith("multi:"):
        task = "multiclass"
    elif name in ("reg:quantileerror", "reg:expectileerror"):
        task = "quantile"
    elif name.startswith(("reg:", "count:")):
        task = "regression"
    elif name.startswith("rank:"):
        task = "ranking"
    elif name.startswith("survival:"):
        task = "survival"
    else:
        raise CLIError(f"cannot evaluate a model with objective {name!r}")
    names = list(TASK_METRICS[task])
    default = getattr(booster.objective, "default_metric", None)
    if default and default not in names:
        names.append(default)
    return task, names


def scored_prediction(booster, X):
    """Predictions in the form the metrics take: probabilities for every classifier (the
    objectives that output raw scores or class labels are turned back into probabilities)."""
    import numpy as np

    name = booster.params.get("objective")
    if name == "binary:logitraw":
        return 1.0 / (1.0 + np.exp(-booster.predict(X, output_margin=True)))
    if name == "multi:softmax":
        margin = booster.predict(X, output_margin=True)
        exp = np.exp(margin - margin.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)
    return booster.predict(X)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..data import Dataset
    from ..metrics import get_metric

    booster = load_booster(args.model)
    task, metric_names = evaluation_plan(booster)
    qid = None
    if args.qid is None:
        X, y = read_labelled_for_model(args.data, args.format, args.target, booster)
    else:
        X, y = read_training(args.data, args.format, args.target)
        X, qid = split_qid(X, args.qid, args.data)
        X = select_features(X, booster.feature_names, args.data)
    if task == "ranking" and qid is None:
        raise CLIError("a ranking model is scored per query: pass --qid COL")
    prediction = scored_prediction(booster, X)
    data = Dataset(np.zeros((len(y), 1)), label=y, qid=qid)  # what the query metrics read
    rows = []
    for name in metric_names:
        try:
            rows.append((name, get_metric(name, booster.params)(y, prediction, None, data)))
        except ValueError as exc:
            raise CLIError(f"cannot compute {name} on {args.data!r}: {one_line(exc)}") from None
    print(f"{task} model, {len(y)} rows of {args.data}")
    width = max(len("metric"), *(len(n) for n, _ in rows))
    print(f"{'metric':<{width}}  value")
    for name, value in rows:
        print(f"{name:<{width}}  {value:.6f}")
    return 0
