"""Comparisons and arg-max/arg-min: not differentiable, they return boolean or integer
tensors outside the graph."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _from_op
from ._common import constant, pair


def compare(ufunc, x, y) -> Tensor:
    """``ufunc(x, y)`` (e.g. ``np.less``) on the arrays, as a tensor that needs no gradient."""
    x, y = pair(x, y)
    return _from_op(np.asarray(ufunc(constant(x), constant(y))), None)


def argmax(x, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the largest value along ``axis`` (of the flattened tensor when None), as an
    int64 tensor outside the graph; the first one among ties, as in NumPy and PyTorch."""
    return _from_op(np.asarray(np.argmax(constant(x), axis=axis, keepdims=keepdims)), None)


def argmin(x, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the smallest value along ``axis`` (see `argmax`)."""
    return _from_op(np.asarray(np.argmin(constant(x), axis=axis, keepdims=keepdims)), None)
