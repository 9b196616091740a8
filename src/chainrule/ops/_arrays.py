"""Array ops that are primitives of their own: cumsum, flip, roll and diag.

Each backward moves the upstream gradient back where its values came from, with the same
op (or its adjoint) so that under ``create_graph`` it is recorded: cumsum's is a cumsum
taken from the other end, flip's a flip, roll's a roll the other way, diag's a diag (the
diagonal of a matrix and the matrix of a diagonal are each other's adjoints). einsum is
in ``_einsum.py``; the ops composed of existing primitives (tile, repeat_interleave,
chunk, unbind, take_along_axis, gather, sort, topk, outer, trace, triu, tril) are in
``_reshapes.py``, ``_indexing.py`` and ``_matrices.py``.
"""

from __future__ import annotations

import numpy as np

from .._function import Function
from ._common import is_tensor
from ._names import torch_names
from ._shape import scatter


def _axis_tuple(op: str, axis, ndim: int) -> tuple[int, ...]:
    """``axis`` (None: every axis; an int or a tuple of ints) as axes in ``range(ndim)``;
    out of range is NumPy's AxisError naming ``op``, a repeated axis a ValueError."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) or np.ndim(axis) == 0 else tuple(axis)
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: axes must be ints, got {a!r} in {axis!r}")
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(
                f"{op}: axis {a} is out of range for a tensor of {ndim} dimensions"
                + (f" (-{ndim} to {ndim - 1})" if ndim else "")
            )
    kept = tuple(int(a) % ndim for a in axes)
    if len(set(kept)) < len(kept):
        raise ValueError(f"{op}: axis {axis!r} names an axis twice")
    return kept


# ----- cumsum ------------------------------------------------------------------------------
class Cumsum(Function):
    """cumsum: ∂yⱼ/∂xᵢ = 1 for i ≤ j — each element receives the sum of the upstream
    gradient over itself and every later position, gᵢ + gᵢ₊₁ + … + gₙ (a cumsum taken from
    the end); with ``axis=None`` over the flattened input, reshaped back."""

    __slots__ = ("axis",)
    quiet = True  # sums may overflow, and ∞ − ∞ is NaN, as NumPy gives them

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        if self.axis is None:
            return np.cumsum(x.reshape(-1))
        (self.axis,) = _axis_tuple("cumsum", self.axis, max(x.ndim, 1))
        if x.ndim == 0:
            return np.cumsum(x.reshape(1), axis=0).reshape(())
        return np.cumsum(x, axis=self.axis)

    def backward(self, grad_out):
        shape = self.inputs[0].shape
        if self.axis is None or len(shape) == 0:
            g = grad_out.reshape(-1)
            return (_reverse_cumsum(g, 0).reshape(shape),)
        return (_reverse_cumsum(grad_out, self.axis),)


def _reverse_cumsum(g, axis: int):
    """Σ_{j ≥ i} gⱼ along ``axis``: flip, cumsum, flip (arrays stay arrays, Tensors Tensors)."""
    if is_tensor(g):
        return Flip((axis,))(Cumsum(axis)(Flip((axis,))(g)))
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def cumsum(x, axis=None, *, dim=None):
    """Cumulative sum along ``axis``: yⱼ = x₀ + … + xⱼ. With ``axis=None`` (NumPy's
    default) the input is flattened first, so the result is 1-D; ``dim=`` is PyTorch's name
    for ``axis`` (``torch.cumsum(x, dim)``, which requires it). An integer or bool tensor
    gives NumPy's integer result, outside the graph. The gradient is the upstream
    gradient's cumsum taken from the end."""
    axis, _ = torch_names("cumsum", axis, dim)
    return Cumsum(axis)(x)


# ----- flip and roll ---------------------------------------------------------------------
class Flip(Function):
    """flip: yᵢ = x₋ᵢ₋₁ along the flipped axes — the upstream gradient flipped back."""

    __slots__ = ("axes",)

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        self.axes = _axis_tuple("flip", self.axes, x.ndim)
        return np.flip(x, self.axes)

    def backward(self, grad_out):
        return (_flipped(grad_out, self.axes),)


def _flipped(g, axes: tuple[int, ...]):
    return Flip(axes)(g) if is_tensor(g) else np.flip(g, axes)


def flip(x, axis=None, *, dims=None):
    """``x`` with the order of the elements reversed along ``axis`` (an int or a tuple;
    every axis when None, as NumPy's ``flip``). ``dims=`` is PyTorch's name (``torch.flip``
    requires it); ``x.flip(0)`` means the same in both. The gradient is flipped back."""
    axis, _ = torch_names("flip", axis, dims)
    return Flip(axis)(x)


