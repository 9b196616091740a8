"""The losses a PyTorch user expects beside MSELoss and CrossEntropyLoss: L1, smooth L1,
Huber, negative log-likelihood and binary cross-entropy on probabilities.

L1, smooth L1 and Huber are composed from core ops (|x| and `where`): their gradients are
PyTorch's (sign(x), 0 at x = 0; x/β inside |x| < β) and second derivatives come for free.
NLL and BCE are fused nodes, each stating its local derivative: NLL because a composed
x[n, yₙ] with ``ignore_index`` would multiply a −inf log-probability of an ignored row by 0
(NaN), BCE because PyTorch clamps each log at −100 and divides its gradient by
max(p·(1 − p), 10⁻¹²), which keeps p = 0 and p = 1 finite where log and 1/p would not.

Targets are data, as in `_losses.py`: a target of another shape than the prediction is an
error (nothing is broadcast), an integer prediction or target is made floating, and the
shape, label and weight checks are `_losses.py`'s, naming the loss.
"""

from __future__ import annotations

import math

import numpy as np

from .._function import Function
from .._tensor import Tensor
from ..ops import maximum, where
from ..ops._common import divided, is_tensor, log
from ._losses import (
    IGNORE_INDEX,
    _as_prediction,
    _as_target,
    _check_nonempty,
    _check_reduction,
    _check_weight_length,
    _checked_options,
    _checked_target,
    _checked_weight,
    _Loss,
    _over,
    check_broadcasts,
    check_pair,
    check_positions,
    is_label_shaped,
    label_weights,
    per_position,
    positions_as_rows,
    reduced,
    regression_pair,
)

_LOG_FLOOR = -100  # PyTorch's clamp of each log term of binary_cross_entropy
# and the floor of p·(1 − p) in its gradient: 10⁻¹² as a float32, as PyTorch's kernel holds
# it (9.99999996e-13 in float64 too), so that the gradient at p = 0 or 1 is PyTorch's exactly
_EPSILON = float(np.float32(1e-12))


# ----- L1, smooth L1, Huber: composed -------------------------------------------------------
def l1_loss(pred, target, reduction: str = "mean") -> Tensor:
    """Absolute error |pred − target|, averaged ("mean", over every element), summed
    ("sum") or kept elementwise ("none"); composed from ``abs``, so the gradient is
    sign(pred − target) and 0 where they are equal, as PyTorch's. The shapes must match:
    nothing is broadcast. (PyTorch 2.6's ``weight=`` is not offered.)"""
    pred, target = regression_pair("l1_loss", pred, target, reduction)
    return reduced((pred - target).abs(), reduction)


