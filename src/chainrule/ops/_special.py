"""The error function and the standard normal distribution on NumPy arrays, for GELU.

NumPy has no erf. `erf` and `erfc` here evaluate W. J. Cody's rational Chebyshev
approximations (W. J. Cody, "Rational Chebyshev approximations for the error function",
Mathematics of Computation 23 (1969), 631–637; the coefficients as published in his
CALERF routine, W. J. Cody, "Algorithm 715", ACM TOMS 19 (1993), 22–32), written here
for whole arrays:

- |x| ≤ 0.5: erf(x) = x·P(x²)/Q(x²) (degrees 4 and 4);
- 0.5 < |x| ≤ 4: erfc(|x|) = e^(−x²)·P(|x|)/Q(|x|) (degrees 8 and 8);
- |x| > 4: erfc(|x|) = (e^(−x²)/|x|)·(1/√π + z·P(z)/Q(z)), z = 1/x² (degrees 5 and 5);

and the other function by 1 − ·, with erfc(−x) = 2 − erfc(x). e^(−x²) is formed as
e^(−s²)·e^(−(x − s)(x + s)) with s = x rounded down to a sixteenth (s² is exact), so the
rounding of x² (relative error ε times x², up to 7e-14 at x = 26) does not reach it.
Measured against ``math.erf`` and ``math.erfc`` on 248,010 points of |x| ≤ 30: erf within
3 ulp (relative 4.5e-16), erfc within 7 ulp (8.9e-16) where the value is a normal number
(tests/test_gelu.py holds them to 4 and 8).

`ndtr` (Φ, the standard normal CDF) is ½·erfc(−x/√2), computed without forming x/√2 where
that would cost digits: in the tails it is ½·(e^(−x²/2))·P(y)/Q(y) with y = |x|/√2 and
e^(−x²/2) split as above on x itself (the rounding of x/√2 would otherwise be multiplied
by x²). So Φ(−30) ≈ 4.9e-198 keeps its digits, where ½(1 + erf(x/√2)) gives 0 below
x ≈ −8.3. `normal_pdf` is φ(x) = e^(−x²/2)/√(2π), split the same way.

All take float64 arrays (the callers convert) and give no floating-point warning for any
input, ±inf and NaN included: x is clipped where the result has already reached its limit.
`NormalCDF` and `NormalPDF` are the Functions that record Φ and φ under create_graph, so
that GELU's derivative Φ(x) + x·φ(x) can itself be differentiated.
"""

from __future__ import annotations

import numpy as np

from ._common import is_tensor
from ._elementwise import Elementwise, where

# Cody's coefficients (CALERF): erf on |x| ≤ 0.5
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)  # fmt: skip
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)  # fmt: skip
# erfc on 0.5 < x ≤ 4
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)  # fmt: skip
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)  # fmt: skip
# erfc on x > 4
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)  # fmt: skip
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)  # fmt: skip

_INV_SQRT_PI = 0.56418958354775628695  # 1/√π
_INV_SQRT_2PI = 0.39894228040143267794  # 1/√(2π)
_SQRT_HALF = 0.70710678118654752440  # 1/√2
_SMALL = 0.5  # |x| at or below which erf is computed directly
_LARGE = 4.0  # |x| above which erfc takes its asymptotic form
# erfc(28) < 5e-324 and Φ(−39) < 5e-324: beyond these the tail is 0, and clipping there
# keeps x² finite (no overflow warning for |x| > 1.3e154, no ∞ − ∞ for x = ±inf)
_ERFC_ZERO = 28.0
_NDTR_ZERO = 39.0


def _rational(z: np.ndarray, top: float, nums, dens, num_last: float, den_last: float):
    """(top·zⁿ + nums… + num_last)/(zⁿ + dens… + den_last) by Horner's rule, in place on
    two new arrays (one NumPy call per step: these run on whole batches)."""
    num = z * top
    den = z.copy()
    for a, b in zip(nums, dens):
        num += a
        num *= z
        den += b
        den *= z
    num += num_last
    den += den_last
    num /= den
    return num


