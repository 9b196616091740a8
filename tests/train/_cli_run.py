"""Running ``chainrule`` in process, as the command-line tests do."""

from __future__ import annotations

from chainrule import _cli


def main(argv) -> int:
    """Exit status of ``chainrule argv`` (argparse's SystemExit included); arguments may
    be paths or numbers."""
    try:
        return _cli.main([str(a) for a in argv])
    except SystemExit as e:
        return e.code


def error_line(capsys, argv, code=1) -> str:
    """The single stderr line of a failing ``chainrule argv``, which exits with ``code``."""
    capsys.readouterr()
    assert main(argv) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err.strip()
