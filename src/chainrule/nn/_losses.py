"""Losses. MSE is composed from core ops; softmax cross-entropy and binary cross-entropy on
logits are fused nodes, for numerical stability and for their one-line gradients.

Targets are data: a NumPy or list target is converted to the prediction's dtype (a float64
label array does not turn a float32 model's loss into float64). Integer class labels stay
integers. An integer or bool prediction is computed in the target's float dtype (float64
when the target has none), never the target in integers. A mean over an empty batch is an
error, not NaN (cross_entropy's mean over a batch whose labels are all ignore_index is
NaN, as in PyTorch). No loss emits a RuntimeWarning: inf and NaN inputs give IEEE results
(docs/reliability.md).
"""

from __future__ import annotations

import math

import numpy as np

from .._function import Function
from .._tensor import Tensor
from ..ops._common import as_float, constant, divided, has_nan, is_tensor
from ..ops._softmax import log_softmax_array, shifted
from ._module import Module

_REDUCTIONS = ("mean", "sum", "none")
IGNORE_INDEX = -100  # PyTorch's default ignore_index: a label that leaves its row out


class _IgnoredLabelError(ValueError):
    """Raised by the plain `SoftmaxWithLoss` node for labels equal to -100, which
    `cross_entropy` then computes with `WeightedSoftmaxWithLoss` (rows left out)."""


# ----- fused nodes --------------------------------------------------------------------------
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


def _softmax_parts(x: np.ndarray) -> tuple:
    """z = x − max over each row (at most 0, so exp cannot overflow), the rows' Σ exp(z) as
    (N, 1) (0 only for a row of all −inf, kept at 1 there), and softmax(x) = exp(z) / Σ."""
    z = shifted(x, 1)
    e = np.exp(z)
    total = np.maximum(e.sum(axis=1, keepdims=True), 1)
    return z, total, e / total


def _checked_target(
    x: np.ndarray, t: np.ndarray, ignore_index: int | None = None, loss: str = "cross_entropy"
) -> np.ndarray:
    """Class labels (N,) checked for dtype and range (``ignore_index`` allowed, see
    `_check_out_of_range`), or probabilities (N, C) in x's dtype; ``loss`` names the loss
    in the messages (`nll_loss` checks its shapes first, then reuses the label checks)."""
    if x.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {x.shape}")
    n, c = x.shape
    if c == 0 and n > 0:  # no class for any label to name, nor a distribution over none
        raise ValueError(f"cross_entropy: logits of shape {x.shape} have no classes")
    if t.shape == x.shape:
        return t.astype(x.dtype, copy=False)
    if t.shape != (n,):
        column = t.shape == (n, 1)  # Keras's habit: labels as a DataFrame column gives them
        raise ValueError(
            f"cross_entropy: a target of shape {t.shape} fits neither class labels of shape "
            f"({n},) nor probabilities of shape {x.shape} for logits of shape {x.shape}"
            + (" (labels in a column: target.reshape(-1) flattens them)" if column else "")
        )
    if t.dtype.kind not in "iu":
        raise ValueError(
            f"cross_entropy: class labels must be integers, got dtype {t.dtype} "
            f"(probability or one-hot targets have the logits' shape {x.shape})"
        )
    if t.size and (t.min() < 0 or t.max() >= c):
        _check_out_of_range(t, c, ignore_index, loss)
    return t


def _check_out_of_range(
    t: np.ndarray, c: int, ignore_index: int | None, loss: str = "cross_entropy"
) -> None:
    """Refuse a label outside 0..C−1 that is not ``ignore_index``. ``None`` is the plain
    node's: it takes no option, so a label equal to PyTorch's default ignore_index (−100)
    raises `_IgnoredLabelError`, for `cross_entropy` to leave those rows out."""
    ignored = IGNORE_INDEX if ignore_index is None else ignore_index
    bad = ((t < 0) | (t >= c)) & (t != ignored)
    if bad.any():
        i = np.flatnonzero(bad)[0]
        where = i if t.ndim == 1 else tuple(int(k) for k in np.unravel_index(i, t.shape))
        raise ValueError(
            f"{loss}: label {t.flat[i]} (at position {where}) is out of range for {c} classes "
            f"(labels must be in 0..{c - 1}); ignore_index ({ignored}) marks a row to leave out"
        )
    if ignore_index is None:
        i = np.flatnonzero(t == ignored)[0]
        raise _IgnoredLabelError(
            f"cross_entropy: label {ignored} (at position {i}) is ignore_index; the "
            "SoftmaxWithLoss node takes every row: cross_entropy leaves such rows out"
        )


