"""``chainrule train``: a new run in a new (or cleared) directory, or ``--resume`` of a
run, with its checks of what may change."""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

from ._cli_run_dir import _check_matches_checkpoint, _run_config, _same, _weight_shapes


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


def _check_unchanged(cfg, given: dict, force: bool) -> None:
    """Resuming continues the same run: only --epochs may change, unless --force."""
    changed = [k for k, v in given.items() if k != "epochs" and not _same(k, getattr(cfg, k), v)]
    if changed and not force:
        was = ", ".join(f"--{k.replace('_', '-')} {getattr(cfg, k)} -> {given[k]}" for k in changed)
        raise ValueError(
            f"refusing to resume with a changed configuration ({was}); "
            "pass --force to resume anyway"
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


def _is_run_config(path: Path) -> bool:
    from ._config import read_config

    try:
        read_config(path)
    except (ValueError, OSError):
        return False
    return True


def _left_before_first_checkpoint(path: Path) -> bool:
    from ._run_files import RUN_FILES, is_temporary
    from .diagnostics._report import FILES

    if path.name == "config.json":
        return path.is_file() and _is_run_config(path)
    if path.name == "diagnostics" and path.is_dir():
        return all(p.name in FILES or is_temporary(p, FILES) for p in path.iterdir())
    return is_temporary(path, RUN_FILES)


def _not_left_before_first_checkpoint(out: Path) -> str | None:
    """The first file in ``out`` that a run stopped before its first checkpoint does not
    leave (None if there is none). Such a run leaves its config.json, temporary files of a
    killed write, and diagnostics (which a new run there replaces); a config.json counts
    only if it reads as a run's config, and only the run's own temporary files count."""
    for path in sorted(out.iterdir()):
        if not _left_before_first_checkpoint(path):
            return path.name
    return None


def _check_parents(path: Path, what: str) -> None:
    """The nearest existing parent of ``path`` must be a directory, so that it can be made."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{what}: {parent} is not a directory, so it cannot hold one")
            return


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
