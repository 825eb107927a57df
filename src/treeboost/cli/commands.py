"""The ``treeboost`` command line: ``train``, ``predict``, ``evaluate``, ``explain``,
``calibrate``, ``tune``, ``info``, ``demo``, ``warmup``.

Every failure is reported as one line on stderr, ``treeboost: error: ...``, with exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import calibrate, explain, tune
from ._io import (
    CLIError,
    add_format_option,
    check_output,
    load_booster,
    names_preview,
    one_line,
    read_features,
    read_labelled_for_model,
    write_csv,
)
from ._training import (
    add_training_data_options,
    command_params,
    training_sets,
)

EXIT_ERROR = 2

# Metrics shown by ``evaluate`` for each kind of task; the objective's own metric is added.
TASK_METRICS = {
    "regression": ("rmse", "mae"),
    "binary": ("auc", "logloss", "error"),
    "multiclass": ("mlogloss", "merror"),
    "quantile": (),  # one prediction per level: only the objective's pinball-type loss applies
}
# Parameters shown by ``info`` when the model holds them.
KEY_PARAMS = (
    "num_class",
    "eval_metric",
    "learning_rate",
    "max_depth",
    "max_leaves",
    "grow_policy",
    "min_child_weight",
    "gamma",
    "reg_lambda",
    "reg_alpha",
    "subsample",
    "colsample_bytree",
    "max_bin",
    "scale_pos_weight",
    "random_state",
)
PROGRESS_PERIOD = 10  # rounds between plain progress lines when rich is missing


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one ``treeboost: error:`` line."""

    def error(self, message: str):  # type: ignore[override]
        hint = f" (see '{self.prog} --help')"
        sys.stderr.write(f"treeboost: error: {message}{hint}\n")
        sys.exit(EXIT_ERROR)


# -- argument parsing ------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="treeboost", description="Gradient boosted decision trees.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser(
        "train",
        help="train a model on a CSV, LibSVM or Parquet file",
        description="Train a model and save it as JSON.",
    )
    add_training_data_options(train)
    train.add_argument(
        "--rounds", type=int, default=100, metavar="N", help="boosting rounds (default 100)"
    )
    train.add_argument(
        "--early-stopping",
        type=int,
        metavar="N",
        help="stop when the validation metric has not improved for N rounds",
    )
    train.add_argument("--quiet", action="store_true", help="print nothing while training")
    train.add_argument("-o", "--output", required=True, metavar="MODEL", help="model JSON to write")

    predict = commands.add_parser(
        "predict",
        help="write predictions of a saved model as CSV",
        description="Predict with a saved model; writes a CSV with a header row.",
    )
    predict.add_argument("model", metavar="MODEL", help="model JSON written by 'treeboost train'")
    predict.add_argument("data", metavar="DATA", help="data file")
    add_format_option(predict)
    predict.add_argument(
        "-o", "--output", required=True, metavar="CSV", help="predictions CSV ('-' for stdout)"
    )
    kind = predict.add_mutually_exclusive_group()
    kind.add_argument("--margin", action="store_true", help="raw margins")
    kind.add_argument("--leaf", action="store_true", help="leaf index in every tree")
    kind.add_argument("--contribs", action="store_true", help="SHAP contributions plus bias")

    evaluate = commands.add_parser(
        "evaluate",
        help="print metrics of a saved model on labelled data",
        description="Score a saved model on labelled data.",
    )
    evaluate.add_argument("model", metavar="MODEL", help="model JSON")
    evaluate.add_argument("data", metavar="DATA", help="labelled data file")
    evaluate.add_argument("--target", metavar="COL", help="label column (CSV/Parquet)")
    add_format_option(evaluate)

    explain.add_parser(commands)
    calibrate.add_parser(commands)
    tune.add_parser(commands)

    info = commands.add_parser(
        "info", help="describe a saved model", description="Describe a saved model."
    )
    info.add_argument("model", metavar="MODEL", help="model JSON")

    demo = commands.add_parser("demo", help="train and evaluate a model on built-in data")
    demo.add_argument("--random-state", type=int, default=0, help="seed for the data split")
    report = demo.add_mutually_exclusive_group()
    report.add_argument(
        "--report-dir",
        metavar="DIR",
        default="demo-report",
        help="folder for the PNG plots and index.html (default: demo-report)",
    )
    report.add_argument("--no-report", action="store_true", help="print the metrics only")
    commands.add_parser("warmup", help="compile every kernel ahead of time")
    return parser


# -- helpers ---------------------------------------------------------------------------------


def _stdout_is_tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


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
    else:
        raise CLIError(f"cannot evaluate a model with objective {name!r}")
    names = list(TASK_METRICS[task])
    default = getattr(booster.objective, "default_metric", None)
    if default and default not in names:
        names.append(default)
    return task, names


def _scored_prediction(booster, X):
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


