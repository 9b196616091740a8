"""Trigonometric and hyperbolic ops: sin cos tan sinh cosh, the inverses arcsin arccos
arctan, and the binary arctan2(y, x); PyTorch's asin acos atan atan2 are the same function
objects. (tanh, an activation, is in `_activations`.)

Each class states its local derivative and returns it from `local()`, written with
operators and Tensor methods so that ``create_graph=True`` records it. Forwards that can
meet inf or NaN set ``quiet = True``. The conventions at the edges (arcsin'(±1) = +inf,
arctan2's 0 at the origin) are tabled in docs/reliability.md.
"""

from __future__ import annotations

import numpy as np

from ._common import constant, is_tensor, pair
from ._common import cos as _cos
from ._common import sin as _sin
from ._elementwise import Elementwise, Unbounded, where
from ._exp_log import _apply, _k


def _inverse_sqrt(a):
    """1/√a of an array, or of a Tensor recorded (`rsqrt`)."""
    return a.rsqrt() if is_tensor(a) else _k(a, 1) / np.sqrt(a)


# ----- trigonometric and hyperbolic ------------------------------------------------------
class Sin(Elementwise):
    """sin: d/dx sin x = cos x."""

    __slots__ = ()
    quiet = True

    def forward(self, x):
        self.saved = (x,)
        return np.sin(x)

    def local(self):
        return (_cos(self.saved[0]),)


class Cos(Elementwise):
    """cos: d/dx cos x = −sin x."""

    __slots__ = ()
    quiet = True

    def forward(self, x):
        self.saved = (x,)
        return np.cos(x)

    def local(self):
        return (-_sin(self.saved[0]),)


class Tan(Elementwise):
    """tan: d/dx tan x = 1 + tan²x = 1 + out²."""

    __slots__ = ()
    quiet = True  # tan(±inf) is NaN

    def forward(self, x):
        out = np.tan(x)
        self.saved = (out,)
        return out

    def local(self):
        out = self.saved[0]
        return (out * out + _k(out, 1),)


class Sinh(Unbounded):
    """sinh: d/dx sinh x = cosh x."""

    __slots__ = ()
    quiet = True  # overflows to ±inf from |x| ≈ 710.5 (float32: 89.4)

    def forward(self, x):
        self.saved = (x,)
        return np.sinh(x)

    def local(self):
        return (_apply("cosh", self.saved[0]),)


class Cosh(Unbounded):
    """cosh: d/dx cosh x = sinh x."""

    __slots__ = ()
    quiet = True  # overflows to inf from |x| ≈ 710.5 (float32: 89.4)

    def forward(self, x):
        self.saved = (x,)
        return np.cosh(x)

    def local(self):
        return (_apply("sinh", self.saved[0]),)


class Arcsin(Unbounded):
    """arcsin: d/dx arcsin x = 1/√(1 − x²), computed as 1/√((1 − x)(1 + x)) (+inf at
    x = ±1, NaN outside [−1, 1])."""

    __slots__ = ()
    quiet = True  # NaN outside [−1, 1]

    def forward(self, x):
        self.saved = (x,)
        return np.arcsin(x)

    def local(self):
        return (_arcsin_derivative(self.saved[0]),)


class Arccos(Unbounded):
    """arccos: d/dx arccos x = −1/√(1 − x²), computed as −1/√((1 − x)(1 + x)) (−inf at
    x = ±1, NaN outside [−1, 1])."""

    __slots__ = ()
    quiet = True  # NaN outside [−1, 1]

    def forward(self, x):
        self.saved = (x,)
        return np.arccos(x)

    def local(self):
        return (-_arcsin_derivative(self.saved[0]),)


def _arcsin_derivative(x):
    """1/√((1 − x)(1 + x)) for |x| > ½: the same as 1/√(1 − x²), without the cancellation
    of 1 − x² near ±1 (1 − x is exact there); 1/√(1 − x²) for |x| ≤ ½, where 1 − x² is
    accurate and its derivative −2x is exact (the product's, (1 − x) − (1 + x), cancels
    near 0: the second derivative would lose its digits there)."""
    one = _k(x, 1)
    outer = np.abs(constant(x)) > 0.5
    inner = one - x * x
    both = (one - x) * (one + x)
    pick = where if is_tensor(x) else np.where
    return _inverse_sqrt(pick(outer, both, inner))


