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

#: flag → (least, most) accepted, checked before any work: the tutorials' sizes fit well
#: inside, and the largest runs take seconds to a minute, not all the memory
LIMITS = {
    "layers": (1, 20),
    "units": (1, 1000),
    "samples": (1, 100_000),
    "bins": (1, 200),
    "steps": (1, 10_000),
    "epochs": (0, 1000),  # 0 skips the network half
}
#: --samples × --units × --layers at most: every layer's outputs are kept (float64)
MAX_ACTIVATIONS = 10_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``init`` and ``optimizers`` sub-commands and their flags to ``parser``."""
    sub = parser.add_subparsers(dest="experiment", required=True, metavar="{init,optimizers}")
    init = sub.add_parser("init", help="activations of a 5-layer network under four inits")
    init.add_argument("--layers", type=int, default=5, help="hidden layers, 1-20 (default 5)")
    init.add_argument(
        "--units", type=int, default=100, help="units per layer, 1-1000 (default 100)"
    )
    init.add_argument(
        "--samples", type=int, default=1000, help="random inputs, 1-100000 (default 1000)"
    )
    init.add_argument("--bins", type=int, default=30, help="histogram bins, 1-200 (default 30)")
    _common(init)
    opt = sub.add_parser("optimizers", help="optimizer paths on a surface; losses on digits")
    opt.add_argument(
        "--function",
        default="x2/20+y2",
        choices=list(FUNCTIONS),
        help="the surface the optimizers walk on (default x2/20+y2, f = x²/20 + y²)",
    )
    opt.add_argument(
        "--steps", type=int, default=30, help="steps on the surface, 1-10000 (default 30)"
    )
    opt.add_argument(
        "--epochs", type=int, default=20, help="epochs on digits, 0-1000; 0 skips them (default 20)"
    )
    _common(opt)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", help="output directory (default runs/experiment-<name>)")


def main(args: argparse.Namespace) -> int:
    """Run the chosen experiment, print its table and the files written; return 0."""
    _check_args(args)  # before any work: a bad flag fails at once
    out, made = _out_dir(args)
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
        result = init_experiment(
            layers=args.layers,
            units=args.units,
            samples=args.samples,
            seed=args.seed,
            bins=args.bins,
        )
        print(result.table())
        return write_init_outputs(result, out)
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


def _check_args(args: argparse.Namespace) -> None:
    """Refuse a size outside `LIMITS`, a negative seed, or too many activations to keep."""
    for name, (least, most) in LIMITS.items():
        value = getattr(args, name, None)  # each experiment has some of the flags
        if value is not None and not least <= value <= most:
            raise ValueError(f"--{name} must be an integer from {least} to {most}, got {value}")
    if args.seed < 0:
        raise ValueError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.experiment == "init" and args.samples * args.units * args.layers > MAX_ACTIVATIONS:
        raise ValueError(
            f"--samples × --units × --layers must be at most {MAX_ACTIVATIONS:,} (every "
            f"layer's outputs are kept), got {args.samples} × {args.units} × {args.layers}"
        )


def _report(paths: list[Path]) -> None:
    print("\nwrote " + ", ".join(str(p) for p in paths))
    if not _plot.have_matplotlib():
        print(f"chainrule experiment: {_plot.MISSING}", file=sys.stderr)
