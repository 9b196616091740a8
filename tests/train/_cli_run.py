"""Running ``chainrule`` in process, as the command-line tests do."""

from __future__ import annotations

import pytest

from chainrule import _cli


def main(argv) -> int:
    """Exit status of ``chainrule argv`` (argparse's SystemExit included); arguments may
    be paths or numbers."""
    try:
        return _cli.main([str(a) for a in argv])
    except SystemExit as e:
        return e.code


def error_line(capsys, argv, code=1) -> str:
    """The single stderr line of a failing ``chainrule argv``, which exits with ``code``.
    (No assert statements here: pytest rewrites only test modules' asserts, and the suite
    also runs under ``python -O``, which would strip these, call and all.)"""
    capsys.readouterr()
    got = main(argv)
    err = capsys.readouterr().err
    if got != code or "Traceback" in err or len(err.splitlines()) != 1:
        pytest.fail(f"chainrule {argv}: exit status {got} (expected {code}), stderr:\n{err}")
    return err.strip()
