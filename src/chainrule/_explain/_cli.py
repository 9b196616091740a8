"""``chainrule explain``: the tutorials' worked examples, traced and written out.

``add_arguments(parser)`` adds the options to a parser (the ``explain`` subcommand of the
``chainrule`` command); ``main(args)`` runs it and returns the exit status.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from .._run_files import shown
from ._dot import INSTALL, GraphvizNotFoundError, lacks_hangul_font, write_whole
from ._labels import LANGS
from ._record import explain
from ._report import EXAMPLES, report
from ._transcript import FORMATS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``explain`` options to ``parser``."""
    parser.add_argument("--example", type=_example, metavar="NAME",
                        help="one of: " + ", ".join(EXAMPLES))  # fmt: skip
    parser.add_argument("--list", action="store_true", dest="list_examples",
                        help="list the examples")  # fmt: skip
    parser.add_argument("--lang", choices=LANGS, default="en",
                        help="en (default) or ko: the tutorials' Korean terms")  # fmt: skip
    parser.add_argument("--format", choices=FORMATS, default="text", dest="format",
                        help="text (default), markdown or latex")  # fmt: skip
    parser.add_argument("--table", action="store_true",
                        help="seed-network: also the whole table (not with latex)")  # fmt: skip
    parser.add_argument("--dot", metavar="FILE", help="write the annotated graph as DOT text")
    parser.add_argument("--render", metavar="FILE",
                        help="draw the graph with Graphviz (.svg, .png, .pdf)")  # fmt: skip


def _example(text: str) -> str:
    """An example's name as EXAMPLES spells it: ``seed_network`` (the Python function's
    name, `cr.examples.seed_network`) and ``Seed-Network`` are read as seed-network."""
    name = text.strip().lower().replace("_", "-")
    if name not in EXAMPLES:
        raise argparse.ArgumentTypeError(
            f"unknown example {text!r}; choose one of {', '.join(EXAMPLES)}"
        )
    return name


def main(args: argparse.Namespace) -> int:
    """Run ``chainrule explain`` with parsed ``args``; returns the exit status."""
    if args.list_examples or not args.example:
        print("\n".join(f"{name:<18} {ex.title[args.lang]}" for name, ex in EXAMPLES.items()))
        if not args.list_examples:
            print("chainrule explain: choose an example with --example NAME", file=sys.stderr)
        return 0 if args.list_examples else 2
    if args.table and args.format == "latex":
        raise ValueError("--table has no LaTeX form: use --format text or markdown for the table")
    _check_outputs(args.dot, args.render)
    trace = explain(EXAMPLES[args.example].build(), lang=args.lang)
    if args.dot:  # the files first: a failure shows before the report is printed
        _naming_the_flag("--dot", Path(args.dot), write_whole, trace.to_dot().encode("utf-8"))
        _note(f"wrote {shown(args.dot)}")
    if args.render:
        try:
            _naming_the_flag("--render", Path(args.render), trace.render)
        except GraphvizNotFoundError:  # its message offers trace.to_dot(), Python's way
            print(f"chainrule explain: error: {_no_dot(args.dot)}", file=sys.stderr)
            return 1
        except RuntimeError as e:
            print(f"chainrule explain: error: {e}", file=sys.stderr)
            return 1
        _note(f"wrote {shown(args.render)}")
        if lacks_hangul_font(trace.to_dot()):
            _note(f"warning: {_NO_HANGUL_FONT.format(path=shown(args.render))}")
    print(report(args.example, trace, args.format, args.table))
    return 0


_NO_HANGUL_FONT = (
    "no font with Hangul is installed (fc-list :lang=ko lists none), so the Korean labels "
    "in {path} show as boxes on this machine; install one (Debian/Ubuntu: sudo apt-get "
    "install fonts-noto-cjk or fonts-nanum) and render again"
)


def _note(text: str) -> None:
    """A line about the files on stderr: stdout carries only the report, for a pipe (a
    file name in it is `shown`: a newline in the name does not break the line)."""
    print(f"chainrule explain: {text}", file=sys.stderr)


def _no_dot(dot: str | None) -> str:
    """Graphviz is missing: how to install it, or the command line's way to get the DOT."""
    if dot:
        return f"{INSTALL}; the DOT text is in {dot}, to render where Graphviz is installed"
    return f"{INSTALL}, or write the DOT text with --dot FILE and render it elsewhere"


def _check_outputs(dot: str | None, render: str | None) -> None:
    """Files --dot and --render will write: refused now rather than after the report."""
    for flag, name in (("--dot", dot), ("--render", render)):
        if name is None:
            continue
        if not name:
            raise ValueError(f"{flag} is empty; give a file name")
        path = Path(name)
        if path.is_dir():
            raise ValueError(f"{flag} {path}: is a directory; give a file name")
        if path.parent.exists() and not path.parent.is_dir():
            raise ValueError(f"{flag} {path}: {path.parent} is not a directory")
        if not path.parent.is_dir():
            raise ValueError(f"{flag} {path}: the directory {path.parent} does not exist")
    if render is not None and Path(render).suffix.lower() not in (".svg", ".png", ".pdf"):
        raise ValueError(f"--render {render}: the name must end in .svg, .png or .pdf")
    if dot and render and Path(dot).resolve() == Path(render).resolve():
        # the drawing would replace the DOT text just written there
        raise ValueError(f"--dot and --render name one file ({render}); give them two names")


def _naming_the_flag(flag: str, path: Path, write: Callable, *args) -> None:
    """``write(path, *args)`` (whole or not at all: an earlier file stays as it was if it
    fails); an error in writing names the flag and the file."""
    try:
        write(path, *args)
    except GraphvizNotFoundError:
        raise
    except OSError as e:  # atomic_write's own message names the file already
        reason = (e.strerror or str(e)).removeprefix(f"cannot write {path}: ")
        raise OSError(e.errno, f"{flag} {shown(path)}: {reason}") from None
