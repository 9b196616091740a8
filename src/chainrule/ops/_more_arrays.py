"""More array ops, for parity with PyTorch and NumPy: running products, maxima and
log-sum-exps, differences, selections and scatters by index, NaN-ignoring reductions,
medians, and the index-valued ops outside the graph (nonzero, unique).

Two are primitives of their own, `Cumprod` and `LogCumSumExp`: a composition would be
slow (n² work) or unstable. Each backward is written with ops that accept arrays and
Tensors, and under ``create_graph`` takes an n² form that is exact at every order (a zero
factor, a large exponent). The rest are compositions of indexing (whose backward scatters
into zeros), scatter, where, sum and mean, so their gradients, and the gradients of those,
come from those primitives.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._function import Function
from .._tensor import Tensor
from ._arrays import _axis_tuple, _reverse_cumsum, int_arg
from ._common import constant, exp, float_operands, is_tensor
from ._derived import (
    _along,
    _axis_in,
    _check_range,
    _index_array,
    _shape_of,
    _stable_order,
    take_along_axis,
)
from ._elementwise import where
from ._names import torch_names
from ._reduce import _axes, _axis_arg, mean, sum
from ._shape import broadcast_to, concatenate, reshape, scatter, swapaxes
from ._shape import index as _pick


class ValuesIndices(NamedTuple):
    """What `cummax`, `cummin` and `kthvalue` return, as PyTorch's: the values (in the
    graph) and their indices (int64, outside it)."""

    values: Tensor
    indices: Tensor


def _data(x) -> np.ndarray:
    return np.asarray(constant(x))


def _required_axis(op: str, axis, dim):
    axis, _ = torch_names(op, axis, dim)
    if axis is None:
        raise TypeError(f"{op}: give the axis, e.g. {op}(x, 0) or {op}(x, dim=0)")
    return axis


def _last(a, axis: int):
    """``a`` with ``axis`` moved last by a swap (its own inverse)."""
    return a if axis in (-1, a.ndim - 1) else swapaxes(a, axis, -1)


def _upper(n: int) -> np.ndarray:
    """The (n, n) mask j ≥ i: which later positions j reach back to position i."""
    return np.triu(np.ones((n, n), dtype=bool))


# ----- running products -------------------------------------------------------------------
class Cumprod(Function):
    """cumprod: ∂yⱼ/∂xᵢ = Π_{k≤j, k≠i} xₖ for i ≤ j — each element receives Σ_{j≥i} gⱼyⱼ/xᵢ
    where no factor of its slice is 0; before the first 0 of a slice the same sum (it stops
    at that 0), at the first 0 the sum with that factor left out, after it 0 (every product
    holds the 0). Under ``create_graph`` with a 0, each left-out product is formed as a
    cumprod of the slice with one factor replaced by 1 (n² values), exact at every order."""

    __slots__ = ("axis",)
    quiet = True  # products overflow to ±inf, as NumPy gives them

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        if self.axis is None:
            out = np.cumprod(x.reshape(-1))
        else:
            (self.axis,) = _axis_tuple("cumprod", self.axis, max(x.ndim, 1))
            out = np.cumprod(x.reshape(-1) if x.ndim == 0 else x, axis=self.axis)
            out = out.reshape(x.shape)
        self.saved = (x, out)
        return out

    def backward(self, grad_out):
        x, y = self.saved
        shape = x.shape
        if self.axis is not None and len(shape):
            return (_cumprod_grad(x, y, grad_out, self.axis),)
        flat = _cumprod_grad(x.reshape(-1), y.reshape(-1), grad_out.reshape(-1), 0)
        return (flat.reshape(shape),)


def _cumprod_grad(x, y, g, axis: int):
    zero = _data(x) == 0
    if not zero.any():
        return _reverse_cumsum(g * y, axis) / x
    if is_tensor(x) or is_tensor(g):
        return _last(_left_out_grad(_last(x, axis), _last(g, axis)), axis)
    seen = np.cumsum(zero, axis)  # zeros up to and including each position
    first = zero & (seen == 1)
    before = _reverse_cumsum(g * y, axis) / np.where(zero, 1, x)
    at = _reverse_cumsum(g * np.cumprod(np.where(first, 1, x), axis), axis)
    return np.where(seen == 0, before, np.where(first, at, 0)).astype(x.dtype, copy=False)


def _left_out_grad(x, g):
    """Σ_{j≥i} gⱼ Π_{k≤j, k≠i} xₖ along the last axis, with no division: row i of an
    (..., n, n) copy of x has xᵢ replaced by 1, and its cumprod holds the products."""
    n = x.shape[-1]
    rows = reshape(x, (*x.shape[:-1], 1, n))
    products = Cumprod(-1)(where(np.eye(n, dtype=bool), 1, rows))  # (..., i, j)
    terms = where(_upper(n), products * reshape(g, rows.shape), 0)
    return sum(terms, -1)


def cumprod(x, axis=None, *, dim=None):
    """Cumulative product along ``axis``: yⱼ = x₀·…·xⱼ, as ``np.cumprod`` (with
    ``axis=None`` the input is flattened) and ``torch.cumprod(x, dim)``. The gradient is
    exact where factors are 0 (each element gets the product of the others, not y/x)."""
    axis, _ = torch_names("cumprod", axis, dim)
    return Cumprod(axis)(x)


# ----- running log-sum-exp ----------------------------------------------------------------
class LogCumSumExp(Function):
    """logcumsumexp: ∂yⱼ/∂xᵢ = exp(xᵢ − yⱼ) for i ≤ j (the softmax weights of the prefix) —
    each element receives Σ_{j≥i} gⱼ exp(xᵢ − yⱼ). Computed stably, as PyTorch does, from
    the positive and negative parts of g: exp(xᵢ + log Σ_{j≥i} exp(log g±ⱼ − yⱼ)), a
    logcumsumexp from the end; under ``create_graph`` as the n² weights themselves, each
    at most 1."""

    __slots__ = ("axis",)
    quiet = True  # −∞ − (−∞) is NaN, as in NumPy's logaddexp

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        (self.axis,) = _axis_tuple("logcumsumexp", self.axis, max(x.ndim, 1))
        data = x if x.dtype.kind == "f" else x.astype(np.float64)
        out = np.logaddexp.accumulate(data.reshape(-1) if x.ndim == 0 else data, axis=self.axis)
        self.saved = (x, out.reshape(x.shape))
        return self.saved[1]

    def backward(self, grad_out):
        x, y = self.saved
        shape = x.shape
        if not len(shape):
            x, y, grad_out = x.reshape(1), y.reshape(1), grad_out.reshape(1)
        if is_tensor(grad_out) or is_tensor(x):
            a = self.axis
            grad_x = _last(_weights_grad(_last(x, a), _last(y, a), _last(grad_out, a)), a)
        else:
            grad_x = _signed_parts_grad(x, y, grad_out, self.axis)
        return (grad_x.reshape(shape),)


def _signed_parts_grad(x, y, g, axis: int):
    def part(w):  # log 0 = −∞ without computing it: no divide-by-zero flag for a g of 0
        log_w = np.log(w, out=np.full(w.shape, -np.inf, w.dtype), where=w > 0)
        return np.exp(x + _reverse_lcse(log_w - y, axis))

    return (part(np.maximum(g, 0)) - part(np.maximum(-g, 0))).astype(x.dtype, copy=False)


def _reverse_lcse(a: np.ndarray, axis: int) -> np.ndarray:
    return np.flip(np.logaddexp.accumulate(np.flip(a, axis), axis=axis), axis)


def _weights_grad(x, y, g):
    """Σ_{j≥i} gⱼ exp(xᵢ − yⱼ) along the last axis from the (..., n, n) weights."""
    n = x.shape[-1]
    diffs = reshape(x, (*x.shape, 1)) - reshape(y, (*y.shape[:-1], 1, n))  # (..., i, j)
    weights = exp(where(_upper(n), diffs, -np.inf))
    return sum(weights * reshape(g, (*y.shape[:-1], 1, n)), -1)


def logcumsumexp(x, axis=None, *, dim=None):
    """log Σ_{k≤j} exp(xₖ) along ``axis``, as ``torch.logcumsumexp(x, dim)`` (which
    requires the axis, as here; NumPy's form is ``np.logaddexp.accumulate``): computed
    without overflow for large x. An integer tensor gives float64. The gradient is the
    prefix softmax weights times the upstream gradient, summed from the end."""
    return LogCumSumExp(_required_axis("logcumsumexp", axis, dim))(x)


# ----- running maxima and minima ----------------------------------------------------------
def _running_extreme(op: str, x, axis, dim, ufunc) -> ValuesIndices:
    """The running maximum or minimum (``ufunc``) along the axis and where each came from:
    the latest of tied values, and from the first NaN on the latest NaN, as PyTorch's."""
    axis = _required_axis(op, axis, dim)
    data, shape = _data(x), _shape_of(x)
    if not shape:
        out = _running_extreme(op, reshape(x, 1), axis, None, ufunc)
        return ValuesIndices(reshape(out.values, ()), Tensor(out.indices.data.reshape(())))
    ax = _axis_in(op, axis, len(shape))
    running = ufunc.accumulate(data, axis=ax)
    own = (data == running) | (np.isnan(data) if data.dtype.kind == "f" else False)
    positions = np.arange(shape[ax]).reshape((-1,) + (1,) * (len(shape) - ax - 1))
    idx = np.maximum.accumulate(np.where(own, positions, 0), axis=ax)
    return ValuesIndices(take_along_axis(x, idx, ax), Tensor(idx.astype(np.int64)))


def cummax(x, axis=None, *, dim=None) -> ValuesIndices:
    """The running maximum along ``axis`` and where each came from, as ``torch.cummax(x,
    dim)``: a named tuple ``(values, indices)`` (int64, outside the graph). Of tied values
    the latest is taken; NaN propagates, as in PyTorch. The axis is required. An indexing,
    so each value's gradient goes to the position it came from."""
    return _running_extreme("cummax", x, axis, dim, np.maximum)


def cummin(x, axis=None, *, dim=None) -> ValuesIndices:
    """The running minimum along ``axis`` and where each came from, as ``torch.cummin``;
    see `cummax`."""
    return _running_extreme("cummin", x, axis, dim, np.minimum)


# ----- differences ------------------------------------------------------------------------
def diff(x, n: int = 1, axis=-1, prepend=None, append=None, *, dim=None):
    """The ``n``-th difference along ``axis`` (last by default), ``out[i] = x[i+1] − x[i]``
    applied ``n`` times, as ``np.diff`` and ``torch.diff`` (``dim=`` is PyTorch's name);
    ``prepend`` and ``append`` (numbers, or tensors of x's shape but along the axis) are
    joined first. A boolean tensor gives ``x[i+1] != x[i]``, outside the graph. Slices and
    a subtraction, so the gradient is the upstream gradient's differences, negated."""
    axis, _ = torch_names("diff", axis, dim, default=-1)
    n = int_arg("diff", "n", n)
    if n < 0:
        raise ValueError(f"diff: the order n must be >= 0, got {n}")
    shape = _shape_of(x)
    if not shape:
        raise ValueError("diff: a 0-d tensor has no axis to take differences along")
    ax = _axis_in("diff", axis, len(shape))
    x = _joined(x, prepend, append, ax)
    if _data(x).dtype == bool:
        return Tensor(np.diff(_data(x), n, axis=ax))
    for _ in range(n):
        x = _pick(x, _along(ax, len(shape), slice(1, None))) - _pick(
            x, _along(ax, len(shape), slice(None, -1))
        )
    return x


def _joined(x, prepend, append, axis: int):
    if prepend is None and append is None:
        return x
    shape = _shape_of(x)
    parts = []
    for part in (prepend, x, append):
        if part is None:
            continue
        if part is not x and np.ndim(constant(part)) == 0:  # a number: along the axis once,
            dtype = _data(x).dtype  # in a float x's dtype, as a number in an op
            value = np.asarray(constant(part), dtype if dtype.kind == "f" else None)
            part = np.broadcast_to(value, (*shape[:axis], 1, *shape[axis + 1 :]))
        parts.append(part)
    return concatenate(parts, axis)


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
    axis = _required_axis(op, axis, dim)
    shape = tuple(_shape_of(x))
    if not shape:
        raise ValueError(f"{op}: a 0-d tensor has no axis to index; reshape it to (1,)")
    return _axis_in(op, axis, len(shape)), shape


def index_select(x, axis=None, index=None, *, dim=None):
    """The slices of ``x`` at ``index`` (1-D, integers) along ``axis``, as
    ``torch.index_select(x, dim, index)`` (``dim=`` is its name) and ``np.take(x, index,
    axis)``. Indices go from 0 to size − 1; one outside is an IndexError naming the op, the
    index and the size. The gradient is added back at the picked positions."""
    ax, shape = _axis_of("index_select", x, axis, dim)
    if index is None:
        raise TypeError("index_select: give the index, e.g. index_select(x, 0, index)")
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
    except along the axis, where it has one slice per index. The gradient of x is the
    upstream gradient; of ``source``, alpha times its slices at ``index``."""
    ax, shape = _axis_of("index_add", x, axis, dim)
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


def scatter_add(x, axis=None, index=None, src=None, *, dim=None):
    """``x`` with ``src`` added at ``index`` along ``axis``, out of place, as
    ``torch.scatter_add(x, dim, index, src)``: for axis 0, ``out[index[i][j]][j] +=
    src[i][j]``, repeated indices adding up (the adjoint of `gather`). ``index`` has x's
    number of dimensions, is no larger than ``src`` anywhere nor than x off the axis (the
    leading part of ``src`` is used). The gradient of x is the upstream gradient; of
    ``src``, the upstream gradient gathered at ``index`` (0 where unused)."""
    ax, shape = _axis_of("scatter_add", x, axis, dim)
    x, src = _operand("scatter_add", x, src, "src")
    idx = _index_array("scatter_add", "index", index)
    sshape = tuple(_shape_of(src))
    if idx.ndim != len(shape) or len(sshape) != len(shape):
        raise ValueError(
            f"scatter_add: the tensor {shape}, the index {idx.shape} and src {sshape} need "
            f"the same number of dimensions"
        )
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
    if not shape:
        out = kthvalue(reshape(x, 1), k, 0)
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