def _check_nonempty(loss: str, n: int, x: np.ndarray, t: np.ndarray) -> None:
    if n == 0:
        raise ValueError(
            f"{loss}: empty batch (input shape {x.shape}, target shape {t.shape}): a mean "
            "over nothing is undefined"
        )


def check_pair(loss: str, subject: str, x: np.ndarray, t: np.ndarray, reduction: str) -> None:
    """A target of the prediction's shape (a mismatch is an error, never a broadcast;
    ``subject`` words the prediction: "the input has"), and a non-empty batch to take the
    mean of."""
    if t.shape != x.shape:
        raise ValueError(
            f"{loss}: the target has shape {t.shape}, but {subject} shape {x.shape}; they "
            f"must match{_reshape_hint(x.shape, t.shape)}"
        )
    if reduction == "mean":
        _check_nonempty(loss, x.size, x, t)


def _times_upstream(local, grad_out, n: int, reduction: str):
    """The local gradient times the upstream one: (local·dL)/n for "mean", local·dL for
    "sum", local·dLᵢ for "none" (a loss per row of the softmax, per element of BCE).
    Multiplied first, then divided, so that dL = 1 gives local/n exactly."""
    if reduction == "none" and grad_out.ndim < local.ndim:
        grad_out = grad_out.reshape(-1, 1)  # one loss per row
    local = local * grad_out
    return divided(local, n) if reduction == "mean" else local


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


def _log_softmax(x):
    return x.log_softmax(axis=1) if is_tensor(x) else log_softmax_array(x, 1)


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


def _at_infinite_logits(x, t, losses):
    """The loss where a logit is ±inf: (1 − t)·x for x = +inf and −t·x for x = −inf, which
    is 0 where that weight is 0 (a certain, correct prediction) rather than ∞ − ∞ = NaN."""
    zero, one = t.dtype.type(0), t.dtype.type(1)  # as in `BCEWithLogits.forward`
    weight = np.where(x > 0, one - t, t)
    exact = np.where(weight == 0, zero, weight * np.abs(x))
    return np.where(np.isinf(x), exact, losses)


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


def label_weights(t: np.ndarray, c: int, dtype, w, ignore_index: int, smoothing: float = 0.0):
    """For class labels t (N,) and C classes: the target q (N, C) in ``dtype`` --
    (1 − ε)·w[yₙ] at each label plus ε/C·w in its row, 0 in a row whose label is
    ``ignore_index`` (w is 1 when None) --, the mask of the rows kept, and the mean's
    divisor D = Σ w[yₙ] over them (their number without weights). Shared by
    `WeightedSoftmaxWithLoss` and `nll_loss` (ε = 0)."""
    keep = t != ignore_index
    rows, labels = np.flatnonzero(keep), t[keep]
    q = np.zeros((len(t), c), dtype)
    if smoothing:
        q[rows] = (smoothing / c) * (np.ones(c, dtype) if w is None else w)
    q[rows, labels] += (1 - smoothing) * (1 if w is None else w[labels])
    d = len(rows) if w is None else w[labels].sum(dtype=dtype)
    return q, keep, d


def _check_no_ignore_index(ignore_index: int, shape: tuple) -> None:
    """ignore_index names a class label; probability targets have none (PyTorch refuses
    it too). The default, -100, is accepted: it is there without being asked for."""
    if ignore_index != IGNORE_INDEX:
        labels = "(N,)" if len(shape) == 2 else "(N, d₁, …)"
        raise ValueError(
            f"cross_entropy: ignore_index={ignore_index} applies to class labels {labels} only, "
            f"not to probability targets of shape {shape}; leave it at its default "
            f"({IGNORE_INDEX}) or give a zero row to leave a sample out"
        )


