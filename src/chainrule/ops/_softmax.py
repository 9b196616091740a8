"""softmax and log_softmax along an axis, computed stably (shifted by the maximum).

A slice of all −inf has no probability mass: softmax 0 and log_softmax −inf, not 0/0 = NaN
(its gradients follow from the same formulas: 0, and the upstream gradient unchanged). A
slice holding +inf or NaN is NaN throughout. No RuntimeWarning either way. logsumexp over
a slice of all −inf is −inf with gradient 0 (its gradient is softmax); over a slice holding
+inf it is +inf (gradient NaN, as softmax there).
"""

from __future__ import annotations

import numpy as np

from .._function import Function
from ._common import exp, floating, is_tensor
from ._names import torch_names
from ._reduce import _axes, _axis_arg, _Reduce


def shifted(x: np.ndarray, axis: int) -> np.ndarray:
    """x − max x: at most 0, so exp cannot overflow, and Σ exp of it is at least 1 (the
    maximum's own term is e⁰ = 1) -- except for a slice of all −inf, which stays −inf (no
    ∞ − ∞) with Σ exp = 0, and a slice holding +inf or NaN, which becomes NaN. An integer
    or bool x is shifted in a float dtype (see `floating`)."""
    x = floating(x)
    if x.size == 0:  # nothing to shift (and no maximum of nothing): softmax of it is empty
        return x.copy()
    m = x.max(axis=axis, keepdims=True)
    m = np.maximum(m, np.finfo(x.dtype).min)  # all −inf: shifted by the lowest finite value
    return x - m


def log_softmax_array(x: np.ndarray, axis: int) -> np.ndarray:
    """log_softmax of an array: x − log-sum-exp, −inf throughout a slice of all −inf."""
    z = shifted(x, axis)
    total = np.exp(z).sum(axis=axis, keepdims=True)
    return z - np.log(_at_least_one(total))  # all −inf: −inf − log 1, not −inf − (−inf)


def softmax_array(x: np.ndarray, axis) -> np.ndarray:
    """softmax of an array: 0 throughout a slice of all −inf, NaN where it holds +inf or NaN."""
    e = np.exp(shifted(x, axis))
    return e / _at_least_one(e.sum(axis=axis, keepdims=True))  # all −inf: 0 / 1


def _at_least_one(total: np.ndarray) -> np.ndarray:
    """max(total, 1) in total's dtype (NumPy 1.x takes a 0-d float32 with 1 to float64)."""
    return np.maximum(total, total.dtype.type(1))


class Softmax(Function):
    """softmax: ∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ − yⱼ), so dX = y ⊙ (dY − Σ dY ⊙ y)."""

    __slots__ = ("axis",)
    derivative = "dX = y ⊙ (dY − Σⱼ dYⱼ yⱼ)"
    quiet = True

    def __init__(self, axis: int = -1):
        self.axis = axis

    def forward(self, x):
        out = softmax_array(x, self.axis)
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


class LogSumExp(_Reduce):
    """logsumexp: ∂(log Σⱼ exp xⱼ)/∂xᵢ = softmax(x)ᵢ; a slice of all −inf gives −inf and 0."""

    __slots__ = ()
    derivative = "dX = softmax(x) · dY"
    quiet = True  # log 0 = −inf for a slice of all −inf (or an empty one)

    def forward(self, x):
        self.axes = _axes(self.axes, x.ndim)
        self.saved = (x,)  # the input itself: with create_graph it stands for the Tensor
        x = floating(x)  # x − max x of uint8 would wrap around, as in `shifted`
        if x.size == 0:  # a sum of nothing is 0: log 0 = −inf, as NumPy's formula gives
            out = np.log(np.exp(x).sum(axis=self.axes, keepdims=True))
        else:
            m = x.max(axis=self.axes, keepdims=True)
            lo = np.maximum(m, np.finfo(x.dtype).min)
            out = np.log(np.exp(x - lo).sum(axis=self.axes, keepdims=True)) + lo
            out = np.where(m == np.inf, m, out)  # +inf in a slice: +inf, not ∞ − ∞ = NaN
        return out if self.keepdims else np.squeeze(out, axis=self.axes)

    def backward(self, grad_out):
        (x,) = self.saved  # softmax from x itself, so that all −inf gives 0, not exp(NaN)
        p = Softmax(self.axes)(x) if is_tensor(x) else softmax_array(x, self.axes)
        return (self._upstream_kept(grad_out, x.shape) * p,)


def softmax(x, axis: int = -1, *, dim=None):
    """exp(x) / Σ exp(x) along ``axis``; ``dim=`` is PyTorch's name for it."""
    axis, _ = torch_names("softmax", axis, dim, default=-1)
    return Softmax(axis)(x)


def log_softmax(x, axis: int = -1, *, dim=None):
    """x − log Σ exp(x) along ``axis`` (via log-sum-exp, finite for large logits); ``dim=``
    is PyTorch's name for ``axis``."""
    axis, _ = torch_names("log_softmax", axis, dim, default=-1)
    return LogSoftmax(axis)(x)


def logsumexp(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None):
    """log Σ exp(x) over ``axis`` (all axes when None), shifted by the maximum so that it is
    finite for large logits; −inf (gradient 0) over a slice of all −inf, +inf where a slice
    holds +inf. ``dim=`` and ``keepdim=`` are PyTorch's names for ``axis`` and ``keepdims``."""
    axis, keepdims = torch_names("logsumexp", axis, dim, keepdims, keepdim)
    return LogSumExp(_axis_arg("logsumexp", axis), keepdims)(x)
