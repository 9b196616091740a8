"""Optimizer state_dicts: validating one before loading it, and flattening it for a file.

A state_dict is ``{"param_groups": [{hyper-parameters..., "params": [ids]}],
"state": {id: {"step": int, name: ndarray}}}`` (an optimizer's `_scalar_state`, such
as NAdam's ``mu_product``, is a float). Parameter ids are matched to the
optimizer's parameters by position, group by group, as in PyTorch; ids may be ints or
their decimal strings (JSON object keys are strings).
"""

from __future__ import annotations

import numpy as np

from .._aligned import aligned_copy
from .._arguments import is_count


def parse_state_dict(optimizer, state_dict) -> tuple[list[dict], dict[int, dict]]:
    """The groups' hyper-parameters and the state, checked against ``optimizer``."""
    groups, entries = _top_level(state_dict)
    if len(groups) != len(optimizer.param_groups):
        raise ValueError(
            f"load_state_dict: the optimizer has {len(optimizer.param_groups)} parameter "
            f"group(s), the state_dict {len(groups)}"
        )
    hypers, index_of, group_of = [], {}, []
    for g, (ours, theirs) in enumerate(zip(optimizer.param_groups, groups)):
        hyper = _group_hyper(optimizer, g, theirs)
        for saved_id in _group_ids(g, ours, theirs):
            if saved_id in index_of:
                raise ValueError(
                    f"load_state_dict: parameter id {saved_id} appears more than once in "
                    "the state_dict's groups"
                )
            index_of[saved_id] = len(group_of)
            group_of.append(hyper)
        hypers.append(hyper)
    params = optimizer._params()
    state = {}
    for key, entry in entries.items():
        i = index_of.get(_as_id(key))
        if i is None:
            raise ValueError(f"load_state_dict: state for unknown parameter id {key!r}")
        state[i] = _entry(optimizer, i, params[i].data, entry, group_of[i])
    return hypers, state


def _top_level(state_dict) -> tuple[list, dict]:
    if not isinstance(state_dict, dict) or set(state_dict) != {"param_groups", "state"}:
        raise ValueError(
            "load_state_dict: expected a dict with exactly the keys 'param_groups' and 'state'"
        )
    groups, entries = state_dict["param_groups"], state_dict["state"]
    if not isinstance(groups, (list, tuple)) or not isinstance(entries, dict):
        raise ValueError("load_state_dict: 'param_groups' must be a list and 'state' a dict")
    return list(groups), entries


def _group_hyper(optimizer, g: int, theirs) -> dict:
    if not isinstance(theirs, dict):
        raise ValueError(f"load_state_dict: parameter group {g} is not a dict")
    # a hyper-parameter added to the optimizer after the state was saved takes the value
    # that changes nothing (weight_decay 0 for Momentum and Nesterov)
    # and a switch left out (off when saved, or saved before it existed) is off
    theirs = {**dict(optimizer._added_later), **dict(optimizer._options), **theirs}
    names = set(theirs) - {"params"}
    expected = set(optimizer.defaults) | {k for k, _ in optimizer._options}
    if names - {"initial_lr"} != expected:  # initial_lr: a schedule's, where one was made
        raise ValueError(
            f"load_state_dict: group {g} has hyper-parameters {sorted(names)}, but "
            f"{type(optimizer).__name__} has {sorted(expected)} (a state_dict of another "
            "optimizer?)"
        )
    try:
        hyper = optimizer._checked_hyper({k: theirs[k] for k in sorted(names)})
        optimizer._check_group(hyper)
    except ValueError as e:
        raise ValueError(f"load_state_dict: group {g}: {e}") from None
    return hyper


def _group_ids(g: int, ours: dict, theirs: dict) -> list:
    ids = theirs.get("params")
    if not isinstance(ids, (list, tuple)):
        raise ValueError(f"load_state_dict: group {g} has no list of parameter ids")
    if len(ids) != len(ours["params"]):
        raise ValueError(
            f"load_state_dict: group {g} has {len(ours['params'])} parameters in the "
            f"optimizer but {len(ids)} in the state_dict"
        )
    return [_as_id(i) for i in ids]


