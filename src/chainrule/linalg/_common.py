"""Helpers shared by the linear-algebra ops: input checks, the LinAlgError that names the
matrix at fault, and matrix helpers that take NumPy arrays and Tensors alike (so that one
backward rule serves an ordinary backward pass and ``create_graph=True``)."""

from __future__ import annotations

import math

import numpy as np

from .._dtypes import as_array
from .._tensor import Tensor
from ..ops._common import float_operands, is_tensor, swap_last

LinAlgError = np.linalg.LinAlgError


def as_float(op: str, x) -> Tensor:
    """``x`` as a floating Tensor: a Tensor is kept; an integer or bool one (which has no
    gradient) becomes float64, as ``np.linalg`` computes it; other data becomes a Tensor
    as ``cr.tensor`` makes one. float16, which ``np.linalg`` refuses, is a TypeError."""
    t = x if isinstance(x, Tensor) else Tensor(as_array(x))
    kind = t.data.dtype.kind
    if kind in "biu":
        return Tensor(t.data.astype(np.float64))
    if kind != "f" or t.data.dtype == np.float16:
        raise TypeError(f"linalg.{op}: takes float32 or float64 tensors, got {t.data.dtype}")
    return t


def floats(op: str, *xs) -> tuple[Tensor, ...]:
    """Several inputs as floating Tensors of one dtype (float32 with float64 is float64)."""
    return float_operands(tuple(as_float(op, x) for x in xs))


def matrix(op: str, x, square: bool = False) -> Tensor:
    """``x`` as a floating Tensor of at least 2 axes (…, m, n), square if ``square``."""
    t = as_float(op, x)
    if t.ndim < 2:
        raise ValueError(
            f"linalg.{op}: takes a matrix or a batch of matrices (…, m, n), got shape {t.shape}"
        )
    if square and t.shape[-1] != t.shape[-2]:
        raise ValueError(f"linalg.{op}: takes square matrices (…, n, n), got shape {t.shape}")
    return t


def checked(op: str, fn, a: np.ndarray, what: str, *args):
    """``fn(a, *args)``, with NumPy's LinAlgError replaced by one naming ``op`` and the
    batch index of the first matrix of ``a`` that fails (``fn`` tried on each alone, or
    np.linalg.inv when ``what`` is "singular") and what is wrong with it: ``what``, or
    its non-finite entries (NaN or inf, on which LAPACK fails too)."""
    try:
        return fn(a, *args)
    except LinAlgError:
        pass
    batch = a.shape[:-2]
    for i, m in enumerate(a.reshape(-1, *a.shape[-2:])):
        try:
            np.linalg.inv(m) if what == "singular" else fn(m)
        except LinAlgError:
            at = f" at batch index {_index(i, batch)}" if batch else ""
            finite = np.isfinite(m).all()
            break
    else:
        at, finite = "", np.isfinite(a).all()
    fault = f"is {what}" if finite else "has non-finite entries"
    raise LinAlgError(f"linalg.{op}: the matrix{at} of shape {a.shape[-2:]} {fault}")


# ----- matrix helpers on arrays and Tensors ------------------------------------------------


def inv(a, op: str = "inv"):
    """A⁻¹: np.linalg.inv of an array, the recorded `Inv` of a Tensor; a singular matrix
    is a LinAlgError naming ``op`` (the op whose gradient needs A⁻¹)."""
    if is_tensor(a):
        from ._inverse import Inv

        return Inv()(a)
    return checked(op, np.linalg.inv, a, "singular")


def solve(a, b):
    """A⁻¹·B for a matrix B (…, n, k): NumPy's of arrays, the recorded `Solve` of Tensors."""
    if is_tensor(a) or is_tensor(b):
        from ._inverse import Solve

        return Solve()(a, b)
    return checked("solve", np.linalg.solve, a, "singular", b)


def diagonal(a):
    """The main diagonals (…, n) of square matrices (…, n, n), by indexing."""
    r = np.arange(a.shape[-1])
    return a[..., r, r]


def diag_embed(v):
    """Square matrices (…, n, n) holding the vectors (…, n) on their diagonals."""
    return v[..., None] * np.eye(v.shape[-1], dtype=v.dtype)


def tril(a, k: int = 0):
    """The lower triangle (on and below diagonal k) of the last two axes, by a 0/1 mask."""
    return a * np.tri(a.shape[-2], a.shape[-1], k, dtype=a.dtype)


def skew(a):
    """X − Xᵀ of the last two axes (twice the skew-symmetric part)."""
    return a - swap_last(a)


def pack(batch: tuple[int, ...], *parts: np.ndarray) -> np.ndarray:
    """The ``parts`` (each of shape (*batch, …)) flattened after the batch axes and joined
    along the last: one array (*batch, total), empty batches included (no -1 to infer)."""
    flat = [p.reshape(*batch, math.prod(p.shape[len(batch) :])) for p in parts]
    return np.concatenate(flat, axis=-1)


def any_nonzero(g) -> bool:
    """Whether a gradient (array or Tensor) has a non-zero entry: a part of an output that
    nothing used gets exact zeros."""
    return bool(np.any(g.data if is_tensor(g) else g))


def _index(i: int, batch: tuple[int, ...]) -> tuple[int, ...]:
    """The batch index (a tuple of ints) of the ``i``-th matrix of a flattened batch."""
    return tuple(int(j) for j in np.unravel_index(i, batch))
