"""``python -m chainrule`` / ``chainrule``: the command line."""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``chainrule`` command; returns the exit status."""
    # _cli.main says "interrupted" for a Ctrl-C from the moment it runs; one that lands
    # while the command line still imports gets the same line, not a traceback. (The
    # package itself, numpy with it, is imported before this module runs, by -m and by
    # the console script alike: a Ctrl-C there is beyond this function's reach.)
    try:
        from ._cli import main as cli_main
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
