"""A checkpoint's state as JSON: its arrays stored as tensors and referred to by name
(``{"__array__": "<prefix>/<n>"}``), and read back; only what safetensors can hold is stored.
"""

from __future__ import annotations

import itertools
import json

import numpy as np

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


def _key(k):
    """A dict key as saved: a tuple (stored as a JSON list) again, however nested."""
    return tuple(_key(x) for x in k) if isinstance(k, list) else k


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


def _scalar_value(obj: np.generic):
    """The Python value of a NumPy scalar; a TypeError naming the type for one that has
    none (a longdouble's item is itself) or a date or duration (whose item may be None
    or a bare int, which would load as another value)."""
    value = obj.item()
    if isinstance(value, np.generic) or obj.dtype.kind in "mM":
        raise TypeError(f"save: cannot store a value of type {type(obj).__name__} in a checkpoint")
    return value


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
