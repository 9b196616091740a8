"""Numbers as explain writes them: small tensors in full, large ones as a summary.

Every number is written with a fixed number of decimals (8 for float64, 6 otherwise), as
the tutorials do: σ(0.44498412) reads 0.60944600. Trailing zeros are dropped when the
shorter form is the stored number up to rounding (within 4 machine epsilons, relative), so
0.45 stays 0.45, 0.1 × 0.7 = 0.06999999999999999 reads 0.07 and 100 × 2 × 1.1 reads 220.
Magnitudes from 1e8 up, and below 1e-4 or below the smallest number the decimals can write
(1e-3 with 3 decimals), are written in scientific notation, so that no nonzero value is
ever shown as 0.
"""

from __future__ import annotations

import math

import numpy as np

from ._labels import label

#: tensors with at most this many elements are written in full
MAX_ELEMENTS = 6
_SUMMARY_DECIMALS = 4
_EPS64 = float(np.finfo(np.float64).eps)


#: relative differences that count as rounding, by dtype (float16 keeps about 3 digits)
_ROUNDING = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-5, np.dtype(np.float16): 1e-2}


def rounding(dtype) -> float:
    """The relative difference that is rounding in ``dtype``: the table's ≈ and the
    transcript's share it."""
    return _ROUNDING.get(np.dtype(dtype), 1e-5)


def decimals_for(dtype) -> int:
    """8 decimals for float64 (the tutorials' hand calculations), 6 for other dtypes."""
    return 8 if np.dtype(dtype) == np.float64 else 6


def number(x, decimals: int, eps: float = _EPS64) -> str:
    """One number with ``decimals`` decimals (ASCII minus); see the module docstring."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if abs(x) < max(1e-4, 10.0**-decimals) or abs(x) >= 1e8:  # fixed decimals would show 0
        mantissa, exponent = f"{x:.{max(decimals - 1, 0)}e}".split("e")
        return f"{_strip(mantissa, x, eps, 'e' + exponent)}e{int(exponent)}"
    return _strip(f"{x:.{decimals}f}", x, eps)


def _strip(text: str, x: float, eps: float, exponent: str = "") -> str:
    """``text`` without trailing zeros when that still names ``x``: within 4 machine
    epsilons ``eps`` of it, relative (a few units in the last place)."""
    short = text.rstrip("0").rstrip(".") if "." in text else text
    if short != text and abs(float(short + exponent) - x) > 4 * eps * abs(x):
        return text
    return "0" if short == "-0" else short


def array(a: np.ndarray, decimals: int) -> str:
    """A small array on one line: ``[[0.3, 2.9, 4]]``; a 0-d array as a plain number."""
    if a.ndim == 0:
        eps = float(np.finfo(a.dtype).eps) if a.dtype.kind == "f" else _EPS64
        return number(a, decimals, eps)
    return "[" + ", ".join(array(row, decimals) for row in a) + "]"


def shape(s: tuple[int, ...]) -> str:
    """A shape as ``(2, 3)``; a scalar's as ``()``."""
    return "(" + ", ".join(str(n) for n in s) + ")"


def _scaled(a) -> tuple[np.ndarray, float]:
    """``a`` in float64 divided by a power of two near its largest magnitude, and that
    power: statistics of the scaled values neither overflow (1e200 squared) nor underflow
    (1e-200 squared) before they are scaled back."""
    f = np.asarray(a, dtype=np.float64)
    big = float(np.max(np.abs(f), initial=0.0))
    scale = math.ldexp(1.0, math.frexp(big)[1] - 1) if math.isfinite(big) and big > 0 else 1.0
    return f / scale, scale


def norm(a) -> float:
    """The Euclidean norm of ``a`` (inf or NaN only when ``a`` holds one)."""
    g, scale = _scaled(a)
    with np.errstate(all="ignore"):  # a norm beyond the largest float is inf
        return scale * float(np.sqrt((g * g).sum()))


def summary(a: np.ndarray, lang: str) -> str:
    """Shape, mean, std, min, max and norm of a large array, on one line, each with 4
    decimals or, when smaller than 0.1, at least 4 significant digits (a gradient of
    2.3456e-4 reads 0.00023456, not 0.0002)."""
    f = np.asarray(a, dtype=np.float64)
    with np.errstate(all="ignore"):  # inf and NaN among the values: IEEE results, no warning
        lo, hi = f.min(), f.max()
        equal = lo == hi and math.isfinite(lo)  # equal numbers: their mean, no spread
        mean, std = (lo, 0.0) if equal else _mean_std(a)
        stats = (("mean", mean), ("std", std), ("min", lo), ("max", hi), ("norm", norm(a)))
    parts = [f"{label(lang, key)} {number(v, _summary_decimals(v))}" for key, v in stats]
    return f"{label(lang, 'shape')} {shape(a.shape)}: " + ", ".join(parts)


def _mean_std(a) -> tuple[float, float]:
    """The mean and standard deviation of ``a``, computed scaled (see `_scaled`)."""
    g, scale = _scaled(a)
    return scale * g.mean(), scale * g.std()


def _summary_decimals(v) -> int:
    """4, or more between 1e-4 and 0.1 for 4 significant digits (below 1e-4 `number`
    writes 4 significant digits in scientific notation)."""
    v = abs(float(v))
    if not 1e-4 <= v < 0.1:
        return _SUMMARY_DECIMALS
    return 3 - math.floor(math.log10(v))


def value(a, lang: str, decimals: int | None = None, limit: int = MAX_ELEMENTS) -> str:
    """A tensor's value: every number when it is small, else :func:`summary`."""
    a = np.asarray(a)
    if a.dtype == bool:
        a = a.astype(np.int8)
    if a.size > limit:
        return summary(a, lang)
    if a.size == 0 and a.ndim > 1:  # [] alone would hide the shape, as (0, 3)
        return f"[] ({label(lang, 'shape')} {shape(a.shape)})"
    if a.dtype.kind in "iu":  # on one line, as floats are: [[1, 2], [3, 4]]
        return str(a.tolist())
    return array(a, decimals if decimals is not None else decimals_for(a.dtype))
