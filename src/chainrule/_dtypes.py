"""Default floating dtype and conversion of user data to NumPy arrays.

Python numbers and lists become the default float dtype (float32 unless changed with
`set_default_dtype`); NumPy arrays and NumPy scalars keep their own dtype.
"""

from __future__ import annotations

import numpy as np

from ._quiet import quietly

_FLOATS = (np.float16, np.float32, np.float64)
_default = np.dtype(np.float32)


def set_default_dtype(dtype) -> None:
    """Set the dtype that Python numbers and lists become: ``"float32"`` (the default),
    ``"float64"``, or ``"float16"``; any other dtype is a ValueError."""
    global _default
    if dtype is None:  # np.dtype(None) is float64: PyTorch refuses None, and so does this
        raise TypeError("set_default_dtype: dtype must be float16, float32 or float64, got None")
    d = dtype_of(dtype, "set_default_dtype")
    if d.type not in _FLOATS:
        raise ValueError(
            f"set_default_dtype: {d} is not one of the supported dtypes float16, float32 "
            "and float64"
        )
    _default = d


def get_default_dtype() -> np.dtype:
    """The dtype that Python numbers and lists become when no dtype is given."""
    return _default


def is_floating(dtype: np.dtype) -> bool:
    """True for the floating dtypes that may carry gradients."""
    return dtype.kind == "f"


def as_array(data, dtype=None) -> np.ndarray:
    """`data` as an ndarray: arrays keep their dtype, Python data gets the default float.

    A value beyond the range of the dtype becomes ±inf without a RuntimeWarning (as
    ``torch.tensor(1e300)`` gives inf in float32): chainrule's ops give IEEE results
    quietly (see ``_quiet.py``). Only numbers are data, as in PyTorch: text (``"1.5"``, a
    list of strings, a string array), None (alone or in a list, where NumPy would make it
    NaN), object, date and void arrays and dtypes are a TypeError naming what was given;
    in a list, text anywhere (``[1.0, "2"]``, which NumPy would parse) is a TypeError
    naming its position and type. A list is converted once without a dtype, which gives strings or
    objects if it holds any (then its elements are looked at), and then cast: a list of
    numbers costs no scan."""
    if isinstance(data, (np.ndarray, np.generic)):
        if data.dtype.kind not in _NUMERIC:
            raise TypeError(_not_numbers(f"a NumPy array of dtype {data.dtype}"))
        if dtype is None:
            return np.asarray(data)
    if data is None:  # NumPy would make it NaN
        raise TypeError("expected a number, a list or an array, got None")
    target = _default if dtype is None else numeric_dtype(dtype)
    nested = isinstance(data, (list, tuple))
    if isinstance(data, (str, bytes)):  # in a list: found by `_listed`
        raise TypeError(_not_numbers(f"text ({_shown(data)})"))
    try:
        array = _listed(data, target) if nested else quietly(np.asarray, (data, target))
    except (TypeError, ValueError) as e:  # a complex, a set, lists of uneven lengths, ...
        if nested:  # [[1.0], "ab"]: the text (or the None), not the uneven lengths
            _check_no_text(data)
            _check_no_none(data)
        error = TypeError if isinstance(e, TypeError) else ValueError
        raise error(f"cannot make a tensor of dtype {target} from {_shown(data)}: {e}") from None
    return array


def _listed(data, target: np.dtype) -> np.ndarray:
    """Nested lists or tuples as an array of ``target``, text in them refused. NumPy parses
    a string among numbers when given a numeric dtype (``[1.0, "2"]`` becomes [1, 2]), so
    the list is converted without one first: numbers give a numeric array, cast to a float
    ``target`` (the same values as a direct conversion: Python floats are float64, and
    Python ints go through int64 either way); text gives a string array and objects (None,
    an int beyond int64) an object array, whose elements are then looked at. Other targets
    (integers, bool, complex) are converted from the list again, with NumPy's own checks
    (-1 for uint8 is NumPy's OverflowError, where a cast would wrap around)."""
    array = np.asarray(data)
    if array.dtype.kind not in _NUMERIC:
        _check_no_text(data)
        _check_no_none(data)  # an object array: a None, which a float dtype makes NaN
    elif target.kind == "f" and array.dtype.kind in "biuf":
        return quietly(_cast, (array, target))  # 1e300 in float32: inf, without a warning
    return quietly(np.asarray, (data, target))


