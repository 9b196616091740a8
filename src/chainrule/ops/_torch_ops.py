"""PyTorch's functions that NumPy names otherwise or lacks: ``torch.xlogy``, ``hypot``,
``fmod``, ``logit``, ``nan_to_num``, ``addcmul``, ``addcdiv``, ``addmm``, ``bmm``,
``movedim`` and ``narrow``, the tests outside the graph ``isclose``, ``allclose``,
``equal``, ``logical_and`` … and ``count_nonzero``, and what ``Tensor.contiguous`` and
``div(rounding_mode="trunc")`` need.

Three are primitives, because no composition of the core ops gets their values or
gradients right at the edges: `Xlogy` (0·ln 0 and 0·ln ∞ are 0, not NaN), `Hypot` (no
overflow of x² + y²) and `Fmod` (C's remainder, exact, as ``np.fmod``); `Contiguous` is
a `Cast` that copies into C order. The others are composed of the core ops, so they need
no backward of their own."""

from __future__ import annotations

import numpy as np

from .._quiet import quietly
from .._tensor import Tensor, _from_op
from ._arithmetic import _check_integer_divisor, add, div, floor_divide, mul, remainder, sub
from ._arrays import _axis_tuple
from ._common import constant, is_tensor, pair
from ._common import log as _log
from ._compare import compare
from ._derived import _axis_as_1d, _axis_in
from ._elementwise import Unbounded, where
from ._linalg import matmul
from ._more_unary import log1p, trunc
from ._names import torch_names
from ._shape import index, transpose
from ._unary import Cast, check_number, clip, log


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


def addcmul(x, tensor1, tensor2, value=1):
    """x + value·tensor1·tensor2 with broadcasting, as torch.addcmul (``value`` a number,
    multiplied into tensor1 first, as PyTorch rounds)."""
    return add(x, mul(_times(value, tensor1, "addcmul"), tensor2))


def addcdiv(x, tensor1, tensor2, value=1):
    """x + value·tensor1/tensor2 with broadcasting, as torch.addcdiv (``value`` a number,
    multiplied into tensor1 first, as PyTorch rounds)."""
    return add(x, div(_times(value, tensor1, "addcdiv"), tensor2))


def _times(value, t, op: str):
    check_number(op, "value", value, finite=False)
    return t if value == 1 else mul(value, t)


def addmm(x, mat1, mat2, beta=1, alpha=1):
    """beta·x + alpha·(mat1 @ mat2), as torch.addmm: mat1 (n, m) and mat2 (m, p) matrices,
    x broadcastable to (n, p). With ``beta=0`` x is left out (its NaN and inf too, as in
    PyTorch), so it gets no gradient (None, where PyTorch's is zeros)."""
    _check_ndim("addmm", (mat1, mat2), 2)
    for name, number in (("beta", beta), ("alpha", alpha)):
        check_number("addmm", name, number, finite=False)
    out = matmul(mat1, mat2)
    out = out if alpha == 1 else mul(alpha, out)
    if not _broadcasts_to(np.shape(constant(x)), out.shape):
        raise ValueError(
            f"addmm: x of shape {np.shape(constant(x))} does not broadcast to the product's "
            f"shape {out.shape}"
        )
    if beta == 0:
        return out
    return add(x if beta == 1 else mul(beta, x), out)


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def bmm(x, y):
    """The batched matrix product of x (b, n, m) and y (b, m, p), as torch.bmm: 3-d only,
    one batch size (no broadcasting: `matmul` broadcasts)."""
    _check_ndim("bmm", (x, y), 3)
    shapes = np.shape(constant(x)), np.shape(constant(y))
    if shapes[0][0] != shapes[1][0]:
        raise ValueError(f"bmm: the batch sizes differ: shapes {shapes[0]} and {shapes[1]}")
    return matmul(x, y)


def _check_ndim(op: str, tensors, ndim: int) -> None:
    shapes = [np.shape(constant(t)) for t in tensors]
    if any(len(s) != ndim for s in shapes):
        raise ValueError(
            f"{op}: expects two {ndim}-d tensors, got shapes {shapes[0]} and {shapes[1]}"
        )


# ----- axes and division with rounding ----------------------------------------------------
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


