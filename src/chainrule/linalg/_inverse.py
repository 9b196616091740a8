"""The inverse, the determinant and linear solves: `Inv`, `Det`, `LogAbsDet`, `Solve`.

Each backward is written with the helpers of ``_common.py`` on the saved input or output,
so that under ``create_graph`` it is recorded from these same ops (A⁻¹ as `Inv`, a solve
as `Solve`): derivatives of any order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._function import Function
from .._tensor import Tensor
from ..ops._common import swap_last, unbroadcast
from ..ops._shape import reshape
from ._common import checked, floats, matrix
from ._common import inv as _inv
from ._common import solve as _solve


class Inv(Function):
    """inv: Y = A⁻¹ gives dA = −A⁻ᵀ·dY·A⁻ᵀ = −Yᵀ·dY·Yᵀ."""

    __slots__ = ()
    derivative = "dA = −Yᵀ·dY·Yᵀ"

    def forward(self, a):
        out = checked("inv", np.linalg.inv, a, "singular")
        self.saved = (out,)
        return out

    def backward(self, grad_out):
        (y,) = self.saved
        yt = swap_last(y)
        return -(yt @ grad_out @ yt)


class Det(Function):
    """det: y = det A gives dA = dy·det A·A⁻ᵀ (Jacobi's formula; A must be invertible in
    backward: a singular A is a LinAlgError there, where PyTorch goes through the SVD)."""

    __slots__ = ()
    derivative = "dA = dy·y·A⁻ᵀ"

    def forward(self, a):
        out = np.linalg.det(a)
        self.saved = (a, out)
        return out

    def backward(self, grad_out):
        a, y = self.saved
        return (grad_out * y)[..., None, None] * swap_last(_inv(a, "det"))


class LogAbsDet(Function):
    """logabsdet: y = ln|det A| gives dA = dy·A⁻ᵀ (−inf and a LinAlgError in backward for a
    singular A)."""

    __slots__ = ()
    quiet = True  # ln 0 = −inf for a singular matrix, as NumPy and PyTorch give it
    derivative = "dA = dy·A⁻ᵀ"

    def forward(self, a):
        self.saved = (a,)
        return np.linalg.slogdet(a)[1]

    def backward(self, grad_out):
        (a,) = self.saved
        return grad_out[..., None, None] * swap_last(_inv(a, "slogdet"))


class Solve(Function):
    """solve: X = A⁻¹·B (B of shape (…, n, k), batches broadcast) gives dB = A⁻ᵀ·dX and
    dA = −dB·Xᵀ (each summed over the batches it was broadcast over)."""

    __slots__ = ()
    derivative = "dB = A⁻ᵀ·dX, dA = −dB·Xᵀ"

    def forward(self, a, b):
        shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a_full = np.broadcast_to(a, (*shape, *a.shape[-2:]))
        out = checked("solve", np.linalg.solve, a_full, "singular", b)
        self.saved = (a, b, out)
        return out

    def backward(self, grad_out):
        a, b, x = self.saved
        gb = _solve(swap_last(a), grad_out)
        ga = unbroadcast(-(gb @ swap_last(x)), a.shape) if self.needs_grad[0] else None
        return ga, unbroadcast(gb, b.shape) if self.needs_grad[1] else None


def inv(a) -> Tensor:
    """The inverse of square matrices (…, n, n), as ``torch.linalg.inv``; a singular matrix
    is a LinAlgError naming its batch index. Gradient −A⁻ᵀ·dY·A⁻ᵀ."""
    return Inv()(matrix("inv", a, square=True))


def det(a) -> Tensor:
    """The determinant of square matrices (…, n, n), as ``torch.linalg.det``. Gradient
    dy·det A·A⁻ᵀ (A invertible)."""
    return Det()(matrix("det", a, square=True))


class SlogdetResult(NamedTuple):
    """``(sign, logabsdet)``, as ``torch.linalg.slogdet`` returns: det A = sign·exp(logabsdet)."""

    sign: Tensor
    logabsdet: Tensor


def slogdet(a) -> SlogdetResult:
    """The sign (a constant: its gradient is 0) and ln|det A| of square matrices (…, n, n),
    as ``torch.linalg.slogdet``; the gradient of logabsdet is A⁻ᵀ."""
    a = matrix("slogdet", a, square=True)
    sign = Tensor(np.linalg.slogdet(a.data)[0])
    return SlogdetResult(sign, LogAbsDet()(a))


def solve(a, b, *, left: bool = True) -> Tensor:
    """X with A·X = B, as ``torch.linalg.solve``: A (…, n, n); B a matrix (…, n, k), or a
    vector (n,) or (…, n) when its shape is A's without the last axis (PyTorch's rule);
    batches broadcast. Only ``left=True``. A singular A is a LinAlgError naming its batch
    index. Gradients dB = A⁻ᵀ·dX, dA = −dB·Xᵀ."""
    if left is not True:
        raise ValueError(f"linalg.solve: only left=True is supported, got left={left!r}")
    a, b = floats("solve", a, b)
    a = matrix("solve", a, square=True)
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    rows = b.shape[-1] if vector else b.shape[-2] if b.ndim > 1 else -1
    if rows != a.shape[-1]:
        raise ValueError(
            f"linalg.solve: B must be (…, {a.shape[-1]}) or (…, {a.shape[-1]}, k) for A of "
            f"shape {a.shape}, got shape {b.shape}"
        )
    if vector:
        x = Solve()(a, reshape(b, (*b.shape, 1)))
        return reshape(x, x.shape[:-1])
    return Solve()(a, b)
