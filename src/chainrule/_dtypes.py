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
    d = np.dtype(dtype)
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
    quietly (see ``_quiet.py``)."""
    if dtype is None and isinstance(data, (np.ndarray, np.generic)):
        return np.asarray(data)
    if data is None:  # NumPy would make it NaN
        raise TypeError("expected a number, a list or an array, got None")
    return quietly(np.asarray, (data, _default if dtype is None else dtype))