def _cast(array: np.ndarray, target: np.dtype) -> np.ndarray:
    return array.astype(target, copy=False)


def numeric_dtype(dtype, who: str = "") -> np.dtype:
    """``dtype`` as a NumPy dtype, once it is one a tensor may hold (bool, an integer,
    floating or complex dtype); text, objects and dates are a TypeError naming ``who``."""
    target = dtype_of(dtype, who)
    if target.kind not in _NUMERIC:
        raise TypeError(
            f"{who + ': ' if who else ''}a tensor holds numbers, so its dtype must be bool, "
            f"an integer, floating or complex dtype, got {target}; for text or objects, "
            "convert the array itself (np.asarray(t).astype(...))"
        )
    return target


def dtype_of(dtype, who: str = "") -> np.dtype:
    """``np.dtype(dtype)``, or a TypeError naming ``who`` and what was given: NumPy's own
    ("Cannot interpret 'torch.float64' as a data type") names neither. A PyTorch dtype is
    told to be written as NumPy's."""
    try:
        return np.dtype(dtype)
    except TypeError:
        pass
    where = f"{who}: " if who else ""
    name = str(dtype)
    if type(dtype).__module__ == "torch" and name.startswith("torch."):
        short = name[len("torch.") :]
        advice = f"NumPy has no {short}; use 'float32' or 'float64'"  # bfloat16, float8_*
        if is_dtype_name(short):
            advice = f"write {short!r}" + (f" (or np.{short})" if hasattr(np, short) else "")
        raise TypeError(
            f"{where}{name} is PyTorch's dtype; chainrule's dtypes are NumPy's: {advice}"
        ) from None
    raise TypeError(
        f"{where}{dtype!r} is not a NumPy dtype; give one such as 'float32', 'float64' or "
        "np.float64"
    ) from None


def is_dtype_name(name: str) -> bool:
    """Whether NumPy reads ``name`` as a dtype ("float32", "f4"; not "cuda")."""
    try:
        np.dtype(name)
    except TypeError:
        return False
    return True


def _text(value) -> bool:
    """Text, or a NumPy value that is not numbers (a string array inside a list)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.dtype.kind not in _NUMERIC
    return isinstance(value, (str, bytes))


# the dtype kinds a tensor may hold: bool, signed and unsigned integers, floating, complex
_NUMERIC = "biufc"


def _not_numbers(what: str) -> str:
    return (
        f"a tensor holds numbers, got {what}; convert it first "
        "(e.g. np.asarray(values, dtype=float))"
    )


def _shown(data) -> str:
    """``data`` for an error message: its type, and its repr when that is short."""
    kind = type(data).__name__
    kind = f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
    text = repr(data)
    return f"{kind} {text}" if len(text) <= 40 else kind


def _check_no_text(data) -> None:
    """A TypeError naming the first text (str, bytes, a string array) in nested lists or
    tuples, by its position and type."""
    stack = [((), data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, (list, tuple)):
            stack.extend(((*where, i), v) for i, v in reversed(list(enumerate(value))))
        elif _text(value):
            shown = repr(value) if len(repr(value)) <= 40 else f"of dtype {value.dtype}"
            at = "[" + "][".join(map(str, where)) + "]"
            kind = type(value).__name__
            raise TypeError(_not_numbers(f"text {shown} at index {at} of the list ({kind})"))


def _check_no_none(data) -> None:
    """A TypeError for a None anywhere in nested lists (NumPy converts None to NaN); run
    after `_check_no_text`, only when the list converted without a dtype gave objects (as a
    None always does), so a list of numbers costs no scan."""
    flat = np.asarray(data, dtype=object).ravel()
    if any(value is None for value in flat):
        raise TypeError(
            "a tensor holds numbers, got a list holding None (NumPy would make it NaN); "
            "write a missing value as float('nan')"
        )
