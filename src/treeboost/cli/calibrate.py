"""``treeboost calibrate``: fit a probability calibrator (Platt, isotonic or Venn-ABERS, from
:mod:`treeboost.calibration`) on held-out labelled data for a saved classifier, report
calibration metrics before and after, write calibrated probabilities, and save the model with
its calibration as one file (``--save``) that ``treeboost predict`` reads."""

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

METHODS = ("sigmoid", "isotonic", "venn_abers")
CLASSIFICATION_OBJECTIVES = ("binary:logistic", "multi:softprob")


def class_labels(y: np.ndarray, n_classes: int, path: str) -> np.ndarray:
    valid = (y >= 0) & (y < n_classes) & (y == np.round(y))
    if not valid.all():
        row = int(np.flatnonzero(~valid)[0])
        raise CLIError(
            f"labels in {path!r} must be class indices 0 to {n_classes - 1}; row {row} has "
            f"{y[row]:g}"
        )
    return y.astype(np.int64)


def calibration_scores(y: np.ndarray, proba: np.ndarray, n_bins: int) -> dict[str, float]:
    """logloss, Brier score and expected calibration error of (n, k) class probabilities.
    Binary ECE is over the positive class's probability; multiclass over the top class's
    (confidence against accuracy)."""
    from ..plotting import reliability_bins

    n, k = proba.shape
    eps = 1e-15
    picked = np.clip(proba[np.arange(n), y], eps, 1.0)
    onehot = np.zeros_like(proba)
    onehot[np.arange(n), y] = 1.0
    brier = np.mean(np.sum((proba - onehot) ** 2, axis=1))
    if k == 2:
        brier /= 2.0  # the usual binary Brier score: squared error of the positive class
        bins = reliability_bins(y, proba[:, 1], n_bins)
    else:
        bins = reliability_bins(proba.argmax(axis=1) == y, proba.max(axis=1), n_bins)
    return {
        "logloss": float(-np.mean(np.log(picked))),
        "brier": float(brier),
        "ece": bins.expected_calibration_error,
    }


