"""More elementwise math, what a NumPy or PyTorch user reaches for next: the unary log1p
expm1 reciprocal rsqrt tan sinh cosh arcsin arccos arctan log2 log10 erf erfc, the step
functions sign floor ceil round trunc (gradient 0 everywhere, as PyTorch's), and the binary
arctan2(y, x).

Each class states its local derivative and returns it from `local()`, written with
operators and Tensor methods so that ``create_graph=True`` records it (the ops can be
differentiated twice, and more). NumPy's names come first; PyTorch's (asin, acos, atan,
atan2) are the same function objects. Forwards that can meet inf or NaN set ``quiet = True``:
NumPy's IEEE result, no RuntimeWarning. The conventions at the edges (log1p'(−1) = +inf,
rsqrt'(0) = −inf, arcsin'(±1) = +inf, the step functions' 0) are tabled in
docs/reliability.md.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._common import constant, floating, is_tensor, pair
from ._elementwise import _NEVER, Elementwise, Selection, Unbounded, where
from ._special import _in_float64
from ._special import erf as _erf_array
from ._special import erfc as _erfc_array

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _k(x, value: float):
    """``value`` as a scalar of x's dtype (x an array or a Tensor): float32 stays float32,
    also for 0-d arrays under NumPy 1.x."""
    return x.dtype.type(value)


def _apply(name: str, a):
    """NumPy's ``name`` of an array, or the Tensor method of a Tensor (recorded)."""
    return getattr(a, name)() if is_tensor(a) else getattr(np, name)(a)


def _inverse_sqrt(a):
    """1/√a of an array, or of a Tensor recorded (`rsqrt`)."""
    return a.rsqrt() if is_tensor(a) else _k(a, 1) / np.sqrt(a)


def _gauss(x):
    """e^(−x²) of an array or a Tensor (0 at ±inf, NaN for NaN)."""
    return (-(x * x)).exp() if is_tensor(x) else np.exp(-(x * x))


# ----- logarithms and exponentials -------------------------------------------------------
class Log1p(Unbounded):
    """log1p: d/dx ln(1 + x) = 1/(1 + x) (+inf at x = −1)."""

    __slots__ = ()
    quiet = True  # log1p(−1) = −inf, NaN below

    def forward(self, x):
        self.saved = (x,)
        return np.log1p(x)

    def local(self):
        x = self.saved[0]
        return (_k(x, 1) / (x + _k(x, 1)),)


class Expm1(Unbounded):
    """expm1: d/dx (eˣ − 1) = eˣ, computed as exp(x) (out + 1, PyTorch's form, rounds to 0
    below x ≈ −37)."""

    __slots__ = ()
    quiet = True  # overflows to inf from x ≈ 709.8 (float32: 88.7)

    def forward(self, x):
        self.saved = (x,)
        return np.expm1(x)

    def local(self):
        return (_apply("exp", self.saved[0]),)


class Log2(Unbounded):
    """log2: d/dx log₂ x = 1/(x ln 2)."""

    __slots__ = ()
    quiet = True  # log2(0) = −inf, NaN below

    def forward(self, x):
        self.saved = (x,)
        return np.log2(x)

    def local(self):
        x = self.saved[0]
        return (_k(x, 1) / (x * _k(x, _LN2)),)


class Log10(Unbounded):
    """log10: d/dx log₁₀ x = 1/(x ln 10)."""

    __slots__ = ()
    quiet = True  # log10(0) = −inf, NaN below

    def forward(self, x):
        self.saved = (x,)
        return np.log10(x)

    def local(self):
        x = self.saved[0]
        return (_k(x, 1) / (x * _k(x, _LN10)),)


# ----- powers ----------------------------------------------------------------------------
class Reciprocal(Unbounded):
    """reciprocal: d/dx 1/x = −1/x² = −out² (−inf at x = ±0)."""

    __slots__ = ()
    quiet = True  # 1/0 = inf

    def forward(self, x):
        x = floating(x)  # NumPy's reciprocal of an integer is an integer (1/2 = 0)
        out = _k(x, 1) / x
        self.saved = (out,)
        return out

    def local(self):
        out = self.saved[0]
        return (-(out * out),)


class Rsqrt(Unbounded):
    """rsqrt: d/dx 1/√x = −½·x^(−3/2) = −½·out³ (−inf at x = 0)."""

    __slots__ = ()
    quiet = True  # 1/√0 = inf, NaN below 0

    def forward(self, x):
        x = floating(x)
        out = _k(x, 1) / np.sqrt(x)
        self.saved = (out,)
        return out

    def local(self):
        out = self.saved[0]
        return (out * out * out * _k(out, -0.5),)


# ----- trigonometric and hyperbolic ------------------------------------------------------
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


# ----- the error function ----------------------------------------------------------------
class Erf(Elementwise):
    """erf: d/dx erf x = 2/√π·e^(−x²)."""

    __slots__ = ()

    def forward(self, x):
        x = floating(x)
        self.saved = (x,)
        return _in_float64(_erf_array, x)  # Cody's approximation, within 3 ulp

    def local(self):
        x = self.saved[0]
        return (_gauss(x) * _k(x, _TWO_OVER_SQRT_PI),)


class Erfc(Elementwise):
    """erfc: d/dx erfc x = −2/√π·e^(−x²)."""

    __slots__ = ()

    def forward(self, x):
        x = floating(x)
        self.saved = (x,)
        return _in_float64(_erfc_array, x)  # Cody's approximation, within 7 ulp

    def local(self):
        x = self.saved[0]
        return (_gauss(x) * _k(x, -_TWO_OVER_SQRT_PI),)


