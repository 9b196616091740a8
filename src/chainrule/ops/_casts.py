"""Conversions: cast (the primitive, differentiable between floating dtypes), clone (a cast
to its own dtype, which copies), and ``to`` with its reading of a dtype or a device
(`device_and_dtype`, shared with `Module.to`).
"""

from __future__ import annotations

import numpy as np

from .._dtypes import is_dtype_name, is_floating, numeric_dtype
from .._tensor import Tensor
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


def clone(x):
    """A copy of ``x`` in memory of its own that stays in the graph (the gradient passes
    through unchanged), as PyTorch's ``clone``: a cast to its own dtype, which copies."""
    return cast(x, x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype)


def to(x, *args, dtype=None, device=None):
    """PyTorch's ``x.to(...)``: a dtype (NumPy's, or its name: ``"float64"``) or a tensor
    (whose dtype is taken) casts, as `cast` and ``astype`` do (a new node, even to the same
    dtype: PyTorch returns ``x`` itself there); the device ``"cpu"`` alone returns ``x``
    itself. Any other device (``"cuda"``, ``"mps"``) is a ValueError: chainrule runs on the
    CPU, with NumPy."""
    dtype = device_and_dtype("to", args, dtype, device)
    return x if dtype is None else cast(x, dtype)


def device_and_dtype(op: str, args: tuple, dtype=None, device=None):
    """The dtype that ``op(*args, dtype=, device=)`` asks for (None for none), after checking
    that any device named is the CPU. A string is a dtype when NumPy reads it as one, a
    device otherwise; a Tensor stands for its dtype, as in PyTorch's ``to(other)``."""
    for arg in args:
        if isinstance(arg, Tensor):
            arg = arg.dtype
        if isinstance(arg, str) and not is_dtype_name(arg):
            device = _once(op, "device", device, arg)
        else:
            dtype = _once(op, "dtype", dtype, arg)
    kind = device.split(":")[0] if isinstance(device, str) else None
    if kind is not None and kind != "cpu" and kind not in _DEVICES:
        raise ValueError(
            f"{op}: {device!r} is neither a NumPy dtype (such as 'float32') nor a device "
            "(chainrule's is 'cpu')"
        )
    if device is not None and kind != "cpu":
        raise ValueError(
            f"{op}: chainrule runs on the CPU only, with NumPy, so the device must be 'cpu', "
            f"got {device!r}"
        )
    return None if dtype is None else numeric_dtype(dtype, op)


#: PyTorch's devices other than the CPU: named, they are told that chainrule runs on the CPU
_DEVICES = frozenset({"cuda", "mps", "xpu", "hpu", "mtia", "meta", "xla", "ipu", "privateuseone"})


def _once(op: str, what: str, given, value):
    if given is not None:
        raise TypeError(f"{op}: the {what} was given twice, as {given!r} and {value!r}")
    return value
