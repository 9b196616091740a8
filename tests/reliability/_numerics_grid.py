"""The grid and the op table behind test_rel_numerics.py.

Each elementwise op has its chainrule call, NumPy's result (the forward's truth), and its
derivative written out here by hand: ``grad`` is the formula the op documents, evaluated in
IEEE arithmetic at every grid point (that is the convention where the derivative is not
finite), and ``textbook``, where it differs in form, an independent formula that must agree
with the op at normal points. Both are NumPy expressions evaluated under
``np.errstate(all="ignore")``: an inf or a NaN in them is the expected answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import chainrule as cr
from chainrule.ops._special import NormalCDF, NormalPDF

INF, NAN = np.inf, np.nan
#: the issue's grid, plus −0
GRID = (0.0, -0.0, 1e-300, -1e-300, 1e-8, -1e-8, 1.0, -1.0, 88.7, -88.7, 709.8, -709.8,
        1e4, -1e4, INF, -INF, NAN)  # fmt: skip
SLOPE = 0.01  # leaky_relu's default negative slope
EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class Op:
    name: str
    fn: Callable  # fn(*tensors) -> Tensor
    ref: Callable  # ref(*arrays) -> array: NumPy's forward
    grad: Callable  # grad(*arrays) -> tuple of ∂out/∂input, as the op documents it
    textbook: Callable | None = None  # an independent form, checked at normal points
    #: absolute error allowed there: 1 − y² and y(1 − y), from the output y, are exact to
    #: within the rounding of y ≈ 1 (ε), and give 0 once the true derivative is below it
    textbook_atol: float = 0.0

    def __repr__(self) -> str:
        return self.name


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """σ in extended precision (exp(1e4) fits in a long double), rounded to x's dtype."""
    if np.finfo(np.longdouble).maxexp <= 1024:  # long double is a double here: piecewise form
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)
    xl = x.astype(np.longdouble)
    return (1 / (1 + np.exp(-xl))).astype(x.dtype)


def _sigmoid_grad(x):
    s = _sigmoid(x)
    return (s * (1 - s),)


def _elu(x):
    """α(eˣ − 1) below 0 with α = 1, from np.expm1 of the clipped x (exp(x) − 1 loses
    precision near 0: at x = −1e-8 it keeps 8 digits)."""
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _silu(x):
    """x·σ(x); at −∞ the limit −0 (−∞·0 would be NaN)."""
    return np.where(x == -INF, -0.0, x * _sigmoid(x))


def _silu_grad(x):
    """σ(x)(1 + x(1 − σ(x))) as σ(x) + x·σ(x)·σ(−x) (1 − σ(x) rounds to 0 for x ≳ 37),
    with the term's limit 0 at ±∞: 1 at +∞, 0 at −∞."""
    s, r = _sigmoid(x), _sigmoid(-x)
    return (s + np.where(np.isinf(x), 0.0, x * s * r),)


def _softplus(x):
    """ln(1 + eˣ) as max(x, 0) + ln(1 + e^−|x|), and x itself above the threshold 20."""
    return np.where(x > 20, x, np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))


def _erfc(v: np.ndarray) -> np.ndarray:
    """math.erfc elementwise, in float64: the truth chainrule's own erfc is not."""
    return np.vectorize(math.erfc, otypes=[np.float64])(v)


def _gelu(x):
    """x·Φ(x) with Φ(x) = ½·erfc(−x/√2) from math.erfc in float64, rounded to x's dtype:
    −∞·Φ(−∞) = −∞·0 = NaN at −∞, as PyTorch."""
    w = x.astype(np.float64)
    return (w * (0.5 * _erfc(-w / math.sqrt(2)))).astype(x.dtype)


def _gelu_grad(x):
    """Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π), in IEEE arithmetic: ∞·0 = NaN at ±∞ (as
    PyTorch); in float64, rounded to x's dtype."""
    w = x.astype(np.float64)
    phi = np.exp(-0.5 * w * w) / math.sqrt(2 * math.pi)
    return ((0.5 * _erfc(-w / math.sqrt(2)) + w * phi).astype(x.dtype),)


def _gelu_textbook(x):
    """d/dx of ½x(1 + erf(x/√2)): ½(1 + erf(x/√2)) + x·e^(−x²/2)/√(2π), with math.erf."""
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return (0.5 * (1 + erf(x / math.sqrt(2))) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi),)


