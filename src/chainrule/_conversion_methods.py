"""A tensor's conversions and the Python and NumPy protocols: ``numpy()``, ``item()``,
``astype``, ``to``, ``clone``, ``np.asarray(t)``, ``len``, iteration, ``in``, ``float(t)``,
``f"{t:.4f}"``, the index protocol and ``repr``. Mixed into `Tensor`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import _tensor
from ._dtypes import numeric_dtype

if TYPE_CHECKING:
    from ._tensor import Tensor

# ``_tensor.ops``, read at each call: the ops build Tensors, so `_tensor` imports them after
# the class exists (an attribute read, where an import inside each method would cost more
# than a 0-d op)


class ConversionMethods:
    """The conversion and protocol methods of `Tensor`."""

    __slots__ = ()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, but the shape is {self.shape}")
        return self.data.item()

    def tolist(self):
        """The values as (nested lists of) Python numbers."""
        return self.data.tolist()

    def astype(self, dtype) -> Tensor:
        """A differentiable cast to ``dtype``: bool, an integer, floating or complex dtype
        (a tensor holds numbers; a cast to text or objects is a TypeError)."""
        return _tensor.ops.cast(self, numeric_dtype(dtype, "astype"))

    def float(self) -> Tensor:
        """``astype("float32")``, as PyTorch's ``float()``: differentiable."""
        return _tensor.ops.cast(self, np.float32)

    def double(self) -> Tensor:
        """``astype("float64")``, as PyTorch's ``double()``: differentiable."""
        return _tensor.ops.cast(self, np.float64)

    def to(self, *args, dtype=None, device=None) -> Tensor:
        """PyTorch's ``to``: a dtype (``x.to("float64")``, ``x.to(np.float64)``) or a
        tensor's dtype casts, as `astype`; ``"cpu"`` returns this tensor itself; another
        device (``"cuda"``, ``"mps"``) is a ValueError: chainrule runs on the CPU only, with
        NumPy. See `chainrule.ops.to`."""
        return _tensor.ops.to(self, *args, dtype=dtype, device=device)

    def clone(self) -> Tensor:
        """A copy in memory of its own that stays in the graph (the gradient passes
        through unchanged), as PyTorch's; `detach` shares memory and leaves the graph."""
        return _tensor.ops.clone(self)

    def __array__(self, dtype=None, copy=None):
        # NumPy 2 passes copy= and takes the answer as it is: copy=True (np.array's default)
        # wants an array of its own, copy=False refuses to copy; NumPy 1 copies by itself.
        array = self.data if dtype is None else self.data.astype(dtype, copy=False)
        if copy is False and array is not self.data:
            raise ValueError(
                f"a {self.data.dtype} tensor becomes {array.dtype} only in a copy, "
                "and copy=False was asked for"
            )
        return array.copy() if copy and array is self.data else array

    def __len__(self) -> int:
        """The length of the first axis; a TypeError for a 0-d tensor, as in PyTorch."""
        try:
            return len(self.data)
        except TypeError:
            raise TypeError("len() of a 0-d tensor (it has no axis; use .item())") from None

    def __iter__(self):
        if self.data.ndim == 0:  # else Python would try t[0] and stop at once, silently
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __bool__(self) -> bool:
        return bool(self.data)

    def __contains__(self, value) -> bool:
        """Whether any element equals ``value`` (a number or a tensor that broadcasts), as
        in PyTorch and NumPy, whatever the tensor's number of axes."""
        other = value.data if isinstance(value, _tensor.Tensor) else value
        return bool((self.data == other).any())

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``), as in PyTorch."""
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return super().__format__(spec)

    def __float__(self) -> float:
        return float(self.item())  # any one-element tensor, as in PyTorch: float(t) of (1,)

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """A 0-d integer tensor as an index (``x[i:j]``, ``range(n)``), as in PyTorch."""
        if self.data.ndim != 0 or self.data.dtype.kind not in "iu":
            raise TypeError(
                f"only a 0-d integer tensor can be used as an index, not one of shape "
                f"{self.shape} and dtype {self.dtype}"
            )
        return int(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = f", dtype={self.dtype}" if self.dtype != np.float32 else ""
        if self.data.size == 0 and self.data.ndim > 1:  # "[]" alone would hide the shape
            extra = f", shape={self.shape}{extra}"
        if self._node is not None:
            extra += f", grad_fn={self._node.name}"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        if self.name:
            extra += f", name={self.name!r}"
        return f"tensor({body}{extra})"
