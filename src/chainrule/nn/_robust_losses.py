"""L1, smooth L1 and Huber, the robust regression losses, with their modules.

They are composed from core ops (|x| and `where`): their gradients are PyTorch's
(sign(x), 0 at x = 0; x/β inside |x| < β) and second derivatives come for free. Targets
are data, as in `_losses.py`: a target of another shape than the prediction is an error
(nothing is broadcast) and an integer prediction or target is made floating.
"""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ..ops import where
from ._losses import _Loss, reduced, regression_pair


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
