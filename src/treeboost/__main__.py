"""``python -m treeboost`` and the ``treeboost`` script (pyproject points here): the command
line's ``train``, ``predict``, ``evaluate``, ``explain``, ``calibrate``, ``tune``, ``info``,
``demo`` and ``warmup``. The commands live in :mod:`treeboost.cli`, one module each."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from .cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
