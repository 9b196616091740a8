"""`cross_entropy` and `SoftmaxCrossEntropy` (= `CrossEntropyLoss`): the fused nodes of
`_softmax_with_loss.py` on logits (N, C), or on the rows of logits (N, C, d₁, …)."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._class_targets import (
    IGNORE_INDEX,
    _check_weight_length,
    _checked_options,
    _IgnoredLabelError,
    check_positions,
    is_label_shaped,
    per_position,
    positions_as_rows,
)
from ._losses import _as_prediction, _as_target, _check_reduction, _Loss
from ._softmax_with_loss import _CROSS_ENTROPY, _WEIGHTED


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