def _normal_cdf(x):
    """Φ(x) = ½·erfc(−x/√2) from math.erfc in float64, rounded to x's dtype."""
    return (0.5 * _erfc(-x.astype(np.float64) / math.sqrt(2))).astype(x.dtype)


def _normal_pdf(x):
    """φ(x) = e^(−x²/2)/√(2π) in float64, rounded to x's dtype: 0 at ±∞."""
    w = x.astype(np.float64)
    return (np.exp(-0.5 * w * w) / math.sqrt(2 * math.pi)).astype(x.dtype)


def _normal_pdf_grad(x):
    """−x·φ(x), with the limit 0 at ±∞ (∞·0 would be NaN), as `NormalPDF` documents."""
    return (np.where(np.isinf(x), 0.0, -x) * _normal_pdf(x),)


_K = math.sqrt(2 / math.pi)


def _gelu_tanh(x):
    """PyTorch's formula ½·x·(1 + tanh(√(2/π)(x + 0.044715x³))), in float64, rounded to x's
    dtype (no point of the grid is in the far negative tail, where 1 + tanh cancels)."""
    w = x.astype(np.float64)
    return (0.5 * w * (1 + np.tanh(_K * (w + 0.044715 * w**3)))).astype(x.dtype)


def _gelu_tanh_grad(x):
    """½(1 + tanh u) + ½x(1 − tanh²u)·u′, u′ = √(2/π)(1 + 3·0.044715x²), as PyTorch writes
    it: ∞·0 = NaN at ±∞."""
    w = x.astype(np.float64)
    th = np.tanh(_K * (w + 0.044715 * w**3))
    du = _K * (1 + 3 * 0.044715 * w * w)
    return ((0.5 * (1 + th) + 0.5 * w * (1 - th * th) * du).astype(x.dtype),)


def _math(fn):
    """``fn`` of the math module elementwise, in float64, rounded to x's dtype: a truth
    computed apart from chainrule's own (erf and erfc are Cody's approximations there)."""
    vectorized = np.vectorize(fn, otypes=[np.float64])
    return lambda x: vectorized(x.astype(np.float64)).astype(x.dtype)


def _arcsin_grad(x):
    """1/√((1 − x)(1 + x)), as arcsin documents it: +inf at ±1, NaN outside [−1, 1]."""
    return (1 / np.sqrt((1 - x) * (1 + x)),)


def _zero(*arrays):
    """The step functions' gradient: 0 everywhere, at the jumps, ±inf and NaN too."""
    return tuple(np.zeros_like(a) for a in arrays)


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _arctan2_grads(y, x):
    """x/(x² + y²) and −y/(x² + y²) on x, y scaled by 2^−e, e the exponent of max(|x|, |y|)
    (exact): the same numbers without overflow or underflow; 0 where x² + y² is 0."""
    e = np.frexp(np.maximum(np.abs(x), np.abs(y)))[1]
    s = np.ldexp(np.ones_like(x), -e)
    xs, ys = x * s, y * s
    r2 = xs * xs + ys * ys
    return np.where(r2 == 0, 0.0, xs / r2 * s), np.where(r2 == 0, 0.0, -ys / r2 * s)


def _arctan2_plain(y, x):
    """x/(x² + y²) and −y/(x² + y²) as written, in long double (whose exponent reaches
    ±4932 on x86: x² + y² of the grid neither overflows nor underflows), rounded to x's
    dtype."""
    yl, xl = y.astype(np.longdouble), x.astype(np.longdouble)
    r2 = xl * xl + yl * yl
    return (xl / r2).astype(x.dtype), (-yl / r2).astype(x.dtype)


#: the textbook form needs a long double wider than a double (x86); elsewhere none
_arctan2_long_double = _arctan2_plain if np.finfo(np.longdouble).maxexp > 1024 else None


def _maximum_grads(x, y):
    wins = (x > y) | np.isnan(x)
    tie = (x == y) * 0.5
    return wins + tie, (~wins & (x != y)) + tie


def _minimum_grads(x, y):
    wins = (x < y) | np.isnan(x)
    tie = (x == y) * 0.5
    return wins + tie, (~wins & (x != y)) + tie


