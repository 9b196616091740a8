"""PyTorch's triplet margin losses, with a p-norm distance or a distance function of
one's own, and their modules.

Composed from core ops (``minimum`` and `_similarity`'s `pairwise_distance`), so
gradients come from the engine. The clamp at 0 is ``clamp_min``'s (gradient 1 at 0) and a
tie in the ``swap`` shares the gradient, as ``torch.min``. A mean over an empty batch is
an error, as for the other losses.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from .. import ops
from .._tensor import Tensor
from ._loss_parts import _check_flag, _clamp_min_zero, _reduced
from ._losses import _as_prediction, _as_target, _as_tensor, _check_reduction, _Loss
from ._similarity import PairwiseDistance, _check_real, pairwise_distance


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


# ----- modules ------------------------------------------------------------------------------
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
