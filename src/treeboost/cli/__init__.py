"""The ``treeboost`` command line (see docs/cli.md)."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    from .commands import main as run

    return run(argv)
