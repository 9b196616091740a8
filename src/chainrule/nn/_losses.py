"""What every loss shares: the reduction and its check, the prediction and the target as
the losses take them, the shape checks, the base `_Loss`, and MSE, composed from core ops.

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

from .._tensor import Tensor
from ..ops._common import as_float, divided
from ._module import Module

_REDUCTIONS = ("mean", "sum", "none")


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


def reduced(losses: Tensor, reduction: str) -> Tensor:
    """Elementwise ``losses`` as ``reduction`` says: their mean, their sum, or themselves
    ("none")."""
    if reduction == "none":
        return losses
    return losses.mean() if reduction == "mean" else losses.sum()


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


def _check_nonempty(loss: str, n: int, x: np.ndarray, t: np.ndarray) -> None:
    if n == 0:
        raise ValueError(
            f"{loss}: empty batch (input shape {x.shape}, target shape {t.shape}): a mean "
            "over nothing is undefined"
        )


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


def check_broadcasts(who: str, what: str, shape: tuple, whose: str, to: tuple) -> None:
    """A ValueError unless ``shape`` broadcasts to ``to`` without growing it: "``who``:
    ``what`` does not broadcast to ``whose`` shape ``to``"."""
    try:
        fits = np.broadcast_shapes(shape, to) == to
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{who}: {what} does not broadcast to {whose} shape {to}")


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


def _times_upstream(local, grad_out, n: int, reduction: str):
    """The local gradient times the upstream one: (local·dL)/n for "mean", local·dL for
    "sum", local·dLᵢ for "none" (a loss per row of the softmax, per element of BCE).
    Multiplied first, then divided, so that dL = 1 gives local/n exactly."""
    if reduction == "none" and grad_out.ndim < local.ndim:
        grad_out = grad_out.reshape(-1, 1)  # one loss per row
    local = local * grad_out
    return divided(local, n) if reduction == "mean" else local


def mse_loss(pred, target, reduction: str = "mean") -> Tensor:
    """Squared error (pred − target)², averaged ("mean", over every element), summed
    ("sum") or kept elementwise ("none"). The shapes must match: nothing is broadcast."""
    pred, target = regression_pair("mse_loss", pred, target, reduction)
    diff = pred - target
    return reduced(diff * diff, reduction)


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
