"""Ops that move values without changing them: reshape, transpose, broadcast_to, indexing,
concatenate, stack. Their backward moves the upstream gradient back where it came from.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._anomaly import user_frame
from .._function import Function
from .._tensor import Tensor
from ._common import float_operands, is_tensor, unbroadcast
from ._names import torch_names


def _shape_arg(shape) -> tuple[int, ...]:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f(np.array([2, 3]))`` alike, as NumPy does."""
    if len(shape) == 1 and (isinstance(shape[0], (tuple, list)) or np.ndim(shape[0]) == 1):
        return tuple(shape[0])
    return tuple(shape)


class Reshape(Function):
    """reshape: the gradient is the upstream gradient reshaped to the input's shape."""

    __slots__ = ("shape",)

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, grad_out):
        return (grad_out.reshape(self.inputs[0].shape),)


class Transpose(Function):
    """transpose: the gradient is the upstream gradient with the axes permuted back."""

    __slots__ = ("axes",)

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        if self.axes is None:
            self.axes = tuple(range(x.ndim))[::-1]
            return x.transpose()
        if len(self.axes) == 2 and x.ndim != 2:  # transpose(a, b): PyTorch's meaning
            raise ValueError(
                f"transpose takes the whole permutation of the axes ({x.ndim} here), as "
                f"NumPy's does, got the two axes {self.axes}; PyTorch's transpose(a, b), "
                f"which swaps two axes, is swapaxes(a, b)"
            )
        out = x.transpose(self.axes)  # NumPy validates the permutation: () only for 0-d
        self.axes = tuple(a % x.ndim for a in self.axes)
        return out

    def backward(self, grad_out):
        return (grad_out.transpose(tuple(np.argsort(self.axes))),)


class BroadcastTo(Function):
    """broadcast_to: the gradient is the upstream gradient summed over the broadcast axes."""

    __slots__ = ("shape",)

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        # read here, not in __init__, so that a shape that is no shape (2.5, None) is an
        # error that names the op and the input's shape; a 0-d one is one axis, as in NumPy
        if type(self.shape) is not tuple:  # a tuple as it is: np.ndim of one costs 1 µs
            self.shape = (self.shape,) if np.ndim(self.shape) == 0 else tuple(self.shape)
        return np.broadcast_to(x, self.shape)

    def backward(self, grad_out):
        return (unbroadcast(grad_out, self.inputs[0].shape),)


class Index(Function):
    """x[idx]: the gradient is scattered back to the selected positions, added where an
    integer index selects the same element more than once."""

    __slots__ = ("_adds_slice", "idx")

    def __init__(self, idx):
        self.idx = idx
        # no integer array, so no element twice: the engine may add the gradient in place
        self._adds_slice = not _has_int_array(idx)

    def forward(self, x):
        return x[self.idx]

    def backward(self, grad_out):
        return (scatter(grad_out, self.idx, self.inputs[0].shape),)


class Scatter(Function):
    """scatter into zeros (the backward of indexing): its own gradient is indexing again."""

    __slots__ = ("idx", "shape")
    quiet = True  # repeated indices add up: ∞ + (−∞) = NaN

    def __init__(self, idx, shape):
        self.idx, self.shape = idx, shape

    def forward(self, g):
        return _scatter_array(g, self.idx, self.shape)

    def backward(self, grad_out):
        return (grad_out[self.idx],)


def _scatter_array(g: np.ndarray, idx, shape) -> np.ndarray:
    out = np.zeros(shape, dtype=g.dtype)
    if _has_int_array(idx):
        np.add.at(out, idx, g)  # repeated indices must add up, not overwrite
    else:
        out[idx] = g
    return out


def _has_int_array(idx) -> bool:
    parts = idx if isinstance(idx, tuple) else (idx,)
    return any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts)


def scatter(g, idx, shape):
    """Zeros of ``shape`` with ``g`` added at ``idx`` (arrays stay arrays, Tensors Tensors)."""
    return Scatter(idx, shape)(g) if is_tensor(g) else _scatter_array(g, idx, shape)


class Concatenate(Function):
    """concatenate: each input receives its own slice of the upstream gradient (with
    ``axis=None``, of the flattened one, reshaped to the input's shape)."""

    __slots__ = ("axis",)

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        out = np.concatenate(xs, axis=self.axis)
        if self.axis is not None:
            self.axis %= out.ndim
        return out

    def backward(self, grad_out):
        if self.axis is None:
            ends = np.cumsum([t.size for t in self.inputs])
            return tuple(
                grad_out[e - t.size : e].reshape(t.shape) for e, t in zip(ends, self.inputs)
            )
        ends = np.cumsum([t.shape[self.axis] for t in self.inputs])
        lead = (slice(None),) * self.axis
        return tuple(
            grad_out[(*lead, slice(e - t.shape[self.axis], e))] for e, t in zip(ends, self.inputs)
        )


class Stack(Function):
    """stack: each input receives its own slab of the upstream gradient."""

    __slots__ = ("axis",)

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        shapes = {x.shape for x in xs}
        if len(shapes) > 1:
            raise ValueError("all inputs need the same shape")
        out = np.stack(xs, axis=self.axis)
        self.axis %= out.ndim
        return out

    def backward(self, grad_out):
        lead = (slice(None),) * self.axis
        return tuple(grad_out[(*lead, i)] for i in range(len(self.inputs)))