def _over(total, d):
    """``total / d`` for the mean's divisor: a count (see `divided`) or a sum of weights;
    NaN when there is none (every label ignored, or all their weights 0), as in PyTorch."""
    if isinstance(d, int):
        return divided(total, d)
    return total / d if d.ndim == 0 else total.dtype.type(np.nan)


def _scaled(local, grad_out, d, reduction: str):
    """`_times_upstream` with the mean's divisor ``d``: a count, a sum of weights, or (for
    labels whose weights sum to 0) one per row, 1 where the row is ignored, so that an
    ignored row's gradient is 0 rather than 0/0, and NaN where it is kept: its gradient is
    NaN, as the loss is (label smoothing gives such a row a nonzero q, which over 0 would
    be ±inf), as in PyTorch."""
    if reduction != "mean" or isinstance(d, int):
        return _times_upstream(local, grad_out, d, reduction)
    return local * grad_out / d


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
_BCE = {"mean": BCEWithLogits, "sum": BCEWithLogitsSum, "none": BCEWithLogitsPerElement}


# ----- functions ----------------------------------------------------------------------------
def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _as_prediction(x, target) -> Tensor:
    """The prediction (logits) as a floating Tensor: an integer or bool one takes the
    target's float dtype, or float64 (as NumPy computes integers) when the target has none,
    so that the target is never cast to an integer dtype (0.5 truncated to 0)."""
    x = _as_tensor(x)
    if x.dtype.kind not in "biu":
        return x
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    dtype = t.dtype if t.dtype.kind == "f" else np.dtype(np.float64)
    return as_float(x, dtype)


def _as_target(target, like: Tensor, keep_integers: bool = False):
    """A data target as an array of ``like``'s dtype; a target requiring grad stays in the
    graph, cast to that dtype by a recorded node (so its second derivatives flow too)."""
    if isinstance(target, Tensor):
        if target.requires_grad:
            return target if target.dtype == like.dtype else target.astype(like.dtype)
        target = target.data
    target = np.asarray(target)
    if keep_integers and target.dtype.kind in "iu":
        return target
    return target.astype(like.dtype, copy=False)


