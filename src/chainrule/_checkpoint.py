"""Checkpoints: safetensors files holding model weights, optimizer state and training state.

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

Writes are atomic: the bytes go to a temporary file in the same directory, which is
flushed, fsync'ed and renamed over the target, so a crash leaves the previous checkpoint
intact. Reading never deserialises objects or evaluates anything; whatever is not a valid checkpoint
(including one whose digest does not match: a flipped bit) raises `CheckpointError`.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import itertools
import json
import os
import re
import stat
import struct
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ._files import read_regular

try:
    import fcntl
except ImportError:  # Windows: no flock; stale temporary files go by age
    fcntl = None

FORMAT, VERSION = "chainrule-checkpoint", "1"
_MAX_HEADER = 64 * 1024 * 1024  # a header larger than this is not one we wrote
# the safetensors dtypes of the arrays `save` writes (bool, integers, floats): others
# (BF16, the 8-, 6- and 4-bit floats) have no NumPy type and are refused up front
_DTYPES = {"BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "F32", "F64"}


class CheckpointError(ValueError):
    """The file is not a valid chainrule checkpoint, or does not fit the model/optimizer."""


# ----- saving ------------------------------------------------------------------------------
def save(path, model, optimizer=None, **training_state) -> Path:
    """Write ``model`` (and ``optimizer``, and any JSON-able training state) to ``path``
    (a str, bytes or os.PathLike, first: the order of `load`, not of ``torch.save``).

    ``model`` is a module, or its ``state_dict()`` (the arrays by name, as
    ``torch.save(model.state_dict(), path)`` saves them); `load` reads either into a model.
    The write is atomic: either the complete new checkpoint is at ``path`` afterwards, or
    the previous file is untouched. Being a rename, it replaces a symbolic link at
    ``path`` with the file (``torch.save`` writes through the link). Its tensors are named
    ``model/<state_dict name>`` (optimizer and training arrays follow, see the module
    docstring).

    ``training_state`` holds JSON values (None, bools, ints, floats, strings, lists and
    dicts, nested), NumPy arrays of bools, integers or floats, and NumPy scalars. `load`
    gives tuples back as lists (a tuple used as a dict key stays a tuple) and NumPy
    scalars as Python numbers; anything else (a set, a Tensor, bytes, a complex, a
    longdouble, a datetime64) is a TypeError naming its type. Integers past Python's
    digit limit for text, and nesting past the recursion limit, are a ValueError.
    """
    from safetensors.numpy import save as to_bytes

    _check_path_first(path, model)
    _require("save", "optimizer", optimizer, "state_dict")
    tensors = {f"model/{k}": np.asarray(v, order="C") for k, v in _model_state(model).items()}
    for name, array in tensors.items():
        _check_storable(array, repr(name[len("model/") :]))
    training = _to_json(training_state, tensors, "training")
    metadata = {"format": FORMAT, "version": VERSION, "training": training}
    if optimizer is not None:
        metadata["optimizer"] = _to_json(optimizer.state_dict(), tensors, "optimizer")
        names = _optimizer_names(model, optimizer)
        if names is not None:
            metadata["optimizer_params"] = json.dumps(names)
    metadata["sha256"] = _digest(tensors, metadata)
    return atomic_write(path, to_bytes(tensors, metadata=metadata))


def _check_path_first(path, model) -> None:
    """A TypeError naming the order for ``save(model, path)`` (torch.save's order), and
    naming ``save`` for a path of another type."""
    if isinstance(model, (str, bytes, os.PathLike)) and not isinstance(path, (str, bytes)):
        raise TypeError(
            f"save: the path comes first, save(path, model, optimizer): got a "
            f"{type(path).__name__} as the path and {model!r:.40} as the model (torch.save "
            "takes the object first)"
        )
    _path_text("save", path)


def _model_state(model) -> Mapping:
    """The arrays ``save`` writes for ``model``: its state_dict, or the mapping it is."""
    if isinstance(model, Mapping):
        bad = [k for k, v in model.items() if not isinstance(k, str) or _tensor_data(v) is None]
        if bad:
            raise TypeError(
                f"save: a state dict maps names to arrays; {bad[0]!r} does not (a module, or "
                "model.state_dict(), is what save takes)"
            )
        return {k: _tensor_data(v) for k, v in model.items()}
    if not callable(getattr(model, "state_dict", None)):
        raise TypeError(
            f"save: expected a module or its state_dict() to save, got {type(model).__name__}"
        )
    return model.state_dict()


#: the NumPy dtypes of safetensors' BOOL, U8 ... U64, I8 ... I64, F16, F32 and F64 (either
#: byte order: safetensors writes little-endian bytes)
_STORABLE = frozenset(
    np.dtype(t).newbyteorder("<")
    for t in (bool, *(f"{k}{n}" for k in "ui" for n in (1, 2, 4, 8)), "f2", "f4", "f8")
)


def _check_storable(array: np.ndarray, what: str) -> None:
    """A TypeError naming the dtype of an array no safetensors dtype holds (a complex, a
    string, float128), before anything is written."""
    if array.dtype.newbyteorder("<") not in _STORABLE:
        raise TypeError(
            f"save: cannot store {what} of dtype {array.dtype} in a checkpoint (it holds "
            "bools, integers of up to 64 bits and float16, float32 or float64)"
        )


def _optimizer_names(model, optimizer) -> list[str | None] | None:
    """The model's name of each of the optimizer's parameters, in the optimizer's order
    (None for a parameter the model does not hold); None when ``model`` is not a module or
    the optimizer keeps no ``param_groups`` (one of the user's own needs only state_dict)."""
    named = getattr(model, "named_parameters", None)
    groups = getattr(optimizer, "param_groups", None)
    if isinstance(model, Mapping) or not callable(named) or groups is None:
        return None
    names = {id(p): n for n, p in named()}
    return [names.get(id(p)) for group in groups for p in group["params"]]


def _check_order(path: Path, metadata: dict[str, str], model, optimizer) -> None:
    """A `CheckpointError` when the optimizer's parameters are the model's in another order
    than when saved: each would be given another parameter's state (of the same shape,
    unnoticed) -- PyTorch matches by position alone too, but does not know the names."""
    saved = _saved_names(path, metadata)
    if saved is None or model is None or optimizer is None:
        return
    ours = _optimizer_names(model, optimizer)
    if ours is None or len(ours) != len(saved):  # a count the optimizer's own check names
        return
    if not set(saved) <= set(ours) | {None}:  # names the model lacks: its own check lists them
        return
    for i, (theirs, mine) in enumerate(zip(saved, ours)):
        if theirs is not None and mine is not None and theirs != mine:
            raise CheckpointError(
                f"{path}: the optimizer's parameter {i} is the model's {mine!r}, but in the "
                f"checkpoint it was {theirs!r}: give the optimizer the model's parameters "
                "in the order they had when saved (its state is matched by position)"
            )


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


def _tensor_data(v) -> np.ndarray | None:
    """``v`` as a numeric array (a Tensor's data), or None if it is not one."""
    if isinstance(v, np.generic):  # a NumPy scalar, as a 0-d array
        v = np.asarray(v)
    a = v if isinstance(v, np.ndarray) else getattr(v, "data", v)  # a Tensor's array
    return a if isinstance(a, np.ndarray) and a.dtype.kind in "biuf" else None


def atomic_write(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file + fsync + rename.

    The temporary file is ``.<name>.<8 random characters>.tmp`` beside ``path``; for a name
    too long to take those 14 bytes more (`_temporary_stem`) it is shorter, so that every
    name the system allows can be written (a longer one fails at the rename, naming it).
    The file gets the permissions a plain ``open(path, "wb")`` would give (the replaced
    file's, else 0666 less the umask). Temporary files a killed process left beside
    ``path`` are removed after the rename succeeds. A path ending in a separator names a
    directory, as for ``open``: an IsADirectoryError (Path would drop the separator), as
    does one ending in ``.`` or ``..``; an empty path is a FileNotFoundError, as for
    ``open`` (Path would make it ``.``). The path may be a str, bytes or an os.PathLike."""
    if not os.fsdecode(path):
        raise FileNotFoundError(errno.ENOENT, "cannot write '': the path is empty")
    if names_directory(path):
        raise IsADirectoryError(
            errno.EISDIR, f"cannot write {os.fsdecode(path)}: the path names a directory"
        )
    path = Path(os.fsdecode(path))
    try:
        stem = _temporary_stem(path.name)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{stem}.", suffix=".tmp")
    except OSError as e:  # name the file asked for, not the temporary one
        raise type(e)(e.errno, f"cannot write {path}: {e.strerror}") from None
    locked = _lock(fd)  # first: held until closed, so other savers see a live writer
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            if locked:  # rename while still holding the lock (POSIX allows it)
                os.replace(tmp, path)
        if not locked:
            os.replace(tmp, path)
    except BaseException as e:  # also KeyboardInterrupt: never leave the temporary file behind
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and e.filename == tmp:  # the rename: name the path asked for
            raise type(e)(e.errno, f"cannot write {path}: {e.strerror}") from None
        raise
    _fsync_dir(path.parent)
    _remove_stale(path)
    return path


def names_directory(path) -> bool:
    """Whether ``path`` ends in a separator (``"runs/"``), or in ``.`` or ``..``
    (``"runs/."``, which Path would make ``runs``): a directory, never a file."""
    text = os.fsdecode(path)
    ends = text.endswith(tuple(sep for sep in (os.sep, os.altsep, "/") if sep))
    return ends or os.path.basename(text) in (".", "..")


def _mode_for(path: Path) -> int:
    """The permissions a plain ``open(path, "wb")`` gives: those of the file it replaces,
    else 0666 less the process's umask (read now, not at import)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux tells it without changing it
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_STALE_AFTER = 60.0  # seconds: without file locks, a temporary file this old has no writer


def _lock(fd: int) -> bool:
    """Take an exclusive lock on our own new temporary file (True), where the platform
    has ``flock``; a writer's lock dies with its process, so a killed writer's file is
    unlocked at once."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # a file system without locks: fall back to the age rule
        return False
    return True


_UNLOCKED_AFTER = 1.0  # seconds: a live writer locks its file microseconds after making it


def _abandoned(stale: Path) -> bool:
    """Whether no live writer holds ``stale``: it is unlocked and a second old (where locks
    exist: the second covers the moment between creating a file and locking it), or
    untouched for a minute."""
    age = time.time() - stale.stat().st_mtime
    if fcntl is not None:
        if age <= _UNLOCKED_AFTER:
            return False
        try:
            fd = os.open(stale, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True  # nobody holds it; our lock goes with the file
        except OSError:
            return False  # a writer is at work on it
        finally:
            os.close(fd)
    return age > _STALE_AFTER


_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp")  # mkstemp's 8 characters
_NAME_MAX = 255  # bytes in a file name on Linux and macOS (Windows counts 255 characters)
_RANDOM_PART = len(".") + len(".12345678.tmp")  # either side of the stem in a temporary name


def _temporary_stem(name: str) -> str:
    """What the temporary file of ``name`` is called before its random part: ``name``
    itself, unless that would make a temporary name over 255 bytes (a name of 242 to 255
    bytes); then the start of ``name`` and ``~`` with 16 hex digits of its SHA-256, so
    that a killed writer's file is still known as this name's."""
    if len(os.fsencode(name)) + _RANDOM_PART <= _NAME_MAX:
        return name
    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:16]
    head = name
    while len(os.fsencode(f"{head}~{digest}")) + _RANDOM_PART > _NAME_MAX:
        head = head[:-1]  # whole characters: an escaped byte is one character too
    return f"{head}~{digest}"


def temporary_target(name: str) -> str | None:
    """The stem (`_temporary_stem`) of the file whose temporary ``name`` is, as
    `atomic_write` names them (``.<stem>.<8 random characters>.tmp``); None for any other
    name. The stem is the file's own name unless that name is 242 bytes or longer."""
    match = _TEMPORARY.fullmatch(name)
    return match["name"] if match else None


def _remove_stale(path: Path) -> None:
    """Delete temporary files that a killed writer left beside ``path``: exactly
    ``.<stem>.<8 mkstemp characters>.tmp`` and held by no live writer. Best effort: a file
    that cannot be removed is left, and the save that just succeeded stays a success."""
    stem = _temporary_stem(path.name)
    for stale in path.parent.glob(f".{glob.escape(stem)}.*.tmp"):
        try:
            if temporary_target(stale.name) == stem and _abandoned(stale):
                stale.unlink()
        except OSError:
            pass


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _to_json(obj, tensors: dict, prefix: str) -> str:
    """The JSON text of the ``prefix`` ("training", "optimizer") state; a ValueError naming
    it for a state nested past the recursion limit (or holding itself), or an integer of
    more digits than Python turns into text (``sys.get_int_max_str_digits``: load could
    not read it back)."""
    keys = (f"{prefix}/{n}" for n in itertools.count())  # one counter: not a scan per array
    try:
        return json.dumps(_encode(obj, tensors, keys), separators=(",", ":"))
    except RecursionError:
        raise ValueError(
            f"save: the {prefix} state is nested too deeply, or holds itself"
        ) from None
    except ValueError as e:  # the integer digit limit: nothing else here raises one
        raise ValueError(f"save: cannot store the {prefix} state: {e}") from None


_RESERVED = ({"__array__"}, {"__items__"})  # the markers `_decode` reads


def _encode(obj, tensors: dict, keys):
    """JSON-able form of ``obj``; arrays are moved into ``tensors`` under the next of
    ``keys`` (``<prefix>/<n>``) and referenced by that key."""
    if isinstance(obj, np.ndarray):
        _check_storable(obj, "an array")
        key = next(keys)
        tensors[key] = np.asarray(obj, order="C")  # 0-d stays 0-d
        return {"__array__": key}
    if isinstance(obj, np.generic):  # as the Python value it holds, checked like one
        return _encode(_scalar_value(obj), tensors, keys)  # (a complex is refused)
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj) and set(obj) not in _RESERVED:
            return {k: _encode(v, tensors, keys) for k, v in obj.items()}
        # other keys, or a dict that would read back as a reference: stored as pairs
        return {
            "__items__": [
                [_encode(k, tensors, keys), _encode(v, tensors, keys)] for k, v in obj.items()
            ]
        }
    if isinstance(obj, (list, tuple)):
        return [_encode(v, tensors, keys) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"save: cannot store a value of type {type(obj).__name__} in a checkpoint")


def _scalar_value(obj: np.generic):
    """The Python value of a NumPy scalar; a TypeError naming the type for one that has
    none (a longdouble's item is itself) or a date or duration (whose item may be None
    or a bare int, which would load as another value)."""
    value = obj.item()
    if isinstance(value, np.generic) or obj.dtype.kind in "mM":
        raise TypeError(f"save: cannot store a value of type {type(obj).__name__} in a checkpoint")
    return value


# ----- loading -----------------------------------------------------------------------------
def load(path, model=None, optimizer=None) -> dict:
    """Read a checkpoint into ``model`` (and ``optimizer``); return the training state.

    Raises `CheckpointError` naming the file and the problem for anything that is not a
    valid chainrule checkpoint, or whose tensors do not fit the model or optimizer. Nothing
    is changed in the model or optimizer unless the whole file is valid; and when the
    optimizer's load fails or is interrupted, the model, loaded first, is put back.

    As with PyTorch's ``load_state_dict``, values are copied into the model's arrays in
    their dtypes (a float64 checkpoint loads into a float32 model as float32), and what a
    state_dict does not hold stays as the fresh model has it: training or eval mode, and
    each parameter's ``requires_grad``. The file does not name the optimizer's class: a
    state of the same form loads into another class, as in PyTorch (Adam's into AdamW,
    Momentum's into Nesterov; the run then goes on with the other update rule), while
    one of other hyper-parameters or arrays (Adam's into SGD) is refused. Its state is
    matched to the parameters by position, as in PyTorch; but a file saved from a module
    and an optimizer records the model's name of each, so an optimizer given the model's
    parameters in another order (whose states would go to the wrong parameters unnoticed
    when their shapes agree) is refused, naming the parameter.
    """
    _require("load", "model", model, "load_state_dict")
    _require("load", "optimizer", optimizer, "load_state_dict")
    path = _checkpoint_path("load", path)
    tensors, metadata = _read(path)
    model_state = {k[len("model/") :]: v for k, v in tensors.items() if k.startswith("model/")}
    if optimizer is not None and "optimizer" not in metadata:
        raise CheckpointError(f"{path}: holds no optimizer state")
    optim_state = None
    try:
        training = _decode(json.loads(metadata.get("training", "{}")), _part(tensors, "training"))
        if optimizer is not None:
            optim_state = _decode(json.loads(metadata["optimizer"]), _part(tensors, "optimizer"))
    except (ValueError, KeyError, TypeError, RecursionError) as e:
        raise CheckpointError(f"{path}: malformed metadata: {e}") from None
    if not isinstance(training, dict):
        raise CheckpointError(f"{path}: malformed metadata: the training state is not an object")
    _check_digest(path, tensors, metadata)  # after the specific checks, whose messages say more
    _check_order(path, metadata, model, optimizer)
    backup = model.state_dict() if model is not None and optimizer is not None else None
    _apply(path, "model", model, model_state)
    try:
        _apply(path, "optimizer", optimizer, optim_state)
    except BaseException:  # refused, or anything else (a Ctrl-C, an optimizer's own error)
        if backup is not None:  # the model was already loaded: put it back as it was
            model.load_state_dict(backup)
        raise
    return training


def _require(op: str, what: str, obj, method: str) -> None:
    """A TypeError naming ``what`` unless ``obj`` is None or has ``method`` (an optimizer's
    name, such as "adam", where the optimizer object belongs)."""
    if obj is not None and not callable(getattr(obj, method, None)):
        noun = "a module" if what == "model" else "an optimizer"
        raise TypeError(
            f"{op}: the {what} argument must be {noun} (it has no {method}()), "
            f"got {type(obj).__name__} {obj!r:.40}"
        )


def _part(tensors: dict, prefix: str) -> dict:
    """The tensors a part of the metadata may refer to: those under its own prefix (an old
    file whose training state points at "optimizer/0" is refused, not misread)."""
    return {k: v for k, v in tensors.items() if k.startswith(prefix + "/")}


def _apply(path: Path, what: str, target, state) -> None:
    if target is None:
        return
    try:
        target.load_state_dict(state)
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{path}: the {what} state does not fit: {e}") from None


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


def _checkpoint_path(op: str, path) -> Path:
    """The Path of a checkpoint to read, given as a str, bytes or an os.PathLike; an empty
    path is refused by name (Path would make it ``.``, the current directory)."""
    text = _path_text(op, path)
    if not text:
        raise CheckpointError("'': cannot read the checkpoint: the path is empty")
    return Path(text)


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


def _decode(obj, tensors: dict):
    if isinstance(obj, dict):
        if set(obj) == {"__array__"}:
            key = obj["__array__"]
            if key not in tensors:
                raise ValueError(f"missing tensor {key!r}")  # (a KeyError would quote it)
            return tensors[key]
        if set(obj) == {"__items__"}:
            return {_key(k): _decode(v, tensors) for k, v in obj["__items__"]}
        return {k: _decode(v, tensors) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    return obj


def _key(k):
    """A dict key as saved: a tuple (stored as a JSON list) again, however nested."""
    return tuple(_key(x) for x in k) if isinstance(k, list) else k
