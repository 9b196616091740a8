"""PyTorch's margin losses over classes: multi-class and multi-label margin, and the
soft (logistic) margins for two classes and for several labels, with their modules.

Each is composed from core ops (``where``, ``take_along_axis``, ``softplus``), so
gradients come from the engine. At a kink the gradient is PyTorch's: the multi-class and
multi-label margins count a term only where it is positive (gradient 0 where the margin
is exactly met, as PyTorch's kernels). A mean over an empty batch is an error, as for the
other losses.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import ops
from .._tensor import Tensor
from ._loss_parts import _data, _reduced
from ._losses import (
    _as_prediction,
    _check_reduction,
    _checked_weight,
    _Loss,
    reduced,
    regression_pair,
)
from ._similarity import _check_real


def _positive_part(z: Tensor, keep: np.ndarray) -> Tensor:
    """max(z, 0) where ``keep``, else 0, with the gradient 0 at z = 0 (PyTorch's kernels
    add a term only where z > 0)."""
    return ops.where(keep & (z.data > 0), z, np.zeros((), z.dtype))


def _labels(who: str, target, shape: tuple) -> np.ndarray:
    """Integer class labels of ``shape``, read outside the graph."""
    t = np.asarray(_data(target))
    if t.dtype.kind not in "iu":
        raise ValueError(f"{who}: the target must hold integer class labels, got dtype {t.dtype}")
    if t.shape != shape:
        raise ValueError(f"{who}: the target has shape {t.shape}, expected {shape} for the input")
    return t


def _as_rows(who: str, x: Tensor) -> Tensor:
    """The input as rows (N, C): a vector (C,) is one row, a number one class."""
    if x.ndim > 2:
        raise ValueError(f"{who}: expected an input of shape (C,) or (N, C), got shape {x.shape}")
    return ops.reshape(x, -1, x.shape[-1] if x.ndim else 1)


def _check_range(who: str, t: np.ndarray, c: int, low: int = 0) -> None:
    bad = (t < low) | (t >= c)
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise ValueError(
            f"{who}: label {t.flat[i]} (at flat position {i}) is out of range for {c} classes "
            f"(labels must be in {low}..{c - 1})"
        )


# ----- one label per row ----------------------------------------------------------------------
def multi_margin_loss(
    input, target, p: int = 1, margin: float = 1.0, weight=None, reduction: str = "mean"
) -> Tensor:
    """PyTorch's ``F.multi_margin_loss``, the multi-class hinge loss of scores x (N, C) and
    labels y (N,), per row:

        Σ_{i ≠ y} w[y]·max(0, margin − x[y] + x[i])ᵖ / C

    with p 1 or 2 and w = 1 without ``weight`` (C,) (PyTorch's kernels weight the
    powered term). A term counts where it is positive: at the margin exactly met its
    gradient is 0, as PyTorch's. An input (C,) takes one label of shape () (or (1,), then
    the losses have shape (1,), as PyTorch's)."""
    who = "multi_margin_loss"
    reduction = _check_reduction(reduction, who)
    p, margin = _checked_p(who, p), _check_real(who, "margin", margin)
    x = _as_prediction(input, np.zeros((), np.float64))
    rows = _as_rows(who, x)
    one = x.ndim == 1 and np.shape(_data(target)) == (1,)  # PyTorch's (C,) with (1,)
    y = _labels(who, target, (1,) if one else x.shape[:1] if x.ndim == 2 else ())
    c, shape, y = rows.shape[1], y.shape, y.reshape(-1)
    _check_range(who, y, c)
    z = margin - ops.take_along_axis(rows, y[:, None], 1) + rows  # (N, C)
    h = _positive_part(z, np.arange(c) != y[:, None])
    h = h * h if p == 2 else h
    w = _class_weight(who, weight, c, x.dtype)
    h = h if w is None else h * w[y][:, None]
    losses = ops.reshape(h.sum(1) / c, shape)
    return _reduced(who, losses, reduction, x, target)


def _checked_p(who: str, p) -> int:
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real) or p not in (1, 2):
        raise ValueError(f"{who}: only p == 1 and p == 2 supported, got p={p!r}")
    return int(p)


def _class_weight(who: str, weight, c: int, dtype) -> np.ndarray | None:
    """One finite, non-negative weight per class, in the input's dtype."""
    w = _checked_weight(who, weight)
    if w is not None and len(w) != c:
        raise ValueError(f"{who}: weight has {len(w)} values for {c} classes (shape (C,))")
    return None if w is None else w.astype(dtype)


