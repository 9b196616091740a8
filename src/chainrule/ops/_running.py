"""Running ops along an axis, for parity with PyTorch and NumPy: `cumprod`,
`logcumsumexp`, `cummax` and `cummin` (with `ValuesIndices`, their named tuple), and
NumPy's `diff`.

Two are primitives of their own, `Cumprod` and `LogCumSumExp`: a composition would be
slow (n² work) or unstable. Each backward is written with ops that accept arrays and
Tensors, and under ``create_graph`` takes an n² form that is exact at every order (a zero
factor, a large exponent). `cummax`, `cummin` and `diff` are compositions of indexing and
concatenation, so their gradients come from those.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._function import Function
from .._tensor import Tensor
from ._arrays import _axis_tuple, _reverse_cumsum, int_arg
from ._axis_index import _along, _axis_in, _shape_of
from ._common import constant, exp, is_tensor
from ._elementwise import where
from ._indexing import take_along_axis
from ._names import torch_names
from ._reduce import sum
from ._shape import broadcast_to, concatenate, reshape, swapaxes
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
        if part is not x and np.ndim(constant(part)) == 0:  # a number: along the axis once
            part = _along_once(part, _data(x).dtype, (*shape[:axis], 1, *shape[axis + 1 :]))
        parts.append(part)
    return concatenate(parts, axis)


def _along_once(value, dtype, shape: tuple):
    """A 0-d ``value`` broadcast to ``shape``: a number in a float x's ``dtype``, as a
    number in an op; a 0-d Tensor by `broadcast_to`, so it keeps its gradient."""
    if is_tensor(value):
        return broadcast_to(value, shape)
    value = np.asarray(value, dtype if dtype.kind == "f" else None)
    return np.broadcast_to(value, shape)
