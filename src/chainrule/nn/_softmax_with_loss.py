"""The fused softmax cross-entropy nodes, for numerical stability and their one-line
gradients: `SoftmaxWithLoss`, and `WeightedSoftmaxWithLoss` for PyTorch's options, each
with its `Sum` and per-sample subclass for ``reduction``."""

from __future__ import annotations

import numpy as np

from .._function import Function
from ..ops._common import constant, divided, is_tensor
from ..ops._softmax import log_softmax_array, shifted
from ._class_targets import (
    IGNORE_INDEX,
    _check_no_ignore_index,
    _checked_target,
    _over,
    label_weights,
)
from ._losses import _check_nonempty, _times_upstream


def _softmax_parts(x: np.ndarray) -> tuple:
    """z = x − max over each row (at most 0, so exp cannot overflow), the rows' Σ exp(z) as
    (N, 1) (0 only for a row of all −inf, kept at 1 there), and softmax(x) = exp(z) / Σ."""
    z = shifted(x, 1)
    e = np.exp(z)
    total = np.maximum(e.sum(axis=1, keepdims=True), 1)
    return z, total, e / total


def _log_softmax(x):
    return x.log_softmax(axis=1) if is_tensor(x) else log_softmax_array(x, 1)


def _minus_target(p, t):
    """p·Σₖ tₖ − t, where t is probabilities (Σₖ tₖ = 1 for a distribution; p·1 is p
    exactly) or class labels (then 1 is subtracted at each label)."""
    labels = constant(t)
    if labels.ndim == 2:
        return p * t.sum(axis=1, keepdims=True) - t
    rows = np.arange(len(labels))
    if is_tensor(p):
        onehot = np.zeros(p.shape, p.dtype)
        onehot[rows, labels] = 1
        return p - onehot
    out = p.copy()  # p stays intact for a second backward (retain_graph)
    out[rows, labels] -= 1
    return out


def _scaled(local, grad_out, d, reduction: str):
    """`_times_upstream` with the mean's divisor ``d``: a count, a sum of weights, or (for
    labels whose weights sum to 0) one per row, 1 where the row is ignored, so that an
    ignored row's gradient is 0 rather than 0/0, and NaN where it is kept: its gradient is
    NaN, as the loss is (label smoothing gives such a row a nonzero q, which over 0 would
    be ±inf), as in PyTorch."""
    if reduction != "mean" or isinstance(d, int):
        return _times_upstream(local, grad_out, d, reduction)
    return local * grad_out / d


class SoftmaxWithLoss(Function):
    """softmax cross-entropy: L = −Σ t·log softmax(x) / N gives dX = (softmax(x) − t) / N · dL
    and, for a target that requires gradients, dT = −log softmax(x) / N · dL.

    Fused: log-sum-exp keeps L finite for any finite logits, and the gradient is a single
    subtraction. x is (N, C); t is class labels (N,) or probabilities (N, C), where
    0·log 0 counts as 0 (a class with logit −inf and target 0 costs nothing). For a target
    row that does not sum to 1 (unnormalised weights, a row of zeros masking a sample) the
    gradient is (softmax(x)·Σₖ tₖ − t) / N, which is the formula above when it does.
    """

    __slots__ = ()
    derivative = "dX = (softmax(x) − t) / N · dL, dT = −log softmax(x) / N · dL"
    quiet = True  # ±inf logits: IEEE results (+inf for a label of probability 0), no warning

    #: how the per-sample losses are combined: "mean" here; `SoftmaxWithLossSum` sums them
    #: and `SoftmaxWithLossPerSample` keeps them, as `cross_entropy`'s ``reduction`` selects
    reduction = "mean"

    def forward(self, x, t):
        t = _checked_target(x, t)
        if self.reduction == "mean":
            _check_nonempty("cross_entropy", len(t), x, t)
        z, total, p = _softmax_parts(x)
        self.saved = (x, p, t)  # softmax(x), the only thing backward needs
        if t.ndim == 1:  # −log p[label] = log Σ exp(z) − z[label]
            losses = np.log(total[:, 0]) - z[np.arange(len(t)), t]
            return losses if self.reduction == "none" else self._reduced(losses.sum(), len(t))
        z -= np.log(total)  # z is now log softmax(x)
        terms = np.where(t == 0, 0, t * z)  # minus a sum (−0 for a sum of +0, as documented)
        if self.reduction == "none":
            return -terms.sum(axis=1)
        return self._reduced(-terms.sum(), len(t))

    def _reduced(self, total, n: int):
        """The sum of the losses, as the mean or as it is."""
        return divided(total, n) if self.reduction == "mean" else total

    def backward(self, grad_out):
        x, p, t = self.saved
        n = x.shape[0]
        grad_x = grad_t = None
        if self.needs_grad[0]:
            if is_tensor(x):  # create_graph: softmax recomputed from the logits Tensor, so
                p = x.softmax(axis=1)  # that the second derivative flows through it
            grad_x = _times_upstream(_minus_target(p, t), grad_out, n, self.reduction)
        if self.needs_grad[1]:  # a probability target that requires a gradient
            grad_t = _times_upstream(-_log_softmax(x), grad_out, n, self.reduction)
        return grad_x, grad_t