class Arctan(Elementwise):
    """arctan: d/dx arctan x = 1/(1 + x²) (0 at ±inf)."""

    __slots__ = ()

    def forward(self, x):
        self.saved = (x,)
        return np.arctan(x)

    def local(self):
        x = self.saved[0]
        one = _k(x, 1)
        return (one / (x * x + one),)


class Arctan2(Unbounded):
    """arctan2: ∂arctan2(y, x)/∂y = x/(x² + y²), ∂arctan2(y, x)/∂x = −y/(x² + y²) (0 at the
    origin, as PyTorch)."""

    __slots__ = ()  # np.arctan2 raises no IEEE flag, ±inf and NaN included: not quiet

    def forward(self, y, x):
        self.saved = (y, x)
        return np.arctan2(y, x)

    def local(self):
        y, x = self.saved
        yd, xd = constant(y), constant(x)
        # x and y scaled by a power of two s (exact) taken from the data, a constant: the
        # same function of x and y (so create_graph differentiates it right), and x² + y²
        # neither overflows nor underflows where x/(x² + y²) is a normal number
        m = np.maximum(np.abs(xd), np.abs(yd))
        s = np.ldexp(np.ones((), np.result_type(xd, yd)), -np.frexp(m)[1])
        xs, ys = x * s, y * s
        r2 = xs * xs + ys * ys
        origin = r2 == 0 if not is_tensor(r2) else r2.data == 0
        if is_tensor(r2):
            return where(origin, 0.0, xs / r2 * s), where(origin, 0.0, -ys / r2 * s)
        zero = r2.dtype.type(0)
        return np.where(origin, zero, xs / r2 * s), np.where(origin, zero, -ys / r2 * s)


# ----- functions -------------------------------------------------------------------------
def sin(x):
    """sin x elementwise."""
    return Sin()(x)


def cos(x):
    """cos x elementwise."""
    return Cos()(x)


def tan(x):
    """tan x elementwise (NaN at ±inf). Derivative 1 + tan²x."""
    return Tan()(x)


def sinh(x):
    """Hyperbolic sine elementwise. Derivative cosh x."""
    return Sinh()(x)


def cosh(x):
    """Hyperbolic cosine elementwise. Derivative sinh x."""
    return Cosh()(x)


def arcsin(x):
    """Inverse sine elementwise, in [−π/2, π/2]; NaN outside [−1, 1] (without a warning).
    Derivative 1/√(1 − x²), +inf at ±1. PyTorch's name: ``asin``."""
    return Arcsin()(x)


def arccos(x):
    """Inverse cosine elementwise, in [0, π]; NaN outside [−1, 1] (without a warning).
    Derivative −1/√(1 − x²), −inf at ±1. PyTorch's name: ``acos``."""
    return Arccos()(x)


def arctan(x):
    """Inverse tangent elementwise, in [−π/2, π/2] (±π/2 at ±inf). Derivative 1/(1 + x²).
    PyTorch's name: ``atan``."""
    return Arctan()(x)


def arctan2(y, x):
    """The angle of the point (x, y) elementwise, arctan(y/x) in the right quadrant, in
    [−π, π] (NumPy's ``arctan2``, PyTorch's ``atan2``: y first). Either operand may be a
    number or an array; they broadcast. ∂/∂y = x/(x² + y²), ∂/∂x = −y/(x² + y²), and 0 at
    the origin, as PyTorch's. x² + y² is formed on x and y scaled by a power of two, so the
    gradient stays right for |x|, |y| up to 1e308 and down to 1e-308 (PyTorch's gives 0
    below about 1e-162 and above 1.3e154 (float32: 1e-19 and 1.8e19))."""
    return Arctan2()(*pair(y, x))


# PyTorch's names: the same function objects
asin = arcsin
acos = arccos
atan = arctan
atan2 = arctan2
