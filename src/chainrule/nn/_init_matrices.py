"""`orthogonal_`, `eye_` and `sparse_`: initialisers that give a weight, viewed as a matrix,
a structure (orthogonal, the identity, rows with zeros), as PyTorch's."""

from __future__ import annotations

import math

import numpy as np

from .._generator import generator_or_default as _rng
from .._tensor import Tensor
from ._init import _finite, _nothing_to_fill, _target, normal_


def orthogonal_(
    t: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Fill ``t`` with gain times a (semi-)orthogonal matrix (Saxe et al., 2013), as
    PyTorch's: ``t`` viewed as (rows, cols) = (shape[0], product of the other axes) is
    Q of the QR factorisation of a standard normal matrix (of its transpose when rows <
    cols), each column of Q multiplied by the sign of R's diagonal so that Q is uniformly
    (Haar) distributed. So QᵀQ = gain²·I when rows >= cols, QQᵀ = gain²·I otherwise. The
    factorisation runs in float64 whatever ``t``'s dtype. ``t`` needs at least 2 axes."""
    arr = _target("orthogonal_", t)
    _finite("orthogonal_", gain=gain)
    if t.ndim < 2:
        raise ValueError(
            "orthogonal_: only tensors with 2 or more dimensions are supported, got shape "
            f"{t.shape}"
        )
    if _nothing_to_fill(t, generator):
        return t
    rows = t.shape[0]
    flat = _rng(generator).standard_normal((rows, t.size // rows))  # (rows, cols)
    q = _haar(flat.T).T if rows < flat.shape[1] else _haar(flat)
    arr[...] = (gain * q).reshape(arr.shape)
    return t


def _haar(m: np.ndarray) -> np.ndarray:
    """Q of m = QR for a tall ``m``, its columns' signs set by R's diagonal (Mezzadri,
    2007: without this Q is not uniformly distributed)."""
    q, r = np.linalg.qr(m)
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def eye_(t: Tensor) -> Tensor:
    """Fill the 2-D ``t`` with the identity matrix (ones on the diagonal of a rectangle too),
    as PyTorch's: a Linear weight (in, out) then passes the first min(in, out) inputs
    through unchanged, as PyTorch's (out, in) one does."""
    arr = _target("eye_", t, random=False)
    if t.ndim != 2:
        raise ValueError(f"eye_: only tensors with 2 dimensions are supported, got shape {t.shape}")
    arr[...] = np.eye(*arr.shape, dtype=arr.dtype)
    return t


def sparse_(
    t: Tensor,
    sparsity: float,
    std: float = 0.01,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Sparse initialisation (Martens, 2010), as PyTorch's: values of N(0, std²), then in
    each row of the 2-D ``t`` ⌈sparsity · cols⌉ of them, at random, set to 0. Rows, as
    fans are read: a Linear weight here is (in, out), so each input keeps the share
    1 − sparsity of its outgoing weights, as each column of PyTorch's (out, in) weight
    does on the same layer. ``sparsity`` is in [0, 1)."""
    arr = _target("sparse_", t)
    if t.ndim != 2:
        raise ValueError(
            f"sparse_: only tensors with 2 dimensions are supported, got shape {t.shape}"
        )
    _finite("sparse_", sparsity=sparsity, std=std)
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparse_: sparsity must be in [0, 1), got {sparsity}")
    if std < 0:
        raise ValueError(f"sparse_: std must be >= 0, got {std}")
    rng = _rng(generator)
    normal_(t, 0.0, std, rng)
    rows, cols = arr.shape
    # each row's columns in a random order; its first ⌈sparsity · cols⌉ are zeroed
    zeroed = np.argsort(rng.random((rows, cols)), axis=1)[:, : math.ceil(sparsity * cols)]
    arr[np.arange(rows)[:, None], zeroed] = 0
    return t
