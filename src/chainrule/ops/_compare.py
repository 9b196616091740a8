"""Comparisons and arg-max/arg-min: not differentiable, they return boolean or integer
tensors outside the graph."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _from_op
from ._arrays import _axis_tuple
from ._common import constant, is_tensor, pair
from ._indexing import _stable_order
from ._names import torch_names


def compare(ufunc, x, y) -> Tensor:
    """``ufunc(x, y)`` (e.g. ``np.less``) on the arrays, as a tensor that needs no gradient.

    An integer tensor and an integer number are compared by value, as NumPy compares them:
    ``uint8_tensor > -1`` is all True and ``int8_tensor < 1000`` too, where converting the
    number to the tensor's dtype first (as arithmetic does) would overflow."""
    if _integer_and_number(x, y) or _integer_and_number(y, x):
        a, b = (v if is_tensor(v) else int(v) for v in (x, y))
    else:
        a, b = pair(x, y)
    return _from_op(np.asarray(ufunc(constant(a), constant(b))), None)


def _integer_and_number(t, n) -> bool:
    """Whether ``t`` is an integer tensor and ``n`` an integer number (Python's or NumPy's)."""
    integer = isinstance(n, (int, np.integer)) and not isinstance(n, bool)
    return integer and is_tensor(t) and t.data.dtype.kind in "iu"


def argmax(x, axis: int | None = None, keepdims: bool = False, *, dim=None, keepdim=None):
    """Index of the largest value along ``axis`` (of the flattened tensor when None), as an
    int64 tensor outside the graph; the first one among ties, as in NumPy and PyTorch.
    ``dim=`` and ``keepdim=`` are PyTorch's names for ``axis`` and ``keepdims``."""
    axis, keepdims = torch_names("argmax", axis, dim, keepdims, keepdim)
    return _from_op(np.asarray(np.argmax(constant(x), axis=axis, keepdims=keepdims)), None)


def argmin(x, axis: int | None = None, keepdims: bool = False, *, dim=None, keepdim=None):
    """Index of the smallest value along ``axis`` (see `argmax`)."""
    axis, keepdims = torch_names("argmin", axis, dim, keepdims, keepdim)
    return _from_op(np.asarray(np.argmin(constant(x), axis=axis, keepdims=keepdims)), None)


# ----- array ops ----------------------------------------------------------------------------
def argsort(x, axis=-1, *, dim=None, descending: bool = False, stable=None) -> Tensor:
    """The indices that sort ``x`` along ``axis`` (last by default; of the flattened tensor
    when None), as an int64 tensor outside the graph: NumPy's ``argsort`` and PyTorch's.
    Always stable (equal values keep their order, also with ``descending=True``), which
    NumPy's default sort is not; NaN sorts as the largest value. ``dim=`` is PyTorch's name
    for ``axis``; ``stable=`` is accepted and changes nothing. The values are `sort`."""
    axis, _ = torch_names("argsort", axis, dim, default=-1)
    order, _ = _stable_order("argsort", x, axis, descending)
    if np.ndim(constant(x)) == 0 and axis is not None:
        order = order.reshape(())
    return _from_op(order.astype(np.int64), None)


def _test(ufunc, x) -> Tensor:
    return _from_op(np.asarray(ufunc(constant(x))), None)


def isnan(x) -> Tensor:
    """Where ``x`` is NaN, as a boolean tensor outside the graph (``np.isnan``,
    ``torch.isnan``)."""
    return _test(np.isnan, x)


def isinf(x) -> Tensor:
    """Where ``x`` is +inf or −inf, as a boolean tensor outside the graph."""
    return _test(np.isinf, x)


def isfinite(x) -> Tensor:
    """Where ``x`` is neither ±inf nor NaN, as a boolean tensor outside the graph."""
    return _test(np.isfinite, x)


def all(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Whether every element along ``axis`` (all of them when None) is true (nonzero), as a
    boolean tensor outside the graph: ``np.all``, ``torch.all``. ``dim=`` and ``keepdim=``
    are PyTorch's names for ``axis`` and ``keepdims``."""
    axis, keepdims = torch_names("all", axis, dim, keepdims, keepdim)
    x = constant(x)
    _axis_tuple("all", axis, np.ndim(x))  # out of range: an error naming the op
    return _from_op(np.asarray(np.all(x, axis=axis, keepdims=keepdims)), None)


def any(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Whether some element along ``axis`` (any of them when None) is true (nonzero), as a
    boolean tensor outside the graph (see `all`)."""
    axis, keepdims = torch_names("any", axis, dim, keepdims, keepdim)
    x = constant(x)
    _axis_tuple("any", axis, np.ndim(x))  # out of range: an error naming the op
    return _from_op(np.asarray(np.any(x, axis=axis, keepdims=keepdims)), None)