# -- commands --------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    from ..training.engine import train
    from ..training.progress import TrainingProgress

    params = command_params(args)
    if args.rounds < 0:
        raise CLIError(f"--rounds {args.rounds} must be >= 0")
    if args.early_stopping is not None:
        if args.early_stopping < 1:
            raise CLIError(f"--early-stopping {args.early_stopping} must be >= 1")
        if args.valid is None and args.valid_fraction is None:
            raise CLIError("--early-stopping needs --valid DATA or --valid-fraction F")
    check_output(args.output)
    dtrain, dvalid = training_sets(args, params)
    evals = [(dtrain, "train")] + ([(dvalid, "valid")] if dvalid is not None else [])

    # Live progress only for a person watching a terminal; logs and pipes get the summary.
    progress = None
    if not args.quiet and _stdout_is_tty():
        progress = TrainingProgress(args.rounds, period=PROGRESS_PERIOD)
    evals_result: dict = {}
    try:
        booster = train(
            params,
            dtrain,
            num_boost_round=args.rounds,
            evals=evals,
            early_stopping_rounds=args.early_stopping,
            callbacks=[progress] if progress else None,
            evals_result=evals_result,
        )
    finally:
        if progress is not None:
            progress.close()
    try:
        booster.save_model(args.output)
    except OSError as exc:
        raise CLIError(f"cannot write {args.output!r}: {exc.strerror or exc}") from None

    if not args.quiet:
        best = booster.best_iteration
        at = best if best is not None else booster.num_boosted_rounds() - 1
        if at >= 0:
            print(f"metrics at round {at}:")
            for data_name, metrics in evals_result.items():
                for metric_name, scores in metrics.items():
                    if at < len(scores):
                        print(f"  {data_name}-{metric_name}: {scores[at]:.6f}")
        if best is not None:
            print(f"best iteration: {best}")
        else:
            print(f"best iteration: none (all {booster.num_boosted_rounds()} rounds kept)")
        print(f"model written to {args.output}")
    return 0


def _prediction_frame(booster, X, args: argparse.Namespace):
    import numpy as np
    import pandas as pd

    if args.leaf:
        values = booster.predict(X, pred_leaf=True)
        columns = [f"leaf_{i}" for i in range(values.shape[1])]
    elif args.contribs:
        values = booster.predict(X, pred_contribs=True)
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


def cmd_predict(args: argparse.Namespace) -> int:
    booster = load_booster(args.model)
    check_output(args.output)
    X = read_features(args.data, args.format, booster.feature_names)
    frame = _prediction_frame(booster, X, args)
    write_csv(frame, args.output)
    if args.output == "-":
        return 0
    print(f"wrote {len(frame)} rows x {frame.shape[1]} columns to {args.output}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..metrics import get_metric

    booster = load_booster(args.model)
    task, metric_names = evaluation_plan(booster)
    X, y = read_labelled_for_model(args.data, args.format, args.target, booster)
    prediction = _scored_prediction(booster, X)
    rows = []
    for name in metric_names:
        try:
            rows.append((name, get_metric(name, booster.params)(y, prediction)))
        except ValueError as exc:
            raise CLIError(f"cannot compute {name} on {args.data!r}: {one_line(exc)}") from None
    print(f"{task} model, {len(y)} rows of {args.data}")
    width = max(len("metric"), *(len(n) for n, _ in rows))
    print(f"{'metric':<{width}}  value")
    for name, value in rows:
        print(f"{name:<{width}}  {value:.6f}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    booster = load_booster(args.model)
    params = booster.params
    names = booster.feature_names
    print(f"objective: {params.get('objective', booster.objective.name)}")
    print(f"outputs: {booster.n_outputs}")
    print(f"features: {len(names)}")
    print(f"feature names: {names_preview(names)}")
    print(f"trees: {booster.num_trees()}")
    print(f"rounds: {booster.num_boosted_rounds()}")
    best = booster.best_iteration
    if best is None:
        print("best iteration: none")
    else:
        score = "" if booster.best_score is None else f" (score {booster.best_score:.6g})"
        print(f"best iteration: {best}{score}")
    print("parameters:")
    for name in KEY_PARAMS:
        if params.get(name) is not None and not (name == "num_class" and not params[name]):
            print(f"  {name}: {params[name]}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..report.demo import run_demo

    report_dir = None if args.no_report else args.report_dir
    if report_dir is not None:
        if os.path.exists(report_dir) and not os.path.isdir(report_dir):
            raise CLIError(f"--report-dir {report_dir!r} exists and is not a directory")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise CLIError(
                "the demo report needs matplotlib; install the plot extra "
                "(pip install 'treeboost[plot]') or pass --no-report"
            ) from None
    run_demo(random_state=args.random_state, report_dir=report_dir)
    return 0


def cmd_warmup(args: argparse.Namespace) -> int:
    from .warmup import warmup

    warmup()
    print("treeboost kernels compiled and cached")
    return 0


COMMANDS = {
    "demo": cmd_demo,
    "warmup": cmd_warmup,
    "train": cmd_train,
    "predict": cmd_predict,
    "evaluate": cmd_evaluate,
    "explain": explain.run_explain,
    "calibrate": calibrate.run_calibrate,
    "tune": tune.run_tune,
    "info": cmd_info,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except BrokenPipeError:
        # The reader went away (e.g. ``| head``): stop quietly.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - avoids a second error at exit
        except OSError:
            pass
        return 0
    except CLIError as exc:
        message = one_line(exc)
    except (ValueError, TypeError, KeyError, OSError, NotImplementedError) as exc:
        message = one_line(exc)
    except MemoryError:
        message = "out of memory"
    except KeyboardInterrupt:
        sys.stderr.write("treeboost: interrupted\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI never shows a traceback
        message = f"{type(exc).__name__}: {one_line(exc)}"
    sys.stderr.write(f"treeboost: error: {message}\n")
    return EXIT_ERROR