# ----- functions ---------------------------------------------------------------------------
def reshape(x, *shape):
    """A view of ``x`` with a new shape (``-1`` infers one dimension); ``()`` for 0-d.

    A shape is required: ``reshape(x)`` is a TypeError, as in NumPy and PyTorch (it made
    a one-element tensor 0-d)."""
    if not shape:
        raise TypeError("reshape: a shape is required, e.g. reshape(x, 2, -1); () gives 0-d")
    return Reshape(_shape_arg(shape))(x)


def transpose(x, *axes):
    """Permute the axes (reversed when no axes are given), as NumPy's ``transpose``: the
    axes are the whole permutation, so ``transpose(x, 0, 1)`` of a matrix leaves it as it
    is, with a UserWarning (given as two axes, it is PyTorch's swap, written by mistake;
    the tuple ``(0, 1)`` is not warned of). PyTorch's ``transpose(x, a, b)``, which swaps
    two axes, is `swapaxes`."""
    reverse = not axes or (len(axes) == 1 and axes[0] is None)  # x.transpose(None): NumPy's
    if len(axes) == 2 and _same_order(x, axes):
        warnings.warn(_SAME_ORDER.format(a=axes[0], b=axes[1]), UserWarning, user_frame()[1])
    return Transpose(None if reverse else _shape_arg(axes))(x)


_SAME_ORDER = (
    "transpose({a}, {b}) of a 2-D tensor leaves it as it is: as in NumPy, the axes are the "
    "new order of all of them. PyTorch's transpose({a}, {b}), which swaps the two, is "
    "swapaxes({a}, {b}) (or x.T)"
)


def _same_order(x, axes) -> bool:
    """Whether ``transpose(x, a, b)`` of a matrix keeps the order of its axes (0, 1): what
    a NumPy user never writes, and a PyTorch user writes meaning a swap."""
    ints = all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes)
    ndim = x.ndim if isinstance(x, Tensor) else np.ndim(x)
    return ints and ndim == 2 and [a % 2 if -2 <= a < 2 else a for a in axes] == [0, 1]


def swapaxes(x, axis1: int, axis2: int):
    """``x`` with two axes swapped (NumPy's ``swapaxes``, PyTorch's ``transpose(a, b)``)."""
    ndim = x.ndim if isinstance(x, Tensor) else np.ndim(x)
    axes = list(range(ndim))
    try:
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    except (IndexError, TypeError):
        raise np.exceptions.AxisError(  # a ValueError and an IndexError, as NumPy's
            f"swapaxes: axes {axis1} and {axis2} for a tensor of {ndim} dimensions"
        ) from None
    return Transpose(tuple(axes))(x)


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` (a tuple, or an int for one axis; NumPy rules)."""
    return BroadcastTo(shape)(x)


def index(x, idx):
    """``x[idx]``: basic slices, integers, integer arrays and boolean masks."""
    return Index(_index_arg(idx))(x)


def _index_arg(idx):
    if isinstance(idx, tuple):  # inside it, a tuple is a sequence of indices, as a list
        return tuple(_index_part(p, (list, tuple, np.ndarray)) for p in idx)
    return _index_part(idx, (list, np.ndarray))


def _index_part(p, sequences):
    """One part of an index, as the node keeps it: integer and boolean arrays are copied,
    so changing the caller's array after the forward pass cannot move the gradient, and
    sequences become arrays, so that the backward adds up repeated indices."""
    if isinstance(p, Tensor):
        return _integer_index(p.data.copy(), "tensor")
    if isinstance(p, sequences):
        a = np.array(p)
        if a.size == 0 and not isinstance(p, np.ndarray):  # x[[]] selects nothing, as in
            return a.astype(np.intp)  # NumPy
        return _integer_index(a, "array" if isinstance(p, np.ndarray) else "list")
    return p


def _integer_index(a: np.ndarray, what: str) -> np.ndarray:
    """``a`` once it holds integers or booleans. A float one, even of whole numbers, is an
    IndexError, as in NumPy and PyTorch, but one that says how to make an integer index:
    ``w[cr.tensor([0, 1])]`` indexes with float32, as Python lists become float tensors."""
    if a.dtype.kind in "biu":
        return a
    raise IndexError(
        f"index: the index {what} is {a.dtype}, but indices must be integers or booleans; "
        f"make an integer one, e.g. cr.tensor([0, 1], dtype='int64') (Python lists become "
        f"float32 tensors) or idx.astype('int64')"
    )


def concatenate(tensors, axis: int | None = 0, *, dim=None):
    """Join tensors along an existing axis; with ``axis=None``, flattened, as NumPy does.
    Integer tensors joined with floating ones take their dtype, and a list of numbers takes
    a float tensor's dtype, with an axis or without (the op flattens: a list flattened on
    its own first would become an array of the default dtype). ``dim=`` is PyTorch's name
    for ``axis``; `chainrule.cat` is this function under PyTorch's name."""
    axis, _ = torch_names("concatenate", axis, dim, default=0)
    return Concatenate(axis)(*float_operands(tensors))


cat = concatenate  # PyTorch's name: the same function


def stack(tensors, axis: int = 0, *, dim=None):
    """Join same-shaped tensors along a new axis; integer tensors joined with floating ones
    take their dtype. ``dim=`` is PyTorch's name for ``axis``."""
    axis, _ = torch_names("stack", axis, dim, default=0)
    return Stack(axis)(*float_operands(tensors))
