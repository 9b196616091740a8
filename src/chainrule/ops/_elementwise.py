"""Elementwise arithmetic and binary ops, and the `Elementwise` base with `local()`.

For an elementwise node the chain rule is a plain product: downstream = local × upstream,
summed back over broadcast axes. `local()` is that single source of truth: the shared
`backward` multiplies by it through the op's `product` (plain, or a selection, or the
zero-upstream rule of `Unbounded`), and ``explain`` shows it.

Ops whose forward can meet inf or NaN set ``quiet = True`` (add, sub and mul are quiet in
their forward itself, `_quiet_binary`), and the engine runs every backward (``local()``
included) without NumPy's warnings: NumPy's IEEE result (x/0 = ±inf, ∞ − ∞ = NaN), no
RuntimeWarning.
"""

from __future__ import annotations

import operator

import numpy as np

from .._function import Function
from .._quiet import at_default, quietly
from ._common import constant, has_nan, is_tensor, pair, unbroadcast
from ._common import log as _log


class Elementwise(Function):
    """Base of elementwise ops: ``local()`` gives ∂out/∂input for each input."""

    __slots__ = ()

    def local(self) -> tuple:
        raise NotImplementedError

    @staticmethod
    def product(grad_out, local):
        """local × upstream, before the sum over broadcast axes, as this op's backward
        forms it (``explain`` checks each edge with it)."""
        return grad_out * local

    def backward(self, grad_out):  # the one backward of every elementwise op
        scalar = isinstance(grad_out, np.generic)  # the upstream of a 0-d output (see below)
        times = self.product  # the plain product, a selection, or the zero-upstream rule
        grads = []
        for loc, t, need in zip(self.local(), self._inputs, self.needs_grad):
            if not need:
                grads.append(None)
            elif scalar:  # 0-d inputs: nothing to unbroadcast
                grads.append(times(grad_out, _scalar(loc)))
            else:
                grads.append(unbroadcast(times(grad_out, loc), t.data.shape))
        return tuple(grads)


def _scalar(loc):
    """A 0-d array as a NumPy scalar: a NumPy scalar times a 0-d array costs ~0.4 µs, two
    NumPy scalars ~0.03 µs, the same IEEE product -- what makes scalar graphs fast."""
    return loc[()] if type(loc) is np.ndarray else loc


class Selection(Elementwise):
    """Base of ops that choose where the upstream gradient goes (relu, clip, maximum,
    minimum, where): ``local()`` is a mask of 0, ½ or 1, and where it is 0 the downstream
    gradient is exactly 0, as PyTorch selects it, even where the upstream is inf or NaN
    (a product would give 0·∞ = NaN)."""

    __slots__ = ()

    @staticmethod
    def product(grad_out, local):
        return selected(grad_out, local)


class Unbounded(Elementwise):
    """Base of ops whose local gradient can be ±inf or NaN (mul, whose local gradient is the
    other operand, exp, log, sqrt, div, pow): where the upstream gradient is exactly 0 and
    the local gradient is not finite, the downstream is exactly 0 (0·∞ taken as 0, not
    NaN). So a branch that `where` masks out, or a term weighted by 0, contributes nothing
    however its local gradient behaves: ``where(x > 0, sqrt(x), 0)`` and the entropy term
    ``where(p > 0, p * log(p), 0)`` have finite gradients at 0 (PyTorch gives NaN there).
    Everywhere else the product is the plain one, so higher derivatives are unchanged."""

    __slots__ = ()

    @staticmethod
    def product(grad_out, local):
        out = grad_out * local
        if isinstance(out, np.generic):
            return out if out == out or grad_out != 0 else out.dtype.type(0)
        values = out.data if is_tensor(out) else out
        if not has_nan(values):  # one pass: nothing to fix
            return out
        g = grad_out.data if is_tensor(grad_out) else grad_out
        dead = np.isnan(values) & (g == 0)  # 0 × (±∞ or NaN): taken as 0
        return selected(out, ~dead) if dead.any() else out


