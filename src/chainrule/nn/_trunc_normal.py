"""`trunc_normal_`: a normal distribution truncated to [a, b], drawn by rejection, and the
share of it that a dtype's values in [a, b] hold."""

from __future__ import annotations

import math

import numpy as np

from .._generator import generator_or_default as _rng
from .._tensor import Tensor
from ._init import _finite, _target


def trunc_normal_(
    t: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Fill ``t`` with samples of N(mean, std²) truncated to [a, b]: a value outside is
    drawn again until it falls inside, so the values are exactly that distribution (the
    std of the result is below ``std``; a and b are values, not multiples of std, as in
    PyTorch). The bounds are checked on the values in ``t``'s dtype, so rounding to
    float32 cannot push one outside. An interval holding less than 0.01% of the normal
    distribution is refused (it would take too many draws): move ``mean`` or widen it."""
    arr = _target("trunc_normal_", t)
    _finite("trunc_normal_", mean=mean, std=std, a=a, b=b)
    if std < 0 or a >= b:
        raise ValueError(f"trunc_normal_: needs std >= 0 and a < b, got std={std}, a={a}, b={b}")
    inside = _mass_in_dtype(mean, std, a, b, arr.dtype)
    if inside < _LEAST_MASS:
        raise ValueError(
            f"trunc_normal_: [{a}, {b}] holds {inside:.3g} of N({mean}, {std}²) once drawn "
            f"in {arr.dtype}, too little to draw from by rejection: move the mean or widen "
            "the interval"
        )
    rng = _rng(generator)
    flat = arr.reshape(-1)  # a view of a contiguous array, else a copy written back below
    filled = 0
    while filled < flat.size:
        need = flat.size - filled
        # enough draws that one round usually fills the rest, but never a huge array
        draws = rng.normal(mean, std, min(int(need / inside * 1.1) + 16, _MOST_DRAWS))
        with np.errstate(over="ignore"):  # a draw beyond float16's range: inf, rejected
            draws = draws.astype(arr.dtype)
        exact = draws.astype(np.float64)  # compared in float64: a float32 b is rounded
        kept = draws[(exact >= a) & (exact <= b)][:need]
        flat[filled : filled + kept.size] = kept
        filled += kept.size
    if not np.shares_memory(flat, arr):
        arr[...] = flat.reshape(arr.shape)
    return t


_LEAST_MASS = 1e-4  # the share of N(mean, std²) that trunc_normal_'s [a, b] must hold
_MOST_DRAWS = 1 << 22  # draws per round of trunc_normal_ (32 MB of float64)


def _mass_in_dtype(mean: float, std: float, a: float, b: float, dtype: np.dtype) -> float:
    """The share of N(mean, std²) whose draws, rounded to ``dtype``, land in [a, b]. The
    values are drawn in float64 and rounded, so this is the mass between the rounding
    edges of the smallest and largest ``dtype`` values in [a, b]: 0 when no value of the
    dtype lies there (an interval narrower than its spacing, or beyond its range), where
    the mass of [a, b] itself would let rejection draw for ever."""
    with np.errstate(over="ignore"):  # beyond the dtype's range: ±inf, then stepped back
        lo, hi = np.asarray([a, b]).astype(dtype)
    # compared as Python floats: NumPy 2 would round a Python float to float16 first
    lo = lo if float(lo) >= a else np.nextafter(lo, dtype.type(np.inf))
    hi = hi if float(hi) <= b else np.nextafter(hi, dtype.type(-np.inf))
    if not lo <= hi:
        return 0.0
    if std == 0:  # every draw is the mean, rounded
        with np.errstate(over="ignore"):
            return 1.0 if lo <= np.asarray(mean).astype(dtype) <= hi else 0.0
    return _normal_mass(mean, std, _rounding_edge(lo, -np.inf), _rounding_edge(hi, np.inf))


def _rounding_edge(v: np.generic, toward: float) -> float:
    """Where float64 values stop rounding to ``v`` on the side of ``toward``: halfway to
    the next value of v's dtype (past its largest finite value, halfway to one more step)."""
    with np.errstate(over="ignore"):  # past the largest finite value: inf, handled below
        step = float(np.nextafter(v, v.dtype.type(toward)))
    if math.isinf(step):
        step = 2 * float(v) - float(np.nextafter(v, v.dtype.type(-toward)))
    return (float(v) + step) / 2


def _normal_mass(mean: float, std: float, a: float, b: float) -> float:
    """P(a <= X <= b) for X ~ N(mean, std²), std > 0."""
    z = std * math.sqrt(2.0)
    return 0.5 * (math.erf((b - mean) / z) - math.erf((a - mean) / z))