def cross_entropy(
    logits,
    target,
    reduction: str = "mean",
    *,
    weight=None,
    ignore_index: int = IGNORE_INDEX,
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of (N, C) logits against class labels (N,) or probability /
    one-hot targets (N, C): the mean over the N samples, their sum (``reduction="sum"``) or
    each sample's loss, shape (N,) (``"none"``); one fused node (see `SoftmaxWithLoss`).

    Logits (N, C, d₁, …) (per pixel, per token), as in PyTorch: the classes on axis 1, the
    target class labels (N, d₁, …) or probabilities of the logits' shape. Each of the
    N·d₁·… positions is a sample: "mean" averages over all of them (weighted, and leaving
    out ignore_index, as below), "none" gives shape (N, d₁, …). Computed as the (N·d₁·…, C)
    rows of the logits with the classes moved last, by the same fused node.

    PyTorch's options, keyword-only, with its semantics (C classes, log pₙ = log softmax(xₙ)):

    - ``weight``: one non-negative number per class, shape (C,); data, not differentiated.
      Sample n costs w[yₙ]·(−log pₙ[yₙ]) for a label, Σₖ wₖ·tₙₖ·(−log pₙₖ) for probabilities.
      With labels, "mean" divides by the weights' sum Σₙ w[yₙ] instead of N (PyTorch's
      weighted mean); with probability targets it divides by N, as PyTorch does.
    - ``ignore_index``: a label (any int, default -100) whose rows cost 0, get gradient 0
      and are not counted by "mean" (a batch of only such rows: NaN, as in PyTorch). Class
      labels only: another value with probability targets is an error, as in PyTorch.
    - ``label_smoothing`` ε in [0, 1]: the target becomes (1 − ε)·t + ε/C (t the one-hot
      label or the probability row), weighted by w per class, so a label costs
      (1 − ε)·w[yₙ]·(−log pₙ[yₙ]) + ε/C·Σₖ wₖ·(−log pₙₖ); "mean" still divides by Σ w[yₙ].

    Any of them (or a label equal to ignore_index) gives `WeightedSoftmaxWithLoss`, the
    same fused node with the target q above: gradient (softmax·Σq − q) / D."""
    _check_reduction(reduction, "cross_entropy")
    logits = _as_prediction(logits, target)
    _check_label_dtype(target, logits)
    target = _as_target(target, logits, keep_integers=True)
    if logits.ndim > 2:  # (N, C, d₁, …): the loss of one row per position
        options = _checked_options("cross_entropy", weight, ignore_index, label_smoothing)
        return _cross_entropy_per_position(logits, target, reduction, options)
    if weight is None and label_smoothing == 0 and ignore_index == IGNORE_INDEX:
        try:
            return _CROSS_ENTROPY[reduction]()(logits, target)
        except _IgnoredLabelError:  # labels of -100 in the batch: their rows are left out
            return _WEIGHTED[reduction]()(logits, target)
    options = _checked_options("cross_entropy", weight, ignore_index, label_smoothing)
    _check_weight_length("cross_entropy", options[0], logits.shape)
    return _WEIGHTED[reduction](*options)(logits, target)


def _cross_entropy_per_position(logits: Tensor, target, reduction: str, options: tuple):
    """cross_entropy of logits (N, C, d₁, …): the 2-D loss of their rows (M, C), one per
    position (M = N·d₁·…), so the fused nodes and the options apply as they stand; "none"
    gives the losses the shape (N, d₁, …)."""
    weight, ignore_index, smoothing = options
    _check_weight_length("cross_entropy", weight, logits.shape)
    check_positions("cross_entropy", logits, target, ignore_index, reduction)
    rows, target = positions_as_rows(logits, target)
    out = cross_entropy(
        rows,
        target,
        reduction,
        weight=weight,
        ignore_index=ignore_index,
        label_smoothing=smoothing,
    )
    return per_position(out, logits.shape, reduction)


def check_positions(
    loss: str, x: Tensor, t, ignore_index: int, reduction: str, inputs: str = "logits"
) -> None:
    """The target of an input (N, C, d₁, …) -- ``inputs`` words it --, checked against the
    input's own shapes before `positions_as_rows` flattens both: labels (N, d₁, …) in
    0..C−1 or ``ignore_index`` (their position named in the shape given), or, for
    cross_entropy, probabilities of the input's shape; a mean over at least one position.
    """
    labels = label_shape(x.shape)
    if loss == "cross_entropy" and t.shape == x.shape:
        _check_no_ignore_index(ignore_index, t.shape)
    elif t.shape != labels:
        raise ValueError(_positions_mismatch(loss, x.shape, t.shape, inputs))
    if reduction == "mean":
        _check_nonempty(loss, math.prod(labels), x, t)
    c = x.shape[1]
    if c == 0 and math.prod(labels):
        raise ValueError(f"{loss}: {inputs} of shape {x.shape} have no classes")
    if t.shape == labels and t.size and (t.min() < 0 or t.max() >= c):
        _check_out_of_range(t, c, ignore_index, loss)


def label_shape(shape: tuple) -> tuple:
    """The class labels' shape for an input of ``shape``: (N, d₁, …) for (N, C, d₁, …)."""
    return (shape[0], *shape[2:])


def _positions_mismatch(loss: str, shape: tuple, t_shape: tuple, inputs: str) -> str:
    """The message for a target that fits an input (N, C, d₁, …) neither way, with a hint
    when the classes are last (Keras's layout) rather than on axis 1."""
    labels = label_shape(shape)
    if loss == "cross_entropy":
        text = (
            f"cross_entropy: a target of shape {t_shape} fits neither class labels of shape "
            f"{labels} nor probabilities of shape {shape} for logits of shape {shape}"
        )
    else:
        text = (
            f"{loss}: the target has shape {t_shape}, but {inputs} of shape {shape} take "
            f"class labels of shape {labels}"
        )
    last, hint = len(shape) - 1, " (the classes are on axis 1, as in PyTorch: for"
    if t_shape == shape[:-1]:
        order = (0, last, *range(1, last))
        return f"{text}{hint} {inputs} with the classes last, call .permute{order} first)"
    if loss == "cross_entropy" and t_shape == (*labels, shape[1]):
        return f"{text}{hint} a target with the classes last, np.moveaxis(target, -1, 1))"
    return text