def selected(grad_out, mask):
    """``grad_out × mask`` for a constant mask of 0, ½ or 1, and exactly 0 where it is 0."""
    if mask.dtype != bool:  # ½ to each input at a tie
        grad_out, mask = grad_out * mask, mask != 0
    if is_tensor(grad_out):  # create_graph: recorded, with the mask as a constant
        return where(mask, grad_out, 0.0)
    if isinstance(grad_out, np.generic):  # a 0-d graph's NumPy scalar
        return grad_out if mask else grad_out.dtype.type(0)
    bits = _BITS.get(grad_out.itemsize)
    if bits is None:  # no integer type of its size (longdouble)
        return np.where(mask, grad_out, 0)
    # grad_out's bits times 0 or 1, as integers: +0 or grad_out exactly, at the speed of the
    # float product (np.where and np.copyto with a mask took 15× as long on (512, 256))
    out = np.empty(np.broadcast(grad_out, mask).shape, grad_out.dtype)
    np.multiply(grad_out.view(bits), mask, out=out.view(bits))
    return out


_BITS = {2: np.int16, 4: np.int32, 8: np.int64}  # an integer type for each float's size


# ----- arithmetic ------------------------------------------------------------------------
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


_NEVER = np.zeros((), bool)  # the mask of a local gradient that is 0 everywhere


def _check_integer_divisor(name: str, x: np.ndarray, y: np.ndarray) -> None:
    """A ZeroDivisionError for integers divided by 0, as in Python and PyTorch: an integer
    result has no inf or NaN to give, and NumPy's 0 (its warning silenced with the op's
    others) would pass for a value. Floating operands give NumPy's IEEE results."""
    if x.dtype.kind in "biu" and y.dtype.kind in "biu" and not np.all(y):
        raise ZeroDivisionError(
            f"{name}: integer division by zero (a divisor of {y.dtype} holds 0); an integer "
            "result has no inf or NaN for it: divide in floating point (x.astype('float64'))"
        )


# ----- binary selections -----------------------------------------------------------------
class Maximum(Selection):
    """maximum: ∂/∂x = 1 where x > y or x is NaN, 0 where x < y, ½ at ties (each gets half)."""

    __slots__ = ()

    def forward(self, x, y):
        self.saved = _tie_masks((x > y) | (x != x), x == y, np.result_type(x, y))
        return np.maximum(x, y)

    def local(self):
        return self.saved


class Minimum(Selection):
    """minimum: ∂/∂x = 1 where x < y or x is NaN, 0 where x > y, ½ at ties (each gets half)."""

    __slots__ = ()

    def forward(self, x, y):
        self.saved = _tie_masks((x < y) | (x != x), x == y, np.result_type(x, y))
        return np.minimum(x, y)

    def local(self):
        return self.saved


def _tie_masks(wins, ties, dtype):
    """Local gradients of a selection: 1 to the winner (the NaN operand, whose value the
    output is, as NumPy propagates it), ½ to each at ties."""
    half = 0.5 * ties
    return (wins + half).astype(dtype), ((~wins & ~ties) + half).astype(dtype)


class Where(Selection):
    """where: ∂/∂x = cond, ∂/∂y = not cond (the other branch gets exactly 0, even from an
    upstream inf or NaN)."""

    __slots__ = ("cond",)

    def __init__(self, cond):
        self.cond = np.array(cond, dtype=bool)  # a copy: the caller may change theirs later

    def forward(self, x, y):
        return np.where(self.cond, x, y)

    def local(self):
        return self.cond, ~self.cond


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


def maximum(x, y):
    """Elementwise maximum; at ties each input receives half the gradient."""
    return Maximum()(*pair(x, y))


def minimum(x, y):
    """Elementwise minimum; at ties each input receives half the gradient."""
    return Minimum()(*pair(x, y))


def where(cond, x, y):
    """``x`` where ``cond`` is true, else ``y``; ``cond`` is not differentiated."""
    return Where(constant(cond))(*pair(x, y))
