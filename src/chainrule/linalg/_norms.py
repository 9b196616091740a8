"""Norms, composed of core ops (`Norm`, abs, sum, amax, amin, pow) and `svdvals`, as
``torch.linalg.vector_norm``, ``matrix_norm`` and ``norm``. Each gradient is its parts':
the 2-norm's is x/‖x‖ (0 at 0), a max or min shares the gradient among ties, abs'(0) = 0;
a p-norm's is 0 at 0 (and, for p < 1, at each zero entry), as PyTorch's.
"""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ..ops._composed_reductions import amax, amin
from ..ops._elementwise import where
from ..ops._piecewise import abs as _abs
from ..ops._reduce import norm as _norm2
from ..ops._reduce import sum as _sum
from ..ops._reshapes import unsqueeze
from ..ops._torch_axes import movedim
from ._common import as_float
from ._svd import svdvals

_MATRIX_ORDS = ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)


def _dims(op: str, dim, ndim: int) -> tuple[int, ...]:
    """``dim`` (None or (): every axis, as PyTorch; an int; a tuple of ints) as sorted
    non-negative axes."""
    dims = () if dim is None else (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if not dims:
        return tuple(range(ndim))
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in dims):
        raise TypeError(f"linalg.{op}: dim must be an int or a tuple of ints, got {dim!r}")
    if not all(-ndim <= d < ndim for d in dims):
        raise ValueError(f"linalg.{op}: dim {dim!r} is out of range for {ndim} dimensions")
    out = tuple(sorted(int(d) % ndim for d in dims))
    if len(set(out)) != len(out):
        raise ValueError(f"linalg.{op}: dim {dim!r} repeats an axis")
    return out


def vector_norm(x, ord=2, dim=None, keepdim: bool = False) -> Tensor:
    """(Σ |x|^ord)^(1/ord) over ``dim`` (None or (): every element), as
    ``torch.linalg.vector_norm``: ord inf is max |x|, -inf min |x|, 0 the count of non-zero
    elements (gradient 0)."""
    x = as_float("vector_norm", x)
    axes = _dims("vector_norm", dim, x.ndim)
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if ord == 2:
        return _norm2(x, axes, keepdim)
    if ord in (math.inf, -math.inf) and any(x.shape[d] == 0 for d in axes):
        raise ValueError(
            f"linalg.vector_norm: ord={ord} (a max or min) over an axis of size 0, shape "
            f"{x.shape}, dim {dim!r}"
        )
    a = _abs(x)
    if ord == math.inf:
        return amax(a, axes, keepdim)
    if ord == -math.inf:
        return amin(a, axes, keepdim)
    if ord == 0:  # a count: x enters through a where that never picks it (gradient 0)
        nonzero = (x.data != 0).astype(x.dtype)
        return _sum(where(np.zeros(x.shape, bool), x, nonzero), axes, keepdim)
    if ord == 1:
        return _sum(a, axes, keepdim)
    return _p_norm(a, ord, axes, keepdim)


def _p_norm(a: Tensor, p: float, axes: tuple[int, ...], keepdim: bool) -> Tensor:
    """(Σ a^p)^(1/p) of ``a`` = |x| for a finite p other than 0, 1, 2. For p > 0, the zero
    entries and the zero sums enter through a where, so that their gradient is 0, as
    PyTorch's, not 0·inf = NaN (|x|^p at 0 for p < 1, s^(1/p) at 0 for p > 1)."""
    if p < 0:
        return _sum(a**p, axes, keepdim) ** (1.0 / p)
    zero = a.data == 0
    s = _sum(where(zero, 0.0, where(zero, 1.0, a) ** p), axes, keepdim)
    empty = s.data == 0
    return where(empty, 0.0, where(empty, 1.0, s) ** (1.0 / p))


def matrix_norm(a, ord="fro", dim=(-2, -1), keepdim: bool = False) -> Tensor:
    """The matrix norm over the two axes ``dim``, as ``torch.linalg.matrix_norm``: 'fro'
    √(Σ a²), 'nuc' the sum of the singular values, 2 / -2 the largest / smallest one,
    1 / -1 the max / min column sum of |a|, inf / -inf the max / min row sum."""
    a = as_float("matrix_norm", a)
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):
        raise ValueError(f"linalg.matrix_norm: ord must be one of {_MATRIX_ORDS}, got {ord!r}")
    if a.ndim < 2:
        raise ValueError(f"linalg.matrix_norm: takes (…, m, n) tensors, got shape {a.shape}")
    if isinstance(dim, (int, np.integer)) or len(tuple(dim)) != 2:
        raise ValueError(f"linalg.matrix_norm: dim must be a pair of axes, got {dim!r}")
    rows, cols = (int(d) % a.ndim if -a.ndim <= d < a.ndim else d for d in dim)
    axes = _dims("matrix_norm", (rows, cols), a.ndim)
    if ord == "fro":
        return _norm2(a, axes, keepdim)
    if ord in ("nuc", 2, -2):
        s = svdvals(movedim(a, (rows, cols), (-2, -1)))
        out = _sum(s, -1) if ord == "nuc" else amax(s, -1) if ord == 2 else amin(s, -1)
        return unsqueeze(unsqueeze(out, axes[0]), axes[1]) if keepdim else out
    summed, over = (rows, cols) if abs(ord) == 1 else (cols, rows)
    sums = _sum(_abs(a), summed, keepdims=True)
    out = (amax if ord > 0 else amin)(sums, over, keepdims=True)
    return out if keepdim else _sum(out, axes)  # summing axes of size 1 drops them


def norm(a, ord=None, dim=None, keepdim: bool = False) -> Tensor:
    """``torch.linalg.norm``: a vector norm over an int ``dim``, a matrix norm over a pair;
    with ``dim=None``, the 2-norm of all elements when ``ord`` is None, else the vector
    norm of a 1-D tensor or the matrix norm of a 2-D one."""
    a = as_float("norm", a)
    if dim is not None:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(a, 2 if ord is None else ord, dims, keepdim)
        if len(dims) == 2:
            return matrix_norm(a, "fro" if ord is None else ord, dims, keepdim)
        raise ValueError(f"linalg.norm: dim must be an int or a pair, got {dim!r}")
    if ord is None:
        return vector_norm(a, 2, None, keepdim)
    if a.ndim == 1:
        return vector_norm(a, ord, None, keepdim)
    if a.ndim == 2:
        return matrix_norm(a, ord, (-2, -1), keepdim)
    raise ValueError(
        f"linalg.norm: with ord={ord!r} and dim=None, takes a 1-D or 2-D tensor, got shape "
        f"{a.shape}; give dim"
    )
