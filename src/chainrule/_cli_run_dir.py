"""A run directory as the commands read it: its config.json, checked against what its
checkpoint was trained with, and the model's sizes from the checkpoint's weights."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from ._checkpoint_format import CheckpointError
from ._cli_arguments import _name


def _is_path(value) -> bool:
    return isinstance(value, str) and "\0" not in value  # a NUL is in no file name


def _same(key: str, saved, given) -> bool:
    """Whether a config field's ``saved`` and ``given`` values are the same setting (the
    saved one comes from a checkpoint: it may be of any JSON type)."""
    if key == "data_dir" and _is_path(saved) and _is_path(given):
        return Path(saved).resolve() == Path(given).resolve()  # a run may store a relative path
    if key == "dataset" and isinstance(saved, str) and isinstance(given, str):
        return _name(saved) == _name(given)  # an older run may store "Iris"
    return saved == given


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


def _layer_order(name: str) -> list:
    """Sort key for ``model/layers.10.weight``: numbers compare as numbers."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in name.split("/")[-1].split(".")]


def _weight_shapes(tensors: dict, path: Path) -> tuple[int, int]:
    """The input and output sizes of the model whose checkpoint ``path`` holds
    ``tensors``: its first weight matrix's rows and its last one's columns."""
    names = sorted((k for k, v in tensors.items() if k.startswith("model/") and v.ndim == 2),
                   key=_layer_order)  # fmt: skip
    weights = [tensors[k] for k in names]
    if not weights:
        raise CheckpointError(f"{path}: holds no weight matrices")
    return weights[0].shape[0], weights[-1].shape[1]


def _checkpoint_shapes(run_dir: Path) -> tuple[int, int]:
    """The model's input and output sizes, from the weight matrices in its checkpoint."""
    from ._checkpoint_format import read_checkpoint
    from ._run_files import CHECKPOINT

    path = run_dir / CHECKPOINT
    return _weight_shapes(read_checkpoint(path)[0], path)
