"""Elements picked by a mask, an index or their order: masked_fill (a where),
take_along_axis and gather (an integer index), sort and topk (stable, NaN largest).

Composed of the primitives, with no `Function` (and no backward) of their own: their
gradient is the chain rule through the ops they are made of, so they need no row in the op
table (tests/test_torch_habits.py and tests/test_torch_names_composed.py gradcheck them).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._tensor import Tensor
from ._arrays import int_arg
from ._axis_index import (
    _along,
    _axis_as_1d,
    _axis_in,
    _check_0d_index,
    _check_range,
    _index_array,
    _shape_of,
)
from ._casts import cast
from ._common import constant
from ._elementwise import where
from ._names import torch_names
from ._shape import index as _pick
from ._shape import reshape


def masked_fill(x, mask, value):
    """``x`` with ``value`` where ``mask`` is true, as PyTorch's ``masked_fill``: a `where`,
    so the gradient reaches ``x`` where the mask is false and ``value`` (a number, or a
    0-d tensor, which gets the sum of the rest) where it is true. ``mask`` must be boolean,
    as in PyTorch (a float mask is a TypeError, not rounded); it broadcasts with ``x``, as
    the out-of-place ``torch.masked_fill`` does (a larger mask gives a larger result). The
    result has ``x``'s dtype, as PyTorch's: the value is cast to it (toward 0 for an
    integer ``x``; one that does not fit is a ValueError)."""
    cond = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if cond.dtype != np.bool_:
        raise TypeError(
            f"masked_fill: the mask must be boolean, got {cond.dtype}; compare to make one, "
            "e.g. x.masked_fill(m != 0, value)"
        )
    if np.ndim(value.data if isinstance(value, Tensor) else value) != 0:
        raise ValueError(
            f"masked_fill: the value must be a number or a 0-d tensor, got shape "
            f"{np.shape(value)}; cr.where(mask, values, x) takes values of any shape"
        )
    dtype = x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype
    return where(cond, _fill_value(value, dtype), x)


def _fill_value(value, dtype: np.dtype):
    """``masked_fill``'s value in ``x``'s dtype (a 0-d tensor through a cast, which passes
    the gradient back); a value an integer ``x`` cannot hold is refused, not wrapped."""
    if isinstance(value, Tensor):
        return value if value.dtype == dtype else cast(value, dtype)
    v = np.asarray(value)
    if v.dtype.kind == "c" and dtype.kind != "c":
        raise TypeError(f"masked_fill: a complex value {value!r} for a tensor of {dtype}")
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    if info is not None and not (np.isfinite(v) and info.min <= np.trunc(v) <= info.max):
        raise ValueError(f"masked_fill: the value {value!r} does not fit the tensor's {dtype}")
    return v.astype(dtype)


def take_along_axis(x, indices, axis):
    """``x``'s elements picked along ``axis`` by ``indices``, as ``np.take_along_axis``:
    ``out[i, j] = x[i, indices[i, j]]`` for axis 1. ``indices`` has ``x``'s number of
    dimensions and broadcasts with it along the other axes; negative indices count from the
    end; with ``axis=None`` ``x`` is flattened and ``indices`` is 1-D. Indices must be
    integers; one out of range is an IndexError naming the op, the index and the axis's
    size. An integer index, so the gradient is the upstream gradient added into zeros at
    the picked positions (twice picked, twice added). PyTorch's argument order is `gather`."""
    idx = _index_array("take_along_axis", "indices", indices)
    if axis is None:
        x, axis = reshape(x, -1), 0
        if idx.ndim != 1:
            raise ValueError(
                f"take_along_axis: with axis=None the indices must be 1-D, got shape {idx.shape}"
            )
    shape = _shape_of(x)
    if idx.ndim != len(shape):
        raise ValueError(
            f"take_along_axis: indices of shape {idx.shape} for a tensor of shape "
            f"{tuple(shape)}; they need the same number of dimensions ({len(shape)})"
        )
    axis = _axis_in("take_along_axis", axis, len(shape))
    n = shape[axis]
    _check_range("take_along_axis", "index", idx, n, axis, shape, -n)
    parts = []
    for d, size in enumerate(shape):
        if d == axis:
            parts.append(idx)
        else:
            grid = (1,) * d + (-1,) + (1,) * (len(shape) - d - 1)
            parts.append(np.arange(size).reshape(grid))
    try:
        np.broadcast_shapes(*(p.shape for p in parts))
    except ValueError:
        raise ValueError(
            f"take_along_axis: indices of shape {idx.shape} do not broadcast with the "
            f"tensor's shape {tuple(shape)} along the axes other than {axis}"
        ) from None
    return _pick(x, tuple(parts))