def _erf_small(x: np.ndarray) -> np.ndarray:
    """erf(x) for |x| ≤ 0.5: x·P(x²)/Q(x²)."""
    out = _rational(x * x, _A[4], _A[:3], _B[:3], _A[3], _B[3])
    out *= x
    return out


def _erfc_ratio(y: np.ndarray) -> np.ndarray:
    """erfc(y)·e^(y²) for finite y ≥ 0, accurate for y > 0.5 (Cody's two rational forms;
    the asymptotic one only where some y > 4, on those alone: they are rare in a batch)."""
    out = _rational(y, _C[8], _C[:7], _D[:7], _C[7], _D[7])
    far = y > _LARGE
    if far.any():
        yf = y[far]
        z = 1.0 / (yf * yf)
        r = _rational(z, _P[5], _P[:4], _Q[:4], _P[4], _Q[4])
        r *= -z
        r += _INV_SQRT_PI
        r /= yf
        out[far] = r
    return out


def _gauss(a: np.ndarray, scale: float) -> np.ndarray:
    """e^(−scale·a²) for finite a ≥ 0, with a² split as s² + (a − s)(a + s), s = a truncated
    to a sixteenth: s² is exact, so only the small second part carries a rounding error."""
    s = a * 16.0
    np.trunc(s, out=s)
    s *= 0.0625
    d = a - s
    d *= a + s
    d *= -scale
    np.exp(d, out=d)
    s *= s
    s *= -scale
    np.exp(s, out=s)
    s *= d
    return s


def _select(mask: np.ndarray, yes: np.ndarray, no: np.ndarray) -> np.ndarray:
    """``yes`` where ``mask``, else ``no``, both finite or NaN, written into ``yes``: as
    products with the mask (a finite value times 0 is 0, so the sum is the one chosen
    exactly), which np.where runs several times slower on a mask of random signs."""
    yes *= mask
    no *= ~mask
    yes += no
    return yes


def _tail(y: np.ndarray, clip: float) -> np.ndarray:
    """erfc(y) for y ≥ 0 (NaN stays NaN), accurate for y > 0.5; y is clipped at ``clip``."""
    a = np.minimum(y, clip)
    out = _erfc_ratio(a)
    out *= _gauss(a, 1.0)
    return out


def _erfc_block(x: np.ndarray) -> np.ndarray:
    """`erfc` of a 1-d block."""
    y = np.abs(x)
    tail = _tail(y, _ERFC_ZERO)
    tail = _select(x < 0, 2.0 - tail, tail)
    central = 1.0 - _erf_small(np.clip(x, -_SMALL, _SMALL))
    return _select(y > _SMALL, tail, central)  # NaN: the central value, NaN


def _erf_block(x: np.ndarray) -> np.ndarray:
    """`erf` of a 1-d block."""
    y = np.abs(x)
    tail = 1.0 - _tail(y, _ERFC_ZERO)
    central = _erf_small(np.minimum(y, _SMALL))
    return np.copysign(_select(y > _SMALL, tail, central), x)


def _ndtr_block(x: np.ndarray) -> np.ndarray:
    """`ndtr` of a 1-d block."""
    a = np.minimum(np.abs(x), _NDTR_ZERO)  # |x|, clipped where Φ(−|x|) is 0
    y = a * _SQRT_HALF
    lower = _erfc_ratio(y)  # Φ(−|x|) = ½·e^(−x²/2)·R(|x|/√2), e^(−x²/2) split on x itself
    lower *= _gauss(a, 0.5)
    lower *= 0.5
    tail = _select(x >= 0, 1.0 - lower, lower)
    c = x * _SQRT_HALF
    np.clip(c, -_SMALL, _SMALL, out=c)
    central = _erf_small(c)
    central *= 0.5
    central += 0.5
    return _select(y > _SMALL, tail, central)


