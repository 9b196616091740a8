"""PyTorch's sums of products, composed of the core ops: ``addcmul`` (x + v·t1·t2),
``addcdiv`` (x + v·t1/t2), ``addmm`` (βx + α·(A @ B)) and ``bmm`` (batched A @ B)."""

from __future__ import annotations

import numpy as np

from ._activations import check_number
from ._arithmetic import add, div, mul
from ._common import constant
from ._linalg import matmul


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
