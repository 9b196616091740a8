"""The ``chainrule`` command: ``train`` (the default), ``evaluate``, ``predict``, ``demo``,
``explain`` and ``experiment``.

Failures print one line and exit non-zero; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

import numpy as np

from ._checkpoint_format import CheckpointError

EXIT_ERROR, EXIT_INTERRUPTED = 1, 130


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


def _name(text: str) -> str:
    """An optimizer or activation name as the run stores it: ``SGD`` and ``Adam`` (as
    PyTorch spells the classes) or ``leaky-relu`` are read as sgd, adam, leaky_relu, the
    way --dataset reads ``Iris``."""
    return _given(text).strip().lower().replace("-", "_")


def _given(text: str) -> str:
    """A value that must not be empty: an empty one is refused, not taken as left out."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give a value (or leave the flag out)")
    return text


def _path(text: str) -> str:
    """A file or directory name, which must not be empty ('' is not the current directory)."""
    if not text:
        raise argparse.ArgumentTypeError("is empty; give a file or directory name")
    return text


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


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor
        pass


def _version() -> str:
    from . import __version__

    return __version__


def _one_line(e: BaseException) -> str:
    if isinstance(e, MemoryError):
        return f"out of memory ({str(e) or 'the model or the data is too large'})"
    if isinstance(e, OSError) and e.strerror:
        return _bytes_shown(_joined(_os_error(e)))
    return _bytes_shown(_joined(str(e)))


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


def _joined(text: str) -> str:
    """A multi-line message on one line: lines joined by "; ", or by a space after a line
    that ends in a colon (a heading and its list)."""
    out = ""
    for line in (line.strip() for line in text.splitlines()):
        if line:
            out += ("" if not out else " " if out.endswith(":") else "; ") + line
    return out


def _train(args) -> int:
    from ._config import Config
    from ._run import train

    names = {f.name for f in fields(Config)}
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    if given.get("data_dir"):  # stored absolute: evaluate and resume work from anywhere
        given["data_dir"] = str(Path(given["data_dir"]).resolve())
    if args.resume is not None:
        return _resume(args, given)
    cfg = Config(**given).validate()  # before a run directory is made for it
    if args.out == "":
        raise ValueError("--out is empty; give a directory for the run (or leave --out out)")
    if args.out:
        out = _checked_out(Path(args.out), args.force)
        train(cfg, out, progress=args.progress, diagnose=args.diagnose, download=args.download)
        return 0
    out, made = _new_run_dir(Path("runs"), cfg.dataset)  # the parser normalised its name
    try:
        train(cfg, out, progress=args.progress, diagnose=args.diagnose, download=args.download)
    except BaseException:
        for d in made:  # a run that failed before writing anything leaves no directory
            with contextlib.suppress(OSError):
                d.rmdir()  # only if empty
        raise
    return 0


def _resume(args, given: dict) -> int:
    """--resume DIR: continue the run from its checkpoint; a run stopped before its first
    checkpoint trained nothing, so it starts again from epoch 0 with its config.json."""
    from ._run import train
    from ._run_files import shown

    if args.out is not None:  # an empty one too, as a new run refuses it
        raise ValueError(f"--out cannot be used with --resume: the run continues in {args.resume}")
    out = Path(args.resume)
    cfg = _run_config(out)
    resume = _trained(out)
    if resume and not args.force:
        _check_matches_checkpoint(out, cfg, ", or pass --force to resume with config.json as it is")
    # a value no run can have is named as such, before the change is (whose advice,
    # --force, would only fail on the value)
    replace(cfg, **given).validate()
    _check_unchanged(cfg, given, args.force)
    if resume and "seed" in given and not _same("seed", cfg.seed, given["seed"]):
        raise ValueError(
            f"--seed cannot change when resuming (even with --force): the initial weights, "
            f"the shuffling and the random state of {out} continue from its checkpoint"
        )
    reshaping = _reshaping(cfg, given)
    for k, v in given.items():
        setattr(cfg, k, v)
    if resume:
        _check_weights_fit(out, cfg, reshaping)
    else:
        print(
            f"chainrule train: {shown(out)} has no checkpoint (the run stopped before its first "
            "epoch ended); training it from epoch 0 with its config.json",
            file=sys.stderr,
        )
    train(cfg, out, resume, args.progress, diagnose=args.diagnose, download=args.download)
    return 0


