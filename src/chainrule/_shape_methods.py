"""A tensor's shape and the methods of the shape ops: ``shape``, ``ndim``, ``size``,
``dtype``, ``T``, ``reshape``, ``view``, ``flatten``, ``squeeze``, ``permute``,
``transpose``, ``expand``, ... (``ops/_shape.py``), one line each. Mixed into `Tensor`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _tensor

if TYPE_CHECKING:
    import numpy as np

    from ._tensor import Tensor

# ``_tensor.ops``, read at each call: the ops build Tensors, so `_tensor` imports them after
# the class exists (an attribute read, where an import inside each method would cost more
# than a 0-d op)


class ShapeMethods:
    """The shape attributes and shape methods of `Tensor`."""

    __slots__ = ()

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape, as in NumPy."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements, NumPy's ``size``: a plain int, so NumPy arithmetic with
        it keeps a float32 array float32. (PyTorch's ``size()`` is `shape`.)"""
        return self.data.size

    def numel(self) -> int:
        """The number of elements, as PyTorch's ``numel()``: `size` (NumPy's name, a
        property here, where PyTorch's ``size()`` is the shape)."""
        return self.data.size

    def dim(self) -> int:
        """The number of axes, as PyTorch's ``dim()``: `ndim`."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The array's NumPy dtype."""
        return self.data.dtype

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed (the matrix transpose for 2-D)."""
        return _tensor.ops.transpose(self)

    def reshape(self, *shape) -> Tensor:
        """A view with a new shape (``x.reshape(2, -1)`` or ``x.reshape((2, -1))``)."""
        return _tensor.ops.reshape(self, *shape)

    def view(self, *shape) -> Tensor:
        """PyTorch's name for `reshape` (a copy where NumPy cannot make a view, never an error)."""
        return _tensor.ops.reshape(self, *shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Axes ``start_dim`` to ``end_dim`` merged into one (all of them by default)."""
        return _tensor.ops.flatten(self, start_dim, end_dim)

    def unsqueeze(self, dim: int) -> Tensor:
        """A new axis of size 1 at position ``dim``, as PyTorch's (``np.expand_dims``)."""
        return _tensor.ops.unsqueeze(self, dim)

    def squeeze(self, dim=None) -> Tensor:
        """The axes of size 1 removed (all, or ``dim``: an int or a tuple); see
        `chainrule.squeeze`."""
        return _tensor.ops.squeeze(self, dim)

    def permute(self, *dims) -> Tensor:
        """The axes in the order ``dims`` (all of them), as PyTorch's; NumPy's `transpose`."""
        return _tensor.ops.permute(self, *dims)

    def transpose(self, *axes) -> Tensor:
        """The axes permuted (reversed when none are given), as in NumPy: ``x.transpose(0,
        1)`` of a matrix leaves it as it is (with a UserWarning: PyTorch's would swap them);
        PyTorch's two-axis swap is `swapaxes`."""
        return _tensor.ops.transpose(self, *axes)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """The tensor with two axes swapped (PyTorch's ``transpose(a, b)``)."""
        return _tensor.ops.swapaxes(self, axis1, axis2)

    def broadcast_to(self, shape) -> Tensor:
        """The tensor broadcast to ``shape`` (NumPy rules)."""
        return _tensor.ops.broadcast_to(self, shape)

    def expand(self, *sizes) -> Tensor:
        """The tensor broadcast to ``sizes``, as PyTorch's ``expand`` (-1 keeps an axis,
        new axes go in front); see `chainrule.ops.expand`."""
        return _tensor.ops.expand(self, *sizes)
