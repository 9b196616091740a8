"""softmax and log_softmax along an axis, computed stably (shifted by the maximum)."""

from __future__ import annotations

import numpy as np

from .._function import Function
from ._common import exp


def _shifted(x: np.ndarray, axis: int) -> np.ndarray:
    m = x.max(axis=axis, keepdims=True)
    return x - np.where(np.isfinite(m), m, 0)  # a row of all −inf stays −inf, not NaN


class Softmax(Function):
    """softmax: ∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ − yⱼ), so dX = y ⊙ (dY − Σ dY ⊙ y)."""

    __slots__ = ("axis",)
    derivative = "dX = y ⊙ (dY − Σⱼ dYⱼ yⱼ)"

    def __init__(self, axis: int = -1):
        self.axis = axis

    def forward(self, x):
        e = np.exp(_shifted(x, self.axis))
        out = e / e.sum(axis=self.axis, keepdims=True)
        self.saved = (out,)
        return out

    def backward(self, grad_out):
        (y,) = self.saved
        return (y * (grad_out - (grad_out * y).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """log_softmax: ∂yᵢ/∂xⱼ = δᵢⱼ − softmax(x)ⱼ, so dX = dY − softmax(x) · Σ dY."""

    __slots__ = ("axis",)
    derivative = "dX = dY − softmax(x) Σⱼ dYⱼ"

    def __init__(self, axis: int = -1):
        self.axis = axis

    def forward(self, x):
        z = _shifted(x, self.axis)
        out = z - np.log(np.exp(z).sum(axis=self.axis, keepdims=True))  # log-sum-exp
        self.saved = (out,)
        return out

    def backward(self, grad_out):
        (y,) = self.saved
        return (grad_out - exp(y) * grad_out.sum(axis=self.axis, keepdims=True),)


def softmax(x, axis: int = -1):
    """exp(x) / Σ exp(x) along ``axis``."""
    return Softmax(axis)(x)


def log_softmax(x, axis: int = -1):
    """x − log Σ exp(x) along ``axis`` (via log-sum-exp, finite for large logits)."""
    return LogSoftmax(axis)(x)