def _check_weights_fit(out: Path, cfg, flags: list[str]) -> None:
    """--force resumes a run with another configuration, but not with another shape of
    model: ``flags`` that give one (--hidden, or --activation to or from prelu, which
    learns a slope) are named, rather than the weights that do not load."""
    from ._checkpoint_format import read_checkpoint
    from ._run_files import CHECKPOINT, shown
    from ._run_setup import build_model

    if not flags:
        return
    tensors, _ = read_checkpoint(out / CHECKPOINT)
    saved = {
        k.removeprefix("model/"): v.shape for k, v in tensors.items() if k.startswith("model/")
    }
    sizes = _data_shapes(cfg) if "dataset" in flags else _weight_shapes(tensors, out / CHECKPOINT)
    model = build_model(cfg, *sizes)
    if {k: v.shape for k, v in model.state_dict().items()} != saved:
        given = " ".join(f"--{k} {_flag_value(getattr(cfg, k))}" for k in flags)
        raise ValueError(
            f"cannot resume {shown(out)} with {given}, even with --force: the model state does not "
            "fit the weights of its checkpoint; train a new run (with another --out) instead"
        )


def _reshaping(cfg, given: dict) -> list[str]:
    """The flags in ``given`` that may change the weights of ``cfg``'s model: --dataset
    (its features and classes), --hidden, and --activation to or from prelu (the one with
    a parameter, its slope)."""
    from ._config import dataset_key

    flags = [k for k in ("dataset", "hidden") if given.get(k, getattr(cfg, k)) != getattr(cfg, k)]
    if "dataset" in flags and dataset_key(given["dataset"]) == dataset_key(cfg.dataset):
        flags.remove("dataset")
    activations = {given.get("activation", cfg.activation), cfg.activation}
    return flags + (["activation"] if len(activations) == 2 and "prelu" in activations else [])


def _data_shapes(cfg) -> tuple[int, int]:
    """The model's input and output sizes for ``cfg``'s dataset."""
    from ._run_setup import load_splits

    splits = load_splits(cfg)
    return splits.train[0].shape[1], splits.n_out


def _flag_value(value) -> str:
    """A config value as its flag takes it: hidden sizes as ``100,100`` (``''`` for none)."""
    if isinstance(value, list):
        return ",".join(map(str, value)) or "''"
    return str(value)


def _trained(out: Path) -> bool:
    """Whether the run in ``out`` has written what an epoch's end writes (a checkpoint and
    its history, or the final metrics); files of the user's beside them do not count."""
    from ._run_files import TRAINED

    return any((out / name).exists() for name in TRAINED)


def _not_left_before_first_checkpoint(out: Path) -> str | None:
    """The first file in ``out`` that a run stopped before its first checkpoint does not
    leave (None if there is none). Such a run leaves its config.json, temporary files of a
    killed write, and diagnostics (which a new run there replaces); a config.json counts
    only if it reads as a run's config, and only the run's own temporary files count."""
    for path in sorted(out.iterdir()):
        if not _left_before_first_checkpoint(path):
            return path.name
    return None


def _left_before_first_checkpoint(path: Path) -> bool:
    from ._run_files import RUN_FILES, is_temporary
    from .diagnostics._report import FILES

    if path.name == "config.json":
        return path.is_file() and _is_run_config(path)
    if path.name == "diagnostics" and path.is_dir():
        return all(p.name in FILES or is_temporary(p, FILES) for p in path.iterdir())
    return is_temporary(path, RUN_FILES)


