"""The negative log-likelihood of log-probabilities at class labels: the fused `NllLoss`
node, with its `Sum` and per-sample subclasses, behind `nll_loss` and `NLLLoss`.

Fused because a composed x[n, yₙ] with ``ignore_index`` would multiply a −inf
log-probability of an ignored row by 0 (NaN). The shape, label and weight checks are
`_losses.py`'s, naming the loss.
"""

from __future__ import annotations

import numpy as np

from .._function import Function
from .._tensor import Tensor
from ..ops._common import divided
from ._class_targets import (
    IGNORE_INDEX,
    _check_weight_length,
    _checked_options,
    _checked_target,
    _over,
    check_positions,
    is_label_shaped,
    label_weights,
    per_position,
    positions_as_rows,
)
from ._losses import _as_prediction, _as_target, _check_nonempty, _check_reduction, _Loss


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


# ----- module -------------------------------------------------------------------------------


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
