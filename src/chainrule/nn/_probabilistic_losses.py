"""The probabilistic losses: the Kullback-Leibler divergence `kl_div` / `KLDivLoss` and
the Poisson and Gaussian negative log-likelihoods, with their modules.

Each is composed from core ops (``exp``, ``log``, ``xlogy``), so gradients come from the
engine. The checks are `_losses.py`'s: a target of another shape than the input is an
error (nothing is broadcast) except where PyTorch documents a broadcast
(`gaussian_nll_loss`'s variance and target), and a reduction is "mean", "sum" or "none"
("batchmean" too for `kl_div`).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import ops
from .._anomaly import user_frame
from .._tensor import Tensor
from ._loss_parts import _check_flag, _data
from ._losses import (
    _as_prediction,
    _as_target,
    _check_reduction,
    _Loss,
    reduced,
    regression_pair,
)
from ._similarity import _check_real, _clamp_offset

_KL_REDUCTIONS = ("batchmean", "mean", "none", "sum")


# ----- Kullback-Leibler -----------------------------------------------------------------------
def kl_div(input, target, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """The Kullback-Leibler divergence of ``target`` from the distribution whose
    log-probabilities are ``input``, PyTorch's ``F.kl_div``, elementwise:

        t·(ln t − x)           (log_target=False; 0 where t = 0, xlogy's convention)
        eᵗ·(t − x)             (log_target=True: the target is log-probabilities too)

    then reduced: "batchmean" sums and divides by the batch size (input.shape[0]), the KL
    divergence per sample; "sum"; "none" (each element); "mean" divides by the number of
    elements, as PyTorch's does, and warns as PyTorch does that "batchmean" is the KL
    divergence. A zero target gives 0 and a finite gradient (PyTorch's gradient in the
    target is NaN there). The shapes must match."""
    if reduction not in _KL_REDUCTIONS:
        raise ValueError(f"kl_div: reduction must be one of {_KL_REDUCTIONS}, got {reduction!r}")
    log_target = _check_flag("kl_div", "log_target", log_target)
    if reduction == "mean":
        warnings.warn(_KL_MEAN, UserWarning, stacklevel=user_frame()[1])
    x, t = regression_pair("kl_div", input, target, "mean" if reduction == "mean" else "sum")
    losses = ops.exp(t) * (t - x) if log_target else ops.xlogy(t, t) - t * x
    if reduction != "batchmean":
        return reduced(losses, reduction)
    return losses.sum() / x.shape[0] if x.ndim else losses.sum()


_KL_MEAN = (
    "kl_div: reduction='mean' divides the total by the number of elements (batch and "
    "classes alike), as PyTorch's; reduction='batchmean' divides by the batch size only, "
    "which is the KL divergence"
)


# ----- negative log-likelihoods -------------------------------------------------------------------
def poisson_nll_loss(
    input,
    target,
    log_input: bool = True,
    full: bool = False,
    eps: float = 1e-8,
    reduction: str = "mean",
) -> Tensor:
    """PyTorch's ``F.poisson_nll_loss``: the negative log-likelihood of targets t under a
    Poisson distribution of rate λ, elementwise and up to constants,

        eˣ − t·x               (log_input=True: the input is x = ln λ)
        x − t·ln(x + eps)      (log_input=False: the input is λ)

    plus, with ``full``, Stirling's t·ln t − t + ½·ln(2πt) where t > 1 (0 elsewhere). The
    shapes must match."""
    log_input = _check_flag("poisson_nll_loss", "log_input", log_input)
    full = _check_flag("poisson_nll_loss", "full", full)
    eps = _check_real("poisson_nll_loss", "eps", eps)
    x, t = regression_pair("poisson_nll_loss", input, target, reduction)
    losses = ops.exp(x) - t * x if log_input else x - t * ops.log(x + eps)
    if full:
        losses = losses + _stirling(t)
    return reduced(losses, reduction)


def _stirling(t) -> Tensor:
    """t·ln t − t + ½·ln(2πt) where t > 1, else 0 (PyTorch's ``masked_fill``)."""
    above = _data(t) > 1
    safe = ops.where(above, t, np.full((), 2, _data(t).dtype))  # no log of 0 or less
    term = ops.xlogy(safe, safe) - safe + 0.5 * ops.log(2 * math.pi * safe)
    return ops.where(above, term, np.zeros((), _data(t).dtype))


def gaussian_nll_loss(
    input, target, var, full: bool = False, eps: float = 1e-6, reduction: str = "mean"
) -> Tensor:
    """PyTorch's ``F.gaussian_nll_loss``: the negative log-likelihood of targets t under
    normal distributions of means x and variances v, elementwise,

        ½·(ln max(v, eps) + (x − t)² / max(v, eps))   (+ ½·ln 2π with ``full``)

    The clamp at eps is PyTorch's, outside the graph: the gradient in v is that of the
    formula at the clamped value, as if unclamped. ``var`` has the input's shape, or one
    axis of size 1, or the input's shape without its last axis (homoscedastic), or is a
    number; a negative variance is an error. The target has the input's shape or one
    axis of size 1 (PyTorch's documented broadcasts)."""
    full = _check_flag("gaussian_nll_loss", "full", full)
    eps = _check_real("gaussian_nll_loss", "eps", eps)
    _check_reduction(reduction, "gaussian_nll_loss")
    x = _as_prediction(input, target)
    t = _gaussian_target(target, x)
    v = _checked_var(var, x)
    v = v + _clamp_offset(_data(v), eps)  # clamp, no graph
    diff = x - t
    losses = 0.5 * (ops.log(v) + diff * diff / v)
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return reduced(losses, reduction)


def _gaussian_target(target, x: Tensor):
    t = _as_target(target, x)
    if t.shape != x.shape and not _one_axis_of_one(x.shape, t.shape):
        raise ValueError(
            f"gaussian_nll_loss: the target has shape {t.shape}, but the input has shape "
            f"{x.shape}; they must match, or differ in one axis where the target's size is 1"
        )
    return t


def _one_axis_of_one(shape: tuple, other: tuple) -> bool:
    """PyTorch's test: as many axes, and the sizes of ``other`` where they differ sum to 1."""
    return len(shape) == len(other) and sum(b for a, b in zip(shape, other) if a != b) == 1


def _checked_var(var, x: Tensor):
    """The variance, PyTorch's checks: a number, or an array of a shape PyTorch takes."""
    if isinstance(var, (int, float, np.integer, np.floating)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
        return np.full(x.shape, var, x.dtype)
    v = _as_target(var, x)
    if (_data(v) < 0).any():
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    if v.shape == x.shape or _one_axis_of_one(x.shape, v.shape):
        return v
    if x.ndim and v.shape == x.shape[:-1]:  # one variance per row: a last axis of 1
        return ops.reshape(v, *v.shape, 1) if isinstance(v, Tensor) else v[..., None]
    raise ValueError(
        f"gaussian_nll_loss: var is of incorrect size {v.shape} for an input of shape "
        f"{x.shape} (the input's shape, one axis of size 1, or one axis fewer)"
    )


# ----- modules ------------------------------------------------------------------------------
class KLDivLoss(_Loss):
    """The Kullback-Leibler divergence ``loss(log_probs, target)``: t·(ln t − x) elementwise
    (eᵗ·(t − x) with ``log_target``), reduced by "batchmean" (the KL divergence per
    sample), "sum", "none" or "mean" (over every element, PyTorch's default, which warns).
    See `kl_div`."""

    def __init__(self, reduction: str = "mean", log_target: bool = False):
        if reduction not in _KL_REDUCTIONS:
            raise ValueError(
                f"KLDivLoss: reduction must be one of {_KL_REDUCTIONS}, got {reduction!r}"
            )
        self.reduction = reduction
        self.log_target = _check_flag("KLDivLoss", "log_target", log_target)

    def forward(self, log_probs, target) -> Tensor:
        return kl_div(log_probs, target, self.reduction, self.log_target)

    def extra_repr(self) -> str:
        return self.settings(log_target=self.log_target or None)


class PoissonNLLLoss(_Loss):
    """``loss(x, t)``: eˣ − t·x (``log_input``), or x − t·ln(x + eps), plus Stirling's term
    with ``full``. See `poisson_nll_loss`."""

    def __init__(self, log_input=True, full=False, eps: float = 1e-8, reduction="mean"):
        super().__init__(reduction)
        self.log_input = _check_flag("PoissonNLLLoss", "log_input", log_input)
        self.full = _check_flag("PoissonNLLLoss", "full", full)
        self.eps = _check_real("PoissonNLLLoss", "eps", eps)

    def forward(self, input, target) -> Tensor:
        return poisson_nll_loss(input, target, self.log_input, self.full, self.eps, self.reduction)

    def extra_repr(self) -> str:
        return self.settings(
            log_input=None if self.log_input else False,
            full=self.full or None,
            eps=None if self.eps == 1e-8 else self.eps,
        )


class GaussianNLLLoss(_Loss):
    """``loss(x, t, var)``: ½·(ln max(v, eps) + (x − t)²/max(v, eps)) elementwise (+ ½·ln 2π
    with ``full``); keyword arguments, as PyTorch's. See `gaussian_nll_loss`."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction)
        self.full = _check_flag("GaussianNLLLoss", "full", full)
        self.eps = _check_real("GaussianNLLLoss", "eps", eps)

    def forward(self, input, target, var) -> Tensor:
        return gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)

    def extra_repr(self) -> str:
        return self.settings(full=self.full or None, eps=None if self.eps == 1e-6 else self.eps)