def _is_run_config(path: Path) -> bool:
    from ._config import read_config

    try:
        read_config(path)
    except (ValueError, OSError):
        return False
    return True


def _checked_out(out: Path, force: bool) -> Path:
    """``--out`` for a new run: a new or empty directory, or one holding only what a run
    writes before its first checkpoint (nothing to lose); anything else needs --force."""
    from ._run_files import CHECKPOINT, check_diagnostics_dir

    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: exists and is not a directory")
    if not out.exists():
        _check_parents(out, f"--out {out}")
        return out
    check_diagnostics_dir(out)
    blocking = None if force else _not_left_before_first_checkpoint(out)
    if blocking is None:
        return out
    if (out / CHECKPOINT).exists():
        raise ValueError(
            f"--out {out} already holds a run; continue it with --resume {out}, choose "
            "another --out, or pass --force to train a new run over it"
        )
    raise ValueError(
        f"--out {out} is not empty (it holds {blocking}); choose a new or empty directory "
        "(or --force: a new run replaces only a run's own files)"
    )


def _check_parents(path: Path, what: str) -> None:
    """The nearest existing parent of ``path`` must be a directory, so that it can be made."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{what}: {parent} is not a directory, so it cannot hold one")
            return


def _new_run_dir(parent: Path, dataset: str) -> tuple[Path, list[Path]]:
    """A new directory ``parent/<dataset>-<time>[-n]``, claimed by creating it (two runs
    started in the same second get two directories); and the directories made for it."""
    if parent.exists() and not parent.is_dir():
        raise ValueError(
            f"{parent} is not a directory, but new runs go in {parent}/<dataset>-<time>; "
            "rename it, or give the run a directory with --out"
        )
    made = [] if parent.exists() else [parent]
    parent.mkdir(parents=True, exist_ok=True)
    stem = f"{dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
    for n in range(1, 1000):
        out = parent / (stem if n == 1 else f"{stem}-{n}")
        try:
            out.mkdir()
        except FileExistsError:
            continue
        return out, [out, *made]
    raise ValueError(f"{parent}: could not find a free name for a new run directory")


def _check_unchanged(cfg, given: dict, force: bool) -> None:
    """Resuming continues the same run: only --epochs may change, unless --force."""
    changed = [k for k, v in given.items() if k != "epochs" and not _same(k, getattr(cfg, k), v)]
    if changed and not force:
        was = ", ".join(f"--{k.replace('_', '-')} {getattr(cfg, k)} -> {given[k]}" for k in changed)
        raise ValueError(
            f"refusing to resume with a changed configuration ({was}); "
            "pass --force to resume anyway"
        )


def _check_matches_checkpoint(out: Path, cfg, remedy: str, keys=None) -> None:
    """config.json must still say what the checkpoint was trained with (an edited file
    would, say, load Adam's state into AdamW, or evaluate a tanh network as a sigmoid one);
    only epochs may differ, or only ``keys`` are compared when given. ``remedy`` follows
    "restore it" in the message."""
    from ._checkpoint import load
    from ._run_files import CHECKPOINT

    saved = load(out / CHECKPOINT).get("config")
    if not isinstance(saved, dict):
        return  # no config to compare with: resuming reports what else is missing
    changed = [
        f"{f.name}: {saved[f.name]} -> {getattr(cfg, f.name)}"
        for f in fields(cfg)
        if f.name != "epochs"
        and (keys is None or f.name in keys)
        and f.name in saved
        and not _same(f.name, saved[f.name], getattr(cfg, f.name))
    ]
    if changed:
        raise ValueError(
            f"{out / 'config.json'} differs from the configuration its checkpoint was "
            f"trained with ({', '.join(changed)}); restore it{remedy}"
        )


def _same(key: str, saved, given) -> bool:
    """Whether a config field's ``saved`` and ``given`` values are the same setting (the
    saved one comes from a checkpoint: it may be of any JSON type)."""
    if key == "data_dir" and _is_path(saved) and _is_path(given):
        return Path(saved).resolve() == Path(given).resolve()  # a run may store a relative path
    if key == "dataset" and isinstance(saved, str) and isinstance(given, str):
        return _name(saved) == _name(given)  # an older run may store "Iris"
    return saved == given


def _is_path(value) -> bool:
    return isinstance(value, str) and "\0" not in value  # a NUL is in no file name


def _read_config(run_dir: Path):
    from ._config import read_config

    path = run_dir / "config.json"
    try:
        return read_config(path)
    except FileNotFoundError:
        if (run_dir / "model.safetensors").is_file():  # `train --force` cleared it first
            raise ValueError(
                f"{path}: not found beside the run's checkpoint (a `train --force` over the "
                f"run was interrupted as it cleared it); train a new run there with --force"
            ) from None
        raise ValueError(f"{path}: not found; is {run_dir} a chainrule run directory?") from None
    except NotADirectoryError:
        raise ValueError(f"{run_dir}: not a run directory (it is a file)") from None


def _run_config(run_dir: Path):
    """The run's config.json; but the configuration of its checkpoint when config.json is
    the file a resumed run killed between the two writes left (`unwritten_config`)."""
    from ._run_files import unwritten_config

    cfg = _read_config(run_dir)  # a damaged config.json is named first, as ever
    return unwritten_config(run_dir) or cfg


_AS_TRAINED = " (the model is built from it)"
#: what evaluate and predict build the model and read its inputs from (the optimizer, the
#: learning rate or the data's directory do not change what the checkpoint computes)
_MODEL_KEYS = ("dataset", "hidden", "activation")


def _load_run(run_dir: Path, dataset: str | None = None, data_dir: str | None = None):
    """The run's config, its data splits (for the input and output sizes) and its model."""
    from ._run_setup import build_model, load_splits

    cfg = _run_config(run_dir)
    _check_matches_checkpoint(run_dir, cfg, _AS_TRAINED, _MODEL_KEYS)
    cfg.dataset = cfg.dataset if dataset is None else dataset
    cfg.data_dir = cfg.data_dir if data_dir is None else data_dir
    splits = load_splits(cfg)
    sizes = splits.train[0].shape[1], splits.n_out
    expected = _checkpoint_shapes(run_dir) if dataset is not None else sizes
    if sizes != expected:  # another data set: say so, not which weight failed to load
        raise ValueError(
            f"--dataset {dataset} has {_sizes(*sizes)}, but the model in {run_dir} takes "
            f"{_sizes(*expected)}; evaluate it on a data set with the same features"
        )
    model = build_model(cfg, *sizes)
    return cfg, splits, model, _load_checkpoint(run_dir, model)


