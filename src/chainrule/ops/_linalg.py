"""Matrix multiplication: 1-D, 2-D and batched, with NumPy's ``@`` semantics."""

from __future__ import annotations

from .._function import Function
from ._common import float_operands, swap_last, unbroadcast


class MatMul(Function):
    """matmul: out = X·W gives dX = dOut·Wᵀ and dW = Xᵀ·dOut (summed over broadcast batches)."""

    __slots__ = ()
    derivative = "dX = dY·Wᵀ, dW = Xᵀ·dY"
    quiet = True  # inf·0 in a product: NaN, as NumPy gives it

    def forward(self, x, y):
        if x.ndim == 0 or y.ndim == 0:
            raise ValueError("both operands need at least one dimension")
        inner_y = y.shape[-2] if y.ndim > 1 else y.shape[0]
        if x.shape[-1] != inner_y:
            raise ValueError(f"inner dimensions differ: {x.shape[-1]} != {inner_y}")
        out = x @ y
        self.saved = (x, y)
        return out

    def backward(self, grad_out):
        x, y = self.saved
        nx, ny = self.needs_grad
        # promote 1-D operands to matrices, as NumPy does: x (n,) -> (1, n), y (n,) -> (n, 1)
        x2 = x.reshape(1, -1) if x.ndim == 1 else x
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        g = grad_out
        if x.ndim == 1 or y.ndim == 1:
            g = g.reshape(
                (*g.shape[: g.ndim - (x.ndim == 1) - (y.ndim == 1)], x2.shape[-2], y2.shape[-1])
            )
        grad_x = _fit(g @ swap_last(y2), x2.shape, x.shape) if nx else None
        grad_y = _fit(swap_last(x2) @ g, y2.shape, y.shape) if ny else None
        return grad_x, grad_y


def _fit(grad, promoted: tuple[int, ...], shape: tuple[int, ...]):
    """Sum over broadcast batch axes, then drop the axis a 1-D operand was promoted with."""
    grad = unbroadcast(grad, promoted)
    return grad if promoted == shape else grad.reshape(shape)


def matmul(x, y):
    """Matrix product ``x @ y`` (vectors, matrices and stacks of matrices); an integer
    operand with a floating one takes its dtype."""
    return MatMul()(*float_operands((x, y)))