def smooth_l1_loss(pred, target, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """PyTorch's smooth L1: with z = |pred − target|, 0.5·z²/β where z < β, else z − 0.5·β;
    the gradient is (pred − target)/β inside and sign(pred − target) outside (both 1 at
    z = β). β = 0 is `l1_loss`; a negative β is an error, as in PyTorch. It is Huber's loss
    divided by β (`huber_loss` with δ = β). Composed from ``abs`` and ``where``; reduced as
    ``reduction`` says ("mean", "sum", "none"), the shapes equal."""
    beta = _checked_threshold("smooth_l1_loss", "beta", beta, zero=True)
    pred, target = regression_pair("smooth_l1_loss", pred, target, reduction)
    if beta == 0:  # PyTorch's: 0.5·z²/0 is not evaluated
        return reduced((pred - target).abs(), reduction)
    diff = pred - target
    z = diff.abs()
    inside = z.data < beta  # the quadratic piece (a mask: constant almost everywhere)
    return reduced(where(inside, 0.5 * diff * diff / beta, z - 0.5 * beta), reduction)


def huber_loss(pred, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """PyTorch's Huber loss: with z = |pred − target|, 0.5·z² where z < δ, else
    δ·(z − 0.5·δ); the gradient is pred − target inside and δ·sign(pred − target) outside.
    δ must be positive, as in PyTorch. It is δ times `smooth_l1_loss` with β = δ. Composed
    from ``abs`` and ``where``; reduced as ``reduction`` says, the shapes equal. (PyTorch
    2.6's ``weight=`` is not offered.)"""
    delta = _checked_threshold("huber_loss", "delta", delta, zero=False)
    pred, target = regression_pair("huber_loss", pred, target, reduction)
    diff = pred - target
    z = diff.abs()
    inside = z.data < delta
    return reduced(where(inside, 0.5 * diff * diff, delta * (z - 0.5 * delta)), reduction)


def _checked_threshold(loss: str, name: str, value, zero: bool) -> float:
    """β or δ: a finite number, at least 0 (β) or above 0 (δ), as PyTorch requires."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(
            f"{loss}: {name} must be a number, got {value!r} of type {type(value).__name__}"
        )
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        least = "non-negative" if zero else "positive"
        raise ValueError(f"{loss}: {name} must be finite and {least}, got {value!r}")
    return value


# ----- NLL: fused ---------------------------------------------------------------------------
class NllLoss(Function):
    """negative log-likelihood of log-probabilities x (N, C) at class labels y, with class
    weights w (1 without them): L = −Σₙ w[yₙ]·x[n, yₙ] / D gives dX[n, yₙ] = −w[yₙ] / D · dL
    and 0 elsewhere, where the sum and D = Σₙ w[yₙ] run over the rows whose label is not
    ignore_index (an ignored row costs 0 and gets gradient 0).

    Fused: an ignored row is never read, so its −inf log-probabilities cost 0, not 0·(−inf).
    L is linear in x, so the gradient is a constant times dL and the second derivative is 0
    (under create_graph the gradient is differentiable in dL). When every label is ignored,
    or all the kept ones weigh 0, D = 0: L is NaN and the gradient NaN at the kept labels and
    0 elsewhere, as in PyTorch.
    """

    __slots__ = ("ignore_index", "weight")
    derivative = "dX[n, yₙ] = −w[yₙ] / D · dL"
    quiet = True  # 0/0 when every label is ignored: NaN, no warning
    reduction = "mean"  # the subclasses below: "sum" and "none"

    def __init__(self, weight=None, ignore_index: int = IGNORE_INDEX):
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, x, t):
        t = _checked_labels(x, t, self.ignore_index)
        if self.reduction == "mean":
            _check_nonempty("nll_loss", len(t), x, t)
        w = None if self.weight is None else self.weight.astype(x.dtype, copy=False)
        q, keep, d = label_weights(t, x.shape[1], x.dtype, w, self.ignore_index)
        rows, labels = np.flatnonzero(keep), t[keep]
        picked = x[rows, labels]
        kept = -picked if w is None else -(w[labels] * picked)  # PyTorch's −w·x, as it is
        local = np.zeros_like(q)  # −w[yₙ] at the labels kept (+0 elsewhere, not −0)
        local[rows, labels] = -q[rows, labels]
        if self.reduction == "none":
            losses = np.zeros(len(t), x.dtype)
            losses[rows] = kept
            self.saved = (local, None)
            return losses
        if self.reduction == "sum":
            self.saved = (local, None)
            return kept.sum()
        loss = _over(kept.sum(), d)
        if d == 0:  # L = 0/0: so is the gradient at the labels kept (0 in ignored rows)
            local[rows, labels], d = np.nan, 1
        self.saved = (local, d)
        return loss

    def backward(self, grad_out):
        local, d = self.saved
        if self.reduction == "none":  # one loss per row
            return local * grad_out.reshape(-1, 1), None
        if self.reduction == "sum":
            return local * grad_out, None
        scaled = divided(grad_out, d) if isinstance(d, int) else grad_out / d
        return local * scaled, None  # −w·(dL/D), PyTorch's order


class NllLossSum(NllLoss):
    """negative log-likelihood, summed: L = −Σₙ w[yₙ]·x[n, yₙ] over the rows kept gives
    dX[n, yₙ] = −w[yₙ] · dL."""

    __slots__ = ()
    derivative = "dX[n, yₙ] = −w[yₙ] · dL"
    reduction = "sum"


class NllLossPerSample(NllLoss):
    """negative log-likelihood per sample: Lₙ = −w[yₙ]·x[n, yₙ] (0 for an ignored row)
    gives dX[n, yₙ] = −w[yₙ] · dLₙ."""

    __slots__ = ()
    derivative = "dX[n, yₙ] = −w[yₙ] · dLₙ"
    reduction = "none"


_NLL = {"mean": NllLoss, "sum": NllLossSum, "none": NllLossPerSample}


def _checked_labels(x: np.ndarray, t: np.ndarray, ignore_index: int) -> np.ndarray:
    """NLL's shapes -- log-probabilities (N, C), labels (N,) of an integer dtype -- then
    cross_entropy's range check (`_checked_target`), naming nll_loss."""
    if x.ndim != 2:
        raise ValueError(
            f"nll_loss: the input must be log-probabilities of shape (N, C), got shape "
            f"{x.shape} (or (N, C, d₁, …), with class labels (N, d₁, …))"
        )
    n, c = x.shape
    if t.shape != (n,):
        column = t.shape == (n, 1)
        raise ValueError(
            f"nll_loss: the target has shape {t.shape}, but log-probabilities of shape "
            f"{x.shape} take class labels of shape ({n},)"
            + (" (labels in a column: target.reshape(-1) flattens them)" if column else "")
        )
    if c == 0 and n > 0:
        raise ValueError(f"nll_loss: log-probabilities of shape {x.shape} have no classes")
    _check_integer_labels(t, x.shape)
    return _checked_target(x, t, ignore_index, loss="nll_loss")


def _check_integer_labels(t, shape: tuple) -> None:
    """Labels of an integer dtype, named with the dtype the caller gave (`nll_loss` checks
    them before `_as_target` casts a float target to the dtype of the input, of ``shape``);
    a target that is not label-shaped is left to the shape check, which names it."""
    t = t.data if isinstance(t, Tensor) else np.asarray(t)
    labels = is_label_shaped(t, shape) or (t.ndim == 1 and len(shape) < 2)
    if labels and t.dtype.kind not in "iu":
        raise ValueError(
            f"nll_loss: class labels must be integers, got dtype {t.dtype}; give them as an "
            "integer array (np.array(labels) or cr.tensor(labels, dtype='int64'): Python "
            "lists become float32 tensors)"
        )


def nll_loss(
    input, target, weight=None, *, ignore_index: int = IGNORE_INDEX, reduction: str = "mean"
) -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) -- ``log_softmax``'s output --
    at integer class labels (N,): L = −Σₙ w[yₙ]·input[n, yₙ] / Σₙ w[yₙ], the sums over the
    rows whose label is not ``ignore_index`` (w = 1 without ``weight``: the mean over those
    rows). ``reduction="sum"`` leaves out the division, ``"none"`` gives each row's loss
    (0 for an ignored row). ``nll_loss(log_softmax(x, axis=1), y)`` is
    ``cross_entropy(x, y)``. One fused node (see `NllLoss`).

    PyTorch's signature and semantics: ``weight`` one non-negative number per class, shape
    (C,), data; ``ignore_index`` any int (default -100); every label ignored gives NaN for
    "mean". ``ignore_index`` and ``reduction`` are keywords (PyTorch's positions between
    them hold its deprecated ``size_average`` and ``reduce``). A label outside 0..C−1 that
    is not ``ignore_index`` is an error naming it and C.

    Inputs (N, C, d₁, …) take labels (N, d₁, …), as in PyTorch: each of the N·d₁·…
    positions is a row (the classes are axis 1), the sums above run over all of them, and
    "none" gives shape (N, d₁, …). Computed as the (N·d₁·…, C) rows of the input with the
    classes moved last, by the same fused node."""
    _check_reduction(reduction, "nll_loss")
    input = _as_prediction(input, target)
    _check_integer_labels(target, input.shape)
    options = _nll_options("nll_loss", weight, ignore_index)
    _check_weight_length("nll_loss", options[0], input.shape, "log-probabilities")
    target = _as_target(target, input, keep_integers=True)
    if input.ndim > 2:  # (N, C, d₁, …): the loss of one row per position
        check_positions("nll_loss", input, target, options[1], reduction, "log-probabilities")
        rows, target = positions_as_rows(input, target)
        return per_position(_NLL[reduction](*options)(rows, target), input.shape, reduction)
    return _NLL[reduction](*options)(input, target)


def _nll_options(loss: str, weight, ignore_index) -> tuple:
    """(weight, ignore_index), checked as cross_entropy's are."""
    _refuse_reduction_as_weight(loss, weight)
    weight, ignore_index, _ = _checked_options(loss, weight, ignore_index, 0.0)
    return weight, ignore_index


def _refuse_reduction_as_weight(loss: str, weight) -> None:
    """``nll_loss(x, y, "sum")``: chainrule's other losses take ``reduction`` third, as
    `cross_entropy` does; here, as in PyTorch, that place is the weight's."""
    if isinstance(weight, str):
        raise TypeError(
            f"{loss}: weight must be numbers, got the string {weight!r}; as in PyTorch the "
            f"argument after the target is weight: give reduction={weight!r} as a keyword"
        )


# ----- BCE on probabilities: fused ----------------------------------------------------------
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


# ----- modules ------------------------------------------------------------------------------
class L1Loss(_Loss):
    """Mean absolute error ``loss(pred, target)``, |pred − target| averaged over every
    element; gradient sign(pred − target), 0 at equality. See `l1_loss` for
    ``reduction``."""

    def forward(self, pred, target) -> Tensor:
        return l1_loss(pred, target, self.reduction)


class SmoothL1Loss(_Loss):
    """PyTorch's smooth L1 ``loss(pred, target)``: with z = |pred − target|, 0.5·z²/β where
    z < β, else z − 0.5·β (β ≥ 0, checked here; β = 0 is L1). See `smooth_l1_loss`."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        self.beta = _checked_threshold(type(self).__name__, "beta", beta, zero=True)

    def forward(self, pred, target) -> Tensor:
        return smooth_l1_loss(pred, target, self.reduction, self.beta)

    def extra_repr(self) -> str:
        return self.settings(beta=None if self.beta == 1 else self.beta)


class HuberLoss(_Loss):
    """PyTorch's Huber loss ``loss(pred, target)``: with z = |pred − target|, 0.5·z² where
    z < δ, else δ·(z − 0.5·δ) (δ > 0, checked here). See `huber_loss`."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = _checked_threshold(type(self).__name__, "delta", delta, zero=False)

    def forward(self, pred, target) -> Tensor:
        return huber_loss(pred, target, self.reduction, self.delta)

    def extra_repr(self) -> str:
        return self.settings(delta=None if self.delta == 1 else self.delta)


class NLLLoss(_Loss):
    """Negative log-likelihood ``loss(log_probs, labels)`` of log-probabilities (N, C) at
    integer labels (N,): −Σₙ w[yₙ]·log_probs[n, yₙ] / Σₙ w[yₙ] over the rows whose label is
    not ``ignore_index``; after ``LogSoftmax`` it is ``CrossEntropyLoss``. PyTorch's
    signature: ``weight`` (C,) first, then the keywords ``ignore_index`` (-100) and
    ``reduction``; the weight is a buffer, in ``state_dict()`` as ``weight``, as in
    PyTorch. Inputs (N, C, d₁, …) take labels (N, d₁, …), every position a row, as in
    PyTorch. See `nll_loss`."""

    def __init__(self, weight=None, *, ignore_index: int = IGNORE_INDEX, reduction="mean"):
        super().__init__(reduction)
        weight, self.ignore_index = _nll_options(type(self).__name__, weight, ignore_index)
        self.register_buffer("weight", weight)  # in state_dict(), as PyTorch's (not if None)

    def forward(self, log_probs, target) -> Tensor:
        return nll_loss(
            log_probs,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )

    def extra_repr(self) -> str:
        return self.settings(
            weight=None if self.weight is None else self.weight.tolist(),
            ignore_index=None if self.ignore_index == IGNORE_INDEX else self.ignore_index,
        )


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