def _as_id(key) -> int:
    if isinstance(key, str) and key.isdigit():
        return int(key)
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return int(key)
    raise ValueError(f"load_state_dict: {key!r} is not a parameter id")


def _entry(optimizer, i: int, w: np.ndarray, entry, group: dict) -> dict:
    if not isinstance(entry, dict) or not is_count(entry.get("step")):
        raise ValueError(f"load_state_dict: parameter {i}: the state needs an int 'step' >= 0")
    names = set(entry) - {"step"}
    unknown = names - set(optimizer._state_keys)
    missing = set(optimizer._required_state(group)) - names
    if unknown or missing:
        raise ValueError(
            f"load_state_dict: parameter {i}: unexpected state {sorted(unknown)}, "
            f"missing state {sorted(missing)} for {type(optimizer).__name__}"
        )
    out, scalars = {"step": int(entry["step"])}, dict(optimizer._scalar_state)
    for name in sorted(names):
        read = _scalar if name in scalars else _array
        out[name] = read(i, name, entry[name], w)
    return out


def _scalar(i: int, name: str, value, w: np.ndarray) -> float:
    """A state entry that is one number (NAdam's ``mu_product``), as a Python float."""
    a = np.asarray(value)
    if a.shape != () or a.dtype.kind not in "fiu" or not np.isfinite(a):
        raise ValueError(
            f"load_state_dict: parameter {i}: state '{name}' must be a finite number, got {value!r}"
        )
    return float(a)


def _array(i: int, name: str, value, w: np.ndarray) -> np.ndarray:
    a = np.asarray(value)
    if a.shape != w.shape:
        raise ValueError(
            f"load_state_dict: parameter {i}: state '{name}' has shape {a.shape}, but the "
            f"parameter has shape {w.shape}"
        )
    if a.dtype.kind not in "fiu":
        raise ValueError(f"load_state_dict: parameter {i}: state '{name}' is not numeric")
    return aligned_copy(a, w.dtype)  # a copy: the caller's dict is never aliased


# ----- a flat form for files ------------------------------------------------------------------
def flatten_state_dict(state_dict: dict) -> tuple[dict[str, np.ndarray], dict]:
    """Split an optimizer state_dict into ``{"state.<id>.<name>": array}`` and JSON metadata.

    The metadata holds everything else (hyper-parameters, step counts) as JSON types only,
    so ``json.dumps`` takes it as is; `unflatten_state_dict` reverses the split.
    """
    arrays, meta_state = {}, {}
    for i, entry in state_dict["state"].items():
        meta_state[str(i)] = {
            k: _json_value(v) for k, v in entry.items() if not isinstance(v, np.ndarray)
        }
        for k, v in entry.items():
            if isinstance(v, np.ndarray):
                arrays[f"state.{i}.{k}"] = v
    groups = [{k: _json_value(v) for k, v in g.items()} for g in state_dict["param_groups"]]
    return arrays, {"param_groups": groups, "state": meta_state}


def _json_value(v):
    """``v`` with tuples as lists and NumPy scalars and 0-d arrays (a rate set by hand as
    ``np.float32(0.1)`` or ``np.array(0.1)``) as Python numbers, which ``json.dumps`` takes."""
    if isinstance(v, (tuple, list)):
        return [_json_value(x) for x in v]
    if isinstance(v, np.generic) or (isinstance(v, np.ndarray) and v.ndim == 0):
        return v.item()
    return v


def unflatten_state_dict(arrays: dict[str, np.ndarray], metadata: dict) -> dict:
    """The state_dict that `flatten_state_dict` split into ``arrays`` and ``metadata``."""
    state = {_as_id(i): dict(entry) for i, entry in metadata["state"].items()}
    for name, array in arrays.items():
        parts = name.split(".", 2)
        if len(parts) != 3 or parts[0] != "state" or _as_id(parts[1]) not in state:
            raise ValueError(f"unflatten_state_dict: unexpected array name {name!r}")
        state[_as_id(parts[1])][parts[2]] = array
    return {"param_groups": [dict(g) for g in metadata["param_groups"]], "state": state}
