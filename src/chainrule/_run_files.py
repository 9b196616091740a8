"""The files of a run directory: their names, clearing an old run's, the checks of a
checkpoint's training state, and the config.json a resumed run's checkpoint replaces."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

import numpy as np

from ._atomic_write import temporary_target
from ._checkpoint import load
from ._checkpoint_format import CheckpointError
from ._config import Config, _shown, config_from
from ._files import read_regular

CHECKPOINT = "model.safetensors"
TRAINED = (CHECKPOINT, "history.csv", "metrics.json")  # written once an epoch has ended
RUN_FILES = (*TRAINED, "config.json", "curves.png")


#: the training-state key of the SHA-256 of the config.json that a checkpoint's config
#: replaces (a resumed run's changed config.json is written after its checkpoint)
REPLACES = "replaces_config"


def shown(path) -> str:
    """``path`` as a message shows it, on one line: a byte of its name that is not UTF-8
    (which Python holds as a lone surrogate, unprintable on a strict UTF-8 stdout) as
    ``\\xNN``, and a control character (a newline) as its escape, ``\\n``, the way
    ``ls -b`` and a bytes repr show them."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return "".join(repr(c)[1:-1] if unicodedata.category(c) == "Cc" else c for c in text)


def is_temporary(path: Path, names) -> bool:
    """Whether ``path`` is a temporary file that `atomic_write` makes for one of the files
    ``names`` (`temporary_target`), which a killed write leaves behind."""
    return temporary_target(path.name) in names and path.is_file()


def _temporaries(directory: Path, names) -> list[Path]:
    return [p for p in directory.glob(".*.tmp") if is_temporary(p, names)]


def clear_run(out: Path) -> None:
    """Remove what an earlier run wrote into ``out`` (a new run over it, ``--force``):
    a new run never sits beside an old run's model, metrics, curves or diagnostics, which a
    crash before its first checkpoint would leave mixed. config.json goes first, then the
    checkpoint: a kill on the way leaves a directory that ``--resume`` refuses (no config),
    never the old config alone, which it would train again from epoch 0 in place of the
    forced one. Other files in ``out``, temporary-looking ones included, are left alone."""
    from .diagnostics._report import FILES

    names = ("config.json", *[n for n in RUN_FILES if n != "config.json"])
    paths = [out / name for name in names] + _temporaries(out, RUN_FILES)
    diagnostics = out / "diagnostics"
    if diagnostics.is_dir():
        paths += [diagnostics / name for name in FILES] + _temporaries(diagnostics, FILES)
    for path in paths:
        path.unlink(missing_ok=True)
    if diagnostics.is_dir() and not any(diagnostics.iterdir()):
        diagnostics.rmdir()


def check_diagnostics_dir(out: Path) -> None:
    """A run keeps its diagnostics in the directory ``out/diagnostics``: anything else of
    that name is refused before the run writes anything."""
    path = out / "diagnostics"
    if path.exists() and not path.is_dir():
        raise ValueError(
            f"{path}: not a directory, but the run keeps its diagnostics there; move or "
            "rename it, or choose another --out"
        )


def _a(kind: type) -> str:
    return {dict: "an object", str: "a string"}.get(kind, f"a {kind.__name__}")


def training_field(path: Path, state: dict, key: str, kind: type, needed_by: str):
    """``state[key]`` from a checkpoint's training state, checked to be a ``kind``; a file
    saved by ``cr.save`` rather than by a run may lack it."""
    if key not in state:
        raise CheckpointError(
            f'{path}: the training state has no "{key}", which {needed_by} needs; '
            "is it a checkpoint written by chainrule train?"
        )
    if not isinstance(state[key], kind):
        raise CheckpointError(f'{path}: the training state\'s "{key}" is not {_a(kind)}')
    return state[key]


def _bytes(path: Path) -> bytes:
    """The bytes of ``path``; none if it cannot be read."""
    try:
        return read_regular(path)
    except OSError:
        return b""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _kind(value) -> str:
    if isinstance(value, np.ndarray):
        return "an array"
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list"}
    return names.get(type(value), "an object" if isinstance(value, dict) else "null")


_SHA256 = re.compile("[0-9a-f]{64}")


def _replaced_digest(path: Path, state: dict) -> str | None:
    """The SHA-256 (64 hex digits) of the config.json that the configuration in the
    training ``state`` of the checkpoint ``path`` replaces; None when it replaces none (or
    the checkpoint is older than the field). Anything else is refused, naming the field."""
    digest = state.get(REPLACES)
    if REPLACES not in state or (isinstance(digest, str) and _SHA256.fullmatch(digest)):
        return digest
    got = _shown(digest) if isinstance(digest, str) else _kind(digest)
    raise CheckpointError(
        f'{path}: the training state\'s "{REPLACES}" must be the SHA-256 of a config.json, '
        f"64 lowercase hex digits; got {got}"
    )


def _kill_left(path: Path, state: dict, config: bytes) -> Config | None:
    """The configuration in the training ``state`` of the checkpoint ``path`` when the
    bytes ``config`` of config.json are those of the file it replaces; else None."""
    if _replaced_digest(path, state) != _sha256(config):
        return None
    saved = training_field(path, state, "config", dict, "--resume")
    return config_from(saved, f"{path}: the training state's config")


def unwritten_config(out: Path) -> Config | None:
    """The configuration of the checkpoint in ``out`` when config.json is the file that
    configuration replaces (a run resumed with a change, killed after writing the
    checkpoint but before config.json); None otherwise, and when there is no checkpoint."""
    path = out / CHECKPOINT
    if not path.is_file():
        return None
    return _kill_left(path, load(path), read_regular(out / "config.json"))
