"""Products and views composed of core ops (matmul, roll, indexing, movedim) and `inv`:
`matrix_power`, `multi_dot`, `cross`, `diagonal`. Their gradients are their parts'."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..ops._arrays import int_arg, roll
from ..ops._casts import clone
from ..ops._elementwise import where
from ..ops._linalg import matmul
from ..ops._shape import broadcast_to, reshape
from ..ops._torch_axes import movedim
from ._common import as_float, floats, matrix
from ._inverse import inv


def matrix_power(a, n: int) -> Tensor:
    """A·A·…·A (n factors) of square matrices (…, n, n) by repeated squaring, as
    ``torch.linalg.matrix_power``: n = 0 gives the identity (gradient 0), n = 1 a copy
    of A, n < 0 the power −n of `inv` (A must be invertible)."""
    n = int_arg("linalg.matrix_power", "n", n)
    a = matrix("matrix_power", a, square=True)
    if n == 0:  # a where that never picks a: the identity, with a zero gradient
        eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
        return where(np.ones(a.shape, bool), eye, a)
    if n == 1:  # a copy, as PyTorch's: writing to the result leaves ``a`` alone
        return clone(a)
    if n < 0:
        a, n = inv(a), -n
    out = None
    while n:
        if n & 1:
            out = a if out is None else matmul(out, a)
        n >>= 1
        if n:
            a = matmul(a, a)
    return out


def _chain_order(dims: list[int]) -> list[list[int]]:
    """split[i][j]: where the cheapest product of matrices i..j splits (the classic
    dynamic programme over the chain's dimensions, as ``np.linalg.multi_dot``)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = np.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors) -> Tensor:
    """The product of two or more matrices in the cheapest order, as
    ``torch.linalg.multi_dot``: the first may be a vector (a row), the last a vector (a
    column), which the result then lacks; the others are 2-D. ``tensors`` is a list or
    tuple, as PyTorch's (an array would be read as a list of its rows)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"linalg.multi_dot: expected a list or tuple of tensors, got {type(tensors).__name__}"
        )
    ts = list(floats("multi_dot", *tensors)) if len(tensors) else []
    if len(ts) < 2:
        raise ValueError(f"linalg.multi_dot: takes at least 2 tensors, got {len(ts)}")
    first, last = ts[0].ndim == 1, ts[-1].ndim == 1
    mats = [reshape(t, (1, -1)) if i == 0 and first else t for i, t in enumerate(ts)]
    mats[-1] = reshape(ts[-1], (-1, 1)) if last else mats[-1]
    for i, t in enumerate(mats):
        if t.ndim != 2:
            raise ValueError(
                f"linalg.multi_dot: tensor {i} must be 2-D (the first and last may be 1-D), "
                f"got shape {ts[i].shape}"
            )
        if i and t.shape[0] != mats[i - 1].shape[1]:
            raise ValueError(
                f"linalg.multi_dot: tensor {i} of shape {ts[i].shape} does not follow one of "
                f"shape {ts[i - 1].shape}"
            )
    split = _chain_order([mats[0].shape[0]] + [t.shape[1] for t in mats])

    def product(i: int, j: int) -> Tensor:
        if i == j:
            return mats[i]
        k = split[i][j]
        return matmul(product(i, k), product(k + 1, j))

    out = product(0, len(mats) - 1)
    return reshape(out, tuple(s for s, drop in zip(out.shape, (first, last)) if not drop))


def cross(a, b, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (batches broadcast), as
    ``torch.linalg.cross``: a × b = roll(a, −1)·roll(b, −2) − roll(a, −2)·roll(b, −1)."""
    a, b = floats("cross", a, b)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"linalg.cross: shapes {a.shape} and {b.shape} do not broadcast") from None
    dim = int_arg("linalg.cross", "dim", dim)
    if not -len(shape) <= dim < len(shape) or shape[dim] != 3:
        raise ValueError(
            f"linalg.cross: dim {dim} must be an axis of size 3, got shapes {a.shape} and {b.shape}"
        )
    a, b = broadcast_to(a, shape), broadcast_to(b, shape)
    return roll(a, -1, dim) * roll(b, -2, dim) - roll(a, -2, dim) * roll(b, -1, dim)


def diagonal(a, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonal ``offset`` (above the main one for offset > 0) of the matrices in axes
    ``dim1``, ``dim2``, as the last axis, as ``torch.linalg.diagonal``: indexing, whose
    gradient places the upstream gradient on that diagonal."""
    a = as_float("diagonal", a)
    offset = int_arg("linalg.diagonal", "offset", offset)
    if a.ndim < 2:
        raise ValueError(f"linalg.diagonal: takes (…, m, n) tensors, got shape {a.shape}")
    for name, d in (("dim1", dim1), ("dim2", dim2)):
        if not -a.ndim <= int_arg("linalg.diagonal", name, d) < a.ndim:
            raise ValueError(f"linalg.diagonal: {name} {d} is out of range for shape {a.shape}")
    if dim1 % a.ndim == dim2 % a.ndim:
        raise ValueError(f"linalg.diagonal: dim1 {dim1} and dim2 {dim2} must differ")
    moved = movedim(a, (dim1, dim2), (-2, -1))
    m, n = moved.shape[-2:]
    rows = np.arange(max(0, -offset), max(0, min(m, n - offset)))
    return moved[..., rows, rows + offset]
