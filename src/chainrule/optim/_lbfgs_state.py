"""Checking a saved `LBFGS` state before it is loaded: its counters, then either nothing
or its whole history (the direction, the step, the pairs, ``ro``, ``H_diag``)."""

from __future__ import annotations

import numpy as np

from .._arguments import is_count

COUNTERS = ("func_evals", "n_iter")
HISTORY = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss")


def same_id(key, saved) -> bool:
    return str(key) == str(saved)


def parsed_entry(entry, n: int, dtype, group: dict) -> dict:
    """The saved state, checked: counts, then either nothing or the whole history."""
    if not isinstance(entry, dict) or set(entry) not in (set(COUNTERS), {*COUNTERS, *HISTORY}):
        raise ValueError(f"load_state_dict: LBFGS's state needs {COUNTERS}, then {HISTORY}")
    for name in COUNTERS:
        if not is_count(entry[name]):
            raise ValueError(f"load_state_dict: LBFGS's {name} must be an int >= 0")
    out = {name: int(entry[name]) for name in COUNTERS}
    if "d" not in entry:
        return out
    m = len(np.asarray(entry["ro"]).reshape(-1))
    if m > group["history_size"]:
        raise ValueError(f"load_state_dict: {m} pairs, more than history_size")
    shapes = {"d": (n,), "prev_flat_grad": (n,), "old_dirs": (m, n), "old_stps": (m, n)}
    for name, shape in shapes.items():
        out[name] = _checked_array(name, entry[name], shape, dtype)
    for name in ("old_dirs", "old_stps"):
        out[name] = list(out[name])
    out["ro"] = [float(x) for x in _checked_array("ro", entry["ro"], (m,), np.float64)]
    for name in ("t", "H_diag", "prev_loss"):
        out[name] = _checked_number(name, entry[name])
    return out


def _checked_array(name: str, value, shape: tuple, dtype) -> np.ndarray:
    a = np.asarray(value)
    if a.shape != shape or a.dtype.kind not in "fiu":
        raise ValueError(f"load_state_dict: LBFGS's {name} must be numbers of shape {shape}")
    return np.array(a, dtype=dtype)


def _checked_number(name: str, value) -> float:
    a = np.asarray(value)
    if a.shape != () or a.dtype.kind not in "fiu":
        raise ValueError(f"load_state_dict: LBFGS's {name} must be a number, got {value!r}")
    return float(a)
