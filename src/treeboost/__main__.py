"""Command line: ``treeboost demo`` (also ``python -m treeboost``)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="treeboost", description="Gradient boosted decision trees."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="train and evaluate a model on built-in data")
    demo.add_argument("--random-state", type=int, default=0, help="seed for the data split")
    commands.add_parser("warmup", help="compile every kernel ahead of time")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run_demo

        run_demo(random_state=args.random_state)
    elif args.command == "warmup":
        from .warmup import warmup

        warmup()
        print("treeboost kernels compiled and cached")
    return 0


if __name__ == "__main__":
    sys.exit(main())
