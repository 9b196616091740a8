"""Binary cross-entropy on probabilities: the fused `BinaryCrossEntropy` node, with its
`Sum` and per-element subclasses, behind `binary_cross_entropy` and `BCELoss`.

Fused because PyTorch clamps each log at −100 and divides its gradient by
max(p·(1 − p), 10⁻¹²), which keeps p = 0 and p = 1 finite where log and 1/p would not.
Targets are data, as in `_losses.py`: a target of another shape than the input is an
error (nothing is broadcast), and the weight checks are `_losses.py`'s, naming the loss.
"""

from __future__ import annotations

import numpy as np

from .._function import Function
from .._tensor import Tensor
from ..ops import maximum
from ..ops._common import divided, is_tensor, log
from ._losses import (
    _as_prediction,
    _as_target,
    _check_reduction,
    _checked_weight,
    _Loss,
    check_broadcasts,
    check_pair,
    reduced,
)
from ._nll_loss import _refuse_reduction_as_weight

_LOG_FLOOR = -100  # PyTorch's clamp of each log term of binary_cross_entropy
# and the floor of p·(1 − p) in its gradient: 10⁻¹² as a float32, as PyTorch's kernel holds
# it (9.99999996e-13 in float64 too), so that the gradient at p = 0 or 1 is PyTorch's exactly
_EPSILON = float(np.float32(1e-12))


class BinaryCrossEntropy(Function):
    """binary cross-entropy on probabilities p, each log clamped at −100 as PyTorch does:
    L = −mean(w·(t·max(log p, −100) + (1 − t)·max(log(1 − p), −100))) gives
    dP = w·(p − t) / max(p·(1 − p), 10⁻¹²) / n · dL and
    dT = −w·(max(log p, −100) − max(log(1 − p), −100)) / n · dL (w is 1 without weights).

    Fused, with PyTorch's formulas: at p = 0 or 1 the loss is finite (100 at most, per
    element) and so is the gradient, where composing log and 1/p would give inf and NaN.
    The gradient's formula is PyTorch's, not the clamped loss's own: it stays nonzero where
    a log is clamped (p < e⁻¹⁰⁰). dT differentiates the clamped loss (PyTorch's is
    −logit(p), ±inf at p = 0 and 1). Under create_graph both are recomputed from the input
    Tensors, so second derivatives are those of these formulas.
    """

    __slots__ = ("weight",)
    derivative = "dP = w·(p − t) / p(1 − p) / n · dL, dT = −w·(log p − log(1 − p)) / n · dL"
    quiet = True  # log 0 = −inf before the clamp, NaN inputs: IEEE results, no warning
    reduction = "mean"  # the subclasses below: "sum" and "none"

    def __init__(self, weight=None):
        self.weight = weight

    def forward(self, p, t):
        check_pair("binary_cross_entropy", "the input has", p, t, self.reduction)
        _check_probabilities(p)
        _check_probabilities(t, "target")
        t = t.astype(p.dtype, copy=False)
        w = self._weights(p)
        self.saved = (p, t, w)
        one = p.dtype.type(1)  # 1 in p's dtype (NumPy 1.x: a 0-d float32 with 1.0 → float64)
        losses = (t - one) * _clamped_log(np.log1p(-p)) - t * _clamped_log(np.log(p))
        return reduced(losses if w is None else losses * w, self.reduction)

    def _weights(self, p) -> np.ndarray | None:
        if self.weight is None:
            return None
        w = self.weight.astype(p.dtype, copy=False)
        what = f"a weight of shape {w.shape}"
        check_broadcasts("binary_cross_entropy", what, w.shape, "the input's", p.shape)
        return w

    def backward(self, grad_out):
        p, t, w = self.saved
        grad_p = grad_t = None
        if self.needs_grad[0]:  # PyTorch's order: dL·(p − t) / max((1 − p)·p, ε), ·w, /n
            floor = _EPSILON if is_tensor(p) else p.dtype.type(_EPSILON)
            grad_p = grad_out * (p - t) / _maximum((1 - p) * p, floor)
            grad_p = self._finished(grad_p, w, p.size)
        if self.needs_grad[1]:  # a target that requires a gradient
            local = _clamped_log(log(1 - p)) - _clamped_log(log(p))
            grad_t = self._finished(grad_out * local, w, p.size)
        return grad_p, grad_t

    def _finished(self, grad, w, n: int):
        if w is not None:
            grad = grad * w
        return divided(grad, n) if self.reduction == "mean" else grad


def _clamped_log(logs):
    """max(log, −100), for arrays (in their dtype) and for Tensors (create_graph)."""
    if is_tensor(logs):
        return maximum(logs, _LOG_FLOOR)
    return np.maximum(logs, logs.dtype.type(_LOG_FLOOR))


def _maximum(a, b):
    return maximum(a, b) if is_tensor(a) else np.maximum(a, b)


