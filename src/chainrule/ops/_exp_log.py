"""Exponentials, logarithms and powers: exp log log1p expm1 log2 log10, sqrt rsqrt
reciprocal, and square (composed: x·x, no `Function` of its own).

Each class states its local derivative and returns it from `local()`. Forwards that can meet
inf or NaN set ``quiet = True``: NumPy's IEEE result, no RuntimeWarning (in backward, the
engine sees to it). The conventions at the edges (sqrt'(0) = +inf, log1p'(−1) = +inf,
rsqrt'(0) = −inf) are tabled in docs/reliability.md.
"""

from __future__ import annotations

import math

import numpy as np

from ._arithmetic import mul
from ._common import floating, is_tensor
from ._elementwise import Unbounded

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _k(x, value: float):
    """``value`` as a scalar of x's dtype (x an array or a Tensor): float32 stays float32,
    also for 0-d arrays under NumPy 1.x."""
    return x.dtype.type(value)


def _apply(name: str, a):
    """NumPy's ``name`` of an array, or the Tensor method of a Tensor (recorded)."""
    return getattr(a, name)() if is_tensor(a) else getattr(np, name)(a)


class Exp(Unbounded):
    """exp: d/dx eˣ = eˣ = out."""

    __slots__ = ()
    quiet = True

    def forward(self, x):
        out = np.exp(x)
        self.saved = (out,)
        return out

    def local(self):
        return self.saved


class Log(Unbounded):
    """log: d/dx ln x = 1/x."""

    __slots__ = ()
    quiet = True

    def forward(self, x):
        self.saved = (x,)
        return np.log(x)

    def local(self):
        return (1.0 / self.saved[0],)


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
class Sqrt(Unbounded):
    """sqrt: d/dx √x = 1/(2√x) = 0.5/out (+inf at x = 0)."""

    __slots__ = ()
    quiet = True

    def forward(self, x):
        out = np.sqrt(x)
        self.saved = (out,)
        return out

    def local(self):
        return (0.5 / self.saved[0],)


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


# ----- functions -------------------------------------------------------------------------
def exp(x):
    """eˣ elementwise."""
    return Exp()(x)


def log(x):
    """Natural logarithm elementwise."""
    return Log()(x)


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


def sqrt(x):
    """Square root elementwise."""
    return Sqrt()(x)


def reciprocal(x):
    """1/x elementwise, in floating point also for an integer tensor (NumPy's own
    ``reciprocal`` of an integer is an integer, 1/2 = 0; here it takes exp's float dtype,
    as in PyTorch). ±inf at ±0. Derivative −1/x²."""
    return Reciprocal()(x)


def rsqrt(x):
    """1/√x elementwise (PyTorch's ``rsqrt``): +inf at 0, −inf at −0, NaN below 0.
    Derivative −½·x^(−3/2) (−inf at 0)."""
    return Rsqrt()(x)


def square(x):
    """x² elementwise, as ``torch.square`` and ``np.square``: ``x * x``, one mul whose two
    paths give the gradient 2x."""
    return mul(x, x)