def gather(x, dim, index):
    """PyTorch's ``gather(input, dim, index)``: ``out[i][j] = x[i][index[i][j]]`` for dim
    1, the argument order of ``torch.gather`` (NumPy's is `take_along_axis`). ``index`` has
    ``x``'s number of dimensions and, along the other axes, sizes no larger than ``x``'s
    (the leading part is taken, as in PyTorch); indices from 0 to size − 1 (a negative one
    is an error, as in PyTorch). A 0-d ``x`` or ``index`` counts as 1-d, as in PyTorch:
    ``gather(5, 0, [0, 0])`` is ``[5, 5]``, the result having the index's shape. Its
    gradient is added into zeros at the picked positions."""
    idx = _index_array("gather", "index", index)
    shape = _shape_of(x)
    if max(idx.ndim, 1) != max(len(shape), 1):
        raise ValueError(
            f"gather: an index of shape {idx.shape} for a tensor of shape {tuple(shape)}; "
            f"it needs the same number of dimensions ({len(shape)}; 0-d counts as 1-d)"
        )
    dim = _axis_as_1d("gather", dim, len(shape))
    if not shape or not idx.ndim:
        if not shape:
            _check_0d_index("gather", idx)
        return reshape(gather(reshape(x, -1), 0, idx.reshape(-1)), idx.shape)
    too_big = [d for d in range(len(shape)) if d != dim and idx.shape[d] > shape[d]]
    if too_big:
        raise ValueError(
            f"gather: the index of shape {idx.shape} is larger than the tensor of shape "
            f"{tuple(shape)} along axis {too_big[0]} (only axis {dim} may differ)"
        )
    _check_range("gather", "index", idx, shape[dim], dim, shape, 0)
    parts = [
        idx
        if d == dim
        else np.arange(idx.shape[d]).reshape((1,) * d + (-1,) + (1,) * (len(shape) - d - 1))
        for d in range(len(shape))
    ]
    return _pick(x, tuple(parts))


def _stable_order(op: str, x, axis, descending: bool) -> tuple[np.ndarray, int | None]:
    """The stable sorting permutation of ``x`` along ``axis`` (None: flattened): ties keep
    their order, also in descending order (the first of equal values first); NaN sorts
    as the largest value, last ascending and first descending."""
    data = np.asarray(constant(x))
    if axis is None:
        data, axis = data.reshape(-1), None
        ax = 0
    else:
        ax = _axis_in(op, axis, max(data.ndim, 1))
        if data.ndim == 0:
            data = data.reshape(1)
    if not descending:
        return np.argsort(data, axis=ax, kind="stable"), axis
    # descending, ties in ascending position: sort the reversed array ascending, reverse
    # that order and map the positions back (no negation: it would wrap unsigned integers)
    n = data.shape[ax]
    order = np.argsort(np.flip(data, ax), axis=ax, kind="stable")
    return (n - 1) - np.flip(order, ax), axis


def sort(x, axis=-1, *, dim=None, descending: bool = False, stable=None):
    """The values of ``x`` sorted along ``axis`` (last by default; flattened when None), as
    NumPy's ``sort``: the values only (PyTorch's ``sort`` returns (values, indices): the
    indices are `argsort`). Stable: equal values keep their order, also with
    ``descending=True`` (PyTorch's name; largest first); PyTorch's ``stable=`` is accepted
    and changes nothing. NaN sorts as the largest value.
    ``dim=`` is PyTorch's name for ``axis``. A `take_along_axis`, so each value's gradient
    goes back to the position it came from."""
    axis, _ = torch_names("sort", axis, dim, default=-1)
    order, axis = _stable_order("sort", x, axis, descending)
    if not _shape_of(x) and axis is not None:
        return take_along_axis(reshape(x, 1), order, 0).reshape(())
    return take_along_axis(x, order, axis)


class TopK(NamedTuple):
    """What `topk` returns, as PyTorch's: the values (in the graph) and their indices
    (int64, outside it)."""

    values: Tensor
    indices: Tensor


def topk(x, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *, axis=None):
    """The ``k`` largest (``largest=False``: smallest) values along ``dim`` and their
    indices, as PyTorch's ``topk``: a `TopK` named tuple ``(values, indices)``, largest
    first. Ties are broken by position, the first one first (PyTorch leaves the order of
    ties unspecified), and NaN counts as the largest value, as in PyTorch. ``sorted=False``
    is accepted and gives the same sorted result. ``axis=`` is NumPy's name for ``dim``. k
    larger than the axis is a ValueError. Each value's gradient goes back to its position;
    the others get 0."""
    dim, _ = torch_names("topk", dim, axis, default=-1)
    k = int_arg("topk", "k", k)
    shape = _shape_of(x)
    d = _axis_in("topk", dim, max(len(shape), 1))
    n = shape[d] if shape else 1
    if not 0 <= k <= n:
        raise ValueError(
            f"topk: k={k} for axis {d} of size {n} (the tensor's shape is {tuple(shape)}); k "
            f"must be 0 to {n}"
        )
    if not shape and k == 0:
        raise ValueError("topk: k=0 for a 0-d tensor, whose 0-d result holds a value; k must be 1")
    order, _ = _stable_order("topk", x, d, largest)
    first = order[_along(d, order.ndim, slice(0, k))]
    if not shape:
        values = reshape(take_along_axis(reshape(x, 1), first, 0), ())
        return TopK(values, Tensor(first.reshape(()).astype(np.int64)))
    return TopK(take_along_axis(x, first, d), Tensor(first.astype(np.int64)))