# ----- step functions: gradient 0 everywhere ---------------------------------------------
# Each is a `Selection` whose mask is 0 everywhere (as floor_divide): the downstream
# gradient is exactly 0, at the jumps too, even for an inf or NaN upstream (as PyTorch's).
def _nowhere(self):
    """The local gradient of a step function: a mask that is 0 everywhere."""
    return (_NEVER,)


class Sign(Selection):
    """sign: d/dx sign x = 0 — everywhere, also at 0 (as PyTorch)."""

    __slots__ = ()
    local = _nowhere

    def forward(self, x):
        return x.copy() if x.dtype.kind == "b" else np.sign(x)  # NumPy has no bool sign


class Floor(Selection):
    """floor: d/dx ⌊x⌋ = 0 — everywhere, also at the integers where it jumps (as PyTorch)."""

    __slots__ = ()
    local = _nowhere

    def forward(self, x):
        return np.floor(x) if x.dtype.kind == "f" else x.copy()


class Ceil(Selection):
    """ceil: d/dx ⌈x⌉ = 0 — everywhere, also at the integers where it jumps (as PyTorch)."""

    __slots__ = ()
    local = _nowhere

    def forward(self, x):
        return np.ceil(x) if x.dtype.kind == "f" else x.copy()


class Trunc(Selection):
    """trunc: d/dx trunc x = 0 — everywhere, also at the integers where it jumps (as
    PyTorch)."""

    __slots__ = ()
    local = _nowhere

    def forward(self, x):
        return np.trunc(x) if x.dtype.kind == "f" else x.copy()


class Round(Selection):
    """round: d/dx round x = 0 — everywhere, also halfway between where it jumps (as
    PyTorch)."""

    __slots__ = ("decimals",)
    local = _nowhere
    quiet = True  # x·10^decimals can overflow

    def __init__(self, decimals: int = 0):
        self.decimals = decimals

    def forward(self, x):
        if x.dtype.kind == "b":
            return x.copy()  # NumPy would give float16
        if x.dtype.kind != "f" and self.decimals >= 0:
            return x.copy()
        return np.round(x, self.decimals)


# ----- functions -------------------------------------------------------------------------
def log1p(x):
    """ln(1 + x) elementwise, exact for tiny x (log1p(1e-20) = 1e-20, where log(1 + x)
    gives 0); −inf at x = −1, NaN below. Derivative 1/(1 + x)."""
    return Log1p()(x)


def expm1(x):
    """eˣ − 1 elementwise, exact for tiny x (expm1(1e-20) = 1e-20, where exp(x) − 1 gives
    0). Derivative eˣ."""
    return Expm1()(x)


def log2(x):
    """Base-2 logarithm elementwise (−inf at 0, NaN below). Derivative 1/(x ln 2)."""
    return Log2()(x)


def log10(x):
    """Base-10 logarithm elementwise (−inf at 0, NaN below). Derivative 1/(x ln 10)."""
    return Log10()(x)


def reciprocal(x):
    """1/x elementwise, in floating point also for an integer tensor (NumPy's own
    ``reciprocal`` of an integer is an integer, 1/2 = 0; here it takes exp's float dtype,
    as in PyTorch). ±inf at ±0. Derivative −1/x²."""
    return Reciprocal()(x)


def rsqrt(x):
    """1/√x elementwise (PyTorch's ``rsqrt``): +inf at 0, −inf at −0, NaN below 0.
    Derivative −½·x^(−3/2) (−inf at 0)."""
    return Rsqrt()(x)


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


def erf(x):
    """The error function erf x = 2/√π·∫₀ˣ e^(−t²) dt elementwise (±1 at ±inf), computed
    in float64 with Cody's rational approximations (`ops._special`) and given back in x's
    dtype. Derivative 2/√π·e^(−x²)."""
    return Erf()(x)


def erfc(x):
    """The complementary error function 1 − erf x elementwise, accurate where erf x is
    close to 1 (erfc(10) = 2.09e-45, where 1 − erf gives 0); computed as `erf`.
    Derivative −2/√π·e^(−x²)."""
    return Erfc()(x)


def sign(x):
    """−1, 0 or 1 elementwise, as NumPy's ``sign`` (NaN for NaN, where PyTorch gives 0).
    Its gradient is 0 everywhere, at 0 too, as PyTorch's."""
    return Sign()(x)


def floor(x):
    """The largest integer ≤ x elementwise (an integer tensor is returned as it is, as in
    PyTorch). Its gradient is 0 everywhere, at the integers too, as PyTorch's."""
    return Floor()(x)


def ceil(x):
    """The smallest integer ≥ x elementwise (an integer tensor is returned as it is).
    Its gradient is 0 everywhere, at the integers too, as PyTorch's."""
    return Ceil()(x)


def trunc(x):
    """x rounded toward 0 elementwise (an integer tensor is returned as it is). Its
    gradient is 0 everywhere, at the integers too, as PyTorch's."""
    return Trunc()(x)


def round(x, decimals: int = 0):
    """x rounded to ``decimals`` decimals elementwise, halves to the even neighbour
    (``round(2.5)`` is 2.0, ``round(-0.5)`` is −0.0), as NumPy's ``round`` and
    ``torch.round``. With ``decimals`` it is NumPy's computation (x·10^d rounded, then
    divided), which PyTorch's can differ from by one unit in the last decimal where
    x·10^d is not exact. Its gradient is 0 everywhere, at the jumps too, as PyTorch's."""
    if isinstance(decimals, bool) or not isinstance(decimals, numbers.Integral):
        raise TypeError(f"round: decimals must be an integer, got {decimals!r}")
    return Round(int(decimals))(x)


# PyTorch's names: the same function objects
asin = arcsin
acos = arccos
atan = arctan
atan2 = arctan2
