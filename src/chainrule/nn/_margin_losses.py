"""PyTorch's margin losses for classes and embeddings: multi-class and multi-label margin,
multi-label soft margin, hinge embedding and the two triplet losses, with their modules.

Each is composed from core ops (``where``, ``take_along_axis``, ``softplus``, ``minimum``
and `_similarity`'s `pairwise_distance`), so gradients come from the engine. At a kink the
gradient is PyTorch's: the multi-class and multi-label margins count a term only where it
is positive (gradient 0 where the margin is exactly met, as PyTorch's kernels), while the
hinge embedding and triplet losses clamp with ``clamp_min`` (gradient 1 at 0); a tie in
the triplet ``swap`` shares the gradient, as ``torch.min``. A mean over an empty batch is
an error, as for the other losses.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable

import numpy as np

from .. import ops
from .._tensor import Tensor
from ._extra_losses import _check_flag, _check_signs, _clamp_min_zero, _data
from ._losses import (
    _as_prediction,
    _as_target,
    _as_tensor,
    _check_nonempty,
    _check_reduction,
    _checked_weight,
    _Loss,
    reduced,
    regression_pair,
)
from ._similarity import PairwiseDistance, _check_real, pairwise_distance


def _positive_part(z: Tensor, keep: np.ndarray) -> Tensor:
    """max(z, 0) where ``keep``, else 0, with the gradient 0 at z = 0 (PyTorch's kernels
    add a term only where z > 0)."""
    return ops.where(keep & (z.data > 0), z, np.zeros((), z.dtype))


def _reduced(who: str, losses: Tensor, reduction: str, x: Tensor, t) -> Tensor:
    if reduction == "mean":
        _check_nonempty(who, losses.size, x, _data(t))
    return reduced(losses, reduction)


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


# ----- a ±1 target ------------------------------------------------------------------------------
def hinge_embedding_loss(input, target, margin: float = 1.0, reduction: str = "mean") -> Tensor:
    """PyTorch's ``F.hinge_embedding_loss``, elementwise for distances x and targets y:

        x                     where y = 1
        max(0, margin − x)    where y = −1

    with ``clamp_min``'s gradient at the margin exactly met (−1, as PyTorch's). Targets
    other than 1 and −1 are refused (PyTorch adds both terms there); the shapes must
    match."""
    who = "hinge_embedding_loss"
    reduction = _check_reduction(reduction, who)
    margin = _check_real(who, "margin", margin)
    x, t = regression_pair(who, input, target, reduction)
    _check_signs(who, _data(t))
    zeros = np.zeros((), x.dtype)
    losses = ops.where(_data(t) == 1, x, zeros)
    losses = losses + ops.where(_data(t) == -1, _clamp_min_zero(margin - x), zeros)
    return reduced(losses, reduction)


# ----- triplets ---------------------------------------------------------------------------------
def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """PyTorch's ``F.triplet_margin_loss``: with d the p-norm distance along the last axis,
    d(a, b) = ‖a − b + eps‖ₚ (`pairwise_distance`),

        max(0, margin + d(a, p) − d(a, n))

    per triplet, d(a, n) replaced by min(d(a, n), d(p, n)) with ``swap``. ``clamp_min``'s
    gradient at 0 (1) and ``torch.min``'s at a tie (shared) are PyTorch's. The three
    inputs have one number of dimensions (at least 1) and shapes that broadcast; margin
    must be positive."""
    who = "triplet_margin_loss"
    reduction = _check_reduction(reduction, who)
    margin = _checked_margin(who, margin)
    p, eps = _check_real(who, "p", p), _check_real(who, "eps", eps)
    swap = _check_flag(who, "swap", swap)
    inputs = _triplet(who, anchor, positive, negative, broadcast=True)
    distance = functools.partial(pairwise_distance, p=p, eps=eps)
    return _triplet_loss(who, inputs, distance, margin, swap, reduction)


def triplet_margin_with_distance_loss(
    anchor,
    positive,
    negative,
    *,
    distance_function: Callable | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """PyTorch's ``F.triplet_margin_with_distance_loss``: with d = ``distance_function``
    (`pairwise_distance`, ‖a − b + 10⁻⁶‖₂, when None), per triplet

        max(0, margin + d(a, p) − d(a, n))

    d(a, n) replaced by min(d(a, n), d(p, n)) with ``swap``; gradients at 0 and at a tie
    as `triplet_margin_loss`'s. The inputs have one number of dimensions; margin must be
    positive; the keywords are PyTorch's."""
    who = "triplet_margin_with_distance_loss"
    reduction = _check_reduction(reduction, who)
    margin = _checked_margin(who, margin)
    swap = _check_flag(who, "swap", swap)
    if distance_function is not None and not callable(distance_function):
        raise TypeError(f"{who}: distance_function must be callable, got {distance_function!r}")
    default = distance_function is None
    inputs = _triplet(who, anchor, positive, negative, broadcast=default)
    distance = pairwise_distance if default else distance_function
    return _triplet_loss(who, inputs, distance, margin, swap, reduction)


