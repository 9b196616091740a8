"""``chainrule experiment init | optimizers``: the argument parser and the two jobs."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from ..diagnostics import _plot
from ..optim._playground import FUNCTIONS
from ._initialisation import init_experiment, write_init_outputs
from ._optimizers import optimizer_experiment, summary, write_optimizer_outputs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``init`` and ``optimizers`` sub-commands and their flags to ``parser``."""
    sub = parser.add_subparsers(dest="experiment", required=True, metavar="{init,optimizers}")
    init = sub.add_parser("init", help="activations of a 5-layer network under four inits")
    init.add_argument("--layers", type=int, default=5, help="hidden layers (default 5)")
    init.add_argument("--units", type=int, default=100, help="units per layer (default 100)")
    init.add_argument("--samples", type=int, default=1000, help="random inputs (default 1000)")
    init.add_argument("--bins", type=int, default=30, help="histogram bins (default 30)")
    _common(init)
    opt = sub.add_parser("optimizers", help="optimizer paths on a surface; losses on digits")
    opt.add_argument(
        "--function",
        default="x2/20+y2",
        choices=list(FUNCTIONS),
        help="the surface the optimizers walk on (default x2/20+y2, f = x²/20 + y²)",
    )
    opt.add_argument("--steps", type=int, default=30, help="steps on the surface (default 30)")
    opt.add_argument("--epochs", type=int, default=20, help="epochs on digits (default 20)")
    _common(opt)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", help="output directory (default runs/experiment-<name>)")


def main(args: argparse.Namespace) -> int:
    """Run the chosen experiment, print its table and the files written; return 0."""
    out, made = _out_dir(args)  # before any work: a bad --out fails at once
    try:
        paths = _run(args, out)
    except BaseException:
        for d in made:  # a run that failed leaves no directory of its own behind
            with contextlib.suppress(OSError):
                d.rmdir()  # only if empty
        raise
    _report(paths)
    return 0


def _run(args: argparse.Namespace, out: Path) -> list[Path]:
    if args.experiment == "init":
        _check_positive(args, "layers", "units", "samples", "bins")
        result = init_experiment(
            layers=args.layers,
            units=args.units,
            samples=args.samples,
            seed=args.seed,
            bins=args.bins,
        )
        print(result.table())
        return write_init_outputs(result, out)
    _check_positive(args, "steps")
    if args.epochs < 0:  # 0 is allowed: it skips the network half
        raise ValueError(f"--epochs must be 0 or more, got {args.epochs}")
    result = optimizer_experiment(args.function, args.steps, args.epochs, args.seed)
    print(summary(result))
    return write_optimizer_outputs(result, out)


def _out_dir(args: argparse.Namespace) -> tuple[Path, list[Path]]:
    """``--out`` (or its default) made and writable, and the directories made for it
    (deepest first), to be removed again if the run fails."""
    if args.out == "":
        raise ValueError("--out is empty; give a directory for the results (or leave --out out)")
    out = Path(args.out or f"runs/experiment-{args.experiment}")
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: exists and is not a directory")
    made = [d for d in (out, *out.parents) if not d.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ValueError(f"--out {out}: cannot create the directory ({e.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ValueError(f"--out {out}: the directory is not writable")
    return out, made


def _check_positive(args: argparse.Namespace, *names: str) -> None:
    for name in names:
        if getattr(args, name) < 1:
            raise ValueError(f"--{name} must be positive, got {getattr(args, name)}")


def _report(paths: list[Path]) -> None:
    print("\nwrote " + ", ".join(str(p) for p in paths))
    if not _plot.have_matplotlib():
        print(f"chainrule experiment: {_plot.MISSING}", file=sys.stderr)
