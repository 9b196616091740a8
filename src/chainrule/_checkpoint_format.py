"""The checkpoint file format: its layout, its digest, and reading and validating a file.

Layout of a checkpoint file (a plain safetensors file, readable by any safetensors tool):

    tensors   "model/<parameter name>"       the model's state_dict
              "optimizer/<n>"                every array inside the optimizer's state_dict
              "training/<n>"                 every array inside the training state
    metadata  "format"     "chainrule-checkpoint"
              "version"    "1"
              "optimizer"  JSON of the optimizer state; each array is replaced by
                           {"__array__": "optimizer/<n>"}
              "training"   JSON of the training state (epoch, step, RNG state, config, ...)
              "optimizer_params"  JSON list: the model's name of each of the optimizer's
                           parameters, in the optimizer's order (null for one the model
                           does not hold); written when a module and an optimizer are saved
              "sha256"     digest of everything else: tensor names, dtypes, shapes and bytes,
                           and the other metadata (safetensors itself has no checksum)

Reading never deserialises objects or evaluates anything; whatever is not a valid checkpoint
(including one whose digest does not match: a flipped bit) raises `CheckpointError`.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

import numpy as np

from ._files import read_regular

FORMAT, VERSION = "chainrule-checkpoint", "1"
_MAX_HEADER = 64 * 1024 * 1024  # a header larger than this is not one we wrote
# the safetensors dtypes of the arrays `save` writes (bool, integers, floats): others
# (BF16, the 8-, 6- and 4-bit floats) have no NumPy type and are refused up front
_DTYPES = {"BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "F32", "F64"}


class CheckpointError(ValueError):
    """The file is not a valid chainrule checkpoint, or does not fit the model/optimizer."""


def _path_text(op: str, path) -> str:
    """``path`` (a str, bytes or an os.PathLike) as text; anything else a TypeError naming
    ``op`` (os.fsdecode names neither the function nor the argument)."""
    try:
        return os.fsdecode(path)
    except TypeError:
        raise TypeError(
            f"{op}: path must be a file name (a str, bytes or os.PathLike), got "
            f"{type(path).__name__} {path!r:.40}"
        ) from None


def _checkpoint_path(op: str, path) -> Path:
    """The Path of a checkpoint to read, given as a str, bytes or an os.PathLike; an empty
    path is refused by name (Path would make it ``.``, the current directory)."""
    text = _path_text(op, path)
    if not text:
        raise CheckpointError("'': cannot read the checkpoint: the path is empty")
    return Path(text)


def _part(tensors: dict, prefix: str) -> dict:
    """The tensors a part of the metadata may refer to: those under its own prefix (an old
    file whose training state points at "optimizer/0" is refused, not misread)."""
    return {k: v for k, v in tensors.items() if k.startswith(prefix + "/")}


def _digest(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> str:
    """SHA-256 of the tensors' names, dtypes, shapes and bytes and of the other metadata."""
    arrays = {k: np.ascontiguousarray(v, v.dtype.newbyteorder("<")) for k, v in tensors.items()}
    index = [[k, arrays[k].dtype.str, list(arrays[k].shape)] for k in sorted(arrays)]
    meta = sorted((k, v) for k, v in metadata.items() if k != "sha256")
    h = hashlib.sha256(json.dumps([index, meta]).encode())
    for k in sorted(arrays):
        h.update(arrays[k].reshape(-1).view(np.uint8))
    return h.hexdigest()


def _check_digest(path: Path, tensors: dict, metadata: dict[str, str]) -> None:
    if "sha256" not in metadata:
        raise CheckpointError(f"{path}: has no sha256 digest (not written by chainrule.save)")
    if metadata["sha256"] != _digest(tensors, metadata):
        raise CheckpointError(f"{path}: the sha256 digest does not match: the file is corrupt")


def _header_metadata(path: Path, data: bytes) -> dict[str, str]:
    if len(data) < 8:
        raise CheckpointError(f"{path}: too short to be a checkpoint ({len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > min(_MAX_HEADER, len(data) - 8):
        raise CheckpointError(f"{path}: header length {n} exceeds the file size {len(data)}")
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise CheckpointError(f"{path}: the header is not valid JSON: not a checkpoint") from None
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a chainrule checkpoint (no format marker)")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path}: unsupported checkpoint version {meta.get('version')!r}")
    for name, entry in header.items():
        dtype = entry.get("dtype") if isinstance(entry, dict) else None
        if name != "__metadata__" and isinstance(dtype, str) and dtype not in _DTYPES:
            raise CheckpointError(
                f"{path}: tensor {name!r} has dtype {dtype!r}, which a chainrule checkpoint "
                f"never holds (expected one of {', '.join(sorted(_DTYPES))})"
            )
    return meta


def _read(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Tensors and metadata of a well-formed safetensors file with our marker (no digest check)."""
    from safetensors import SafetensorError
    from safetensors.numpy import load as from_bytes

    try:
        data = read_regular(path)
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read the checkpoint: {e.strerror or e}") from None
    metadata = _header_metadata(path, data)
    try:
        tensors = from_bytes(data)
    except (SafetensorError, ValueError, TypeError, OverflowError, KeyError) as e:
        raise CheckpointError(f"{path}: not a valid safetensors file: {e}") from None
    return tensors, metadata


def _saved_names(path: Path, metadata: dict[str, str]) -> list[str | None] | None:
    """The file's ``optimizer_params`` (None when it has none), checked: a list of names."""
    if "optimizer_params" not in metadata:
        return None
    try:
        saved = json.loads(metadata["optimizer_params"])
    except (ValueError, RecursionError) as e:
        raise CheckpointError(f"{path}: malformed metadata: optimizer_params: {e}") from None
    if not isinstance(saved, list) or not all(n is None or isinstance(n, str) for n in saved):
        raise CheckpointError(f"{path}: malformed metadata: optimizer_params is not a list")
    return saved


def read_checkpoint(path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The tensors and metadata of a checkpoint file, validated (no model needed)."""
    path = _checkpoint_path("read_checkpoint", path)
    tensors, metadata = _read(path)
    for key in ("training", "optimizer"):
        try:
            value = json.loads(metadata.get(key, "{}"))
        except (ValueError, RecursionError) as e:
            raise CheckpointError(f"{path}: malformed metadata: {key}: {e}") from None
        if not isinstance(value, dict):
            raise CheckpointError(f"{path}: malformed metadata: {key} is not a JSON object")
    _saved_names(path, metadata)
    _check_digest(path, tensors, metadata)
    return tensors, metadata
