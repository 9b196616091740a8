"""The ``chainrule`` command: ``train`` (the default), ``evaluate``, ``predict``, ``demo``,
``explain`` and ``experiment``.

Failures print one line and exit non-zero; ``--debug`` shows the traceback instead. Here:
dispatch and the failure's line; the commands' arguments are in `_cli_arguments.py`, train
in `_cli_train.py`, evaluate and predict in `_cli_evaluate.py`, and what they read of a run
directory in `_cli_run_dir.py`.
"""

from __future__ import annotations

import os
import sys

from ._checkpoint_format import CheckpointError
from ._cli_arguments import _joined, _parser
from ._cli_evaluate import _evaluate, _predict
from ._cli_train import _train

EXIT_ERROR, EXIT_INTERRUPTED = 1, 130


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor
        pass


def _bytes_shown(text: str) -> str:
    """``text`` with a byte of a file name that is not UTF-8 (held as a lone surrogate,
    which stderr would show as ``\\udcff``) as ``\\xff``, as the lines on stdout show it."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that stands for no byte: stderr escapes it
        return text


def _os_error(e: OSError) -> str:
    """The file and the reason, as `ls` and `cp` say them ("out.csv: Permission denied"),
    not Python's ``[Errno 13] Permission denied: 'out.csv'``."""
    from ._run_files import shown

    names = [shown(f) for f in (e.filename, e.filename2) if f is not None]
    return f"{' -> '.join(names)}: {e.strerror}" if names else e.strerror


def _one_line(e: BaseException) -> str:
    if isinstance(e, MemoryError):
        return f"out of memory ({str(e) or 'the model or the data is too large'})"
    if isinstance(e, OSError) and e.strerror:
        return _bytes_shown(_joined(_os_error(e)))
    return _bytes_shown(_joined(str(e)))


def _demo(args) -> int:
    from ._demo import run

    run()
    return 0


def _explain(args) -> int:
    from ._explain import _cli as explain_cli

    return explain_cli.main(args)


def _experiment(args) -> int:
    from . import experiments

    return experiments.main(args)


_COMMANDS = {
    "train": _train,
    "evaluate": _evaluate,
    "predict": _predict,
    "demo": _demo,
    "explain": _explain,
    "experiment": _experiment,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``chainrule`` command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    rest = [a for a in argv if a != "--debug"]  # --debug may stand anywhere
    if not rest or (rest[0].startswith("-") and rest[0] not in ("-h", "--help", "--version")):
        rest = ["train", *rest]  # `chainrule` alone, or train flags only: the default job
    try:  # building the parser imports most of the package: a Ctrl-C may land there
        args = _parser().parse_args([*(["--debug"] if "--debug" in argv else []), *rest])
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    try:
        code = _COMMANDS[args.command](args)
        if sys.stdout is not None:  # None when started with stdout closed (`>&-`)
            sys.stdout.flush()  # a closed pipe shows here, not as a warning at exit
        return code
    except BrokenPipeError:  # the reader went away (`chainrule explain | head`): stop quietly
        _stdout_to_devnull()
        return EXIT_ERROR
    except KeyboardInterrupt as e:  # train's says where its checkpoint is (_run.Interrupted)
        note = f"; {_bytes_shown(str(e))}" if str(e) else ""
        print(f"chainrule {args.command}: interrupted{note}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ValueError, OSError, CheckpointError, FloatingPointError, MemoryError) as e:
        if args.debug:
            raise
        print(f"chainrule {args.command}: error: {_one_line(e)}", file=sys.stderr)
        return EXIT_ERROR
