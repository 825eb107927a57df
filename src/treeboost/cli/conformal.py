"""``treeboost conformal``: calibrate conformal prediction (split, CQR or Mondrian, from
:mod:`treeboost.conformal`) on held-out labelled data for a saved model, report coverage and
mean width (or set size), write intervals or sets, and save the result as one file that
``treeboost predict`` reads."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from . import _io
from ._io import (
    CLIError,
    add_format_option,
    check_output,
    load_booster,
    one_line,
    read_labelled_for_model,
    write_bytes,
    write_csv,
)
from .calibrate import CLASSIFICATION_OBJECTIVES, class_labels

METHODS = ("split", "cqr", "mondrian")
SCORES = ("lac", "aps", "raps")


def add_parser(commands) -> None:
    """The ``conformal`` subcommand and its options."""
    conformal = commands.add_parser(
        "conformal",
        help="conformal intervals or prediction sets for a saved model",
        description="Calibrate conformal prediction for a saved model on labelled data not used "
        "in training: split conformal (intervals of a regression model, sets of a classifier), "
        "CQR (a reg:quantileerror model with two or more quantile_alpha levels: its lowest and "
        "highest quantiles are widened or narrowed) or Mondrian (class-conditional sets of a "
        "classifier). Prints coverage and mean width or set size on --test DATA when given.",
    )
    conformal.add_argument("model", metavar="MODEL", help=_io.MODEL_HELP)
    conformal.add_argument("data", metavar="DATA", help="labelled calibration data")
    conformal.add_argument("--target", metavar="COL", help="label column (CSV/Parquet)")
    add_format_option(conformal)
    conformal.add_argument(
        "--method", choices=METHODS, default="split", help="conformal method (default split)"
    )
    conformal.add_argument(
        "--score",
        choices=SCORES,
        default="lac",
        help="nonconformity score of prediction sets (default lac)",
    )
    conformal.add_argument(
        "--alpha",
        type=float,
        default=0.1,
        metavar="A",
        help="miscoverage level: sets or intervals hold the truth with probability 1 - A "
        "(default 0.1)",
    )
    conformal.add_argument(
        "--test", metavar="DATA", help="labelled data to score and write (default: DATA)"
    )
    conformal.add_argument(
        "-o",
        "--output",
        metavar="CSV",
        help="intervals (prediction, lower, upper) or sets (set_<k> 0/1 columns) of the scored "
        "rows ('-' for stdout)",
    )
    conformal.add_argument(
        "--save", metavar="FILE", help="write the conformal model as one JSON file for predict"
    )
    conformal.add_argument("--plot", metavar="PNG", help="intervals against the truth (regression)")
    conformal.add_argument(
        "--seed", type=int, default=0, help="seed of the randomized APS/RAPS ties (default 0)"
    )


def _check_options(args: argparse.Namespace, classifier: bool) -> None:
    if not 0.0 < args.alpha < 1.0:
        raise CLIError(f"--alpha {args.alpha:g} is not valid; valid: a number in (0, 1)")
    for path in (args.output, args.plot, args.save):
        if path is not None:
            check_output(path)
    for option, path in (("--plot", args.plot), ("--save", args.save)):
        if path == "-":
            raise CLIError(f"{option} writes a file; '-' (stdout) is only valid for -o")
    if args.plot and classifier:
        raise CLIError("--plot draws intervals; it needs a regression model, not a classifier")
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise CLIError(
                "--plot needs matplotlib; install the plot extra: pip install 'treeboost[plot]'"
            ) from None


def _conformal_model(booster, args: argparse.Namespace, classifier: bool, objective: str):
    """The unfitted conformal model the method asks for, around a view of the Booster."""
    from ..conformal import ConformalClassifier, ConformalRegressor
    from ..uncertainty.booster_models import BoosterClassifier, BoosterRegressor

    if classifier:
        if args.method == "cqr":
            raise CLIError(
                "--method cqr needs a quantile regression model (objective reg:quantileerror "
                "with two or more quantile_alpha levels); this model is a classifier"
            )
        return ConformalClassifier(
            BoosterClassifier(booster),
            conformity_score=args.score,
            mondrian=args.method == "mondrian",
            cv="prefit",
            random_state=args.seed,
        )
    if args.method == "mondrian":
        raise CLIError(
            "--method mondrian gives class-conditional sets of a classifier; for this "
            f"{objective!r} model use --method split or cqr"
        )
    quantiles = objective == "reg:quantileerror" and booster.n_outputs >= 2
    if args.method == "cqr" and not quantiles:
        raise CLIError(
            "--method cqr needs a model trained with objective reg:quantileerror and two or "
            f"more quantile_alpha levels (e.g. --param quantile_alpha=0.05,0.95); this one has "
            f"objective {objective!r} and {booster.n_outputs} output(s)"
        )
    if args.method == "split" and booster.n_outputs != 1:
        raise CLIError(
            f"--method split needs a model with one output; this one has {booster.n_outputs} "
            "(a multi-quantile model takes --method cqr)"
        )
    return ConformalRegressor(BoosterRegressor(booster), method=args.method, cv="prefit")


def run(args: argparse.Namespace) -> int:
    booster = load_booster(args.model)
    objective = booster.params.get("objective", booster.objective.name)
    classifier = objective in CLASSIFICATION_OBJECTIVES
    if not classifier and not str(objective).startswith("reg:"):
        raise CLIError(
            f"conformal needs a regression (reg:*) or classification "
            f"({', '.join(CLASSIFICATION_OBJECTIVES)}) model; {args.model!r} has objective "
            f"{objective!r}"
        )
    _check_options(args, classifier)
    model = _conformal_model(booster, args, classifier, objective)

    X_cal, y_cal = read_labelled_for_model(args.data, args.format, args.target, booster)
    n_classes = max(2, booster.n_outputs)
    if classifier:
        y_cal = class_labels(y_cal, n_classes, args.data)
    if args.test is None:
        X_eval, y_eval, eval_name = X_cal, y_cal, args.data
    else:
        X_eval, y_eval = read_labelled_for_model(args.test, args.format, args.target, booster)
        if classifier:
            y_eval = class_labels(y_eval, n_classes, args.test)
        eval_name = args.test
    try:
        model.fit(X_cal, y_cal)
    except ValueError as exc:
        raise CLIError(f"cannot calibrate on {args.data!r}: {one_line(exc)}") from None

    import pandas as pd

    from ..metrics import class_coverage, coverage, mean_set_size, mean_width

    if classifier:
        sets = model.predict_set(X_eval, args.alpha)
        frame = pd.DataFrame(sets.astype(int), columns=[f"set_{k}" for k in model.classes_])
        summary = {
            "coverage": coverage(y_eval, sets),
            "mean set size": mean_set_size(sets),
            "empty sets": float(np.mean(sets.sum(axis=1) == 0)),
        }
        per_class = class_coverage(y_eval, sets)
    else:
        interval = model.predict_interval(X_eval, args.alpha)
        frame = pd.DataFrame(
            {"prediction": model.predict(X_eval), "lower": interval[:, 0], "upper": interval[:, 1]}
        )
        summary = {"coverage": coverage(y_eval, interval), "mean width": mean_width(interval)}
        per_class = None
    if args.output is not None:
        write_csv(frame, args.output)
    if args.plot:
        _write_plot(y_eval, frame, args)
    if args.save:
        try:
            model.save(args.save)
        except OSError as exc:
            raise CLIError(f"cannot write {args.save!r}: {exc.strerror or exc}") from None
    if args.output != "-":
        _print_report(summary, per_class, len(y_cal), len(y_eval), eval_name, args)
    return 0


def _write_plot(y: np.ndarray, frame: Any, args: argparse.Namespace) -> None:
    from ..plotting import plot_intervals
    from ..report.html import render_png

    def draw(ax: Any) -> None:
        plot_intervals(y, frame["lower"], frame["upper"], frame["prediction"], ax=ax,
                       title=f"{args.method} conformal, alpha={args.alpha:g}")  # fmt: skip

    write_bytes(render_png(draw, (7.0, 4.5)), args.plot)


def _print_report(summary, per_class, n_cal: int, n_eval: int, eval_name: str, args) -> None:
    print(f"conformal {args.method} at alpha={args.alpha:g} calibrated on {n_cal} rows of "
          f"{args.data}")  # fmt: skip
    where = f"{n_eval} rows of {eval_name}"
    if args.test is None:
        where += " (the calibration rows themselves: pass --test DATA for an honest estimate)"
    print(f"on {where}:")
    print(f"  target coverage  {1.0 - args.alpha:.4f}")
    for name, value in summary.items():
        print(f"  {name:<15}  {value:.4f}")
    if per_class is not None:
        text = ", ".join(f"{k}: {c:.3f}" for k, c in enumerate(per_class) if np.isfinite(c))
        print(f"  coverage by class  {text}")
    written = [p for p in (args.output, args.plot, args.save) if p]
    if written:
        print("wrote " + ", ".join(written))
