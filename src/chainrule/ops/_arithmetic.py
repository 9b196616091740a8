"""The arithmetic ops: add, sub, mul, div, neg, pow, remainder and floor_divide.

Each is an `Elementwise` node (mul, div, pow and remainder `Unbounded`, floor_divide a
`Selection`). Ops whose forward can meet inf or NaN set ``quiet = True``; add, sub and mul
are quiet in their forward itself (`_quiet_binary`): NumPy's IEEE result (x/0 = ±inf,
∞ − ∞ = NaN), no RuntimeWarning.
"""

from __future__ import annotations

import operator

import numpy as np

from .._quiet import at_default, quietly
from ._common import constant, is_tensor, pair, unbroadcast
from ._common import log as _log
from ._elementwise import _NEVER, Elementwise, Selection, Unbounded

_FLOAT64 = np.dtype(np.float64)


def _quiet_binary(ufunc, op, x, y):
    """``ufunc(x, y)`` without NumPy's warnings, as ``quiet = True`` runs a forward. Two 0-d
    float64 operands under NumPy's default error state are computed as Python floats
    instead: the same IEEE double arithmetic, which never warns for +, − and ×, in a third
    of the time of a ufunc on 0-d arrays under `quietly` (what a scalar graph is made of;
    benchmarks/engine_overhead.py). A state the user set goes to NumPy, which obeys it."""
    if x.dtype is _FLOAT64 is y.dtype and x.ndim == 0 == y.ndim and at_default():
        return np.array(op(x.item(), y.item()))
    return quietly(ufunc, (x, y))


class Add(Elementwise):
    """add: ∂(x + y)/∂x = 1, ∂(x + y)/∂y = 1 — the upstream gradient passes unchanged."""

    __slots__ = ()
    quiet = False  # quiet all the same: forward runs `_quiet_binary`

    def forward(self, x, y):
        return _quiet_binary(np.add, operator.add, x, y)

    def local(self):
        return 1.0, 1.0

    def backward(self, grad_out):  # × 1 skipped: add only routes the gradient
        (x, y), (nx, ny) = self._inputs, self.needs_grad  # x, y: Tensors where needed
        return (
            unbroadcast(grad_out, x.data.shape) if nx else None,
            unbroadcast(grad_out, y.data.shape) if ny else None,
        )


class Sub(Elementwise):
    """sub: ∂(x − y)/∂x = 1, ∂(x − y)/∂y = −1."""

    __slots__ = ()
    quiet = False  # quiet all the same: forward runs `_quiet_binary`

    def forward(self, x, y):
        return _quiet_binary(np.subtract, operator.sub, x, y)

    def local(self):
        return 1.0, -1.0

    def backward(self, grad_out):
        (x, y), (nx, ny) = self._inputs, self.needs_grad  # x, y: Tensors where needed
        return (
            unbroadcast(grad_out, x.data.shape) if nx else None,
            unbroadcast(-grad_out, y.data.shape) if ny else None,
        )


class Neg(Elementwise):
    """neg: d(−x)/dx = −1."""

    __slots__ = ()

    def forward(self, x):
        return -x

    def local(self):
        return (-1.0,)

    def backward(self, grad_out):
        return (-grad_out,)


class Mul(Unbounded):
    """mul: ∂(xy)/∂x = y, ∂(xy)/∂y = x — each input receives the other input × upstream."""

    __slots__ = ()
    quiet = False  # quiet all the same: forward runs `_quiet_binary`

    def forward(self, x, y):
        self.saved = (x, y)
        return _quiet_binary(np.multiply, operator.mul, x, y)

    def local(self):
        x, y = self.saved
        return y, x


class Div(Unbounded):
    """div: ∂(x/y)/∂x = 1/y, ∂(x/y)/∂y = −x/y² = −out/y."""

    __slots__ = ()
    quiet = True

    def forward(self, x, y):
        out = x / y
        self.saved = (y, out)
        return out

    def local(self):
        y, out = self.saved
        return 1.0 / y, -out / y


