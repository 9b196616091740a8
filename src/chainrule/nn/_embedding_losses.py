"""The losses of a ±1 target saying whether inputs match or which ranks higher: hinge
embedding, margin ranking and cosine embedding, with their modules.

Each is composed from core ops (the cosine of `_similarity`'s norms, ``where``), so
gradients come from the engine. Where PyTorch clamps at 0 (``clamp_min``) the gradient
is 1 at the clamp, as PyTorch's.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from .._tensor import Tensor
from ._loss_parts import _clamp_min_zero, _data
from ._losses import (
    _as_prediction,
    _as_target,
    _check_reduction,
    _Loss,
    reduced,
    regression_pair,
)
from ._similarity import _check_real

_COSINE_EPSILON = 1e-12  # PyTorch's, added to each squared magnitude


def _check_signs(who: str, t: np.ndarray) -> None:
    bad = (t != 1) & (t != -1)
    if bad.any():
        value = t.flat[np.flatnonzero(bad)[0]]
        raise ValueError(f"{who}: the target must hold 1 or -1, got {value}")


# ----- one input and a ±1 target ------------------------------------------------------------
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


# ----- two inputs and a ±1 target -----------------------------------------------------------
def margin_ranking_loss(
    input1, input2, target, margin: float = 0.0, reduction: str = "mean"
) -> Tensor:
    """PyTorch's ``F.margin_ranking_loss``: elementwise

        max(0, −y·(x₁ − x₂) + margin)

    for targets y (1 where x₁ should rank higher, −1 where x₂ should); the gradient is 1
    at the clamp, as PyTorch's. The three shapes must match (PyTorch documents one shape)."""
    _check_reduction(reduction, "margin_ranking_loss")
    margin = _check_real("margin_ranking_loss", "margin", margin)
    x1 = _as_prediction(input1, target)
    x2, t = _as_tensor_like(input2, x1), _as_target(target, x1)
    _check_same_shapes("margin_ranking_loss", {"input1": x1, "input2": x2, "target": t})
    return reduced(_clamp_min_zero(-t * (x1 - x2) + margin), reduction)


def _as_tensor_like(x, like: Tensor) -> Tensor:
    """The second input, a Tensor of the first's dtype when it is an integer one."""
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    return x.astype(like.dtype) if x.dtype.kind in "biu" else x


def _check_same_shapes(who: str, tensors: dict) -> None:
    shapes = {name: tuple(t.shape) for name, t in tensors.items()}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise ValueError(f"{who}: the shapes must match, nothing is broadcast; got {listed}")


def cosine_embedding_loss(
    input1, input2, target, margin: float = 0.0, reduction: str = "mean"
) -> Tensor:
    """PyTorch's ``F.cosine_embedding_loss``: with cos the cosine of each pair of rows,
    Σ x₁x₂ / √((Σ x₁² + 10⁻¹²)·(Σ x₂² + 10⁻¹²)),

        1 − cos               where the target is 1
        max(0, cos − margin)  where it is −1

    Inputs (N, D) take a target (N,), inputs (D,) a scalar target, as in PyTorch; the two
    inputs have one shape. Targets other than 1 and −1 are refused (PyTorch makes them cost
    0). Reduced by ``reduction`` over the N pairs."""
    _check_reduction(reduction, "cosine_embedding_loss")
    margin = _check_real("cosine_embedding_loss", "margin", margin)
    x1, x2, t = _cosine_triple(input1, input2, target)
    axis = t.ndim  # the features: axis 1 of (N, D), 0 of (D,)
    dot = (x1 * x2).sum(axis)
    squares = ((x1 * x1).sum(axis) + _COSINE_EPSILON) * ((x2 * x2).sum(axis) + _COSINE_EPSILON)
    cos = dot / squares.sqrt()
    zeros = np.zeros((), cos.dtype)
    losses = ops.where(_data(t) == 1, 1 - cos, zeros)
    losses = losses + ops.where(_data(t) == -1, _clamp_min_zero(cos - margin), zeros)
    return reduced(losses, reduction)


def _cosine_triple(input1, input2, target) -> tuple:
    """(x1, x2, target) checked as PyTorch checks them, plus one shape for x1 and x2 and
    targets of ±1."""
    x1 = _as_prediction(input1, target)
    x2 = _as_tensor_like(input2, x1)
    t = _as_target(target, x1)
    who = "cosine_embedding_loss"
    if t.ndim not in (0, 1):
        raise ValueError(f"{who}: 0D or 1D target tensor expected, multi-target not supported")
    if x1.ndim != t.ndim + 1 or x2.ndim != t.ndim + 1:
        raise ValueError(
            f"{who}: {t.ndim}D target tensor expects {t.ndim + 1}D input tensors, but found "
            f"inputs with sizes {x1.shape} and {x2.shape}"
        )
    _check_same_shapes(who, {"input1": x1, "input2": x2})
    if t.shape != x1.shape[:1] * t.ndim:
        raise ValueError(f"{who}: the target has shape {t.shape}, the inputs {x1.shape}")
    _check_signs(who, _data(t))
    return x1, x2, t


# ----- modules ------------------------------------------------------------------------------
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


class MarginRankingLoss(_Loss):
    """``loss(x1, x2, y)``: max(0, −y·(x₁ − x₂) + margin) elementwise. See
    `margin_ranking_loss`."""

    def __init__(self, margin: float = 0.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = _check_real("MarginRankingLoss", "margin", margin)

    def forward(self, input1, input2, target) -> Tensor:
        return margin_ranking_loss(input1, input2, target, self.margin, self.reduction)

    def extra_repr(self) -> str:
        return self.settings(margin=self.margin or None)


class CosineEmbeddingLoss(_Loss):
    """``loss(x1, x2, y)``: 1 − cos(x₁, x₂) where y = 1, max(0, cos(x₁, x₂) − margin) where
    y = −1. See `cosine_embedding_loss`."""

    def __init__(self, margin: float = 0.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = _check_real("CosineEmbeddingLoss", "margin", margin)

    def forward(self, input1, input2, target) -> Tensor:
        return cosine_embedding_loss(input1, input2, target, self.margin, self.reduction)

    def extra_repr(self) -> str:
        return self.settings(margin=self.margin or None)
