"""Piecewise ops: abs and clip, whose gradient is a sign or a mask, and the step functions
sign floor ceil round trunc, whose gradient is 0 everywhere (as PyTorch's).

Each class states its local derivative and returns it from `local()`. clip, sign, floor,
ceil, round and trunc are `Selection`s: where their mask is 0 the downstream gradient is
exactly 0, at the jumps too, even for an inf or NaN upstream.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._common import float_operands, is_tensor, pair
from ._elementwise import _NEVER, Elementwise, Selection


class Abs(Elementwise):
    """abs: d/dx |x| = sign(x), with abs'(0) = 0."""

    __slots__ = ()

    def forward(self, x):
        self.saved = (np.sign(x) if x.dtype.kind != "b" else x,)  # NumPy has no bool sign
        return np.abs(x)

    def local(self):
        return self.saved


class Clip(Selection):
    """clip: d/dx clip(x, lo, hi) = 1 for lo ≤ x ≤ hi, else 0."""

    __slots__ = ("hi", "lo")

    def __init__(self, lo=None, hi=None):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        out = np.clip(x, self.lo, self.hi)
        mask = np.ones(out.shape, dtype=bool)  # array bounds may broadcast x, as in NumPy
        if self.lo is not None:
            mask &= x >= self.lo
        if self.hi is not None:
            mask &= x <= self.hi
        self.saved = (mask,)
        return out

    def local(self):
        return self.saved


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
def abs(x):
    """|x| elementwise."""
    return Abs()(x)


def clip(x, lo=None, hi=None, *, min=None, max=None):
    """Limit values to [lo, hi] (either bound may be None); the bounds are constants.
    ``min=`` and ``max=`` are the same bounds by the names PyTorch and NumPy 2 use."""
    lo, hi = _named_bound(lo, min, "lo", "min"), _named_bound(hi, max, "hi", "max")
    x, lo = _bound(lo, "lo", x)
    x, hi = _bound(hi, "hi", x)
    return Clip(lo, hi)(x)


def _named_bound(b, keyword, name: str, alias: str):
    """The bound given by position (or as ``name``) or as ``alias``; both is an error."""
    if keyword is None:
        return b
    if b is not None:
        raise TypeError(f"clip: the bound {name} was given twice, as {name} and as {alias}=")
    return keyword


def _bound(b, name: str, x) -> tuple:
    """``x`` and a bound of clip as NumPy takes it, both as a binary op's operands: a number
    (a 0-d Tensor's, a NumPy scalar) as `pair` gives it, a 0-d array of a float tensor's
    dtype (NumPy 1.x would clip a 0-d float32 x by a Python number in float64); a list or
    tuple of numbers, and an array of integers, in a float tensor's dtype. An integer tensor
    with a floating bound takes the bound's float dtype (a Python float's: the default), as
    it does in `maximum`."""
    if is_tensor(b):
        if b.requires_grad:
            raise TypeError(
                f"clip: the bound {name} requires grad, but clip's bounds are constants; "
                "use cr.maximum(x, lo) and cr.minimum(x, hi) to differentiate them too"
            )
        b = b.data
    if isinstance(b, (np.ndarray, np.generic)) and b.ndim == 0 and b.dtype.kind in "biuf":
        b = b.item()
    if (type(b) in (int, float) or isinstance(b, (list, tuple))) and is_tensor(x):
        return pair(x, b)  # a list of numbers takes a float tensor's dtype, as in `maximum`
    if isinstance(b, np.ndarray) and is_tensor(x):
        return float_operands((x, b))
    return x, b


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