def _reliability_target(y: np.ndarray, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if proba.shape[1] == 2:
        return y, proba[:, 1]
    return (proba.argmax(axis=1) == y).astype(float), proba.max(axis=1)


def add_parser(commands) -> None:
    """The ``calibrate`` subcommand and its options."""
    calibrate = commands.add_parser(
        "calibrate",
        help="calibrate a classifier's probabilities on held-out data",
        description="Fit a calibrator (Platt scaling, isotonic regression or Venn-ABERS) for a "
        "saved classifier on labelled calibration data not used in training; print logloss, "
        "Brier score and expected calibration error before and after, on --test DATA when "
        "given; write the calibrated probabilities with -o.",
    )
    calibrate.add_argument("model", metavar="MODEL", help=_io.MODEL_HELP)
    calibrate.add_argument("data", metavar="DATA", help="labelled calibration data")
    calibrate.add_argument("--target", metavar="COL", help="label column (CSV/Parquet)")
    add_format_option(calibrate)
    calibrate.add_argument(
        "--method",
        choices=("sigmoid", "isotonic", "venn_abers"),
        default="isotonic",
        help="calibration map (default isotonic)",
    )
    calibrate.add_argument(
        "--test", metavar="DATA", help="labelled data to score and write (default: DATA)"
    )
    calibrate.add_argument(
        "-o",
        "--output",
        metavar="CSV",
        help="calibrated probabilities of the scored rows ('-' for stdout); Venn-ABERS adds "
        "its p0, p1 interval",
    )
    calibrate.add_argument("--plot", metavar="PNG", help="reliability diagram, before and after")
    calibrate.add_argument(
        "--n-bins", type=int, default=10, metavar="N", help="bins of the ECE and plot (default 10)"
    )
    calibrate.add_argument(
        "--save",
        metavar="FILE",
        help="write the model and its calibration as one JSON file, which predict reads",
    )


def run(args: argparse.Namespace) -> int:
    booster = load_booster(args.model)
    objective = booster.params.get("objective", booster.objective.name)
    if objective not in CLASSIFICATION_OBJECTIVES:
        raise CLIError(
            f"calibrate needs a classification model ({', '.join(CLASSIFICATION_OBJECTIVES)}); "
            f"{args.model!r} has objective {objective!r}"
        )
    if args.n_bins < 1:
        raise CLIError(f"--n-bins {args.n_bins} must be >= 1")
    for path in (args.output, args.plot, args.save):
        if path is not None:
            check_output(path)
    for option, path in (("--plot", args.plot), ("--save", args.save)):
        if path == "-":
            raise CLIError(f"{option} writes a file; '-' (stdout) is only valid for -o")
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise CLIError(
                "--plot needs matplotlib; install the plot extra: pip install 'treeboost[plot]'"
            ) from None
    n_classes = max(2, booster.n_outputs)

    X_cal, y_cal = read_labelled_for_model(args.data, args.format, args.target, booster)
    y_cal = class_labels(y_cal, n_classes, args.data)
    if np.unique(y_cal).size < 2:
        raise CLIError(f"{args.data!r} holds a single class; calibration needs both outcomes")
    if args.test is None:
        X_eval, y_eval, eval_name = X_cal, y_cal, args.data
    else:
        X_eval, y_eval = read_labelled_for_model(args.test, args.format, args.target, booster)
        y_eval = class_labels(y_eval, n_classes, args.test)
        eval_name = args.test

    from ..calibration import CalibratedClassifier
    from ..uncertainty.booster_models import BoosterClassifier

    calibrator = CalibratedClassifier(BoosterClassifier(booster), method=args.method, cv="prefit")
    try:
        calibrator.fit(X_cal, y_cal)
    except ValueError as exc:
        raise CLIError(f"cannot calibrate on {args.data!r}: {one_line(exc)}") from None
    before = booster.predict(X_eval)
    before = np.column_stack([1.0 - before, before]) if before.ndim == 1 else before
    after = calibrator.predict_proba(X_eval)

    scores_before = calibration_scores(y_eval, before, args.n_bins)
    scores_after = calibration_scores(y_eval, after, args.n_bins)
    if args.output is not None:
        _write_probabilities(calibrator, X_eval, after, args)
    if args.plot:
        _write_plot(y_eval, before, after, args)
    if args.save:
        try:
            calibrator.save(args.save)
        except OSError as exc:
            raise CLIError(f"cannot write {args.save!r}: {exc.strerror or exc}") from None
    if args.output != "-":
        _print_report(scores_before, scores_after, len(y_cal), len(y_eval), eval_name, args)
    return 0


def _write_probabilities(calibrator, X, proba: np.ndarray, args: argparse.Namespace) -> None:
    import pandas as pd

    if proba.shape[1] == 2:
        frame = pd.DataFrame({"prob": proba[:, 1]})
        if args.method == "venn_abers":
            # The Venn-ABERS pair brackets the probability: a wide pair means little evidence.
            interval = calibrator.predict_interval(X)
            frame["p0"], frame["p1"] = interval[:, 0], interval[:, 1]
    else:
        frame = pd.DataFrame(proba, columns=[f"prob_{k}" for k in range(proba.shape[1])])
    write_csv(frame, args.output)


def _write_plot(y: np.ndarray, before: np.ndarray, after: np.ndarray, args) -> None:
    from ..plotting import plot_reliability
    from ..report.html import render_png

    def draw(ax: Any) -> None:
        plot_reliability(*_reliability_target(y, before), args.n_bins, ax=ax, label="model")
        plot_reliability(*_reliability_target(y, after), args.n_bins, ax=ax,
                         label=f"calibrated ({args.method})")  # fmt: skip
        if before.shape[1] > 2:
            ax.set_xlabel("top-class probability")
            ax.set_ylabel("accuracy")

    write_bytes(render_png(draw, (5.5, 5.0)), args.plot)


def _print_report(before, after, n_cal: int, n_eval: int, eval_name: str, args) -> None:
    print(f"calibrated with {args.method} on {n_cal} rows of {args.data}")
    where = f"{n_eval} rows of {eval_name}"
    if args.test is None:
        where += " (the calibration rows themselves: pass --test DATA for an honest estimate)"
    print(f"scores on {where}:")
    print(f"{'metric':<8}  {'model':>8}  {'calibrated':>10}")
    for name in before:
        print(f"{name:<8}  {before[name]:>8.4f}  {after[name]:>10.4f}")
    written = [p for p in (args.output, args.plot, args.save) if p]
    if written:
        print("wrote " + ", ".join(written))
