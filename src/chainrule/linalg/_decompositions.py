"""Decompositions with one output: `Cholesky`; and with several (`Eigh`, `QR`), packed into
one array, as a `Function` has one output, which the public function splits by indexing
(so the gradient of each part reaches the one node, zeros for a part nothing used).

The backward rules are PyTorch's (``FunctionsManual.cpp``), written with the helpers of
``_common.py`` on the saved output, so that ``create_graph`` records them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._function import Function
from .._tensor import Tensor
from ..ops._common import swap_last
from ..ops._shape import reshape
from ._common import (
    LinAlgError,
    any_nonzero,
    checked,
    diag_embed,
    diagonal,
    inv,
    matrix,
    pack,
    skew,
    tril,
)


class Cholesky(Function):
    """cholesky: A = L·Lᵀ (L lower) gives dA = sym(L⁻ᵀ·Φ(Lᵀ·dL)·L⁻¹), Φ the lower triangle
    with its diagonal halved and sym(X) = (X + Xᵀ)/2: a symmetric gradient, as PyTorch's."""

    __slots__ = ()
    derivative = "dA = sym(L⁻ᵀ·Φ(Lᵀ·dL)·L⁻¹)"

    def forward(self, a):
        out = checked("cholesky", _cholesky, a, "not positive-definite")
        self.saved = (out,)
        return out

    def backward(self, grad_out):
        (low,) = self.saved
        p = swap_last(low) @ grad_out
        phi = tril(p, -1) + diag_embed(diagonal(p) * 0.5)
        low_inv = inv(low)
        g = swap_last(low_inv) @ phi @ low_inv
        return (g + swap_last(g)) * 0.5


def _cholesky(a: np.ndarray) -> np.ndarray:
    """np.linalg.cholesky, whose factor of a lower triangle holding NaN or inf (NaN, where
    LAPACK does not fail) is a LinAlgError, as PyTorch's."""
    low = np.linalg.cholesky(a)
    if not np.isfinite(low).all():
        raise LinAlgError("non-finite Cholesky factor")
    return low


def cholesky(a, *, upper: bool = False) -> Tensor:
    """The lower Cholesky factor L of symmetric positive-definite matrices (…, n, n), A =
    L·Lᵀ, from the lower triangle of A, as ``torch.linalg.cholesky`` (``upper=True``: Lᵀ).
    A matrix that is not positive-definite, or whose lower triangle holds NaN or inf, is a
    LinAlgError naming its batch index."""
    low = Cholesky()(matrix("cholesky", a, square=True))
    return swap_last(low) if upper else low


class Eigh(Function):
    """eigh: A = V·diag(λ)·Vᵀ, output [λ; V] (…, n + 1, n), gives
    dA = V·(diag(dλ) + skew(Vᵀ·dV)/E)·Vᵀ, E_ij = λⱼ − λᵢ (1 on the diagonal), skew(X) =
    (X − Xᵀ)/2. Repeated eigenvalues make E 0 off the diagonal: a gradient through the
    eigenvectors is then inf or NaN, as PyTorch's (the eigenvectors are not unique there);
    a gradient through the eigenvalues alone (dV = 0, as `eigvalsh`) skips that term and
    stays finite."""

    __slots__ = ()
    derivative = "dA = V·(diag(dλ) + skew(Vᵀ·dV)/E)·Vᵀ"
    quiet = True  # 1/0 for repeated eigenvalues, as documented

    def forward(self, a):
        w, v = np.linalg.eigh(a, UPLO="L")
        out = np.concatenate([w[..., None, :], v], axis=-2)
        self.saved = (out,)
        return out

    def backward(self, grad_out):
        (out,) = self.saved
        w, v = out[..., 0, :], out[..., 1:, :]
        inner = diag_embed(grad_out[..., 0, :])
        g_v = grad_out[..., 1:, :]
        if any_nonzero(g_v):
            eye = np.eye(w.shape[-1], dtype=out.dtype)
            e = w[..., None, :] - w[..., :, None] + eye  # E_ij = λⱼ − λᵢ, 1 on the diagonal
            inner = inner + skew(swap_last(v) @ g_v) * 0.5 / e * (1 - eye)
        return v @ inner @ swap_last(v)