class Pow(Unbounded):
    """pow: ∂(xʸ)/∂x = y·xʸ⁻¹ (0 where y = 0), ∂(xʸ)/∂y = xʸ·ln x (ln x taken as 0 at x = 0)."""

    __slots__ = ()
    quiet = True

    def forward(self, x, y):
        out = x**y
        self.saved = (x, y, out)
        return out

    def local(self):
        x, y, out = self.saved
        nx, ny = self.needs_grad
        grad_x = grad_y = None
        if nx:
            # x⁰ = 1 is constant: where y = 0 the exponent y − 1 becomes 0, so that y·x⁰ = 0
            # (not 0·∞ at x = 0, nor 0·NaN); when y can be differentiated (this pass or a
            # later one, through a recorded gradient), only where x is 0 or NaN, so that the
            # gradient's derivative in y stays xʸ⁻¹ (second derivatives)
            zero = constant(y) == 0
            if ny or (is_tensor(y) and y.requires_grad):
                zero = zero & ~(np.abs(constant(x)) > 0)
            # y − 1 in y's dtype (NumPy 1.x computes a 0-d float32 y − 1 in float64)
            grad_x = y * x ** (y - constant(y).dtype.type(1) + zero)
        if ny:
            grad_y = out * _log(x + (constant(x) == 0))
        return grad_x, grad_y


class Remainder(Unbounded):
    """remainder: ∂(x mod y)/∂x = 1, ∂(x mod y)/∂y = −⌊x/y⌋ — x mod y = x − ⌊x/y⌋·y has y's sign.

    Python's ``%``, np.remainder and torch.remainder (not C's fmod). ⌊x/y⌋ is the floor
    quotient ``x // y`` (np.floor_divide), as in PyTorch's rule; the gradient holds between
    the jumps at x/y ∈ ℤ."""

    __slots__ = ()
    quiet = True

    def forward(self, x, y):
        _check_integer_divisor("remainder", x, y)
        self.saved = (x, y)
        return np.remainder(x, y)

    def local(self):
        x, y = self.saved
        return 1.0, -(x // y) if self.needs_grad[1] else None


class FloorDivide(Selection):
    """floor_divide: ∂⌊x/y⌋/∂x = 0, ∂⌊x/y⌋/∂y = 0 — a step function: exactly 0 downstream.

    As torch.div(x, y, rounding_mode="floor") and torch.floor give it (0 even for an inf or
    NaN upstream). torch.floor_divide, PyTorch's ``//``, records a node whose backward raises
    "derivative not implemented"; here ``x // y`` in a loss adds nothing to the gradient."""

    __slots__ = ()
    quiet = True

    def forward(self, x, y):
        _check_integer_divisor("floor_divide", x, y)
        return np.floor_divide(x, y)

    def local(self):
        return _NEVER, _NEVER


def _check_integer_divisor(name: str, x: np.ndarray, y: np.ndarray) -> None:
    """A ZeroDivisionError for integers divided by 0, as in Python and PyTorch: an integer
    result has no inf or NaN to give, and NumPy's 0 (its warning silenced with the op's
    others) would pass for a value. Floating operands give NumPy's IEEE results."""
    if x.dtype.kind in "biu" and y.dtype.kind in "biu" and not np.all(y):
        raise ZeroDivisionError(
            f"{name}: integer division by zero (a divisor of {y.dtype} holds 0); an integer "
            "result has no inf or NaN for it: divide in floating point (x.astype('float64'))"
        )


# ----- functions -------------------------------------------------------------------------
def add(x, y):
    """x + y with broadcasting."""
    return Add()(*pair(x, y))


def sub(x, y):
    """x − y with broadcasting."""
    return Sub()(*pair(x, y))


def mul(x, y):
    """x · y elementwise with broadcasting."""
    return Mul()(*pair(x, y))


def div(x, y):
    """x / y elementwise with broadcasting."""
    return Div()(*pair(x, y))


def remainder(x, y):
    """x mod y elementwise with broadcasting, with the sign of y: ``x % y`` as in Python,
    np.remainder and torch.remainder (not C's fmod); x mod 0 is NaN (for integers a
    ZeroDivisionError, as in Python and PyTorch)."""
    return Remainder()(*pair(x, y))


def floor_divide(x, y):
    """⌊x/y⌋ elementwise with broadcasting: ``x // y`` as in Python, np.floor_divide and
    torch.floor_divide (integer tensors stay integer); its gradient is 0 (see FloorDivide)."""
    return FloorDivide()(*pair(x, y))


def neg(x):
    """−x."""
    return Neg()(x)


def pow(x, y):
    """x ** y for tensor ** number, number ** tensor and tensor ** tensor."""
    return Pow()(*pair(x, y))
