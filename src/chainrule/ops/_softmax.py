"""softmax and log_softmax along an axis, computed stably (shifted by the maximum).

A slice of all −inf has no probability mass: softmax 0 and log_softmax −inf, not 0/0 = NaN
(its gradients follow from the same formulas: 0, and the upstream gradient unchanged). A
slice holding +inf or NaN is NaN throughout. No RuntimeWarning either way.
"""

from __future__ import annotations

import numpy as np

from .._function import Function
from ._common import exp


def shifted(x: np.ndarray, axis: int) -> np.ndarray:
    """x − max x: at most 0, so exp cannot overflow, and Σ exp of it is at least 1 (the
    maximum's own term is e⁰ = 1) -- except for a slice of all −inf, which stays −inf (no
    ∞ − ∞) with Σ exp = 0, and a slice holding +inf or NaN, which becomes NaN."""
    if x.size == 0:  # nothing to shift (and no maximum of nothing): softmax of it is empty
        return x.copy()
    m = x.max(axis=axis, keepdims=True)
    if x.dtype.kind == "f":  # all −inf: shifted by the lowest finite value instead
        m = np.maximum(m, np.finfo(x.dtype).min)
    return x - m


def log_softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """log_softmax of an array: x − log-sum-exp, −inf throughout a slice of all −inf."""
    z = shifted(x, axis)
    total = np.exp(z).sum(axis=axis, keepdims=True)
    return z - np.log(np.maximum(total, 1))  # all −inf: −inf − log 1, not −inf − (−inf)


class Softmax(Function):
    """softmax: ∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ − yⱼ), so dX = y ⊙ (dY − Σ dY ⊙ y)."""

    __slots__ = ("axis",)
    derivative = "dX = y ⊙ (dY − Σⱼ dYⱼ yⱼ)"
    quiet = True

    def __init__(self, axis: int = -1):
        self.axis = axis

    def forward(self, x):
        e = np.exp(shifted(x, self.axis))
        out = e / np.maximum(e.sum(axis=self.axis, keepdims=True), 1)  # all −inf: 0 / 1
        self.saved = (out,)
        return out

    def backward(self, grad_out):
        (y,) = self.saved
        return (y * (grad_out - (grad_out * y).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """log_softmax: ∂yᵢ/∂xⱼ = δᵢⱼ − softmax(x)ⱼ, so dX = dY − softmax(x) · Σ dY."""

    __slots__ = ("axis",)
    derivative = "dX = dY − softmax(x) Σⱼ dYⱼ"
    quiet = True

    def __init__(self, axis: int = -1):
        self.axis = axis

    def forward(self, x):
        out = log_softmax_array(x, self.axis)
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