# ----- several labels per row ------------------------------------------------------------------
def multilabel_margin_loss(input, target, reduction: str = "mean") -> Tensor:
    """PyTorch's ``F.multilabel_margin_loss`` of scores x (N, C) and label lists y (N, C),
    each row's labels being those before its first −1 (the padding), per row:

        Σ_{j ∈ y} Σ_{i ∉ y} max(0, 1 − (x[j] − x[i])) / C

    (a label listed twice counts twice, as in PyTorch). A term counts where it is
    positive: at a margin exactly met its gradient is 0, as PyTorch's. Labels are −1 or
    in 0..C−1, after the padding too; an input (C,) takes a target (C,)."""
    who = "multilabel_margin_loss"
    reduction = _check_reduction(reduction, who)
    x = _as_prediction(input, np.zeros((), np.float64))
    rows = _as_rows(who, x)
    c = rows.shape[1]
    t = _labels(who, target, x.shape).reshape(rows.shape)
    _check_range(who, t, c, low=-1)
    counts = _label_counts(t, c)  # (N, C): how often each class is listed
    listed = counts > 0
    z = 1 - rows[:, :, None] + rows[:, None, :]  # (N, C, C): label j against class i
    h = _positive_part(z, listed[:, :, None] & ~listed[:, None, :])
    losses = (h * counts[:, :, None].astype(x.dtype)).sum((1, 2)) / c
    return _reduced(who, ops.reshape(losses, x.shape[:-1]), reduction, x, target)


def _label_counts(t: np.ndarray, c: int) -> np.ndarray:
    """How many times each class 0..C−1 is listed in each row of ``t`` before its first −1."""
    before_padding = np.cumprod(t != -1, axis=1).astype(bool)  # (N, C)
    hits = (t[:, :, None] == np.arange(c)) & before_padding[:, :, None]  # (N, C, C)
    return hits.sum(axis=1)


# ----- soft (logistic) margins --------------------------------------------------------------
def soft_margin_loss(input, target, reduction: str = "mean") -> Tensor:
    """PyTorch's ``F.soft_margin_loss``, the two-class logistic loss elementwise:

        ln(1 + e^(−y·x))

    computed as softplus(−y·x), finite for large −y·x; d/dx = −y·σ(−y·x). Targets y are
    1 or −1; the shapes must match."""
    x, t = regression_pair("soft_margin_loss", input, target, reduction)
    return reduced(ops.softplus(-t * x, 1.0, math.inf), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, reduction: str = "mean") -> Tensor:
    """PyTorch's ``F.multilabel_soft_margin_loss``: a logistic loss per class, averaged
    over the C classes of the last axis,

        −Σᵢ w[i]·(y[i]·ln σ(x[i]) + (1 − y[i])·ln σ(−x[i])) / C

    computed as Σ w·(y·softplus(−x) + (1 − y)·softplus(x)) / C, finite for large |x|; w = 1
    without ``weight`` (C,). Targets (0 or 1, or in between) have the input's shape."""
    who = "multilabel_soft_margin_loss"
    reduction = _check_reduction(reduction, who)
    x, t = regression_pair(who, input, target, "sum")
    if x.ndim == 0:
        raise ValueError(f"{who}: expected an input of shape (C,) or (N, C), got shape ()")
    losses = t * ops.softplus(-x, 1.0, math.inf) + (1 - t) * ops.softplus(x, 1.0, math.inf)
    w = _class_weight(who, weight, x.shape[-1], x.dtype)
    losses = losses if w is None else losses * w
    return _reduced(who, losses.sum(-1) / x.shape[-1], reduction, x, t)


# ----- modules ------------------------------------------------------------------------------
class MultiMarginLoss(_Loss):
    """``loss(scores, labels)``: Σ_{i ≠ y} w[y]·max(0, margin − x[y] + x[i])ᵖ / C per row,
    p 1 or 2; the weight (C,) is a buffer, in ``state_dict()`` as PyTorch's. See
    `multi_margin_loss`."""

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.p = _checked_p("MultiMarginLoss", p)
        self.margin = _check_real("MultiMarginLoss", "margin", margin)
        self.register_buffer("weight", _checked_weight("MultiMarginLoss", weight))

    def forward(self, input, target) -> Tensor:
        return multi_margin_loss(input, target, self.p, self.margin, self.weight, self.reduction)

    def extra_repr(self) -> str:
        return self.settings(
            p=None if self.p == 1 else self.p,
            margin=None if self.margin == 1 else self.margin,
            weight=None if self.weight is None else self.weight.tolist(),
        )


class MultiLabelMarginLoss(_Loss):
    """``loss(scores, label_lists)``: Σ_{j ∈ y} Σ_{i ∉ y} max(0, 1 − (x[j] − x[i])) / C per
    row, each list padded with −1. See `multilabel_margin_loss`."""

    def __init__(self, reduction: str = "mean"):
        super().__init__(reduction)

    def forward(self, input, target) -> Tensor:
        return multilabel_margin_loss(input, target, self.reduction)


class SoftMarginLoss(_Loss):
    """``loss(x, y)``: ln(1 + e^(−y·x)) elementwise, for targets ±1. See
    `soft_margin_loss`."""

    def forward(self, input, target) -> Tensor:
        return soft_margin_loss(input, target, self.reduction)


class MultiLabelSoftMarginLoss(_Loss):
    """``loss(logits, targets)``: −Σᵢ w[i]·(y·ln σ(x) + (1 − y)·ln σ(−x)) / C per row; the
    weight (C,) is a buffer, as PyTorch's. See `multilabel_soft_margin_loss`."""

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", _checked_weight("MultiLabelSoftMarginLoss", weight))

    def forward(self, input, target) -> Tensor:
        return multilabel_soft_margin_loss(input, target, self.weight, self.reduction)

    def extra_repr(self) -> str:
        return self.settings(weight=None if self.weight is None else self.weight.tolist())