def _moved_order(ndim: int, source, destination) -> list[int]:
    """The permutation that moves the axes ``source`` to ``destination`` (NumPy's rule)."""
    src = _axis_tuple("movedim", source, ndim)
    dst = _axis_tuple("movedim", destination, ndim)
    if len(src) != len(dst):
        raise ValueError(
            f"movedim: source {source!r} and destination {destination!r} name different "
            "numbers of axes"
        )
    order = [n for n in range(ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return order


def _narrow_start(size: int, start: int, length: int) -> int:
    """``start`` in ``range(size + 1)`` (negative counts from the end), checked with
    ``length`` against the axis' ``size``."""
    if not -size <= start <= size:
        raise IndexError(f"narrow: start {start} is out of range for an axis of size {size}")
    start = start + size if start < 0 else start
    if length < 0 or start + length > size:
        raise ValueError(f"narrow: start {start} + length {length} is beyond the axis' size {size}")
    return start


def narrow(x, dim: int, start: int, length: int):
    """The ``length`` elements of ``x`` from ``start`` (negative counts from the end) along
    ``dim``, as torch.narrow: an index, so the gradient flows back into them."""
    shape = np.shape(constant(x))
    axis = _axis_in("narrow", dim, len(shape))
    start = _narrow_start(shape[axis], start, length)
    return index(x, (slice(None),) * axis + (slice(start, start + length),))


def movedim(x, source, destination):
    """``x`` with the axes ``source`` (an int or a sequence) moved to ``destination``, the
    others keeping their order: torch.movedim, np.moveaxis (`moveaxis`); a transpose. A
    0-d ``x`` counts as 1-d (axis 0 or -1) and stays as it is, as in PyTorch."""
    ndim = np.ndim(constant(x))
    if not ndim:
        _check_0d_axes("movedim", source)
        _check_0d_axes("movedim", destination)
    order = _moved_order(max(ndim, 1), source, destination)
    return transpose(x, order if ndim else ())


def _check_0d_axes(op: str, axis) -> None:
    """Each of ``axis`` (an int or a sequence) must be 0 or -1 for a 0-d tensor, which counts
    as 1-d: an AxisError naming the 0-d tensor otherwise, not "a tensor of 1 dimensions"."""
    for a in axis if isinstance(axis, (tuple, list)) else (axis,):
        if type(a) is not bool and isinstance(a, (int, np.integer)):  # others: _axis_tuple's
            _axis_as_1d(op, a, 0)


moveaxis = movedim


# ----- outside the graph ------------------------------------------------------------------
def isclose(x, y, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """Where |x − y| ≤ atol + rtol·|y|, as a boolean tensor outside the graph (np.isclose
    and torch.isclose, the same test and defaults); NaN is close to NaN only with
    ``equal_nan=True``."""
    a, b = _broadcast_operands("isclose", x, y)
    return _from_op(np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)), None)


def allclose(x, y, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether every element of x is close to y's (`isclose`), as a Python bool."""
    _broadcast_operands("allclose", x, y)
    return bool(np.all(isclose(x, y, rtol, atol, equal_nan).data))


def equal(x, y) -> bool:
    """Whether x and y have the same shape and the same values, as a Python bool
    (torch.equal, np.array_equal; NaN equals nothing)."""
    return bool(np.array_equal(constant(x), constant(y)))


def _broadcast_operands(op: str, x, y) -> tuple:
    """The arrays of x and y, checked to broadcast together (an error naming ``op``)."""
    a, b = (constant(v) for v in pair(x, y))
    try:
        np.broadcast_shapes(np.shape(a), np.shape(b))
    except ValueError:
        raise ValueError(
            f"{op}: shapes {np.shape(a)} and {np.shape(b)} do not broadcast together"
        ) from None
    return a, b


def _logical(ufunc, *operands) -> Tensor:
    if len(operands) == 2:
        operands = _broadcast_operands(ufunc.__name__, *operands)
    return _from_op(np.asarray(ufunc(*(constant(a) for a in operands))), None)


def logical_and(x, y) -> Tensor:
    """x and y elementwise, nonzero counting as true: a boolean tensor outside the graph."""
    return _logical(np.logical_and, x, y)


def logical_or(x, y) -> Tensor:
    """x or y elementwise, nonzero counting as true: a boolean tensor outside the graph."""
    return _logical(np.logical_or, x, y)


def logical_xor(x, y) -> Tensor:
    """x xor y elementwise, nonzero counting as true: a boolean tensor outside the graph."""
    return _logical(np.logical_xor, x, y)


def logical_not(x) -> Tensor:
    """not x elementwise (True where x is 0): a boolean tensor outside the graph."""
    return _logical(np.logical_not, x)


def count_nonzero(x, axis=None, *, dim=None) -> Tensor:
    """The number of nonzero elements along ``axis`` (an int or a tuple; all of them when
    None), as an int64 tensor outside the graph: np.count_nonzero, torch.count_nonzero
    (``dim=`` is PyTorch's name). A 0-d ``x`` counts as 1-d (axis 0 or -1), as in PyTorch."""
    axis, _ = torch_names("count_nonzero", axis, dim)
    data = constant(x)
    ndim = np.ndim(data)
    if not ndim and axis is not None:
        _check_0d_axes("count_nonzero", axis)
    axes = _axis_tuple("count_nonzero", axis, max(ndim, 1))
    count = np.count_nonzero(data, axis=axes if ndim else None)
    return _from_op(np.asarray(count, dtype=np.int64), None)