def _triplet_loss(who, inputs, distance, margin, swap, reduction) -> Tensor:
    a, pos, neg = inputs
    d_ap, d_an = _as_tensor(distance(a, pos)), _as_tensor(distance(a, neg))
    if swap:
        d_an = ops.minimum(d_an, _as_tensor(distance(pos, neg)))
    losses = _clamp_min_zero(margin + d_ap - d_an)
    return _reduced(who, losses, reduction, a, neg.data)


def _checked_margin(who: str, margin) -> float:
    margin = _check_real(who, "margin", margin)
    if margin <= 0:
        raise ValueError(f"{who}: margin must be greater than 0, got {margin}")
    return margin


def _triplet(who: str, anchor, positive, negative, broadcast: bool) -> tuple:
    """The three inputs as floating Tensors of one number of dimensions (at least 1), and,
    with ``broadcast``, shapes that broadcast together."""
    a = _as_prediction(anchor, np.zeros((), np.float64))
    pos, neg = _as_target(positive, a), _as_target(negative, a)
    pos, neg = _as_tensor(pos), _as_tensor(neg)
    shapes = f"anchor {a.shape}, positive {pos.shape}, negative {neg.shape}"
    if not a.ndim == pos.ndim == neg.ndim or a.ndim == 0:
        raise ValueError(
            f"{who}: the anchor, positive and negative must have one number of dimensions "
            f"(at least 1), got {shapes}"
        )
    if broadcast:
        try:
            np.broadcast_shapes(a.shape, pos.shape, neg.shape)
        except ValueError:
            raise ValueError(f"{who}: the shapes must broadcast together, got {shapes}") from None
    return a, pos, neg


# ----- modules --------------------------------------------------------------------------------
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


class HingeEmbeddingLoss(_Loss):
    """``loss(x, y)``: x where y = 1, max(0, margin − x) where y = −1, elementwise. See
    `hinge_embedding_loss`."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = _check_real("HingeEmbeddingLoss", "margin", margin)

    def forward(self, input, target) -> Tensor:
        return hinge_embedding_loss(input, target, self.margin, self.reduction)

    def extra_repr(self) -> str:
        return self.settings(margin=None if self.margin == 1 else self.margin)


class TripletMarginLoss(_Loss):
    """``loss(anchor, positive, negative)``: max(0, margin + d(a, p) − d(a, n)) with d the
    p-norm distance ‖a − b + eps‖ₚ (the swap takes min(d(a, n), d(p, n))). See
    `triplet_margin_loss`."""

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = _checked_margin("TripletMarginLoss", margin)
        self.p = _check_real("TripletMarginLoss", "p", p)
        self.eps = _check_real("TripletMarginLoss", "eps", eps)
        self.swap = _check_flag("TripletMarginLoss", "swap", swap)

    def forward(self, anchor, positive, negative) -> Tensor:
        options = (self.margin, self.p, self.eps, self.swap, self.reduction)
        return triplet_margin_loss(anchor, positive, negative, *options)

    def extra_repr(self) -> str:
        return self.settings(
            margin=None if self.margin == 1 else self.margin,
            p=None if self.p == 2 else self.p,
            eps=None if self.eps == 1e-6 else self.eps,
            swap=self.swap or None,
        )


class TripletMarginWithDistanceLoss(_Loss):
    """``loss(anchor, positive, negative)``: max(0, margin + d(a, p) − d(a, n)) for the
    distance d given (a `PairwiseDistance` layer when None, a child module as in
    PyTorch); keyword arguments, as PyTorch's. See `triplet_margin_with_distance_loss`."""

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        who = "TripletMarginWithDistanceLoss"
        super().__init__(reduction)
        if distance_function is not None and not callable(distance_function):
            raise TypeError(f"{who}: distance_function must be callable, got {distance_function!r}")
        self.distance_function = (
            PairwiseDistance() if distance_function is None else distance_function
        )
        self.margin = _checked_margin(who, margin)
        self.swap = _check_flag(who, "swap", swap)

    def forward(self, anchor, positive, negative) -> Tensor:
        return triplet_margin_with_distance_loss(
            anchor,
            positive,
            negative,
            distance_function=self.distance_function,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )

    def extra_repr(self) -> str:
        return self.settings(
            margin=None if self.margin == 1 else self.margin, swap=self.swap or None
        )