def _check_probabilities(p: np.ndarray, what: str = "input") -> None:
    """p (or the target) in [0, 1], as PyTorch requires of both; NaN passes (a NaN loss,
    for fit's NaN handling)."""
    bad = (p < 0) | (p > 1)
    if bad.any():
        i = np.flatnonzero(bad)[0]
        where_ = tuple(int(k) for k in np.unravel_index(i, p.shape))
        hint = (
            "for logits use binary_cross_entropy_with_logits or BCEWithLogitsLoss"
            if what == "input"
            else "class labels other than 0 and 1 take cross_entropy"
        )
        raise ValueError(
            f"binary_cross_entropy: the {what} must be probabilities in [0, 1], got "
            f"{p.flat[i]} at position {where_} of shape {p.shape} ({hint})"
        )


class BinaryCrossEntropySum(BinaryCrossEntropy):
    """binary cross-entropy on probabilities, summed: L = −Σ w·(t·max(log p, −100) +
    (1 − t)·max(log(1 − p), −100)) gives dP = w·(p − t) / max(p·(1 − p), 10⁻¹²) · dL and
    dT = −w·(max(log p, −100) − max(log(1 − p), −100)) · dL."""

    __slots__ = ()
    derivative = "dP = w·(p − t) / p(1 − p) · dL, dT = −w·(log p − log(1 − p)) · dL"
    reduction = "sum"


class BinaryCrossEntropyPerElement(BinaryCrossEntropy):
    """binary cross-entropy on probabilities per element: Lᵢ = −wᵢ·(tᵢ·max(log pᵢ, −100) +
    (1 − tᵢ)·max(log(1 − pᵢ), −100)) gives dPᵢ = wᵢ·(pᵢ − tᵢ) / max(pᵢ(1 − pᵢ), 10⁻¹²) · dLᵢ
    and dTᵢ = −wᵢ·(max(log pᵢ, −100) − max(log(1 − pᵢ), −100)) · dLᵢ."""

    __slots__ = ()
    derivative = "dPᵢ = wᵢ·(pᵢ − tᵢ) / pᵢ(1 − pᵢ) · dLᵢ, dTᵢ = −wᵢ·(log pᵢ − log(1 − pᵢ)) · dLᵢ"
    reduction = "none"


_BCE_PROBABILITIES = {
    "mean": BinaryCrossEntropy,
    "sum": BinaryCrossEntropySum,
    "none": BinaryCrossEntropyPerElement,
}


def binary_cross_entropy(input, target, weight=None, *, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in [0, 1] (a sigmoid's output)
    against targets in [0, 1] of the same shape, PyTorch's: each element costs
    −w·(t·max(log p, −100) + (1 − t)·max(log(1 − p), −100)), so p = 0 or 1 gives at most
    100 and a finite gradient (PyTorch's w·(p − t) / max(p·(1 − p), 10⁻¹²)). Reduced over
    every element: the mean (divided by the number of elements, with or without
    ``weight``), the sum (``reduction="sum"``) or each element's (``"none"``).

    ``weight``: non-negative numbers that broadcast to the input's shape (one per element,
    per sample as (N, 1), per output as (C,)); data, not differentiated. An input or a
    target outside [0, 1] is an error, as in PyTorch; NaN gives NaN (PyTorch raises), so
    that `fit` sees a NaN loss. ``reduction`` is a keyword (PyTorch's third and fourth
    places are its deprecated ``size_average`` and ``reduce``). On logits,
    `binary_cross_entropy_with_logits` is exact where σ would round to 0 or 1."""
    _check_reduction(reduction, "binary_cross_entropy")
    input = _as_prediction(input, target)
    w = _bce_weight("binary_cross_entropy", weight)
    return _BCE_PROBABILITIES[reduction](w)(input, _as_target(target, input))


def _bce_weight(loss: str, weight) -> np.ndarray | None:
    _refuse_reduction_as_weight(loss, weight)
    return _checked_weight(loss, weight, per_class=False)


# ----- module -------------------------------------------------------------------------------


class BCELoss(_Loss):
    """Binary cross-entropy ``loss(probs, target)`` on probabilities in [0, 1], each log
    clamped at −100 as PyTorch does (p = 0 or 1 gives a finite loss and gradient); the
    mean over every element. PyTorch's signature: ``weight`` (broadcast to the input's
    shape) first, then the keyword ``reduction``; the weight is a buffer, in
    ``state_dict()`` as ``weight``. On logits use `BCEWithLogitsLoss`. See
    `binary_cross_entropy`."""

    def __init__(self, weight=None, *, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", _bce_weight(type(self).__name__, weight))

    def forward(self, probs, target) -> Tensor:
        return binary_cross_entropy(probs, target, self.weight, reduction=self.reduction)

    def extra_repr(self) -> str:
        return self.settings(weight=None if self.weight is None else self.weight.tolist())
