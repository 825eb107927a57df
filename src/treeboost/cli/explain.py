"""``treeboost explain``: per-feature importance table (mean |SHAP| and split statistics) as
CSV, and optional SHAP summary and importance plots as PNG."""

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
    read_features,
    write_bytes,
    write_csv,
)

SPLIT_STATS = ("total_gain", "gain", "weight", "cover")
TOP_PRINTED = 10


def _sample_rows(X, n_rows: int | None, seed: int):
    """At most ``n_rows`` rows of X, drawn without replacement with ``seed``."""
    total = len(X)
    if n_rows is None or n_rows >= total:
        return X
    rows = np.sort(np.random.default_rng(seed).choice(total, size=n_rows, replace=False))
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def importance_table(booster, contribs: np.ndarray):
    """DataFrame, one row per feature sorted by mean |SHAP|: mean_abs_shap (averaged over
    outputs for several outputs, which also get one column each), then split statistics."""
    import pandas as pd

    names = booster.feature_names
    table = pd.DataFrame({"feature": names})
    if contribs.ndim == 3:  # (rows, outputs, features + 1)
        per_output = np.abs(contribs[:, :, :-1]).mean(axis=0)
        table["mean_abs_shap"] = per_output.mean(axis=0)
        for k in range(per_output.shape[0]):
            table[f"mean_abs_shap_{k}"] = per_output[k]
    else:
        table["mean_abs_shap"] = np.abs(contribs[:, :-1]).mean(axis=0)
    for stat in SPLIT_STATS:
        scores = booster.get_score(stat)
        table[stat] = [scores.get(name, 0.0) for name in names]
    return table.sort_values(
        ["mean_abs_shap", "total_gain"], ascending=False, kind="stable"
    ).reset_index(drop=True)


def _output_index(booster, output: int | None, required: bool) -> int | None:
    """The class index of --output-class, checked against the model's outputs."""
    k = booster.n_outputs
    if k == 1:
        if output not in (None, 0):
            raise CLIError(f"--output-class {output} is not valid: the model has one output")
        return None
    if output is None:
        if required:
            raise CLIError(f"--plot of a model with {k} outputs needs --output-class 0 to {k - 1}")
        return None
    if not 0 <= output < k:
        raise CLIError(f"--output-class {output} is out of range; valid: 0 to {k - 1}")
    return output


def _write_png(path: str, draw, figsize) -> None:
    from ..report.html import render_png

    write_bytes(render_png(draw, figsize), path)


def _require_matplotlib(option: str) -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CLIError(
            f"{option} needs matplotlib; install the plot extra: pip install 'treeboost[plot]'"
        ) from None


def add_parser(commands) -> None:
    """The ``explain`` subcommand and its options."""
    explain = commands.add_parser(
        "explain",
        help="feature importance (mean |SHAP|, split gain) as CSV, SHAP plots as PNG",
        description="Explain a saved model on a data file with exact TreeSHAP: writes a CSV "
        "with one row per feature (mean |SHAP value|, total gain, gain, weight, cover), sorted "
        "by mean |SHAP value|, and optionally a SHAP summary (beeswarm) and importance plot.",
    )
    explain.add_argument("model", metavar="MODEL", help=_io.MODEL_HELP)
    explain.add_argument("data", metavar="DATA", help="data file (a target column is ignored)")
    add_format_option(explain)
    explain.add_argument(
        "-o", "--output", required=True, metavar="CSV", help="importance CSV ('-' for stdout)"
    )
    explain.add_argument("--plot", metavar="PNG", help="write a SHAP summary (beeswarm) plot")
    explain.add_argument(
        "--importance-plot", metavar="PNG", help="write a bar plot of mean |SHAP value|"
    )
    explain.add_argument(
        "--max-display", type=int, default=20, metavar="N", help="features in plots (default 20)"
    )
    explain.add_argument(
        "--output-class",
        type=int,
        metavar="K",
        help="class whose SHAP values --plot shows (required for multiclass models)",
    )
    explain.add_argument(
        "--sample", type=int, metavar="N", help="explain a random subset of N rows (faster)"
    )
    explain.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")


def run(args: argparse.Namespace) -> int:
    booster = load_booster(args.model)
    if args.sample is not None and args.sample < 1:
        raise CLIError(f"--sample {args.sample} must be >= 1")
    if args.max_display < 1:
        raise CLIError(f"--max-display {args.max_display} must be >= 1")
    plots = [p for p in (args.plot, args.importance_plot) if p is not None]
    for path in [args.output, *plots]:
        check_output(path)
    if args.plot == "-" or args.importance_plot == "-":
        raise CLIError("plots are written to files; '-' (stdout) is only valid for -o")
    if plots:
        _require_matplotlib("--plot" if args.plot else "--importance-plot")
    output = _output_index(booster, args.output_class, required=bool(args.plot))

    X = read_features(args.data, args.format, booster.feature_names)
    X = _sample_rows(X, args.sample, args.seed)
    if len(X) == 0:
        raise CLIError(f"{args.data!r} has no rows to explain")
    contribs = booster.predict(X, pred_contribs=True)
    table = importance_table(booster, contribs)
    write_csv(table, args.output)

    if args.plot:
        from ..plotting import plot_shap_summary

        _write_png(
            args.plot,
            lambda ax: plot_shap_summary(
                contribs, X, booster.feature_names, args.max_display, output, ax=ax
            ),
            (7.5, max(3.0, 0.4 * min(args.max_display, booster.n_features) + 1.5)),
        )
    if args.importance_plot:
        from ..plotting import plot_importance

        scores = dict(zip(table["feature"], table["mean_abs_shap"]))

        def draw(ax: Any) -> None:
            plot_importance(scores, max_num_features=args.max_display, ax=ax)
            ax.set_xlabel("mean |SHAP value|")

        shown = min(args.max_display, booster.n_features)
        _write_png(args.importance_plot, draw, (7.0, max(2.5, 0.32 * shown + 1.2)))

    if args.output != "-":
        _print_summary(table, len(X), args)
    return 0


def _print_summary(table, n_rows: int, args: argparse.Namespace) -> None:
    print(f"explained {n_rows} rows of {args.data}; top features by mean |SHAP value|:")
    width = max(len("feature"), *(len(str(n)) for n in table["feature"][:TOP_PRINTED]))
    for name, value in zip(table["feature"][:TOP_PRINTED], table["mean_abs_shap"]):
        print(f"  {name:<{width}}  {value:.6f}")
    written = [args.output] + [p for p in (args.plot, args.importance_plot) if p]
    print("wrote " + ", ".join(written))
