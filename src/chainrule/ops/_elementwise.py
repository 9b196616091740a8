"""The `Elementwise` base with `local()`, its `Selection` and `Unbounded` kinds, and the
binary selections maximum, minimum and where.

For an elementwise node the chain rule is a plain product: downstream = local × upstream,
summed back over broadcast axes. `local()` is that single source of truth: the shared
`backward` multiplies by it through the op's `product` (plain, or a selection, or the
zero-upstream rule of `Unbounded`), and ``explain`` shows it. The engine runs every
backward (``local()`` included) without NumPy's warnings. The arithmetic ops are in
``_arithmetic.py``.
"""

from __future__ import annotations

import numpy as np

from .._function import Function
from ._common import constant, has_nan, is_tensor, pair, unbroadcast


class Elementwise(Function):
    """Base of elementwise ops: ``local()`` gives ∂out/∂input for each input."""

    __slots__ = ()

    def local(self) -> tuple:
        raise NotImplementedError

    @staticmethod
    def product(grad_out, local):
        """local × upstream, before the sum over broadcast axes, as this op's backward
        forms it (``explain`` checks each edge with it)."""
        return grad_out * local

    def backward(self, grad_out):  # the one backward of every elementwise op
        scalar = isinstance(grad_out, np.generic)  # the upstream of a 0-d output (see below)
        times = self.product  # the plain product, a selection, or the zero-upstream rule
        grads = []
        for loc, t, need in zip(self.local(), self._inputs, self.needs_grad):
            if not need:
                grads.append(None)
            elif scalar:  # 0-d inputs: nothing to unbroadcast
                grads.append(times(grad_out, _scalar(loc)))
            else:
                grads.append(unbroadcast(times(grad_out, loc), t.data.shape))
        return tuple(grads)


def _scalar(loc):
    """A 0-d array as a NumPy scalar: a NumPy scalar times a 0-d array costs ~0.4 µs, two
    NumPy scalars ~0.03 µs, the same IEEE product -- what makes scalar graphs fast."""
    return loc[()] if type(loc) is np.ndarray else loc


class Selection(Elementwise):
    """Base of ops that choose where the upstream gradient goes (relu, clip, maximum,
    minimum, where): ``local()`` is a mask of 0, ½ or 1, and where it is 0 the downstream
    gradient is exactly 0, as PyTorch selects it, even where the upstream is inf or NaN
    (a product would give 0·∞ = NaN)."""

    __slots__ = ()

    @staticmethod
    def product(grad_out, local):
        return selected(grad_out, local)


class Unbounded(Elementwise):
    """Base of ops whose local gradient can be ±inf or NaN (mul, whose local gradient is the
    other operand, exp, log, sqrt, div, pow): where the upstream gradient is exactly 0 and
    the local gradient is not finite, the downstream is exactly 0 (0·∞ taken as 0, not
    NaN). So a branch that `where` masks out, or a term weighted by 0, contributes nothing
    however its local gradient behaves: ``where(x > 0, sqrt(x), 0)`` and the entropy term
    ``where(p > 0, p * log(p), 0)`` have finite gradients at 0 (PyTorch gives NaN there).
    Everywhere else the product is the plain one, so higher derivatives are unchanged."""

    __slots__ = ()

    @staticmethod
    def product(grad_out, local):
        out = grad_out * local
        if isinstance(out, np.generic):
            return out if out == out or grad_out != 0 else out.dtype.type(0)
        values = out.data if is_tensor(out) else out
        if not has_nan(values):  # one pass: nothing to fix
            return out
        g = grad_out.data if is_tensor(grad_out) else grad_out
        dead = np.isnan(values) & (g == 0)  # 0 × (±∞ or NaN): taken as 0
        return selected(out, ~dead) if dead.any() else out


def selected(grad_out, mask):
    """``grad_out × mask`` for a constant mask of 0, ½ or 1, and exactly 0 where it is 0."""
    if mask.dtype != bool:  # ½ to each input at a tie
        grad_out, mask = grad_out * mask, mask != 0
    if is_tensor(grad_out):  # create_graph: recorded, with the mask as a constant
        return where(mask, grad_out, 0.0)
    if isinstance(grad_out, np.generic):  # a 0-d graph's NumPy scalar
        return grad_out if mask else grad_out.dtype.type(0)
    bits = _BITS.get(grad_out.itemsize)
    if bits is None:  # no integer type of its size (longdouble)
        return np.where(mask, grad_out, 0)
    # grad_out's bits times 0 or 1, as integers: +0 or grad_out exactly, at the speed of the
    # float product (np.where and np.copyto with a mask took 15× as long on (512, 256))
    out = np.empty(np.broadcast(grad_out, mask).shape, grad_out.dtype)
    np.multiply(grad_out.view(bits), mask, out=out.view(bits))
    return out


_BITS = {2: np.int16, 4: np.int32, 8: np.int64}  # an integer type for each float's size

_NEVER = np.zeros((), bool)  # the mask of a local gradient that is 0 everywhere


# ----- binary selections -----------------------------------------------------------------
class Maximum(Selection):
    """maximum: ∂/∂x = 1 where x > y or x is NaN, 0 where x < y, ½ at ties (each gets half)."""

    __slots__ = ()

    def forward(self, x, y):
        self.saved = _tie_masks((x > y) | (x != x), x == y, np.result_type(x, y))
        return np.maximum(x, y)

    def local(self):
        return self.saved


class Minimum(Selection):
    """minimum: ∂/∂x = 1 where x < y or x is NaN, 0 where x > y, ½ at ties (each gets half)."""

    __slots__ = ()

    def forward(self, x, y):
        self.saved = _tie_masks((x < y) | (x != x), x == y, np.result_type(x, y))
        return np.minimum(x, y)

    def local(self):
        return self.saved


def _tie_masks(wins, ties, dtype):
    """Local gradients of a selection: 1 to the winner (the NaN operand, whose value the
    output is, as NumPy propagates it), ½ to each at ties."""
    half = 0.5 * ties
    return (wins + half).astype(dtype), ((~wins & ~ties) + half).astype(dtype)


class Where(Selection):
    """where: ∂/∂x = cond, ∂/∂y = not cond (the other branch gets exactly 0, even from an
    upstream inf or NaN)."""

    __slots__ = ("cond",)

    def __init__(self, cond):
        self.cond = np.array(cond, dtype=bool)  # a copy: the caller may change theirs later

    def forward(self, x, y):
        return np.where(self.cond, x, y)

    def local(self):
        return self.cond, ~self.cond


# ----- functions -------------------------------------------------------------------------
def maximum(x, y):
    """Elementwise maximum; at ties each input receives half the gradient."""
    return Maximum()(*pair(x, y))


def minimum(x, y):
    """Elementwise minimum; at ties each input receives half the gradient."""
    return Minimum()(*pair(x, y))


def where(cond, x, y):
    """``x`` where ``cond`` is true, else ``y``; ``cond`` is not differentiated."""
    return Where(constant(cond))(*pair(x, y))