def positions_as_rows(x: Tensor, t) -> tuple:
    """An input (N, C, d₁, …) as rows (M, C), M = N·d₁·…, the class axis moved last, and
    its target as labels (M,) or probability rows (M, C) in the same order; permute and
    reshape are recorded ops, so gradients flow back in the input's own shape."""
    c = x.shape[1]
    m = math.prod(label_shape(x.shape))  # not −1: (M, 0) has no size to divide
    rows = _classes_last(x).reshape(m, c)
    return rows, _classes_last(t).reshape(m, c) if t.shape == x.shape else t.reshape(m)


def _classes_last(a):
    """(N, C, d₁, …) → (N, d₁, …, C), for a Tensor or an array."""
    axes = (0, *range(2, a.ndim), 1)
    return a.permute(*axes) if is_tensor(a) else a.transpose(axes)


def per_position(out: Tensor, shape: tuple, reduction: str) -> Tensor:
    """The rows' loss for an input of ``shape``: per row (M,) back to (N, d₁, …) for
    "none"; a mean or a sum as it is."""
    return out.reshape(label_shape(shape)) if reduction == "none" else out


def _checked_options(loss: str, weight, ignore_index, label_smoothing) -> tuple:
    """(weight as a float64 array or None, ignore_index, label_smoothing), each checked."""
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(
        ignore_index, (int, np.integer)
    ):
        raise TypeError(
            f"{loss}: ignore_index must be an int (a class label whose rows are left out), "
            f"got {ignore_index!r} of type {type(ignore_index).__name__}"
        )
    return (
        _checked_weight(loss, weight),
        int(ignore_index),
        _checked_smoothing(loss, label_smoothing),
    )


def _checked_smoothing(loss: str, label_smoothing) -> float:
    if isinstance(label_smoothing, (bool, np.bool_)) or not isinstance(
        label_smoothing, (int, float, np.integer, np.floating)
    ):
        raise TypeError(
            f"{loss}: label_smoothing must be a number in [0, 1], got {label_smoothing!r} "
            f"of type {type(label_smoothing).__name__}"
        )
    if not 0 <= label_smoothing <= 1:  # NaN fails too
        raise ValueError(f"{loss}: label_smoothing must be in [0, 1], got {label_smoothing!r}")
    return float(label_smoothing)


def _checked_weight(
    loss: str, weight, per_class: bool = True, name: str = "weight"
) -> np.ndarray | None:
    """The class weights as a float64 array of shape (C,): finite and non-negative. With
    ``per_class=False`` (`binary_cross_entropy`'s weight per element) any shape is taken;
    the caller checks that it broadcasts to the input. ``name``: the argument the errors
    name (``pos_weight``)."""
    if weight is None:
        return None
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    each = "one per class" if per_class else "one per element or a shape that broadcasts"
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{loss}: {name} must be numbers, {each}, got dtype {w.dtype}")
    if per_class and w.ndim != 1:
        raise ValueError(
            f"{loss}: weight must be one number per class, shape (C,), got shape {w.shape}"
        )
    w = w.astype(np.float64)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = np.flatnonzero(bad)[0]
        where = (
            f"class {i}"
            if per_class
            else f"position {tuple(int(k) for k in np.unravel_index(i, w.shape))}"
        )
        raise ValueError(
            f"{loss}: {name} must be finite and non-negative, got {w.flat[i]} for {where}"
        )
    return w


def _check_weight_length(
    loss: str, weight: np.ndarray | None, shape: tuple, inputs: str = "logits"
) -> None:
    """One weight per class: ``inputs`` names the (N, C, …) input (logits,
    log-probabilities)."""
    if weight is not None and len(shape) >= 2 and len(weight) != shape[1]:
        raise ValueError(
            f"{loss}: weight has {len(weight)} values, but the {inputs} of shape {shape} have "
            f"{shape[1]} classes: give one weight per class"
        )