def _one(x):
    return np.ones_like(x)


def _xlogy(x, y):
    """PyTorch's definition: NaN where y is NaN, else 0 where x = 0, else x·ln y."""
    return np.where(y != y, np.nan, np.where(x == 0, 0.0, x * np.log(y))).astype(x.dtype)


def _hypot_grads(x, y):
    out = np.hypot(x, y)
    return np.where(out == 0, 0.0, x / out), np.where(out == 0, 0.0, y / out)


UNARY = [
    Op("exp", cr.ops.exp, np.exp, lambda x: (np.exp(x),)),
    Op("log", cr.ops.log, np.log, lambda x: (1 / x,)),
    Op("sqrt", cr.ops.sqrt, np.sqrt, lambda x: (0.5 / np.sqrt(x),), lambda x: (0.5 * x**-0.5,)),
    Op("abs", cr.ops.abs, np.abs, lambda x: (np.sign(x),)),
    Op("sin", cr.ops.sin, np.sin, lambda x: (np.cos(x),)),
    Op("cos", cr.ops.cos, np.cos, lambda x: (-np.sin(x),)),
    Op("tanh", cr.ops.tanh, np.tanh, lambda x: (1 - np.tanh(x) ** 2,),
       lambda x: (1 / np.cosh(x) ** 2,), EPS),
    Op("sigmoid", cr.ops.sigmoid, _sigmoid, _sigmoid_grad,
       lambda x: (np.exp(-x) / (1 + np.exp(-x)) ** 2,), EPS),
    Op("relu", cr.ops.relu, lambda x: np.maximum(x, 0), lambda x: ((x > 0) * 1.0,)),
    Op("leaky_relu", cr.ops.leaky_relu, lambda x: np.where(x > 0, x, SLOPE * x),
       lambda x: (np.where(x > 0, 1.0, SLOPE),)),
    Op("elu", cr.ops.elu, _elu, lambda x: (np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))),)),
    Op("silu", cr.ops.silu, _silu, _silu_grad,
       lambda x: ((1 + np.exp(-x) * (1 + x)) / (1 + np.exp(-x)) ** 2,), EPS),
    Op("softplus", cr.ops.softplus, _softplus,
       lambda x: (np.where(x > 20, 1.0, _sigmoid(x)),),
       lambda x: (np.exp(x) / (1 + np.exp(x)),)),
    Op("gelu", cr.ops.gelu, _gelu, _gelu_grad, _gelu_textbook),
    Op("gelu_tanh", lambda x: cr.ops.gelu(x, approximate="tanh"), _gelu_tanh, _gelu_tanh_grad),
    # the nodes of gelu's derivative under create_graph (not exported: gelu's second
    # derivative records them)
    Op("normal_cdf", lambda x: NormalCDF()(x), _normal_cdf, lambda x: (_normal_pdf(x),)),
    Op("normal_pdf", lambda x: NormalPDF()(x), _normal_pdf, _normal_pdf_grad),
    # log1p … trunc (ops/_exp_log.py, _trig.py, _gaussian.py, _piecewise.py)
    Op("log1p", cr.ops.log1p, np.log1p, lambda x: (1 / (1 + x),),
       lambda x: (np.exp(-np.log1p(x)),)),
    # eˣ computed as exp(x): out + 1 (PyTorch's form) would be 0 at −88.7, not 3.0e-39
    Op("expm1", cr.ops.expm1, np.expm1, lambda x: (np.exp(x),)),
    Op("log2", cr.ops.log2, np.log2, lambda x: (1 / (x * _LN2),),
       lambda x: (np.log2(np.e) / x,)),
    Op("log10", cr.ops.log10, np.log10, lambda x: (1 / (x * _LN10),),
       lambda x: (np.log10(np.e) / x,)),
    Op("reciprocal", cr.ops.reciprocal, lambda x: 1 / x, lambda x: (-((1 / x) * (1 / x)),),
       lambda x: (-(x**-2.0),)),
    Op("rsqrt", cr.ops.rsqrt, lambda x: 1 / np.sqrt(x),
       lambda x: ((1 / np.sqrt(x)) ** 3 * -0.5,), lambda x: (-0.5 * x**-1.5,)),
    Op("tan", cr.ops.tan, np.tan, lambda x: (1 + np.tan(x) ** 2,),
       lambda x: (1 / np.cos(x) ** 2,)),
    Op("sinh", cr.ops.sinh, np.sinh, lambda x: (np.cosh(x),),
       lambda x: (np.sqrt(1 + np.sinh(x) ** 2),)),
    Op("cosh", cr.ops.cosh, np.cosh, lambda x: (np.sinh(x),),
       lambda x: (np.tanh(x) * np.cosh(x),)),
    Op("arcsin", cr.ops.arcsin, np.arcsin, _arcsin_grad, lambda x: (1 / np.sqrt(1 - x * x),)),
    Op("arccos", cr.ops.arccos, np.arccos, lambda x: (-_arcsin_grad(x)[0],),
       lambda x: (-1 / np.sqrt(1 - x * x),)),
    Op("arctan", cr.ops.arctan, np.arctan, lambda x: (1 / (1 + x * x),),
       lambda x: ((1 / x) ** 2 / (1 + (1 / x) ** 2),)),
    Op("erf", cr.ops.erf, _math(math.erf), lambda x: (np.exp(-(x * x)) * _TWO_OVER_SQRT_PI,)),
    Op("erfc", cr.ops.erfc, _math(math.erfc),
       lambda x: (np.exp(-(x * x)) * -_TWO_OVER_SQRT_PI,)),
    Op("sign", cr.ops.sign, np.sign, _zero),
    Op("floor", cr.ops.floor, np.floor, _zero),
    Op("ceil", cr.ops.ceil, np.ceil, _zero),
    Op("round", cr.ops.round, np.round, _zero),
    Op("round_decimals", lambda x: cr.ops.round(x, 2), lambda x: np.round(x, 2), _zero),
    Op("trunc", cr.ops.trunc, np.trunc, _zero),
    Op("neg", cr.ops.neg, np.negative, lambda x: (-_one(x),)),
    Op("clip", lambda x: cr.ops.clip(x, -1.0, 1.0), lambda x: np.clip(x, -1.0, 1.0),
       lambda x: (((x >= -1) & (x <= 1)) * 1.0,)),
    Op("clip_lo", lambda x: cr.ops.clip(x, 0.0), lambda x: np.clip(x, 0.0, None),
       lambda x: ((x >= 0) * 1.0,)),
    Op("cast_float32", lambda x: cr.ops.cast(x, np.float32), lambda x: x.astype(np.float32),
       lambda x: (_one(x),)),
    # PyTorch's (ops/_torch_elementwise.py). logit: ln x − ln(1 − x), against PyTorch's
    # ln(x/(1 − x)); its gradient 1/x + 1/(1 − x) cancels for |x| ≫ 1, to within ε/|x| of
    # 1/(x(1 − x))
    Op("logit", cr.ops.logit, lambda x: np.log(x / (1 - x)), lambda x: (1 / x + 1 / (1 - x),),
       lambda x: (1 / (x * (1 - x)),), EPS * 1e-3),
    # the gradient passes where x is finite, exactly 0 where a value was replaced
    Op("nan_to_num", cr.ops.nan_to_num, np.nan_to_num, lambda x: (np.isfinite(x) * 1.0,)),
]  # fmt: skip