class EighResult(NamedTuple):
    """``(eigenvalues, eigenvectors)``, as ``torch.linalg.eigh`` returns."""

    eigenvalues: Tensor
    eigenvectors: Tensor


def eigh(a, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of symmetric matrices
    (…, n, n), read from the lower triangle, as ``torch.linalg.eigh`` (only UPLO="L"). The
    sign of each eigenvector is LAPACK's: differentiate losses that do not depend on it."""
    return _eigh("eigh", a, UPLO)


def _eigh(op: str, a, uplo: str) -> EighResult:
    if uplo != "L":
        raise ValueError(f"linalg.{op}: only UPLO='L' is supported, got {uplo!r}")
    out = Eigh()(matrix(op, a, square=True))
    return EighResult(out[..., 0, :], out[..., 1:, :])


def eigvalsh(a, UPLO: str = "L") -> Tensor:
    """The eigenvalues (ascending) of symmetric matrices, as ``torch.linalg.eigvalsh``:
    `eigh`'s first part, with the gradient V·diag(dλ)·Vᵀ (finite for repeated ones)."""
    return _eigh("eigvalsh", a, UPLO).eigenvalues


class QR(Function):
    """qr (reduced, m ≥ n for a gradient): A = Q·R, output [Q | R] flattened, gives
    dA = (dQ + Q·copyltu(M))·R⁻ᵀ, M = R·dRᵀ − dQᵀ·Q, copyltu(M) the symmetric matrix
    with M's lower triangle (R must be invertible)."""

    __slots__ = ("m", "n")
    derivative = "dA = (dQ + Q·copyltu(R·dRᵀ − dQᵀ·Q))·R⁻ᵀ"

    def forward(self, a):
        q, r = np.linalg.qr(a, mode="reduced")
        self.m, self.n = a.shape[-2:]
        out = pack(a.shape[:-2], q, r)
        self.saved = (out,)
        return out

    def parts(self, flat):
        """Q (…, m, k) and R (…, k, n) from the flat output (or its gradient)."""
        m, n = self.m, self.n
        k, batch = min(m, n), flat.shape[:-1]
        q = flat[..., : m * k].reshape((*batch, m, k))
        return q, flat[..., m * k :].reshape((*batch, k, n))

    def backward(self, grad_out):
        if self.m < self.n:
            raise NotImplementedError(
                f"linalg.qr: the gradient needs m >= n (rows ≥ columns), got shape "
                f"({self.m}, {self.n}); differentiate the QR of the transpose instead"
            )
        (out,) = self.saved
        q, r = self.parts(out)
        gq, gr = self.parts(grad_out)
        m = r @ swap_last(gr) - swap_last(gq) @ q
        low = tril(m, -1)
        sym = low + swap_last(low) + diag_embed(diagonal(m))
        return (gq + q @ sym) @ swap_last(inv(r))


class QRResult(NamedTuple):
    """``(Q, R)``, as ``torch.linalg.qr`` returns."""

    Q: Tensor
    R: Tensor


def qr(a, mode: str = "reduced") -> QRResult:
    """The reduced QR decomposition A = Q·R of matrices (…, m, n), Q (…, m, k) with
    orthonormal columns, R (…, k, n) upper triangular, k = min(m, n), as
    ``torch.linalg.qr`` (LAPACK's signs; only mode="reduced"). Differentiable for m ≥ n."""
    if mode != "reduced":
        raise ValueError(f"linalg.qr: only mode='reduced' is supported, got {mode!r}")
    a = matrix("qr", a)
    out = QR()(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    q = reshape(out[..., : m * k], (*a.shape[:-2], m, k))
    return QRResult(q, reshape(out[..., m * k :], (*a.shape[:-2], k, n)))