def _check_label_dtype(target, logits: Tensor) -> None:
    """Class labels (N,), or (N, d₁, …) for logits (N, C, d₁, …), that are not integers,
    named with the dtype the caller passed (before `_as_target` converts a float target to
    the logits' dtype)."""
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if is_label_shaped(t, logits.shape) and t.dtype.kind not in "iu":
        raise ValueError(
            f"cross_entropy: class labels must be integers, got dtype {t.dtype}; give them "
            "as an integer array (np.array(labels) or cr.tensor(labels, dtype='int64'): "
            "Python lists become float32 tensors). Probability or one-hot targets have the "
            f"logits' shape {logits.shape}"
        )


def is_label_shaped(t: np.ndarray, shape: tuple) -> bool:
    """Whether ``t`` is meant as class labels for an input of ``shape``: any (K,) for
    (N, C) (the shape check names a wrong K), (N, d₁, …) exactly for (N, C, d₁, …)."""
    if len(shape) > 2:
        return t.shape == label_shape(shape)
    return t.ndim == 1 and len(shape) == 2


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


def _broadcast_weight(who: str, name: str, weight, logits: Tensor) -> np.ndarray | None:
    """``weight`` checked (finite, non-negative numbers) as an array of the logits' dtype
    that broadcasts to their shape, or None."""
    w = _checked_weight(who, weight, per_class=False, name=name)
    if w is None:
        return None
    check_broadcasts(who, f"{name} of shape {w.shape}", w.shape, "the logits'", logits.shape)
    return w.astype(logits.dtype)


def check_broadcasts(who: str, what: str, shape: tuple, whose: str, to: tuple) -> None:
    """A ValueError unless ``shape`` broadcasts to ``to`` without growing it: "``who``:
    ``what`` does not broadcast to ``whose`` shape ``to``"."""
    try:
        fits = np.broadcast_shapes(shape, to) == to
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{who}: {what} does not broadcast to {whose} shape {to}")


def mse_loss(pred, target, reduction: str = "mean") -> Tensor:
    """Squared error (pred − target)², averaged ("mean", over every element), summed
    ("sum") or kept elementwise ("none"). The shapes must match: nothing is broadcast."""
    pred, target = regression_pair("mse_loss", pred, target, reduction)
    diff = pred - target
    return reduced(diff * diff, reduction)


def reduced(losses: Tensor, reduction: str) -> Tensor:
    """Elementwise ``losses`` as ``reduction`` says: their mean, their sum, or themselves
    ("none")."""
    if reduction == "none":
        return losses
    return losses.mean() if reduction == "mean" else losses.sum()


def regression_pair(loss: str, pred, target, reduction: str) -> tuple:
    """(prediction, target) of an elementwise loss (``loss`` names it): the reduction
    checked, an integer prediction made floating and the target cast to its dtype (see
    `_as_prediction`, `_as_target`), the shapes equal (nothing is broadcast) and a batch
    to average not empty."""
    _check_reduction(reduction, loss)
    pred = _as_prediction(pred, target)
    target = _as_target(target, pred)
    if target.shape != pred.shape:
        hint = _reshape_hint(pred.shape, target.shape)
        raise ValueError(
            f"{loss}: the target has shape {target.shape}, but the prediction has shape "
            f"{pred.shape}; they must match, nothing is broadcast{hint}"
        )
    if reduction == "mean":
        _check_nonempty(loss, pred.size, pred, target)
    return pred, target


def _reshape_hint(pred_shape: tuple, target_shape: tuple) -> str:
    """How to make the target fit, when it has as many elements as the prediction: for a
    batch of rows the number of rows is -1, so that the same call fits the whole data set
    (Keras's y of shape (N,) for outputs of shape (N, 1)), not only a batch of its size."""
    if math.prod(target_shape) != math.prod(pred_shape):
        return ""
    shape = tuple(pred_shape)
    if len(shape) >= 2 and target_shape[:1] == shape[:1]:
        shape = (-1, *shape[1:])
    return f" (reshape the target: target.reshape{shape})"


