"""Binary cross-entropy on logits: the fused `BCEWithLogits` node (with its `Sum` and
per-element subclasses), `binary_cross_entropy_with_logits` and `BCEWithLogitsLoss`."""

from __future__ import annotations

import numpy as np

from .._function import Function
from .._tensor import Tensor
from ..ops._common import has_nan, is_tensor
from ._losses import (
    _as_prediction,
    _as_target,
    _check_reduction,
    _checked_weight,
    _Loss,
    _times_upstream,
    check_broadcasts,
    check_pair,
    reduced,
)


def _at_infinite_logits(x, t, losses):
    """The loss where a logit is ±inf: (1 − t)·x for x = +inf and −t·x for x = −inf, which
    is 0 where that weight is 0 (a certain, correct prediction) rather than ∞ − ∞ = NaN."""
    zero, one = t.dtype.type(0), t.dtype.type(1)  # as in `BCEWithLogits.forward`
    weight = np.where(x > 0, one - t, t)
    exact = np.where(weight == 0, zero, weight * np.abs(x))
    return np.where(np.isinf(x), exact, losses)


class BCEWithLogits(Function):
    """binary cross-entropy on logits: L = mean(max(x, 0) − x·t + log(1 + e^−|x|)) gives
    dX = (σ(x) − t) / n · dL and dT = −x / n · dL.

    Fused: this form never overflows, and composing it from max and |x| would give the
    wrong gradient at x = 0.
    """

    __slots__ = ()
    derivative = "dX = (σ(x) − t) / n · dL, dT = −x / n · dL"
    quiet = True  # ±inf logits: IEEE results, no warning
    reduction = "mean"  # the subclasses below: "sum" and "none"

    def forward(self, x, t):
        check_pair("binary_cross_entropy_with_logits", "the logits have", x, t, self.reduction)
        t = t.astype(x.dtype, copy=False)
        e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
        # 0 and 1 in x's dtype: NumPy 1.x computes a 0-d float32 with a Python number in float64
        zero, one = x.dtype.type(0), e.dtype.type(1)
        sigma = np.where(x >= 0, one, e) / (one + e)
        self.saved = (x, sigma, t)
        losses = np.maximum(x, zero) - x * t + np.log1p(e)
        if has_nan(losses):  # ∞ − ∞ where a logit is infinite
            losses = _at_infinite_logits(x, t, losses)
        if self.reduction == "none":
            return losses
        return losses.mean() if self.reduction == "mean" else losses.sum()

    def backward(self, grad_out):
        x, sigma, t = self.saved
        grad_x = grad_t = None
        if self.needs_grad[0]:
            if is_tensor(x):  # create_graph: σ recomputed from the logits Tensor
                sigma = x.sigmoid()
            grad_x = _times_upstream(sigma - t, grad_out, x.size, self.reduction)
        if self.needs_grad[1]:
            grad_t = _times_upstream(-x, grad_out, x.size, self.reduction)
        return grad_x, grad_t


class BCEWithLogitsSum(BCEWithLogits):
    """binary cross-entropy on logits, summed: L = Σ (max(x, 0) − x·t + log(1 + e^−|x|))
    gives dX = (σ(x) − t) · dL and dT = −x · dL."""

    __slots__ = ()
    derivative = "dX = (σ(x) − t) · dL, dT = −x · dL"
    reduction = "sum"


class BCEWithLogitsPerElement(BCEWithLogits):
    """binary cross-entropy on logits per element: Lᵢ = max(xᵢ, 0) − xᵢ·tᵢ + log(1 + e^−|xᵢ|)
    gives dXᵢ = (σ(xᵢ) − tᵢ) · dLᵢ and dTᵢ = −xᵢ · dLᵢ."""

    __slots__ = ()
    derivative = "dXᵢ = (σ(xᵢ) − tᵢ) · dLᵢ, dTᵢ = −xᵢ · dLᵢ"
    reduction = "none"


_BCE = {"mean": BCEWithLogits, "sum": BCEWithLogitsSum, "none": BCEWithLogitsPerElement}


def _broadcast_weight(who: str, name: str, weight, logits: Tensor) -> np.ndarray | None:
    """``weight`` checked (finite, non-negative numbers) as an array of the logits' dtype
    that broadcasts to their shape, or None."""
    w = _checked_weight(who, weight, per_class=False, name=name)
    if w is None:
        return None
    check_broadcasts(who, f"{name} of shape {w.shape}", w.shape, "the logits'", logits.shape)
    return w.astype(logits.dtype)


def binary_cross_entropy_with_logits(
    logits, target, reduction: str = "mean", *, weight=None, pos_weight=None
) -> Tensor:
    """Binary cross-entropy of σ(logits) against targets in [0, 1] of the same shape: the
    mean over every element, the sum (``reduction="sum"``) or each element's (``"none"``).

    PyTorch's keywords ``weight`` (each element's loss times it; it broadcasts to the
    logits' shape) and ``pos_weight`` (the positive term's factor p, one per class as
    (C,), or any shape that broadcasts): each element costs
    w·(p·t·softplus(−x) + (1 − t)·softplus(x)), with gradient w·((1 − t + p·t)·σ(x) − p·t).
    Both are data (not differentiated), finite and non-negative; the mean still divides
    by the number of elements. Composed from the fused per-element node: the positive
    term's extra (p − 1)·t·softplus(−x) is that node's loss against a target of 1."""
    who = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, who)
    logits = _as_prediction(logits, target)
    target = _as_target(target, logits)
    if weight is None and pos_weight is None:
        return _BCE[reduction]()(logits, target)
    check_pair(who, "the logits have", logits.data, target.data, reduction)
    losses = BCEWithLogitsPerElement()(logits, target)
    p = _broadcast_weight(who, "pos_weight", pos_weight, logits)
    if p is not None:
        positive = BCEWithLogitsPerElement()(logits, np.ones_like(logits.data))
        losses = losses + (p - 1) * target * positive
    w = _broadcast_weight(who, "weight", weight, logits)
    return reduced(losses if w is None else losses * w, reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits ``loss(logits, target)``, mean over all elements;
    gradient (σ(x) − t) / n. ``reduction``: "mean" (the default), "sum" or "none";
    PyTorch's ``weight`` and ``pos_weight`` are keywords, kept as buffers (in
    ``state_dict()`` when given, as PyTorch's). See `binary_cross_entropy_with_logits`."""

    def __init__(self, reduction: str = "mean", *, weight=None, pos_weight=None):
        super().__init__(reduction)
        name = type(self).__name__
        self.register_buffer("weight", _checked_weight(name, weight, per_class=False))
        p = _checked_weight(name, pos_weight, per_class=False, name="pos_weight")
        self.register_buffer("pos_weight", p)

    def forward(self, logits, target) -> Tensor:
        return binary_cross_entropy_with_logits(
            logits, target, self.reduction, weight=self.weight, pos_weight=self.pos_weight
        )

    def extra_repr(self) -> str:
        shown = {n: None if v is None else v.tolist() for n, v in self.named_buffers()}
        return self.settings(**shown)
