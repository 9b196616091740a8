"""More array ops, for parity with PyTorch and NumPy: selections and scatters by index,
NaN-ignoring reductions, medians, and the index-valued ops outside the graph (nonzero,
unique). The running ops (cumprod, logcumsumexp, cummax, cummin, diff) are in
``_running.py``.

All are compositions of indexing (whose backward scatters into zeros), scatter, where,
sum and mean, so their gradients, and the gradients of those, come from those primitives.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._arrays import int_arg
from ._common import float_operands, is_tensor
from ._derived import (
    _along,
    _axis_as_1d,
    _axis_in,
    _check_0d_index,
    _check_range,
    _index_array,
    _shape_of,
    _stable_order,
    take_along_axis,
)
from ._elementwise import where
from ._names import torch_names
from ._reduce import _axes, _axis_arg, mean, sum
from ._running import ValuesIndices, _data, _required_axis
from ._shape import broadcast_to, reshape, scatter
from ._shape import index as _pick


# ----- selections and scatters by index ---------------------------------------------------
def _positions(op: str, index, size: int, axis: int, shape) -> np.ndarray:
    """A 1-D (or 0-d, taken as 1-D) integer index into an axis of ``size``, checked, as a
    1-D array of its own."""
    idx = _index_array(op, "index", index)
    if idx.ndim > 1:
        raise ValueError(f"{op}: the index must be 1-D, got shape {idx.shape}")
    idx = idx.reshape(-1).copy()
    _check_range(op, "index", idx, size, axis, shape, 0)
    return idx


def _axis_of(op: str, x, axis, dim) -> tuple[int, tuple]:
    """The axis named by ``axis`` or ``dim``, and x's shape; a 0-d x counts as 1-d (its
    one element along axis 0, or -1), as in PyTorch."""
    axis = _required_axis(op, axis, dim)
    shape = tuple(_shape_of(x))
    return _axis_as_1d(op, axis, len(shape)), shape


def _single(op: str, index) -> np.ndarray:
    """The index into a 0-d tensor: one element (0-d or 1-d), as PyTorch requires."""
    idx = _index_array(op, "index", index)
    if idx.size != 1 or idx.ndim > 1:
        raise ValueError(
            f"{op}: the index into a 0-d tensor must hold one element (0), got shape {idx.shape}"
        )
    _check_0d_index(op, idx)
    return idx.reshape(1)


def index_select(x, axis=None, index=None, *, dim=None):
    """The slices of ``x`` at ``index`` (1-D, integers) along ``axis``, as
    ``torch.index_select(x, dim, index)`` (``dim=`` is its name) and ``np.take(x, index,
    axis)``. Indices go from 0 to size − 1; one outside is an IndexError naming the op, the
    index and the size. A 0-d ``x`` counts as 1-d, as in PyTorch: one index, 0, gives ``x``
    (0-d). The gradient is added back at the picked positions."""
    ax, shape = _axis_of("index_select", x, axis, dim)
    if index is None:
        raise TypeError("index_select: give the index, e.g. index_select(x, 0, index)")
    if not shape:
        return reshape(index_select(reshape(x, 1), 0, _single("index_select", index)), ())
    idx = _positions("index_select", index, shape[ax], ax, shape)
    return _pick(x, _along(ax, len(shape), idx))


def masked_select(x, mask):
    """The elements of ``x`` where the boolean ``mask`` is true, in a 1-D tensor, as
    ``torch.masked_select`` (``x[mask]`` in NumPy); the mask and ``x`` broadcast together.
    The gradient is scattered back to the selected positions, 0 elsewhere."""
    cond = _data(mask)
    if cond.dtype != np.bool_:
        raise TypeError(f"masked_select: the mask must be boolean, got {cond.dtype}")
    shape = _shape_of(x)
    try:
        wide = np.broadcast_shapes(tuple(shape), cond.shape)
    except ValueError:
        raise ValueError(
            f"masked_select: a mask of shape {cond.shape} does not broadcast with the "
            f"tensor's shape {tuple(shape)}"
        ) from None
    x = x if tuple(shape) == wide else broadcast_to(x, wide)
    return _pick(x, np.broadcast_to(cond, wide))


def _operand(op: str, x, source, name: str):
    """``x`` and ``source`` (a Tensor, an array or a list) in one float dtype as PyTorch's
    promotion gives it for an integer one beside a float one."""
    if source is None:
        raise TypeError(f"{op}: give the {name} tensor, e.g. {op}(x, 0, index, {name})")
    return float_operands((x, source if is_tensor(source) else np.asarray(source)))


def index_add(x, axis=None, index=None, source=None, *, alpha=1, dim=None):
    """``x`` with ``alpha · source`` added at ``index`` along ``axis``, out of place, as
    ``torch.index_add(x, dim, index, source, alpha=)``: ``out[..., index[i], ...] +=
    alpha · source[..., i, ...]``, repeated indices adding up. ``source`` has x's shape
    except along the axis, where it has one slice per index; for a 0-d x (1-d, as in
    PyTorch) one index, 0, and a 0-d source. The gradient of x is the upstream gradient;
    of ``source``, alpha times its slices at ``index``."""
    ax, shape = _axis_of("index_add", x, axis, dim)
    if not shape:
        return _index_add_0d(x, index, source, alpha)
    idx = _positions("index_add", index, shape[ax], ax, shape)
    x, source = _operand("index_add", x, source, "source")
    want = (*shape[:ax], idx.size, *shape[ax + 1 :])
    if tuple(_shape_of(source)) != want:
        raise ValueError(
            f"index_add: a source of shape {tuple(_shape_of(source))} for a tensor of shape "
            f"{shape} and {idx.size} indices along axis {ax}; it needs the shape {want}"
        )
    added = scatter(source, _along(ax, len(shape), idx), shape)
    return x + (added if alpha == 1 else added * alpha)


def _index_add_0d(x, index, source, alpha):
    """`index_add` into a 0-d x, as into one of shape (1,) with a 0-d source (PyTorch's)."""
    x, source = _operand("index_add", x, source, "source")
    if tuple(_shape_of(source)):
        raise ValueError(
            f"index_add: a source of shape {tuple(_shape_of(source))} for a 0-d tensor; it "
            "needs the shape ()"
        )
    one = reshape(source, 1)
    return reshape(index_add(reshape(x, 1), 0, _single("index_add", index), one, alpha=alpha), ())


def scatter_add(x, axis=None, index=None, src=None, *, dim=None):
    """``x`` with ``src`` added at ``index`` along ``axis``, out of place, as
    ``torch.scatter_add(x, dim, index, src)``: for axis 0, ``out[index[i][j]][j] +=
    src[i][j]``, repeated indices adding up (the adjoint of `gather`). ``index`` has x's
    number of dimensions, is no larger than ``src`` anywhere nor than x off the axis (the
    leading part of ``src`` is used); a 0-d one of the three counts as 1-d, as in PyTorch.
    The gradient of x is the upstream gradient; of ``src``, the upstream gradient gathered
    at ``index`` (0 where unused)."""
    ax, shape = _axis_of("scatter_add", x, axis, dim)
    x, src = _operand("scatter_add", x, src, "src")
    idx = _index_array("scatter_add", "index", index)
    sshape = tuple(_shape_of(src))
    ndims = (len(shape), idx.ndim, len(sshape))
    if len({max(n, 1) for n in ndims}) > 1:
        raise ValueError(
            f"scatter_add: the tensor {shape}, the index {idx.shape} and src {sshape} need "
            f"the same number of dimensions (0-d counts as 1-d)"
        )
    if 0 in ndims:  # all three as 1-d, the result of x's shape
        return _scatter_add_as_1d(x, idx, src, shape, sshape)
    over = [
        d
        for d in range(len(shape))
        if idx.shape[d] > sshape[d] or (d != ax and idx.shape[d] > shape[d])
    ]
    if over:
        raise ValueError(
            f"scatter_add: the index of shape {idx.shape} is larger than src {sshape} or "
            f"the tensor {shape} along axis {over[0]} (only axis {ax} may exceed the tensor)"
        )
    _check_range("scatter_add", "index", idx, shape[ax], ax, shape, 0)
    parts = tuple(
        idx.copy() if d == ax else np.arange(k).reshape((-1,) + (1,) * (len(shape) - d - 1))
        for d, k in enumerate(idx.shape)
    )
    used = src if sshape == idx.shape else _pick(src, tuple(slice(0, k) for k in idx.shape))
    return x + scatter(used, parts, shape)


def _scatter_add_as_1d(x, idx: np.ndarray, src, shape: tuple, sshape: tuple):
    """`scatter_add` where x, the index or src is 0-d: all three as 1-d, as PyTorch's, the
    result of x's shape; a refusal names the shapes given, not the 1-d ones used inside."""
    if idx.size > int(np.prod(sshape)):
        raise ValueError(
            f"scatter_add: the index of shape {idx.shape} is larger than src {sshape} "
            "(0-d counts as 1-d, of size 1)"
        )
    if not shape:
        _check_0d_index("scatter_add", idx)
    return reshape(scatter_add(reshape(x, -1), 0, idx.reshape(-1), reshape(src, -1)), shape)


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


# ----- index-valued, outside the graph ----------------------------------------------------
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
