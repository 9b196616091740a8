"""The comparison and logical operators (``x > 0``, ``(x > 0) & (x < 1)``), PyTorch's
comparisons and tests by name (``x.eq(y)``, ``x.isclose(y)``, ``x.logical_and(y)``), all
outside the graph, and its dtype, device and memory conveniences (``x.long()``,
``x.half()``, ``x.cpu()``, ``x.contiguous()``). Mixed into `Tensor`."""

from __future__ import annotations

import numbers

import numpy as np

from . import _tensor

# the methods read ``_tensor.ops`` at each call: the ops build Tensors, so `_tensor` imports
# them after the class exists (an attribute read, no import at each call)


class CompareMethods:
    """PyTorch's comparison, test and cast methods."""

    __slots__ = ()

    # ----- comparisons (not differentiable: they return boolean tensors) ----------------
    # ``t == obj`` for what is not a number, an array, a list or a tensor (None, a string, a
    # user's object) is NotImplemented, as in PyTorch: Python then asks ``obj`` and falls
    # back to identity, so `t in [None, "auto"]` is False and ``t != object()`` True (not
    # NumPy's NaN for None, its error for a string, or an elementwise False for an object)
    def __eq__(self, other):
        if not _comparable(other):
            return NotImplemented
        return _tensor.ops.compare(np.equal, self, other)

    def __ne__(self, other):
        if not _comparable(other):
            return NotImplemented
        return _tensor.ops.compare(np.not_equal, self, other)

    def __lt__(self, other):
        return _tensor.ops.compare(np.less, self, other)

    def __le__(self, other):
        return _tensor.ops.compare(np.less_equal, self, other)

    def __gt__(self, other):
        return _tensor.ops.compare(np.greater, self, other)

    def __ge__(self, other):
        return _tensor.ops.compare(np.greater_equal, self, other)

    # ----- logical operators on masks (not differentiable, as the comparisons) ----------
    # ``(x > 0) & (x < 1)``: elementwise and, or, xor and not of boolean tensors (bitwise on
    # integer ones), as in NumPy and PyTorch; a floating operand is NumPy's TypeError.
    def __and__(self, other):
        return _tensor.ops.compare(np.bitwise_and, self, other)

    def __rand__(self, other):
        return _tensor.ops.compare(np.bitwise_and, other, self)

    def __or__(self, other):
        return _tensor.ops.compare(np.bitwise_or, self, other)

    def __ror__(self, other):
        return _tensor.ops.compare(np.bitwise_or, other, self)

    def __xor__(self, other):
        return _tensor.ops.compare(np.bitwise_xor, self, other)

    def __rxor__(self, other):
        return _tensor.ops.compare(np.bitwise_xor, other, self)

    def __invert__(self):
        return _tensor._from_op(np.invert(self.data), None)

    # ----- comparisons and tests: boolean tensors (or bools) outside the graph -------------
    def eq(self, other):
        """``self == other`` elementwise (boolean, outside the graph)."""
        return _tensor.ops.compare(np.equal, self, other)

    def ne(self, other):
        """``self != other`` elementwise (boolean, outside the graph)."""
        return _tensor.ops.compare(np.not_equal, self, other)

    def lt(self, other):
        """``self < other`` elementwise (boolean, outside the graph)."""
        return _tensor.ops.compare(np.less, self, other)

    def le(self, other):
        """``self <= other`` elementwise (boolean, outside the graph)."""
        return _tensor.ops.compare(np.less_equal, self, other)

    def gt(self, other):
        """``self > other`` elementwise (boolean, outside the graph)."""
        return _tensor.ops.compare(np.greater, self, other)

    def ge(self, other):
        """``self >= other`` elementwise (boolean, outside the graph)."""
        return _tensor.ops.compare(np.greater_equal, self, other)

    not_equal = ne
    less = lt
    less_equal = le
    greater = gt
    greater_equal = ge

    def equal(self, other) -> bool:
        """Whether ``other`` has this shape and these values, as a Python bool."""
        return _tensor.ops.equal(self, other)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Where |self − other| ≤ atol + rtol·|other| (boolean, outside the graph)."""
        return _tensor.ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        """Whether every element is close to ``other``'s (`isclose`), as a Python bool."""
        return _tensor.ops.allclose(self, other, rtol, atol, equal_nan)

    def logical_and(self, other):
        """self and other elementwise, nonzero as true (boolean, outside the graph)."""
        return _tensor.ops.logical_and(self, other)

    def logical_or(self, other):
        """self or other elementwise, nonzero as true (boolean, outside the graph)."""
        return _tensor.ops.logical_or(self, other)

    def logical_xor(self, other):
        """self xor other elementwise, nonzero as true (boolean, outside the graph)."""
        return _tensor.ops.logical_xor(self, other)

    def logical_not(self):
        """True where the tensor is 0 (boolean, outside the graph)."""
        return _tensor.ops.logical_not(self)

    def count_nonzero(self, axis=None, *, dim=None):
        """The number of nonzero elements along ``axis`` (``dim``), int64, outside the graph."""
        return _tensor.ops.count_nonzero(self, axis, dim=dim)

    # ----- dtypes, devices and memory -----------------------------------------------------
    # a cast to bool or an integer dtype ends the graph (the result requires no gradient)
    def half(self):
        """``astype("float16")``, as PyTorch's ``half()``: differentiable."""
        return _tensor.ops.cast(self, np.float16)

    def bool(self):
        """``astype(bool)``, as PyTorch's ``bool()`` (outside the graph)."""
        return _tensor.ops.cast(self, np.bool_)

    def byte(self):
        """``astype("uint8")``, as PyTorch's ``byte()`` (outside the graph)."""
        return _tensor.ops.cast(self, np.uint8)

    def short(self):
        """``astype("int16")``, as PyTorch's ``short()`` (outside the graph)."""
        return _tensor.ops.cast(self, np.int16)

    def int(self):
        """``astype("int32")``, as PyTorch's ``int()`` (outside the graph)."""
        return _tensor.ops.cast(self, np.int32)

    def long(self):
        """``astype("int64")``, as PyTorch's ``long()`` (outside the graph)."""
        return _tensor.ops.cast(self, np.int64)

    def type(self, dtype=None):
        """With a dtype, the tensor cast to it, as ``to(dtype)`` (PyTorch's
        ``x.type(torch.float32)``); without one, the dtype's name (``"float32"``, where
        PyTorch gives ``"torch.FloatTensor"``)."""
        return self.data.dtype.name if dtype is None else _tensor.ops.to(self, dtype)

    def cpu(self):
        """This tensor itself: chainrule's tensors are on the CPU (as PyTorch's ``cpu()`` of
        a CPU tensor)."""
        return self

    def contiguous(self):
        """This tensor itself if its array is C-contiguous; else a C-ordered copy, recorded
        as the identity (as PyTorch's); see `chainrule.ops.contiguous`."""
        return _tensor.ops.contiguous(self)

    def ndimension(self) -> int:
        """The number of axes (PyTorch's other name for ``dim()``)."""
        return self.data.ndim

    def nelement(self) -> int:
        """The number of elements (PyTorch's other name for ``numel()``)."""
        return self.data.size

    def element_size(self) -> int:
        """The size of one element in bytes."""
        return self.data.itemsize


def _comparable(other) -> bool:
    """Whether ``t == other`` compares elementwise: a tensor, an array or NumPy scalar, a
    number, a list or tuple, or an object NumPy converts (``__array__``)."""
    return isinstance(
        other, (_tensor.Tensor, np.ndarray, np.generic, numbers.Number, list, tuple)
    ) or hasattr(other, "__array__")
