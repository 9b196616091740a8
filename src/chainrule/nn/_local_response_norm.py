"""`LocalResponseNorm` and its function `local_response_norm`, with PyTorch's arguments,
defaults, formula and repr:

    y[n, c] = x[n, c] / (k + α/size · Σ x[n, c']²)^β,  c − ⌊size/2⌋ ≤ c' ≤ c + ⌊(size − 1)/2⌋,

the channels outside [0, C) counting as zeros and the sum always divided by ``size``, as
PyTorch's padded average pooling does. Composed from core ops: the windowed mean over the
channels is a product with a band matrix (C, C), as `adaptive_avg_pool2d`'s averages are,
so the gradient is the products'.
"""

from __future__ import annotations

import numpy as np

from .._arguments import check_counts
from .._tensor import Tensor
from ..ops._activations import check_number
from ._module import Module
from ._norm import _as_input


def _band(channels: int, size: int, dtype) -> np.ndarray:
    """(C, C): row c holds 1/size over the channels c − ⌊size/2⌋ to c + ⌊(size − 1)/2⌋."""
    offset = np.arange(channels)[None, :] - np.arange(channels)[:, None]  # c' − c
    inside = (offset >= -(size // 2)) & (offset <= (size - 1) // 2)
    return (inside / size).astype(dtype)


def _check_settings(who: str, size, alpha, beta, k) -> None:
    check_counts(who, size=size)
    for name, value in (("alpha", alpha), ("beta", beta), ("k", k)):
        check_number(who, name, value)


def local_response_norm(
    input, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Local response normalisation over the channels of an (N, C, …) input with at least
    one axis after the channels, as PyTorch's ``F.local_response_norm``: each value divided
    by (k + α · the mean of the squares of ``size`` neighbouring channels)^β (see the
    module's formula). An integer or bool input is computed in float64."""
    who = "local_response_norm"
    _check_settings(who, size, alpha, beta, k)
    x = _as_input(input, np.float64)
    if x.ndim < 3:
        raise ValueError(f"{who}: input must be (N, C, …) with 3 or more axes, got {x.shape}")
    if x.size == 0:
        return x
    n, c = x.shape[:2]
    squares = (x * x).reshape(n, c, -1)  # (N, C, rest)
    mean = (_band(c, size, x.dtype) @ squares).reshape(x.shape)  # (C, C) @ (N, C, rest)
    return x / (mean * alpha + k) ** beta


class LocalResponseNorm(Module):
    """Local response normalisation across channels, as PyTorch's
    ``nn.LocalResponseNorm`` (see `local_response_norm`); no parameters, and the same in
    train and eval mode."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        _check_settings("LocalResponseNorm", size, alpha, beta, k)
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x) -> Tensor:
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
