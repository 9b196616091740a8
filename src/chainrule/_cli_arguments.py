"""The command line's arguments: each command's flags and their types, and the parser,
which reports a usage mistake in one line."""

from __future__ import annotations

import argparse


def _given(text: str) -> str:
    """A value that must not be empty: an empty one is refused, not taken as left out."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give a value (or leave the flag out)")
    return text


def _name(text: str) -> str:
    """An optimizer or activation name as the run stores it: ``SGD`` and ``Adam`` (as
    PyTorch spells the classes) or ``leaky-relu`` are read as sgd, adam, leaky_relu, the
    way --dataset reads ``Iris``."""
    return _given(text).strip().lower().replace("-", "_")


def _path(text: str) -> str:
    """A file or directory name, which must not be empty ('' is not the current directory)."""
    if not text:
        raise argparse.ArgumentTypeError("is empty; give a file or directory name")
    return text


def _hidden(text: str) -> list[int]:
    """Hidden sizes ``100,100``; an empty text means no hidden layer (a linear model)."""
    if not text.strip():
        return []
    try:
        return [int(h) for h in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--hidden takes sizes like 100,100 (or '' for none), got {text!r}"
        ) from None


def _add_train_arguments(t: argparse.ArgumentParser) -> None:
    # config flags default to None, so an explicit flag can be told from a default one
    t.add_argument(
        "--dataset",
        type=_name,
        help="digits (default), iris, wine, breast_cancer, diabetes (regression), or mnist and "
        "fashion_mnist from --data-dir",
    )
    t.add_argument(
        "--hidden",
        type=_hidden,
        help="hidden sizes, e.g. 100,100 (default 100; '' for none, a linear model)",
    )
    t.add_argument(
        "--activation",
        type=_name,
        help="relu (default), sigmoid, tanh, leaky_relu, elu, silu, softplus, gelu, selu, celu, "
        "mish, relu6, hardswish, hardtanh, softsign, prelu (a learned slope, one per layer)",
    )
    t.add_argument(
        "--init",
        type=lambda text: text.strip().lower(),
        help="he (default), xavier, normal or a standard deviation",
    )
    t.add_argument(
        "--optimizer",
        type=_name,
        help="adam (default), sgd, momentum, nesterov, adagrad, rmsprop, adamw, adamax, nadam, "
        "radam, adadelta, asgd",
    )
    t.add_argument("--lr", type=float, help="learning rate (default: per optimizer and task)")
    t.add_argument("--batch-size", type=int, help="mini-batch size (default 32)")
    t.add_argument("--epochs", type=int, help="number of epochs (default 30)")
    t.add_argument("--seed", type=int, help="random seed (default 0)")
    t.add_argument(
        "--data-dir", type=_path, help="directory with MNIST-format files (default ./data)"
    )
    t.add_argument(
        "--download",
        action="store_true",
        help="mnist, fashion_mnist: fetch missing files into --data-dir, checked by SHA-256",
    )
    t.add_argument("--out", help="run directory (default runs/<dataset>-<time>)")
    t.add_argument("--resume", type=_path, metavar="DIR", help="continue the run in DIR exactly")
    t.add_argument(
        "--force",
        action="store_true",
        help="resume even if flags change the config; train into an --out that holds files",
    )
    t.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar with the running loss (default: when stderr is a terminal)",
    )
    t.add_argument(
        "--diagnose", action="store_true", help="record layer statistics into DIR/diagnostics"
    )


def _joined(text: str) -> str:
    """A multi-line message on one line: lines joined by "; ", or by a space after a line
    that ends in a colon (a heading and its list)."""
    out = ""
    for line in (line.strip() for line in text.splitlines()):
        if line:
            out += ("" if not out else " " if out.endswith(":") else "; ") + line
    return out


class _Parser(argparse.ArgumentParser):
    """argparse with a usage mistake in one line that points at --help (argparse prints
    the whole usage block first); the exit status stays 2. Sub-commands inherit it."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {_joined(message)} (see {self.prog} --help)\n")

    def parse_known_args(self, args=None, namespace=None):
        # every parser here takes the rest of the line, so a flag left over is unknown to
        # the command it follows: say so there (`chainrule explain: ... --help` names the
        # flags it does take), not in the top-level parser, which knows no command's flags
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras


def _version() -> str:
    from . import __version__

    return __version__


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="chainrule", description="Train and inspect small networks.")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    p.add_argument("--version", action="version", version=f"chainrule {_version()}")
    sub = p.add_subparsers(dest="command")
    t = sub.add_parser("train", help="train an MLP (the default command)")
    _add_train_arguments(t)
    e = sub.add_parser("evaluate", help="test loss and accuracy of a finished run")
    e.add_argument("run_dir", type=_path, help="a run directory written by chainrule train")
    e.add_argument(
        "--dataset", type=_name, default=None, help="another data set with the same features"
    )
    e.add_argument(
        "--data-dir", type=_path, default=None, help="where the MNIST-format files are now"
    )
    pr = sub.add_parser("predict", help="class (or regression) predictions for a .npy or .csv")
    pr.add_argument("run_dir", type=_path, help="a run directory written by chainrule train")
    pr.add_argument(
        "input_file",
        type=_path,
        help="a .npy array or a .csv (no header row) of raw, unscaled inputs, one sample per "
        "row; prints one prediction per line (the run's own scaling is applied)",
    )
    sub.add_parser("demo", help="the tutorials' small graphs with their gradients")
    from . import experiments
    from ._explain import _cli as explain_cli

    ex = sub.add_parser("explain", help="a worked example's backward pass, step by step")
    explain_cli.add_arguments(ex)
    experiments.add_arguments(sub.add_parser("experiment", help="the tutorials' experiments"))
    return p
