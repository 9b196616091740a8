"""PyTorch's elementwise functions that NumPy names otherwise or lacks: ``torch.xlogy``,
``hypot``, ``fmod``, ``logit`` and ``nan_to_num``, and what ``Tensor.contiguous`` and
``div(rounding_mode="trunc")`` need.

Three are primitives, because no composition of the core ops gets their values or
gradients right at the edges: `Xlogy` (0·ln 0 and 0·ln ∞ are 0, not NaN), `Hypot` (no
overflow of x² + y²) and `Fmod` (C's remainder, exact, as ``np.fmod``); `Contiguous` is
a `Cast` that copies into C order. The others are composed of the core ops, so they need
no backward of their own."""

from __future__ import annotations

import numpy as np

from .._quiet import quietly
from ._activations import check_number
from ._arithmetic import _check_integer_divisor, div, floor_divide, remainder, sub
from ._casts import Cast
from ._common import constant, is_tensor, pair
from ._common import log as _log
from ._compare import compare
from ._elementwise import Unbounded, where
from ._exp_log import log, log1p
from ._piecewise import clip, trunc


def _zero_where(mask, a):
    """``a`` with exactly 0 where ``mask`` holds (recorded when ``a`` is a Tensor)."""
    if is_tensor(a):
        return where(mask, 0.0, a)
    return np.where(mask, a.dtype.type(0), a)


# ----- primitives -------------------------------------------------------------------------
class Xlogy(Unbounded):
    """xlogy: ∂(x·ln y)/∂x = ln y (0 where x = 0 and y ≤ 0), ∂(x·ln y)/∂y = x/y (0 where x = 0).

    x·ln y is 0 where x = 0 and y is not NaN (ln 0 and ln ∞ included), as torch.xlogy;
    ∂/∂x is PyTorch's. ∂/∂y is 0 on the whole line x = 0, where the function is constant
    (PyTorch's x/y is NaN at x = y = 0); its own derivative in x is 1/y there too."""

    __slots__ = ()
    derivative = "∂(x·ln y)/∂x = ln y (x = 0, y ≤ 0: 0), ∂(x·ln y)/∂y = x/y (x = 0: 0)"
    quiet = True  # ln 0 = −inf, ln of a negative number is NaN

    def forward(self, x, y):
        self.saved = (x, y)
        out = x * np.log(y)
        return np.where((x == 0) & (y == y), out.dtype.type(0), out)

    def local(self):
        x, y = self.saved
        xd, yd = constant(x), constant(y)
        nx, ny = self.needs_grad
        grad_x = _zero_where((xd == 0) & (yd <= 0), _log(y)) if nx else None
        # x/y is 0 on the line x = 0 already, but for 0/0: masking only there keeps its
        # derivative in x, 1/y, which the second order needs
        grad_y = _zero_where((xd == 0) & (yd == 0), x / y) if ny else None
        return grad_x, grad_y


class Hypot(Unbounded):
    """hypot: ∂√(x² + y²)/∂x = x/out, ∂√(x² + y²)/∂y = y/out (0 at the origin).

    ``np.hypot``: no overflow or underflow of x² + y². At the origin the gradient is 0, as
    `norm`'s (PyTorch's hypot gives NaN there)."""

    __slots__ = ()
    derivative = "∂out/∂x = x/out, ∂out/∂y = y/out (x = y = 0: 0)"
    quiet = True  # inf/inf in the gradient

    def forward(self, x, y):
        out = np.hypot(x, y)
        self.saved = (x, y, out)
        return out

    def local(self):
        x, y, out = self.saved
        origin = constant(out) == 0
        nx, ny = self.needs_grad
        return (
            _zero_where(origin, x / out) if nx else None,
            _zero_where(origin, y / out) if ny else None,
        )


