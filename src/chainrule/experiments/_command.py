"""``chainrule experiment init | optimizers``: the argument parser and the two jobs."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from .._config import ACTIVATIONS
from ..diagnostics import _plot
from ..optim._playground import FUNCTIONS
from ._initialisation import INIT_FILES, TUTORIAL_ACTIVATIONS, init_experiment, write_init_outputs
from ._optimizers import OPTIMIZER_FILES, optimizer_experiment, summary, write_optimizer_outputs

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
#: experiment → the files it may write into --out; a run removes its own earlier ones
OUTPUTS = {"init": INIT_FILES, "optimizers": OPTIMIZER_FILES}


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
    init.add_argument(
        "--activations",
        nargs="+",
        choices=list(ACTIVATIONS),
        default=list(TUTORIAL_ACTIVATIONS),
        metavar="NAME",
        help=f"the activations, of {', '.join(ACTIVATIONS)} "
        f"(default {' '.join(TUTORIAL_ACTIVATIONS)})",
    )
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
        result, write = _run(args)
        earlier = _remove_earlier(out, OUTPUTS[args.experiment])  # none left beside the new
        paths = write(result, out)
    except BaseException:
        for d in made:  # a run that failed leaves no directory of its own behind
            with contextlib.suppress(OSError):
                d.rmdir()  # only if empty
        raise
    _report(paths, [p for p in earlier if p not in paths])
    return 0


def _run(args: argparse.Namespace) -> tuple[object, Callable[[object, Path], list[Path]]]:
    """Run the experiment and print its table; return the result and its writer."""
    if args.experiment == "init":
        result = init_experiment(
            args.activations,
            layers=args.layers,
            units=args.units,
            samples=args.samples,
            seed=args.seed,
            bins=args.bins,
        )
        print(result.table())
        return result, write_init_outputs
    result = optimizer_experiment(args.function, args.steps, args.epochs, args.seed)
    print(summary(result))
    return result, write_optimizer_outputs


def _remove_earlier(out: Path, names: tuple[str, ...]) -> list[Path]:
    """Remove the files of ``names`` an earlier run left in ``out``; nothing else."""
    earlier = [out / name for name in names if (out / name).is_file()]
    for path in earlier:
        path.unlink()
    return earlier


def _out_dir(args: argparse.Namespace) -> tuple[Path, list[Path]]:
    """``--out`` (or its default) made and writable, and the directories made for it
    (deepest first), to be removed again if the run fails."""
    if args.out == "":
        raise ValueError("--out is empty; give a directory for the results (or leave --out out)")
    out = Path(args.out or f"runs/experiment-{args.experiment}")
    # a user who gave no --out is told which directory the default is
    what = f"--out {out}" if args.out else f"{out} (the default --out)"
    if out.exists() and not out.is_dir():
        raise ValueError(f"{what}: exists and is not a directory")
    _refuse_others(out, what, args.experiment)
    made = [d for d in (out, *out.parents) if not d.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ValueError(f"{what}: cannot create the directory ({e.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ValueError(f"{what}: the directory is not writable")
    return out, made


def _refuse_others(out: Path, what: str, experiment: str) -> None:
    """One experiment's files are not mixed with another's in one directory (``what``
    names it in the error)."""
    for name, files in OUTPUTS.items():
        found = [f for f in files if name != experiment and (out / f).exists()]
        if found:
            raise ValueError(
                f"{what} holds the results of `chainrule experiment {name}` ({found[0]}); "
                "choose another --out"
            )


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


def _report(paths: list[Path], removed: list[Path]) -> None:
    print("\nwrote " + ", ".join(str(p) for p in paths))
    if removed:
        names = ", ".join(p.name for p in removed)
        print(f"removed {names}: an earlier run's, which this run does not write")
    if not _plot.have_matplotlib():
        print(f"chainrule experiment: {_plot.MISSING}", file=sys.stderr)
