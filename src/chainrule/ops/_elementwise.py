"""Elementwise ops. Each states its local derivative and returns it from `local()`.

For an elementwise node the chain rule is a plain product: downstream = local × upstream,
summed back over broadcast axes. `local()` is that single source of truth: the shared
`backward` multiplies by it, and ``explain`` shows it.
"""

from __future__ import annotations

import numpy as np

from .._function import Function
from ._common import constant, pair, unbroadcast
from ._common import cos as _cos
from ._common import log as _log
from ._common import sin as _sin


class Elementwise(Function):
    """Base of elementwise ops: ``local()`` gives ∂out/∂input for each input."""

    __slots__ = ()

    def local(self) -> tuple:
        raise NotImplementedError

    def backward(self, grad_out):
        return tuple(
            unbroadcast(grad_out * loc, t.shape) if need else None
            for loc, t, need in zip(self.local(), self.inputs, self.needs_grad)
        )


# ----- arithmetic ------------------------------------------------------------------------
class Add(Elementwise):
    """add: ∂(x + y)/∂x = 1, ∂(x + y)/∂y = 1 — the upstream gradient passes unchanged."""

    __slots__ = ()

    def forward(self, x, y):
        return x + y

    def local(self):
        return 1.0, 1.0

    def backward(self, grad_out):  # × 1 skipped: add only routes the gradient
        (sx, sy), (nx, ny) = (t.shape for t in self.inputs), self.needs_grad
        return (
            unbroadcast(grad_out, sx) if nx else None,
            unbroadcast(grad_out, sy) if ny else None,
        )


class Sub(Elementwise):
    """sub: ∂(x − y)/∂x = 1, ∂(x − y)/∂y = −1."""

    __slots__ = ()

    def forward(self, x, y):
        return x - y

    def local(self):
        return 1.0, -1.0

    def backward(self, grad_out):
        (sx, sy), (nx, ny) = (t.shape for t in self.inputs), self.needs_grad
        return (
            unbroadcast(grad_out, sx) if nx else None,
            unbroadcast(-grad_out, sy) if ny else None,
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


class Mul(Elementwise):
    """mul: ∂(xy)/∂x = y, ∂(xy)/∂y = x — each input receives the other input × upstream."""

    __slots__ = ()

    def forward(self, x, y):
        self.saved = (x, y)
        return x * y

    def local(self):
        x, y = self.saved
        return y, x


class Div(Elementwise):
    """div: ∂(x/y)/∂x = 1/y, ∂(x/y)/∂y = −x/y² = −out/y."""

    __slots__ = ()

    def forward(self, x, y):
        out = x / y
        self.saved = (y, out)
        return out

    def local(self):
        y, out = self.saved
        return 1.0 / y, -out / y


class Pow(Elementwise):
    """pow: ∂(xʸ)/∂x = y·xʸ⁻¹, ∂(xʸ)/∂y = xʸ·ln x (taken as 0 where x = 0)."""

    __slots__ = ()

    def forward(self, x, y):
        out = x**y
        self.saved = (x, y, out)
        return out

    def local(self):
        x, y, out = self.saved
        nx, ny = self.needs_grad
        grad_x = y * x ** (y - 1) if nx else None
        if not ny:
            return grad_x, None
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad_x, out * _log(x + (constant(x) == 0))


# ----- unary -----------------------------------------------------------------------------
class Exp(Elementwise):
    """exp: d/dx eˣ = eˣ = out."""

    __slots__ = ()

    def forward(self, x):
        out = np.exp(x)
        self.saved = (out,)
        return out

    def local(self):
        return self.saved


class Log(Elementwise):
    """log: d/dx ln x = 1/x."""

    __slots__ = ()

    def forward(self, x):
        self.saved = (x,)
        return np.log(x)

    def local(self):
        return (1.0 / self.saved[0],)


class Sqrt(Elementwise):
    """sqrt: d/dx √x = 1/(2√x) = 0.5/out."""

    __slots__ = ()

    def forward(self, x):
        out = np.sqrt(x)
        self.saved = (out,)
        return out

    def local(self):
        return (0.5 / self.saved[0],)


class Abs(Elementwise):
    """abs: d/dx |x| = sign(x), with abs'(0) = 0."""

    __slots__ = ()

    def forward(self, x):
        self.saved = (np.sign(x),)
        return np.abs(x)

    def local(self):
        return self.saved


class Sin(Elementwise):
    """sin: d/dx sin x = cos x."""

    __slots__ = ()

    def forward(self, x):
        self.saved = (x,)
        return np.sin(x)

    def local(self):
        return (_cos(self.saved[0]),)


class Cos(Elementwise):
    """cos: d/dx cos x = −sin x."""

    __slots__ = ()

    def forward(self, x):
        self.saved = (x,)
        return np.cos(x)

    def local(self):
        return (-_sin(self.saved[0]),)


class Tanh(Elementwise):
    """tanh: d/dx tanh x = 1 − y² (y = tanh x)."""

    __slots__ = ()

    def forward(self, x):
        out = np.tanh(x)
        self.saved = (out,)
        return out

    def local(self):
        y = self.saved[0]
        return (1.0 - y * y,)


class Sigmoid(Elementwise):
    """sigmoid: d/dx σ(x) = y(1 − y) (y = σ(x)); fused because exp(−x) overflows for x ≪ 0."""

    __slots__ = ()

    def forward(self, x):
        e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
        r = 1.0 / (1.0 + e)
        out = np.where(x >= 0, r, e * r)  # σ(x) for x ≥ 0, and e^x/(1 + e^x) below
        self.saved = (out,)
        return out

    def local(self):
        y = self.saved[0]
        return (y * (1.0 - y),)


class ReLU(Elementwise):
    """relu: d/dx max(x, 0) = 1 if x > 0 else 0 (relu'(0) = 0)."""

    __slots__ = ()

    def forward(self, x):
        mask = x > 0
        self.saved = (mask,)
        return x * mask

    def local(self):
        return self.saved


class LeakyReLU(Elementwise):
    """leaky_relu: d/dx = 1 if x > 0 else negative_slope."""

    __slots__ = ("slope",)

    def __init__(self, negative_slope: float = 0.01):
        self.slope = negative_slope

    def forward(self, x):
        local = np.where(x > 0, 1.0, self.slope).astype(x.dtype, copy=False)
        self.saved = (local,)
        return x * local

    def local(self):
        return self.saved


class Clip(Elementwise):
    """clip: d/dx clip(x, lo, hi) = 1 for lo ≤ x ≤ hi, else 0."""

    __slots__ = ("hi", "lo")

    def __init__(self, lo=None, hi=None):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        mask = np.ones(x.shape, dtype=bool)
        if self.lo is not None:
            mask &= x >= self.lo
        if self.hi is not None:
            mask &= x <= self.hi
        self.saved = (mask,)
        return np.clip(x, self.lo, self.hi)

    def local(self):
        return self.saved


class Cast(Elementwise):
    """cast: d/dx x = 1; the gradient is cast back to the input's dtype."""

    __slots__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)

    def forward(self, x):
        return x.astype(self.dtype)

    def local(self):
        return (1.0,)

    def backward(self, grad_out):
        return (grad_out.astype(self.inputs[0].dtype),)