def _check_reduction(reduction, loss: str | None = None) -> str:
    """``reduction`` when it is "mean", "sum" or "none", else a ValueError that names
    ``loss`` when given. For the losses whose first argument after the inputs is
    ``weight`` in PyTorch (cross-entropy, BCE on logits), numbers there are a TypeError
    that says so."""
    if loss in _WEIGHT_FIRST and not isinstance(reduction, str) and _is_numbers(reduction):
        raise TypeError(
            f"{loss}: reduction must be one of {_REDUCTIONS}, got a {type(reduction).__name__}"
            " (PyTorch's first argument is weight; here the options are keywords: "
            f"{_WEIGHT_FIRST[loss]})"
        )
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        where = f"{loss}: " if loss else ""
        raise ValueError(f"{where}reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


_CROSS_ENTROPY_OPTIONS = "weight=..., ignore_index=..., label_smoothing=..."
_BCE_OPTIONS = "weight=..., pos_weight=..."
#: the losses whose first option in PyTorch is ``weight``, with their keyword options
_WEIGHT_FIRST = {
    "cross_entropy": _CROSS_ENTROPY_OPTIONS,
    "CrossEntropyLoss": _CROSS_ENTROPY_OPTIONS,
    "SoftmaxCrossEntropy": _CROSS_ENTROPY_OPTIONS,
    "SoftmaxWithLoss": _CROSS_ENTROPY_OPTIONS,
    "binary_cross_entropy_with_logits": _BCE_OPTIONS,
    "BCEWithLogitsLoss": _BCE_OPTIONS,
}


def _is_numbers(value) -> bool:
    """Whether ``value`` looks like PyTorch's class weights: a tensor, array or sequence."""
    return isinstance(value, (Tensor, np.ndarray, list, tuple))


# ----- modules ------------------------------------------------------------------------------
class _Loss(Module):
    """A loss module: its ``reduction`` ("mean", "sum" or "none"), checked when made."""

    def __init__(self, reduction: str = "mean"):
        self.reduction = _check_reduction(reduction, type(self).__name__)

    def extra_repr(self) -> str:
        return self.settings()

    def settings(self, **shown) -> str:
        """The repr's settings: ``reduction`` unless "mean", then each of ``shown`` that is
        not None (a subclass passes None for a setting at its default)."""
        parts = [] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]
        parts += [f"{name}={value}" for name, value in shown.items() if value is not None]
        return ", ".join(parts)


class MSELoss(_Loss):
    """Mean squared error ``loss(pred, target)``; see `mse_loss` for ``reduction``."""

    def forward(self, pred, target) -> Tensor:
        return mse_loss(pred, target, self.reduction)


class SoftmaxCrossEntropy(_Loss):
    """The tutorials' Softmax-with-Loss: ``loss(logits, target)`` with class labels (N,) or
    one-hot / probability targets (N, C); gradient (softmax − target) / N. ``reduction``:
    "mean" (the default), "sum" or "none" (see `cross_entropy`). Logits (N, C, d₁, …) take
    labels (N, d₁, …) or probabilities of their shape, as in PyTorch: every position is a
    sample, and "none" gives shape (N, d₁, …).

    PyTorch's keyword options ``weight`` (C,), ``ignore_index`` (default -100) and
    ``label_smoothing`` (ε in [0, 1]) have PyTorch's semantics, checked here (the weight's
    length when called): the target becomes q = w·((1 − ε)·t + ε/C), 0 for an ignored row,
    and "mean" divides by Σ w[yₙ] over the labels not ignored (by N for probability
    targets); the gradient is (softmax·Σq − q) / D. See `cross_entropy`. The weight is a
    buffer, in ``state_dict()`` as ``weight``, as in PyTorch.
    """

    def __init__(
        self,
        reduction: str = "mean",
        *,
        weight=None,
        ignore_index: int = IGNORE_INDEX,
        label_smoothing: float = 0.0,
    ):
        super().__init__(reduction)
        name = type(self).__name__
        weight, self.ignore_index, self.label_smoothing = _checked_options(
            name, weight, ignore_index, label_smoothing
        )
        self.register_buffer("weight", weight)  # in state_dict(), as PyTorch's (not if None)

    def forward(self, logits, target) -> Tensor:
        return cross_entropy(
            logits,
            target,
            self.reduction,
            weight=self.weight,
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
        )

    def extra_repr(self) -> str:
        return self.settings(
            weight=None if self.weight is None else self.weight.tolist(),
            ignore_index=None if self.ignore_index == IGNORE_INDEX else self.ignore_index,
            label_smoothing=self.label_smoothing or None,
        )


CrossEntropyLoss = SoftmaxCrossEntropy


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
