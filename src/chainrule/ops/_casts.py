"""Conversions: cast, differentiable between floating dtypes."""

from __future__ import annotations

from .._dtypes import is_floating, numeric_dtype
from ._common import is_tensor
from ._elementwise import Elementwise


class Cast(Elementwise):
    """cast: d/dx x = 1; the gradient is cast back to the input's dtype.

    A cast to an integer or bool dtype has no gradient: its output is outside the graph, as
    in PyTorch."""

    __slots__ = ("dtype",)
    quiet = True  # a float64 beyond float32's range becomes ±inf

    def __init__(self, dtype):
        self.dtype = numeric_dtype(dtype, "cast")  # a tensor holds numbers, as in `as_array`

    def __call__(self, x):
        if not is_floating(self.dtype) and is_tensor(x):
            x = x.detach()  # the graph ends here
        return super().__call__(x)

    def forward(self, x):
        return x.astype(self.dtype)

    def local(self):
        return (1.0,)

    def backward(self, grad_out):
        return (grad_out.astype(self.inputs[0].dtype),)


# ----- functions -------------------------------------------------------------------------
def cast(x, dtype):
    """x converted to ``dtype``; differentiable between floating dtypes."""
    return Cast(dtype)(x)
