"""The ``treeboost`` program itself: the top-level argument parser, the table of commands, and
``main()``, which runs one command and turns any failure into one ``treeboost: error:`` line
with exit status 2.

Each command is a module of this package with ``add_parser(commands)`` (its subcommand and
options) and ``run(args)`` (the work; returns the exit status). Nothing here knows a command's
options.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import calibrate, conformal, demo, evaluate, explain, info, predict, train, tune, warmup
from ._io import CLIError, one_line

EXIT_ERROR = 2

# Subcommand name -> module. The order is the order of ``treeboost --help`` and of the choices
# listed in a usage error.
COMMANDS = {
    "train": train,
    "predict": predict,
    "evaluate": evaluate,
    "explain": explain,
    "calibrate": calibrate,
    "conformal": conformal,
    "tune": tune,
    "info": info,
    "demo": demo,
    "warmup": warmup,
}


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one ``treeboost: error:`` line."""

    def error(self, message: str):  # type: ignore[override]
        hint = f" (see '{self.prog} --help')"
        sys.stderr.write(f"treeboost: error: {message}{hint}\n")
        sys.exit(EXIT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="treeboost", description="Gradient boosted decision trees.")
    # parser_class makes every subcommand's usage errors one line as well.
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in COMMANDS.values():
        module.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        # ``.run`` is looked up now, not when the table was built, so a patched one is used.
        return COMMANDS[args.command].run(args)
    except BrokenPipeError:
        # The reader went away (e.g. ``| head``): stop quietly.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - avoids a second error at exit
        except OSError:
            pass
        return 0
    except CLIError as exc:
        message = one_line(exc)
    except (ValueError, TypeError, KeyError, OSError, NotImplementedError) as exc:
        message = one_line(exc)
    except MemoryError:
        message = "out of memory"
    except KeyboardInterrupt:
        sys.stderr.write("treeboost: interrupted\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI never shows a traceback
        message = f"{type(exc).__name__}: {one_line(exc)}"
    sys.stderr.write(f"treeboost: error: {message}\n")
    return EXIT_ERROR
