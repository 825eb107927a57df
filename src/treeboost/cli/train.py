"""``treeboost train``: train a model on a CSV, LibSVM or Parquet file and save it as JSON,
with a live progress bar on a terminal and the final scores printed at the end."""

from __future__ import annotations

import argparse

from . import _io
from ._io import CLIError, check_output
from ._training import add_training_data_options, command_params, training_sets

PROGRESS_PERIOD = 10  # rounds between plain progress lines when rich is missing


def add_parser(commands) -> None:
    """The ``train`` subcommand and its options."""
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


def run(args: argparse.Namespace) -> int:
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
    if not args.quiet and _io.stdout_is_tty():
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
        _print_summary(booster, evals_result, args.output)
    return 0


def _print_summary(booster, evals_result: dict, output: str) -> None:
    """Every metric on every set at the round the saved model predicts with."""
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
    print(f"model written to {output}")