# ----- binary selections -----------------------------------------------------------------
class Maximum(Elementwise):
    """maximum: ∂/∂x = 1 where x > y, 0 where x < y, ½ at ties (each input gets half)."""

    __slots__ = ()

    def forward(self, x, y):
        self.saved = _tie_masks(x > y, x == y, np.result_type(x, y))
        return np.maximum(x, y)

    def local(self):
        return self.saved


class Minimum(Elementwise):
    """minimum: ∂/∂x = 1 where x < y, 0 where x > y, ½ at ties (each input gets half)."""

    __slots__ = ()

    def forward(self, x, y):
        self.saved = _tie_masks(x < y, x == y, np.result_type(x, y))
        return np.minimum(x, y)

    def local(self):
        return self.saved


def _tie_masks(wins, ties, dtype):
    half = 0.5 * ties
    return (wins + half).astype(dtype), ((~wins & ~ties) + half).astype(dtype)


class Where(Elementwise):
    """where: ∂/∂x = cond, ∂/∂y = not cond (the other branch gets exactly 0, even if NaN)."""

    __slots__ = ("cond",)

    def __init__(self, cond):
        self.cond = np.asarray(cond, dtype=bool)

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


def neg(x):
    """−x."""
    return Neg()(x)


def pow(x, y):
    """x ** y for tensor ** number, number ** tensor and tensor ** tensor."""
    return Pow()(*pair(x, y))


def exp(x):
    """eˣ elementwise."""
    return Exp()(x)


def log(x):
    """Natural logarithm elementwise."""
    return Log()(x)


def sqrt(x):
    """Square root elementwise."""
    return Sqrt()(x)


def abs(x):
    """|x| elementwise."""
    return Abs()(x)


def sin(x):
    """sin x elementwise."""
    return Sin()(x)


def cos(x):
    """cos x elementwise."""
    return Cos()(x)


def tanh(x):
    """Hyperbolic tangent elementwise."""
    return Tanh()(x)


def sigmoid(x):
    """Logistic sigmoid 1 / (1 + e⁻ˣ), computed without overflow."""
    return Sigmoid()(x)


def relu(x):
    """max(x, 0) elementwise."""
    return ReLU()(x)


def leaky_relu(x, negative_slope: float = 0.01):
    """x for x > 0, negative_slope · x otherwise."""
    return LeakyReLU(negative_slope)(x)


def clip(x, lo=None, hi=None):
    """Limit values to [lo, hi] (either bound may be None)."""
    return Clip(lo, hi)(x)


def cast(x, dtype):
    """x converted to ``dtype``; differentiable between floating dtypes."""
    return Cast(dtype)(x)


def maximum(x, y):
    """Elementwise maximum; at ties each input receives half the gradient."""
    return Maximum()(*pair(x, y))


def minimum(x, y):
    """Elementwise minimum; at ties each input receives half the gradient."""
    return Minimum()(*pair(x, y))


def where(cond, x, y):
    """``x`` where ``cond`` is true, else ``y``; ``cond`` is not differentiated."""
    return Where(constant(cond))(*pair(x, y))
