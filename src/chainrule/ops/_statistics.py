"""Statistics along an axis, for parity with PyTorch and NumPy: the NaN-ignoring
reductions nansum and nanmean, and the order statistics median (NumPy's) and kthvalue.

All are compositions of indexing, where, sum and mean, so their gradients, and the
gradients of those, come from those primitives.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._arrays import int_arg
from ._axis_index import _along, _axis_as_1d, _axis_in, _shape_of
from ._elementwise import where
from ._indexing import _stable_order, take_along_axis
from ._names import torch_names
from ._reduce import _axes, _axis_arg, mean, sum
from ._running import ValuesIndices, _data
from ._shape import reshape


# ----- reductions that skip NaN -----------------------------------------------------------
def _nan_as_zero(x):
    data = _data(x)
    if data.dtype.kind not in "fc":
        return x, None
    nan = np.isnan(data)
    return where(nan, data.dtype.type(0), x), nan


def nansum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """The sum over ``axis`` with NaN counted as 0, as ``np.nansum`` and ``torch.nansum``
    (``dim=``, ``keepdim=`` are PyTorch's names). A `where` and a `sum`: the gradient is
    the upstream gradient, and exactly 0 at the NaNs."""
    axis, keepdims = torch_names("nansum", axis, dim, keepdims, keepdim)
    return sum(_nan_as_zero(x)[0], _axis_arg("nansum", axis), keepdims)


def nanmean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """The mean over ``axis`` of the elements that are not NaN, as ``np.nanmean`` and
    ``torch.nanmean``; a slice of NaNs alone gives NaN, without NumPy's warning. The
    gradient is the upstream gradient over the count, and exactly 0 at the NaNs (also in
    a slice of NaNs alone, where PyTorch gives NaN)."""
    axis, keepdims = torch_names("nanmean", axis, dim, keepdims, keepdim)
    axis = _axis_arg("nanmean", axis)
    zeroed, nan = _nan_as_zero(x)
    if nan is None:  # no float: no NaN
        return mean(x, axis, keepdims)
    count = np.sum(~nan, axis=_axes(axis, nan.ndim), keepdims=keepdims)
    return sum(zeroed, axis, keepdims) / count


# ----- order statistics -------------------------------------------------------------------
def median(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """The median over ``axis`` (flattened when None), NumPy's meaning: the middle value
    of each sorted slice, and for an even count the mean of the two middle values.
    PyTorch's ``median(x, dim)`` takes the lower of the two and returns (values,
    indices): that is `kthvalue` with k = (n + 1) // 2. A slice holding NaN gives NaN, as
    both libraries do. ``dim=``, ``keepdim=`` are PyTorch's names; an empty slice is a
    ValueError. The gradient goes to the middle element, or ½ to each of the two (tied
    values in their order, the first first; to the first NaN of a slice holding one)."""
    axis, keepdims = torch_names("median", axis, dim, keepdims, keepdim)
    shape = tuple(_shape_of(x))
    if axis is None:
        out = median(reshape(x, -1), 0)
        return reshape(out, (1,) * len(shape)) if keepdims else out
    ax = _axis_in("median", axis, len(shape))
    n = shape[ax]
    if n == 0:
        raise ValueError(f"median: axis {ax} of the tensor of shape {shape} is empty")
    order, _ = _stable_order("median", x, ax, False)  # NaN last
    middle = order[_along(ax, len(shape), slice((n - 1) // 2, n // 2 + 1))]  # 1 or 2
    data = _data(x)
    if data.dtype.kind == "f":
        nan = np.isnan(data)
        first_nan = np.argmax(nan, axis=ax, keepdims=True)
        middle = np.where(nan.any(axis=ax, keepdims=True), first_nan, middle)
    return mean(take_along_axis(x, middle, ax), ax, keepdims)


def kthvalue(x, k: int, axis=-1, keepdims=False, *, dim=None, keepdim=None) -> ValuesIndices:
    """The ``k``-th smallest value along ``axis`` (k from 1) and its index, as
    ``torch.kthvalue(x, k, dim=-1, keepdim=False)``: a named tuple ``(values, indices)``.
    Tied values are taken in their order, the first first; NaN counts as the largest
    value. k outside 1 to n is a ValueError. The gradient goes to the position taken."""
    axis, keepdims = torch_names("kthvalue", axis, dim, keepdims, keepdim, default=-1)
    k = int_arg("kthvalue", "k", k)
    shape = tuple(_shape_of(x))
    if not shape:  # as 1-d, the axis 0 or -1, as PyTorch's
        axis = _axis_as_1d("kthvalue", axis, 0)
        if k != 1:
            raise ValueError(f"kthvalue: k={k} for a 0-d tensor (one element); k must be 1")
        out = kthvalue(reshape(x, 1), k, axis)
        return ValuesIndices(reshape(out.values, ()), Tensor(out.indices.data.reshape(())))
    ax = _axis_in("kthvalue", axis, len(shape))
    n = shape[ax]
    if not 1 <= k <= n:
        raise ValueError(
            f"kthvalue: k={k} for axis {ax} of size {n} (shape {shape}); k must be 1 to {n}"
        )
    order, _ = _stable_order("kthvalue", x, ax, False)
    taken = order[_along(ax, len(shape), slice(k - 1, k))]
    values = take_along_axis(x, taken, ax)
    if not keepdims:
        values, taken = reshape(values, shape[:ax] + shape[ax + 1 :]), taken.squeeze(ax)
    return ValuesIndices(values, Tensor(taken.astype(np.int64)))