class SoftmaxWithLossSum(SoftmaxWithLoss):
    """softmax cross-entropy, summed: L = −Σ t·log softmax(x) gives dX = (softmax(x) − t) · dL
    and dT = −log softmax(x) · dL."""

    __slots__ = ()
    derivative = "dX = (softmax(x) − t) · dL, dT = −log softmax(x) · dL"
    reduction = "sum"


class SoftmaxWithLossPerSample(SoftmaxWithLoss):
    """softmax cross-entropy per sample: Lᵢ = −Σₖ tᵢₖ·log softmax(xᵢ)ₖ gives
    dXᵢ = (softmax(xᵢ) − tᵢ) · dLᵢ and dTᵢ = −log softmax(xᵢ) · dLᵢ."""

    __slots__ = ()
    derivative = "dXᵢ = (softmax(xᵢ) − tᵢ) · dLᵢ, dTᵢ = −log softmax(xᵢ) · dLᵢ"
    reduction = "none"


class WeightedSoftmaxWithLoss(Function):
    """softmax cross-entropy with PyTorch's options (class weights w, 1 without them;
    ignore_index; label smoothing ε; C classes): L = −Σₙ Σₖ qₙₖ·log softmax(xₙ)ₖ / D gives
    dX = (softmax(x)·Σₖ qₖ − q) / D · dL and, for probability targets that require
    gradients, dT = −(1 − ε)·w·log softmax(x) / D · dL. For a class label yₙ,
    qₙ = (1 − ε)·w[yₙ]·onehot(yₙ) + ε/C·w (0 if yₙ is ignore_index) and
    D = Σ w[yₙ] over the labels kept; for a probability row tₙ, qₙ = w·((1 − ε)·tₙ + ε/C)
    and D = N.

    This is PyTorch's weighted mean; "sum" and "none" (the subclasses) leave out D. When
    every label is ignored (or weighs 0) D is 0 and L is NaN, as in PyTorch, with gradient
    0 in the ignored rows and NaN in the others. The gradient is one closed form, the fused
    node's, with the target q: (softmax·Σq − q), scaled by 1/D.
    """

    __slots__ = ("ignore_index", "smoothing", "weight")
    derivative = "dX = (softmax(x)·Σq − q) / D · dL, dT = −(1 − ε)·w·log softmax(x) / D · dL"
    quiet = True  # ±inf logits, and 0/0 when every label is ignored: IEEE results
    reduction = "mean"  # the subclasses below: "sum" and "none"

    def __init__(self, weight=None, ignore_index: int = IGNORE_INDEX, smoothing: float = 0.0):
        self.weight, self.ignore_index, self.smoothing = weight, ignore_index, smoothing

    def forward(self, x, t):
        t = _checked_target(x, t, self.ignore_index)
        if self.reduction == "mean":
            _check_nonempty("cross_entropy", len(t), x, t)
        if t.ndim == 2:
            _check_no_ignore_index(self.ignore_index, t.shape)
            q, d = self._smoothed(t), len(t)
        else:
            q, d = self._label_target(t, x.shape[1], x.dtype)
        z, total, p = _softmax_parts(x)
        self.saved = (x, p, t, q, d)
        z -= np.log(total)  # log softmax(x)
        losses = -np.where(q == 0, 0, q * z).sum(axis=1)  # 0·log 0 counts as 0
        if self.reduction == "none":
            return losses
        return _over(losses.sum(), d) if self.reduction == "mean" else losses.sum()

    def _weights(self, dtype) -> np.ndarray | None:
        return None if self.weight is None else self.weight.astype(dtype, copy=False)

    def _smoothed(self, t):
        """q for probability rows t (an array, or the target's Tensor under create_graph)."""
        eps, w = self.smoothing, self._weights(t.dtype)
        q = t * (1 - eps) + eps / t.shape[1] if eps else t
        return q if w is None else q * w

    def _label_target(self, t: np.ndarray, c: int, dtype) -> tuple:
        """q for class labels t, and the mean's divisor D (see the class docstring)."""
        w = self._weights(dtype)
        q, keep, d = label_weights(t, c, dtype, w, self.ignore_index, self.smoothing)
        if d == 0 and self.reduction == "mean":  # L is 0/0: NaN gradient in the rows kept,
            d = np.where(keep, np.nan, 1).astype(dtype).reshape(-1, 1)  # 0 in those ignored
        return q, d

    def backward(self, grad_out):
        x, p, t, q, d = self.saved
        grad_x = grad_t = None
        if self.needs_grad[0]:
            if is_tensor(x):  # create_graph: softmax recomputed from the logits Tensor
                p = x.softmax(axis=1)
            if is_tensor(t):  # a probability target in the graph: q recomputed from it
                q = self._smoothed(t)
            grad_x = _scaled(_minus_target(p, q), grad_out, d, self.reduction)
        if self.needs_grad[1]:  # a probability target that requires a gradient
            w = self._weights(x.dtype)
            local = -_log_softmax(x) * (1 - self.smoothing)
            grad_t = _scaled(local if w is None else local * w, grad_out, d, self.reduction)
        return grad_x, grad_t