class Fmod(Unbounded):
    """fmod: ∂fmod(x, y)/∂x = 1, ∂fmod(x, y)/∂y = −trunc(x/y) — x − trunc(x/y)·y has x's sign.

    C's fmod, ``np.fmod`` and torch.fmod (Python's ``%`` is `remainder`, with y's sign).
    ``trunc(x/y)`` is PyTorch's rule; the gradient holds between the jumps at x/y ∈ ℤ.
    Under ``create_graph`` it is recorded (a `trunc` of a division, whose own gradient is
    0), as PyTorch's is."""

    __slots__ = ()
    quiet = True  # fmod(x, 0) is NaN

    def forward(self, x, y):
        _check_integer_divisor("fmod", x, y)
        self.saved = (x, y)
        return np.fmod(x, y)

    def local(self):
        x, y = self.saved
        return 1.0, -_truncated(x / y) if self.needs_grad[1] else None


def _truncated(q):
    """trunc ``q``, recorded when ``q`` is a Tensor (``create_graph``)."""
    return trunc(q) if is_tensor(q) else np.trunc(q)


class Contiguous(Cast):
    """contiguous: d/dx x = 1 — a copy of x in C order (row-major), as PyTorch's."""

    __slots__ = ()

    def forward(self, x):
        return np.ascontiguousarray(x)  # a copy: only arrays not in C order come here


def xlogy(x, y):
    """x·ln y elementwise with broadcasting, 0 where x = 0 (unless y is NaN), as
    torch.xlogy: the entropy term p·ln p is 0 at p = 0; see `Xlogy` for the gradient."""
    return Xlogy()(*pair(x, y))


def hypot(x, y):
    """√(x² + y²) elementwise with broadcasting, without overflow (np.hypot, torch.hypot);
    its gradient is 0 at the origin."""
    return Hypot()(*pair(x, y))


def fmod(x, y):
    """The remainder of x/y with x's sign, elementwise (C's fmod, np.fmod, torch.fmod);
    x mod y with y's sign is `remainder` (``%``). fmod(x, 0) is NaN (for integers a
    ZeroDivisionError, as PyTorch's)."""
    return Fmod()(*pair(x, y))


def contiguous(x):
    """``x`` itself if its array is C-contiguous, else a C-ordered copy recorded as the
    identity (a cast to its own dtype), as PyTorch's ``contiguous``."""
    return x if x.data.flags.c_contiguous else Contiguous(x.dtype)(x)


# ----- compositions -----------------------------------------------------------------------
def logit(x, eps=None):
    """ln(x/(1 − x)) elementwise, as torch.logit, computed as ln x − ln(1 − x) (log and
    log1p), whose gradient 1/x + 1/(1 − x) is +inf at 0 and 1, not NaN. With ``eps``, x
    is clamped to [eps, 1 − eps] first, the gradient 0 outside, as PyTorch's. Outside
    [0, 1], where the value is NaN, the gradient is still 1/x + 1/(1 − x), as log's is 1/x
    for x < 0 (PyTorch's logit gives NaN there)."""
    if eps is not None:
        check_number("logit", "eps", eps)
        x = clip(x, eps, 1 - eps)
    return sub(log(x), log1p(-x))


def nan_to_num(x, nan: float = 0.0, posinf=None, neginf=None):
    """``x`` with NaN, +inf and −inf replaced by ``nan``, ``posinf`` and ``neginf`` (the
    largest and the lowest finite number of x's dtype when None), as np.nan_to_num and
    torch.nan_to_num: a `where`, so the gradient passes where x is finite and is exactly
    0 where a value was replaced, as PyTorch's. A replacement beyond the dtype's range
    becomes ±inf, as PyTorch's, without NumPy's overflow warning."""
    data = constant(x)
    filled = quietly(np.nan_to_num, (data, True, nan, posinf, neginf))
    return where(np.isfinite(data), x, filled)


def trunc_divide(x, y):
    """x/y rounded toward 0, as torch.div(x, y, rounding_mode="trunc"): trunc(x/y) for
    floats (PyTorch's formula; gradient 0), exact for integers (the floor quotient plus 1
    where a remainder is left and the signs differ)."""
    if {np.asarray(constant(v)).dtype.kind for v in (x, y)} <= set("biu"):
        q = floor_divide(x, y)
        rest = compare(np.not_equal, remainder(x, y), 0)
        signs = compare(np.not_equal, compare(np.less, x, 0), compare(np.less, y, 0))
        return q + (rest & signs).astype(q.dtype)
    return trunc(div(x, y))
