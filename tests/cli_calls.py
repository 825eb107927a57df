"""In-process calls of the ``treeboost`` command for the CLI tests."""

from __future__ import annotations

from treeboost import cli


def call(capsys, *args):
    """Run ``treeboost ARGS`` in-process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    try:
        code = cli.main([str(a) for a in args])
    except SystemExit as exc:  # argparse: --help and usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, *args):
    """Run the command, assert exit status 0, return stdout."""
    code, out, err = call(capsys, *args)
    assert code == 0, err
    return out


def fails(capsys, *args, mentions):
    """Run the command, assert exit status 2 with one error line naming ``mentions``."""
    code, out, err = call(capsys, *args)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("treeboost: error:"), lines[0]
    for word in [mentions] if isinstance(mentions, str) else mentions:
        assert word in lines[0], lines[0]
    return lines[0]
