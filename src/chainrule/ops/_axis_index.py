"""Axes and index arrays for the composed array ops: a tensor's shape, an axis checked to be
in range (PyTorch's index ops take a 0-d tensor as 1-d), an index along one axis, and an
integer index array checked to be in range.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._common import constant


def _shape_of(x) -> tuple[int, ...]:
    return x.shape if isinstance(x, Tensor) else np.shape(x)


def _axis_in(op: str, axis, ndim: int) -> int:
    """``axis`` as an index in ``range(ndim)`` (negative counts from the end); an integer
    out of range is NumPy's AxisError naming ``op``, anything else a TypeError."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: the axis must be an int, got {type(axis).__name__}")
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(
            f"{op}: axis {axis} is out of range for a tensor of {ndim} dimensions"
            + (f" (-{ndim} to {ndim - 1})" if ndim else "")
        )
    return int(axis) % ndim


def _axis_as_1d(op: str, axis, ndim: int) -> int:
    """``axis`` of a tensor of ``ndim`` dimensions for PyTorch's index ops, which take a 0-d
    tensor as 1-d: one element along axis 0 (or -1)."""
    whole = type(axis) is not bool and isinstance(axis, (int, np.integer))
    if not ndim and whole and axis not in (0, -1):
        raise np.exceptions.AxisError(
            f"{op}: axis {axis} is out of range for a 0-d tensor (0 or -1: it counts as 1-d)"
        )
    return _axis_in(op, axis, max(ndim, 1))


def _check_0d_index(op: str, idx: np.ndarray) -> None:
    """Every index into a 0-d tensor must be 0, its one element seen as 1-d (PyTorch's
    index ops): an IndexError naming the 0-d tensor, not the shape (1,) used inside."""
    bad = idx[idx != 0]
    if bad.size:
        raise IndexError(
            f"{op}: index {int(bad[0])} is out of range for a 0-d tensor (it counts as 1-d, "
            "of size 1; valid: 0)"
        )


def _along(axis: int, ndim: int, part) -> tuple:
    """An index taking ``part`` along ``axis`` and everything along the other axes."""
    return (slice(None),) * axis + (part,) + (slice(None),) * (ndim - axis - 1)


def _index_array(op: str, what: str, idx) -> np.ndarray:
    """An integer index given as a Tensor, an array or a list, as an int64 array; a float
    or bool one is a TypeError naming ``op``."""
    a = np.asarray(constant(idx))
    if a.dtype.kind not in "iu" and not (a.size == 0 and a.dtype.kind == "f"):
        raise TypeError(
            f"{op}: {what} must hold integers, got {a.dtype}; e.g. cr.tensor([[0, 1]], "
            f"dtype='int64') (Python lists become float32 tensors)"
        )
    return a.astype(np.intp, copy=False)


def _check_range(op: str, what: str, idx: np.ndarray, n: int, axis: int, shape, low: int):
    bad = (idx < low) | (idx >= n)
    if bad.any():
        value = int(idx[bad].flat[0])
        span = f"{low} to {n - 1}" if n else "none: the axis is empty"
        raise IndexError(
            f"{op}: {what} {value} is out of range for axis {axis} of size {n} (the tensor's "
            f"shape is {tuple(shape)}; valid: {span})"
        )
