"""Checkpoints: `save` and `load` a model's weights, its optimizer's state and a training
state as one safetensors file (`_checkpoint_format.py`), written atomically
(`_atomic_write.py`), with the model's and the optimizer's states collected and applied.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ._atomic_write import atomic_write
from ._checkpoint_format import (
    FORMAT,
    VERSION,
    CheckpointError,
    _check_digest,
    _checkpoint_path,
    _digest,
    _part,
    _path_text,
    _read,
    _saved_names,
)
from ._checkpoint_json import _check_storable, _decode, _to_json


def _require(op: str, what: str, obj, method: str) -> None:
    """A TypeError naming ``what`` unless ``obj`` is None or has ``method`` (an optimizer's
    name, such as "adam", where the optimizer object belongs)."""
    if obj is not None and not callable(getattr(obj, method, None)):
        noun = "a module" if what == "model" else "an optimizer"
        raise TypeError(
            f"{op}: the {what} argument must be {noun} (it has no {method}()), "
            f"got {type(obj).__name__} {obj!r:.40}"
        )


def _tensor_data(v) -> np.ndarray | None:
    """``v`` as a numeric array (a Tensor's data), or None if it is not one."""
    if isinstance(v, np.generic):  # a NumPy scalar, as a 0-d array
        v = np.asarray(v)
    a = v if isinstance(v, np.ndarray) else getattr(v, "data", v)  # a Tensor's array
    return a if isinstance(a, np.ndarray) and a.dtype.kind in "biuf" else None


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


def _apply(path: Path, what: str, target, state) -> None:
    if target is None:
        return
    try:
        target.load_state_dict(state)
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{path}: the {what} state does not fit: {e}") from None


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
