"""``treeboost demo``: the options of the demo and the checks made before it starts; the job
itself and its report are in :mod:`treeboost.report.demo`."""

from __future__ import annotations

import argparse
import os

from ._io import CLIError


def add_parser(commands) -> None:
    """The ``demo`` subcommand and its options."""
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


def run(args: argparse.Namespace) -> int:
    from ..report.demo import run_demo

    report_dir = None if args.no_report else args.report_dir
    # Both checks come before training, so a bad folder or a missing matplotlib fails at once
    # rather than after the model is trained.
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
