"""The singular value decomposition `SVD` (its three parts packed into one output, split
by indexing as in ``_decompositions.py``), and what is composed from it: `svdvals`, `pinv`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._function import Function
from .._tensor import Tensor
from ..ops._common import swap_last
from ..ops._elementwise import where
from ..ops._reduce import max as _max
from ._common import any_nonzero, checked, diag_embed, matrix, pack, skew


class SVD(Function):
    """svd: A = U·diag(S)·Vh, output [U | S | Vh] flattened. With k = min(m, n), U (m, k),
    V = Vhᵀ (n, k), skew(X) = X − Xᵀ and E_ij = Sⱼ² − Sᵢ² (1 on the diagonal):
    dA = U·(skew(Uᵀ·dU)·S/E + S·skew(Vᵀ·dV)/E + diag(dS))·Vh, plus (I − U·Uᵀ)·dU·S⁻¹·Vh
    when m > n, or U·S⁻¹·dVᵀ·(I − V·Vh) when m < n (PyTorch's svd_backward); through S
    alone, dA = U·diag(dS)·Vh. Repeated singular values make E 0: a gradient through U or
    Vh is then inf or NaN, as PyTorch's. With ``full_matrices=True`` and m ≠ n, a
    non-zero gradient on the columns of U (rows of Vh) beyond k, which are arbitrary, is a
    RuntimeError, as in PyTorch; one on the first k takes the reduced formula (so the
    second derivative of S works, where PyTorch refuses it)."""

    __slots__ = ("full", "m", "n", "op")
    derivative = "dA = U·(skew(UᵀdU)/E·S + S·skew(VᵀdV)/E + diag(dS))·Vh + …"
    quiet = True  # 1/0 for repeated singular values, as documented

    def __init__(self, full_matrices: bool, op: str = "svd"):
        self.full, self.op = full_matrices, op  # op: the function its errors name

    def forward(self, a):
        self.m, self.n = a.shape[-2:]
        u, s, vh = checked(self.op, np.linalg.svd, a, "one the SVD does not converge on", self.full)
        out = pack(a.shape[:-2], u, s, vh)
        self.saved = (out,)
        return out

    def parts(self, flat):
        """U, S and Vh from the flat output (or its gradient)."""
        m, n, k, batch = self.m, self.n, min(self.m, self.n), flat.shape[:-1]
        cu, cv = (m, n) if self.full else (k, k)
        u = flat[..., : m * cu].reshape((*batch, m, cu))
        s = flat[..., m * cu : m * cu + k]
        vh = flat[..., m * cu + k :].reshape((*batch, cv, n))
        return u, s, vh

    def backward(self, grad_out):
        u, s, vh = self.parts(self.saved[0])
        gu, gs, gvh = self.parts(grad_out)
        m, n, k = self.m, self.n, min(self.m, self.n)
        if self.full and m != n:  # the columns of U (rows of Vh) beyond k are arbitrary
            if any_nonzero(gu[..., k:]) or any_nonzero(gvh[..., k:, :]):
                raise RuntimeError(
                    f"linalg.svd: the gradient through U or Vh of full_matrices=True is not "
                    f"defined for a non-square matrix (shape ({m}, {n})), as in PyTorch; "
                    "use full_matrices=False"
                )
            u, vh, gu, gvh = u[..., :k], vh[..., :k, :], gu[..., :k], gvh[..., :k, :]
        if not (any_nonzero(gu) or any_nonzero(gvh)):
            return (u * gs[..., None, :]) @ vh
        return _vector_gradient(u, s, vh, gu, gs, gvh)


def _vector_gradient(u, s, vh, gu, gs, gvh):
    """PyTorch's svd_backward (real, reduced) for a gradient through U or Vh."""
    m, n = u.shape[-2], vh.shape[-1]
    v, gv = swap_last(vh), swap_last(gvh)
    uhgu, vhgv = skew(swap_last(u) @ gu), skew(vh @ gv)
    s2 = s * s
    eye = np.eye(s.shape[-1], dtype=s.dtype)
    e = s2[..., None, :] - s2[..., :, None] + eye
    inner = (uhgu * s[..., None, :] + s[..., :, None] * vhgv) / e
    inner = inner + diag_embed(gs)
    if m > n:
        gus = gu / s[..., None, :]
        return (u @ inner + gus - u @ (swap_last(u) @ gus)) @ vh
    if m < n:
        gvs = gv / s[..., None, :]
        return u @ (inner @ vh + swap_last(gvs) - (swap_last(gvs) @ v) @ vh)
    return u @ inner @ vh


class SVDResult(NamedTuple):
    """``(U, S, Vh)``, as ``torch.linalg.svd`` returns."""

    U: Tensor
    S: Tensor
    Vh: Tensor


def svd(a, full_matrices: bool = True) -> SVDResult:
    """A = U·diag(S)·Vh for matrices (…, m, n), S descending, as ``torch.linalg.svd``
    (LAPACK's signs: differentiate losses that do not depend on them). Gradients as `SVD`
    says; with ``full_matrices=True`` and m ≠ n only through S."""
    return _svd("svd", a, bool(full_matrices))


def _svd(op: str, a, full_matrices: bool) -> SVDResult:
    """`svd` for the function ``op``, which the errors name."""
    node = SVD(full_matrices, op)
    return SVDResult(*node.parts(node(matrix(op, a))))


def svdvals(a) -> Tensor:
    """The singular values (…, min(m, n)), descending, as ``torch.linalg.svdvals``; gradient
    U·diag(dS)·Vh."""
    return _svd("svdvals", a, False).S


def pinv(a, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The Moore–Penrose pseudo-inverse V·diag(1/S)·Uᵀ of matrices (…, m, n), composed from
    `svd`, as ``torch.linalg.pinv``: singular values at most max(atol, rtol·S_max) count
    as 0. ``atol`` and ``rtol`` are numbers, or arrays of one per matrix (of a shape that
    broadcasts to the batch's); rtol defaults to max(m, n)·eps, or, when atol is given, to
    0 where atol > 0 (PyTorch's rule)."""
    if hermitian:
        raise ValueError("linalg.pinv: hermitian=True is not supported; use the default")
    a = matrix("pinv", a)
    u, s, vh = _svd("pinv", a, False)
    default = np.asarray(max(a.shape[-2:]) * np.finfo(a.dtype).eps)
    batch = a.shape[:-2]
    absolute = np.zeros(()) if atol is None else _tolerance("atol", atol, batch)
    if rtol is None:
        relative = default if atol is None else np.where(absolute > 0, 0.0, default)
    else:
        relative = _tolerance("rtol", rtol, batch)
    largest = _max(s, axis=-1, keepdims=True) if s.shape[-1] else s
    cutoff = np.maximum(absolute[..., None], relative[..., None] * largest.data)
    kept = s.data > cutoff
    s_inv = where(kept, 1.0 / where(kept, s, 1.0), 0.0)
    return (swap_last(vh) * s_inv[..., None, :]) @ swap_last(u)


def _tolerance(name: str, value, batch: tuple[int, ...]) -> np.ndarray:
    """pinv's ``atol`` or ``rtol``: a real number or an array (a Tensor's data taken) that
    broadcasts to the batch shape, as a float64 array."""
    t = np.asarray(value.data if isinstance(value, Tensor) else value)
    if t.dtype.kind not in "biuf":
        raise TypeError(f"linalg.pinv: {name} must be real numbers, got {value!r}")
    try:
        np.broadcast_shapes(t.shape, batch)
    except ValueError:
        raise ValueError(
            f"linalg.pinv: {name} of shape {t.shape} does not broadcast to the batch shape {batch}"
        ) from None
    return t.astype(np.float64)
