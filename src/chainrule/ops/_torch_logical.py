"""PyTorch's tests and counts outside the graph: ``isclose``, ``allclose``, ``equal``,
``logical_and``, ``logical_or``, ``logical_xor``, ``logical_not`` and ``count_nonzero``."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _from_op
from ._arrays import _axis_tuple
from ._common import constant, pair
from ._names import torch_names
from ._torch_axes import _check_0d_axes


def isclose(x, y, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """Where |x − y| ≤ atol + rtol·|y|, as a boolean tensor outside the graph (np.isclose
    and torch.isclose, the same test and defaults); NaN is close to NaN only with
    ``equal_nan=True``."""
    a, b = _broadcast_operands("isclose", x, y)
    return _from_op(np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)), None)


def allclose(x, y, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether every element of x is close to y's (`isclose`), as a Python bool."""
    _broadcast_operands("allclose", x, y)
    return bool(np.all(isclose(x, y, rtol, atol, equal_nan).data))


def equal(x, y) -> bool:
    """Whether x and y have the same shape and the same values, as a Python bool
    (torch.equal, np.array_equal; NaN equals nothing)."""
    return bool(np.array_equal(constant(x), constant(y)))


def _broadcast_operands(op: str, x, y) -> tuple:
    """The arrays of x and y, checked to broadcast together (an error naming ``op``)."""
    a, b = (constant(v) for v in pair(x, y))
    try:
        np.broadcast_shapes(np.shape(a), np.shape(b))
    except ValueError:
        raise ValueError(
            f"{op}: shapes {np.shape(a)} and {np.shape(b)} do not broadcast together"
        ) from None
    return a, b


def _logical(ufunc, *operands) -> Tensor:
    if len(operands) == 2:
        operands = _broadcast_operands(ufunc.__name__, *operands)
    return _from_op(np.asarray(ufunc(*(constant(a) for a in operands))), None)


def logical_and(x, y) -> Tensor:
    """x and y elementwise, nonzero counting as true: a boolean tensor outside the graph."""
    return _logical(np.logical_and, x, y)


def logical_or(x, y) -> Tensor:
    """x or y elementwise, nonzero counting as true: a boolean tensor outside the graph."""
    return _logical(np.logical_or, x, y)


def logical_xor(x, y) -> Tensor:
    """x xor y elementwise, nonzero counting as true: a boolean tensor outside the graph."""
    return _logical(np.logical_xor, x, y)


def logical_not(x) -> Tensor:
    """not x elementwise (True where x is 0): a boolean tensor outside the graph."""
    return _logical(np.logical_not, x)


def count_nonzero(x, axis=None, *, dim=None) -> Tensor:
    """The number of nonzero elements along ``axis`` (an int or a tuple; all of them when
    None), as an int64 tensor outside the graph: np.count_nonzero, torch.count_nonzero
    (``dim=`` is PyTorch's name). A 0-d ``x`` counts as 1-d (axis 0 or -1), as in PyTorch."""
    axis, _ = torch_names("count_nonzero", axis, dim)
    data = constant(x)
    ndim = np.ndim(data)
    if not ndim and axis is not None:
        _check_0d_axes("count_nonzero", axis)
    axes = _axis_tuple("count_nonzero", axis, max(ndim, 1))
    count = np.count_nonzero(data, axis=axes if ndim else None)
    return _from_op(np.asarray(count, dtype=np.int64), None)