def _sizes(n_in: int, n_out: int) -> str:
    return f"{n_in} features and {n_out} output{'' if n_out == 1 else 's'}"


def _load_checkpoint(run_dir: Path, model) -> dict:
    """The checkpoint's weights into ``model`` (which must all be finite); its training state."""
    from ._checkpoint import load
    from ._run_files import CHECKPOINT

    state = load(run_dir / CHECKPOINT, model)
    for name, value in model.state_dict().items():
        if not np.isfinite(value).all():
            raise CheckpointError(
                f"{run_dir / CHECKPOINT}: the model's {name} holds NaN or infinite values"
            )
    return state


def _evaluate(args) -> int:
    from ._evaluation import evaluate
    from ._run_results import in_target_units
    from ._run_setup import loss_for

    _, splits, model, _ = _load_run(Path(args.run_dir), args.dataset, args.data_dir)
    metrics = evaluate(model, loss_for(splits.task), splits.test)
    if not np.isfinite(metrics["loss"]):  # NaN would print as NaN, which is not JSON
        raise ValueError(
            f"{args.run_dir}: the test loss is not finite ({metrics['loss']}): the model's "
            "outputs overflow on the test data"
        )
    result = {f"test_{k}": v for k, v in metrics.items()}
    if splits.target_scaler is not None:  # a regression: the loss of the standardised target
        result["test_mse"] = in_target_units(metrics["loss"], splits.target_scaler)
    print(json.dumps(result, indent=2))
    return 0


