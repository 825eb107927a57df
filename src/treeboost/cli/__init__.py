"""The ``treeboost`` command line (see docs/cli.md).

One module per command (``train``, ``predict``, ``evaluate``, ``explain``, ``calibrate``,
``tune``, ``info``, ``demo``, ``warmup``), each declaring its own options; ``_app`` holds the
parser and ``main()``, ``_io`` the file reading and writing and :class:`CLIError`, ``_training``
the options that ``train`` and ``tune`` share.

No module here is named ``main``: it would take the place of the :func:`main` function below as
the package attribute once imported.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    # Imported on call: ``import treeboost.cli.warmup`` (behind ``tb.warmup``) then loads no
    # command module and no parser.
    from ._app import main as run

    return run(argv)