BINARY = [
    Op("add", cr.ops.add, np.add, lambda x, y: (_one(x), _one(y))),
    Op("sub", cr.ops.sub, np.subtract, lambda x, y: (_one(x), -_one(y))),
    Op("mul", cr.ops.mul, np.multiply, lambda x, y: (y, x)),
    Op("div", cr.ops.div, np.divide, lambda x, y: (1 / y, -(x / y) / y),
       lambda x, y: (1 / y, -x / y**2)),
    # ∂/∂x: 0 where y = 0 (x⁰ = 1 is constant); ∂/∂y: ln x taken as 0 at x = 0
    Op("pow", cr.ops.pow, np.power,
       lambda x, y: (np.where(y == 0, 0.0, y * x ** (y - 1)),
                     x**y * np.log(np.where(x == 0, 1.0, x))),
       lambda x, y: (y * x ** (y - 1), np.exp(y * np.log(x)) * np.log(x))),
    # ∂/∂y = −(x // y), NumPy's floor quotient (±inf at y = 0, NaN at 0/0 and inf/inf), the
    # floor of the exact quotient; textbook: −⌊x/y⌋ of the rounded quotient, one more where
    # x/y rounds up onto an integer (1/1e-8 is 99999999.99999999…, rounded 1e8)
    Op("remainder", cr.ops.remainder, np.remainder,
       lambda x, y: (_one(x), -np.floor_divide(x, y)),
       lambda x, y: (_one(x), -np.floor(x / y)), 1.0),
    # a step function: exactly 0, even where the quotient is inf or NaN
    Op("floor_divide", cr.ops.floor_divide, np.floor_divide,
       lambda x, y: (np.zeros_like(x), np.zeros_like(y))),
    Op("maximum", cr.ops.maximum, np.maximum, _maximum_grads),
    Op("minimum", cr.ops.minimum, np.minimum, _minimum_grads),
    Op("where", lambda x, y: cr.ops.where(x > y, x, y), lambda x, y: np.where(x > y, x, y),
       lambda x, y: ((x > y) * 1.0, (~(x > y)) * 1.0)),
    # arctan2(y, x) (the grid's first operand is y): x/(x² + y²) and −y/(x² + y²) with
    # x² + y² formed on x and y scaled by a power of two (no overflow, no underflow), 0 at
    # the origin (as PyTorch); textbook: the plain formula in long double
    Op("arctan2", cr.ops.arctan2, np.arctan2, _arctan2_grads, _arctan2_long_double),
    # PyTorch's (ops/_torch_elementwise.py). xlogy: 0 where x = 0 unless y is NaN; ∂/∂x = ln y but
    # 0 where x = 0 and y ≤ 0 (PyTorch's), ∂/∂y = x/y but 0 on the line x = 0 (PyTorch: NaN
    # at the origin)
    Op("xlogy", cr.ops.xlogy, _xlogy,
       lambda x, y: (np.where((x == 0) & (y <= 0), 0.0, np.log(y)),
                     np.where((x == 0) & (y == y), 0.0, x / y))),
    # hypot: np.hypot, no overflow; x/out and y/out, 0 at the origin (PyTorch: NaN)
    Op("hypot", cr.ops.hypot, np.hypot, _hypot_grads,
       lambda x, y: (x / np.sqrt(x * x + y * y), y / np.sqrt(x * x + y * y))),
    # fmod: C's remainder, x's sign; ∂/∂y = −trunc(x/y) of the rounded quotient (PyTorch's)
    Op("fmod", cr.ops.fmod, np.fmod, lambda x, y: (_one(x), -np.trunc(x / y))),
]  # fmt: skip