def _predict(args) -> int:
    from ._evaluation import predict
    from ._inputs import read_inputs, refuse_non_finite_outputs, scaled_inputs
    from ._run_files import CHECKPOINT
    from ._run_setup import build_model

    run_dir = Path(args.run_dir)
    cfg = _run_config(run_dir)
    _check_matches_checkpoint(run_dir, cfg, _AS_TRAINED, _MODEL_KEYS)
    n_in, n_out = _checkpoint_shapes(run_dir)
    model = build_model(cfg, n_in, n_out)
    state = _load_checkpoint(run_dir, model)
    task, scaler = _task_and_scaler(run_dir / CHECKPOINT, state, n_in)
    path = Path(args.input_file)
    rows, source = read_inputs(path, n_in)
    out = predict(model, scaled_inputs(source, rows, scaler))
    refuse_non_finite_outputs(source, out)
    if task == "regression":  # the model predicts the standardised target
        target = _standardizer(run_dir / CHECKPOINT, state, "target_scaler", 1, "targets")
        with np.errstate(over="ignore"):  # beyond the model's float range: inf, refused
            out = target.inverse_transform(out.astype(np.float64)).astype(out.dtype)
        refuse_non_finite_outputs(source, out)
    for value in out.argmax(axis=1) if task != "regression" else out[:, 0]:
        print(value)
    return 0


def _task_and_scaler(path: Path, state: dict, n_in: int):
    """The run's task and input scaling, from its checkpoint's training state."""
    from ._run_files import training_field

    training_field(path, state, "scaler", dict, "predict")  # present first: as ever
    task = training_field(path, state, "task", str, "predict")
    if task not in ("classification", "regression"):
        raise CheckpointError(f'{path}: the training state\'s "task" is unknown: {task!r}')
    return task, _standardizer(path, state, "scaler", n_in, "features")


def _standardizer(path: Path, state: dict, key: str, n: int, what: str):
    """The `Standardizer` saved as ``state[key]``, checked: finite, for ``n`` ``what``."""
    from . import data
    from ._run_files import training_field

    scaler, saved = data.Standardizer(), training_field(path, state, key, dict, "predict")
    try:
        scaler.load_state_dict(saved)
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f'{path}: the training state\'s "{key}" is malformed ({e})') from None
    if scaler.mean.shape != (n,):
        raise CheckpointError(
            f'{path}: the training state\'s "{key}" is for {scaler.mean.shape} {what}, '
            f"the model {'takes' if what == 'features' else 'gives'} {n}"
        )
    return scaler


def _checkpoint_shapes(run_dir: Path) -> tuple[int, int]:
    """The model's input and output sizes, from the weight matrices in its checkpoint."""
    from ._checkpoint_format import read_checkpoint
    from ._run_files import CHECKPOINT

    path = run_dir / CHECKPOINT
    return _weight_shapes(read_checkpoint(path)[0], path)


def _weight_shapes(tensors: dict, path: Path) -> tuple[int, int]:
    """The input and output sizes of the model whose checkpoint ``path`` holds
    ``tensors``: its first weight matrix's rows and its last one's columns."""
    names = sorted((k for k, v in tensors.items() if k.startswith("model/") and v.ndim == 2),
                   key=_layer_order)  # fmt: skip
    weights = [tensors[k] for k in names]
    if not weights:
        raise CheckpointError(f"{path}: holds no weight matrices")
    return weights[0].shape[0], weights[-1].shape[1]


def _layer_order(name: str) -> list:
    """Sort key for ``model/layers.10.weight``: numbers compare as numbers."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in name.split("/")[-1].split(".")]


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