class Roll(Function):
    """roll: yᵢ = x_{i−s} (indices modulo n) — the upstream gradient rolled back by −s."""

    __slots__ = ("axis", "shift")

    def __init__(self, shift, axis):
        self.shift, self.axis = shift, axis

    def forward(self, x):
        if self.axis is not None:
            axes = (self.axis,) if isinstance(self.axis, (int, np.integer)) else self.axis
            for a in axes:  # out of range: an error naming the op (repeated: rolled again)
                _axis_tuple("roll", a, x.ndim)
        return np.roll(x, self.shift, self.axis)

    def backward(self, grad_out):
        back = tuple(-int(s) for s in self.shift) if isinstance(self.shift, tuple) else -self.shift
        if is_tensor(grad_out):
            return (Roll(back, self.axis)(grad_out),)
        return (np.roll(grad_out, back, self.axis),)


def roll(x, shift=None, axis=None, *, shifts=None, dims=None):
    """``x`` with its elements shifted by ``shift`` places along ``axis``, those that fall
    off one end coming back at the other, as NumPy's ``roll``: with ``axis=None`` the
    tensor is flattened, rolled and given its shape back. ``shift`` and ``axis`` may be
    tuples of the same length. ``shifts=`` and ``dims=`` are PyTorch's names. The gradient
    is rolled back by −shift."""
    shift, _ = torch_names("roll", shift, shifts)
    axis, _ = torch_names("roll", axis, dims)
    if shift is None:
        raise TypeError("roll: give the shift, e.g. roll(x, 1) or roll(x, 1, axis=0)")
    shift = _int_or_ints("roll", "shift", shift)
    if axis is not None:
        axis = _int_or_ints("roll", "axis", axis)
        if isinstance(shift, tuple) != isinstance(axis, tuple) or (
            isinstance(shift, tuple) and len(shift) != len(axis)
        ):
            if isinstance(shift, tuple) or not isinstance(axis, tuple):
                raise ValueError(
                    f"roll: shift {shift!r} and axis {axis!r} must have the same length"
                )
            shift = (shift,) * len(axis)  # one shift for every axis, as NumPy broadcasts it
    elif isinstance(shift, tuple):
        raise ValueError(f"roll: several shifts {shift!r} need as many axes (axis=None)")
    return Roll(shift, axis)(x)


def _int_or_ints(op: str, what: str, v):
    if isinstance(v, (list, tuple)):
        return tuple(int_arg(op, f"each {what}", a) for a in v)
    return int_arg(op, f"the {what}", v)


def int_arg(op: str, what: str, v) -> int:
    """``v`` as a Python int, or a TypeError naming ``op`` and ``what`` (a bool is no int)."""
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{op}: {what} must be an int, got {v!r}")
    return int(v)


# ----- diag -------------------------------------------------------------------------------
class Diag(Function):
    """diag: of a vector, the matrix with it on diagonal k; of a matrix, its diagonal k —
    each is the other's adjoint, so the gradient is diag of the upstream gradient (its
    diagonal k for a vector input, a matrix holding it on diagonal k for a matrix input)."""

    __slots__ = ("k",)

    def __init__(self, k: int):
        self.k = k

    def forward(self, x):
        if x.ndim not in (1, 2):
            raise ValueError(
                f"diag takes a vector (to make a matrix) or a matrix (to take its "
                f"diagonal), got {x.ndim} dimensions; the diagonals of a batch of matrices "
                f"are x[..., i, i] with i = np.arange(n)"
            )
        if x.ndim == 2:
            return np.diag(x, self.k).copy()  # NumPy's is a read-only view
        return np.diag(x, self.k)

    def backward(self, grad_out):
        shape = self.inputs[0].shape
        if len(shape) == 1:
            return (_diag(grad_out, self.k),)
        return (scatter(grad_out, _diagonal_index(shape, self.k), shape),)


def _diagonal_index(shape: tuple[int, int], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows and columns of diagonal ``k`` of a matrix of ``shape``."""
    m, n = shape
    rows = np.arange(max(0, -k), max(0, min(m, n - k)))
    return rows, rows + k


def _diag(g, k: int):
    return Diag(k)(g) if is_tensor(g) else np.diag(g, k)


def diag(x, k: int = 0, *, diagonal=None):
    """As NumPy's ``diag`` (and ``torch.diag``): of a 1-D tensor, the square matrix with it
    on diagonal ``k`` (above the main one for k > 0, below for k < 0) and zeros elsewhere;
    of a 2-D tensor, its diagonal ``k`` as a 1-D tensor (a copy). ``diagonal=`` is
    PyTorch's name for ``k``. The gradient of each form is the other form of the upstream
    gradient."""
    k, _ = torch_names("diag", k, diagonal, default=0)
    k = int_arg("diag", "the offset k", k)
    return Diag(k)(x)
