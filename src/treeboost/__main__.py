"""Command line: ``treeboost train``, ``predict``, ``evaluate``, ``explain``, ``calibrate``,
``info``, ``demo``, ``warmup`` (also ``python -m treeboost``). The commands live in
:mod:`treeboost.cli`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from .cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