def expected(fn: Callable, *arrays: np.ndarray):
    """``fn(*arrays)`` with NumPy's warnings off: here inf and NaN are the right answers.

    0-d arrays are passed as one-element arrays, and the results taken back to 0-d: NumPy 1.x
    computes a 0-d float32 with a Python number (``SLOPE * x``, ``y - 1``) in float64, where
    NumPy 2 and chainrule keep float32; with one-element arrays both NumPy versions do."""
    scalars = bool(arrays) and all(a.ndim == 0 for a in arrays)
    with np.errstate(all="ignore"):
        out = fn(*(a.reshape(1) for a in arrays)) if scalars else fn(*arrays)
    if not scalars:
        return out
    return tuple(np.reshape(o, ()) for o in out) if isinstance(out, tuple) else np.reshape(out, ())


#: relative tolerance of a value against its truth: a few units in the last place
RTOL = {np.dtype(np.float64): 1e-15, np.dtype(np.float32): 1e-6}


def mismatch(actual: np.ndarray, want: np.ndarray, dtype) -> np.ndarray:
    """Where ``actual`` differs from ``want``: NaN against a number (or the reverse), or values
    further apart than `RTOL` relative (infinities and zeros must be equal; a few units of the
    last place are allowed among subnormals, whose relative precision is coarser)."""
    dtype = np.dtype(dtype)
    rtol, tiny = RTOL[dtype], 4 * float(np.finfo(dtype).smallest_subnormal)
    actual = np.asarray(actual, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    with np.errstate(all="ignore"):
        close = (actual == want) | (np.abs(actual - want) <= rtol * np.abs(want) + tiny)
    return np.where(np.isnan(want), ~np.isnan(actual), ~close)