class WeightedSoftmaxWithLossSum(WeightedSoftmaxWithLoss):
    """softmax cross-entropy with PyTorch's options, summed: L = −Σₙ Σₖ qₙₖ·log softmax(xₙ)ₖ
    gives dX = (softmax(x)·Σq − q) · dL and dT = −(1 − ε)·w·log softmax(x) · dL, with q as
    for `WeightedSoftmaxWithLoss`."""

    __slots__ = ()
    derivative = "dX = (softmax(x)·Σq − q) · dL, dT = −(1 − ε)·w·log softmax(x) · dL"
    reduction = "sum"


class WeightedSoftmaxWithLossPerSample(WeightedSoftmaxWithLoss):
    """softmax cross-entropy with PyTorch's options per sample: Lᵢ = −Σₖ qᵢₖ·log softmax(xᵢ)ₖ
    gives dXᵢ = (softmax(xᵢ)·Σq − qᵢ) · dLᵢ and dTᵢ = −(1 − ε)·w·log softmax(xᵢ) · dLᵢ, with q
    as for `WeightedSoftmaxWithLoss` (0 for an ignored row, whose loss is 0)."""

    __slots__ = ()
    derivative = "dXᵢ = (softmax(xᵢ)·Σqᵢ − qᵢ) · dLᵢ, dTᵢ = −(1 − ε)·w·log softmax(xᵢ) · dLᵢ"
    reduction = "none"


_CROSS_ENTROPY = {
    "mean": SoftmaxWithLoss,
    "sum": SoftmaxWithLossSum,
    "none": SoftmaxWithLossPerSample,
}
_WEIGHTED = {
    "mean": WeightedSoftmaxWithLoss,
    "sum": WeightedSoftmaxWithLossSum,
    "none": WeightedSoftmaxWithLossPerSample,
}