def _normal_pdf_block(x: np.ndarray) -> np.ndarray:
    """`normal_pdf` of a 1-d block."""
    out = _gauss(np.minimum(np.abs(x), _NDTR_ZERO), 0.5)
    out *= _INV_SQRT_2PI
    return out


#: elements per block: 4,096 float64 = 32 KB, so the dozen temporaries of a block come from
#: the allocator's free lists (one whole-batch temporary of (128, 256) float64 is 256 KB,
#: above glibc's mmap threshold: each new one costs its page faults, ~60 µs) and stay in
#: the cache
_BLOCK = 4096


def _blockwise(block, x: np.ndarray) -> np.ndarray:
    """``block`` (a function of a 1-d float64 array) applied to ``x`` in `_BLOCK` pieces."""
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(-1)
    if flat.size <= _BLOCK:
        return block(flat).reshape(x.shape)
    out = np.empty_like(flat)
    for i in range(0, flat.size, _BLOCK):
        out[i : i + _BLOCK] = block(flat[i : i + _BLOCK])
    return out.reshape(x.shape)


def erf(x: np.ndarray) -> np.ndarray:
    """erf(x) of a float64 array (Cody 1969; see the module docstring): ±1 at ±inf, NaN for
    NaN, the sign of x at ±0, and about x·2/√π for tiny x (no underflow before x does)."""
    return _blockwise(_erf_block, x)


def erfc(x: np.ndarray) -> np.ndarray:
    """erfc(x) = 1 − erf(x) of a float64 array (Cody 1969; see the module docstring):
    2 at −inf, 0 at +inf (and from x ≈ 27.3 on, where it underflows), NaN for NaN."""
    return _blockwise(_erfc_block, x)


def ndtr(x: np.ndarray) -> np.ndarray:
    """Φ(x) = ½·erfc(−x/√2), the standard normal CDF, of a float64 array: accurate in
    both tails (Φ(−30) = 4.906e-198 to a few ulp), 0 at −inf, 1 at +inf, NaN for NaN."""
    return _blockwise(_ndtr_block, x)


def normal_pdf(x: np.ndarray) -> np.ndarray:
    """φ(x) = e^(−x²/2)/√(2π) of a float64 array: 0 at ±inf, NaN for NaN, no overflow."""
    return _blockwise(_normal_pdf_block, x)


def _in_float64(fn, x: np.ndarray) -> np.ndarray:
    """``fn`` of ``x`` computed in float64 and given back in x's dtype."""
    out = fn(np.asarray(x, dtype=np.float64))
    return out.astype(x.dtype, copy=False) if x.dtype != np.float64 else out


def cdf(x):
    """Φ(x) in x's float dtype: of an array, or of a Tensor recorded (`NormalCDF`)."""
    return NormalCDF()(x) if is_tensor(x) else _in_float64(ndtr, x)


def pdf(x):
    """φ(x) in x's float dtype: of an array, or of a Tensor recorded (`NormalPDF`)."""
    return NormalPDF()(x) if is_tensor(x) else _in_float64(normal_pdf, x)


class NormalCDF(Elementwise):
    """normal_cdf: d/dx Φ(x) = φ(x) = e^(−x²/2)/√(2π) — recorded in GELU's derivative under
    create_graph."""

    __slots__ = ()

    def forward(self, x):
        self.saved = (x,)
        return _in_float64(ndtr, x)

    def local(self):
        return (pdf(self.saved[0]),)


class NormalPDF(Elementwise):
    """normal_pdf: d/dx φ(x) = −x·φ(x) (0 at ±inf) — recorded in GELU's derivative under
    create_graph."""

    __slots__ = ()

    def forward(self, x):
        out = _in_float64(normal_pdf, x)
        self.saved = (x, out)
        return out

    def local(self):
        x, out = self.saved
        if is_tensor(x):  # −x·φ(x), x finite where φ is not 0 (the mask a constant)
            return (where(np.isinf(x.data), 0.0, -x) * out,)
        return (np.where(np.isinf(x), x.dtype.type(0), -x) * out,)
