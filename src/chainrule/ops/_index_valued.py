"""The index-valued ops, outside the graph: nonzero and unique."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._axis_index import _axis_in
from ._names import torch_names
from ._running import _data


def nonzero(x, *, as_tuple: bool = False):
    """Where ``x`` is nonzero, as ``torch.nonzero``: an (n, ndim) int64 tensor, one row per
    nonzero element in row-major order (``np.argwhere``); with ``as_tuple=True`` one 1-D
    int64 tensor per axis (``np.nonzero``; a 0-d tensor counts as 1-D). Outside the
    graph."""
    data = _data(x)
    if as_tuple:
        return tuple(Tensor(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(data)))
    return Tensor(np.argwhere(data).astype(np.int64))


def unique(
    x,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis=None,
    *,
    dim=None,
):
    """The distinct values of ``x`` in ascending order, as ``torch.unique`` (``dim=`` is
    its name for ``axis``; with an axis, the distinct slices along it, as ``np.unique``):
    flattened when the axis is None. With ``return_inverse`` also where each element (or
    slice) went, an int64 tensor of x's shape (the axis's length); with ``return_counts``
    how many there were. Each NaN is distinct, as in PyTorch (NumPy's default merges
    them). ``sorted=False`` gives the sorted result too, as PyTorch on the CPU does. The
    values keep x's dtype; all are outside the graph."""
    axis, _ = torch_names("unique", axis, dim)
    data = _data(x)
    if axis is not None:
        axis = _axis_in("unique", axis, data.ndim)
    values, inverse, counts = np.unique(
        data, return_inverse=True, return_counts=True, axis=axis, equal_nan=False
    )
    out = [Tensor(values)]
    if return_inverse:
        shape = data.shape if axis is None else (data.shape[axis],)
        out.append(Tensor(inverse.reshape(shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)
