"""Layers for (N, C, H, W) feature maps: `BatchNorm2d`, `GroupNorm`, `Dropout2d` and the
functions `group_norm`, `dropout2d`, with PyTorch's arguments, defaults, parameters,
buffers and reprs.

All are composed from core ops (mean, subtraction, multiplication, sqrt, division, a
broadcast mask), so their gradients need no rule of their own. Per-channel vectors are
reshaped to (C, 1, 1) to broadcast over H and W. `BatchNorm2d` shares `_BatchNorm` and the
function `batch_norm` with `BatchNorm1d` (``_batch_norm.py``).
"""

from __future__ import annotations

import warnings

import numpy as np

from .._arguments import check_counts, flag
from .._tensor import Tensor
from ..ops._common import as_float
from ._batch_norm import _affine, _BatchNorm, _check_channels
from ._layers import (
    Dropout,
    _check_probability,
    _generator,
    _inplace,
    _parameter_dtype,
    check_eps,
)
from ._module import Module, Parameter
from ._norm import _as_input, _float_dtype, _normalise

# ----- batch normalisation --------------------------------------------------------------------


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs per channel, as PyTorch's
    ``nn.BatchNorm2d`` (see `batch_norm`): μ and σ² over N, H and W. Arguments,
    parameters and buffers as `BatchNorm1d`'s (`_BatchNorm`'s)."""

    def _check_input(self, x: Tensor) -> None:
        if x.ndim != 4 or x.shape[1] != self.num_features:
            c = self.num_features
            raise ValueError(
                f"BatchNorm2d({c}) expects inputs of shape (N, {c}, H, W), got {x.shape}"
            )


# ----- group normalisation --------------------------------------------------------------------
def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Group normalisation, as PyTorch's ``F.group_norm``: the C channels of an (N, C, …)
    input are split into ``num_groups`` groups of C/G consecutive channels, each sample's
    group normalised by its own mean and biased variance (over its channels and the axes
    after them), then y = x̂ · weight + bias per channel (each (C,), optional). Train and
    eval modes compute the same thing. An integer or bool input is computed in
    ``weight``'s dtype, or the default one."""
    who = "group_norm"
    check_counts(who, num_groups=num_groups)
    check_eps(who, eps, "a group whose values are all equal")
    x = _as_input(input, _float_dtype(weight))
    _check_channels(who, x, weight=weight, bias=bias)
    if x.shape[1] % num_groups:
        raise ValueError(
            f"{who}: the {x.shape[1]} channels cannot be split into {num_groups} equal groups"
        )
    grouped = x.reshape(x.shape[0], num_groups, -1)  # (N, G, C/G · H · W)
    normed = _normalise(grouped, 1, None, None, eps).reshape(x.shape)
    return _affine(normed, weight, bias)


class GroupNorm(Module):
    """Group normalisation, as PyTorch's ``nn.GroupNorm`` (see `group_norm`): ``weight``
    (ones) and ``bias`` (zeros) of shape (num_channels,), none with ``affine=False`` and no
    bias with ``bias=False`` (PyTorch's keyword). No
    running statistics: train and eval modes compute the same thing."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        *,
        bias: bool = True,
        dtype=None,
    ):
        check_counts("GroupNorm", num_groups=num_groups, num_channels=num_channels)
        if num_channels % num_groups:
            raise ValueError("GroupNorm: num_channels must be divisible by num_groups")
        check_eps("GroupNorm", eps, "a group whose values are all equal")
        self.num_groups, self.num_channels, self.eps = num_groups, num_channels, eps
        self.affine = flag("GroupNorm", "affine", affine)
        self._dtype = dtype = _parameter_dtype("GroupNorm", dtype)
        self.weight = Parameter(np.ones(num_channels, dtype)) if self.affine else None
        with_bias = flag("GroupNorm", "bias", bias) and self.affine
        self.bias = Parameter(np.zeros(num_channels, dtype)) if with_bias else None

    def forward(self, x) -> Tensor:
        x = _as_input(x, self._dtype if self.weight is None else self.weight.dtype)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            c = self.num_channels
            raise ValueError(f"GroupNorm expects inputs of shape (N, {c}, …), got {x.shape}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


# ----- channel dropout ------------------------------------------------------------------------
def dropout2d(
    input,
    p: float = 0.5,
    training: bool = True,
    generator: np.random.Generator | None = None,
    *,
    inplace: bool = False,
) -> Tensor:
    """Channel dropout, as PyTorch's ``F.dropout2d``: each channel of an (N, C, H, W) input
    (all its H·W values) is zeroed with probability p and the rest scaled by 1/(1 − p);
    ``training=False`` returns the input. A 3-D input is treated as PyTorch treats it, as
    (N, C, L), zeroing rows of its last axis, with PyTorch's warning. The mask comes from
    ``generator``, or the library's, as `dropout`'s; ``inplace`` changes nothing."""
    _check_probability(p, "dropout2d")
    _inplace("dropout2d", inplace)
    rng = _generator("dropout2d", generator)
    x = input if isinstance(input, Tensor) else Tensor(input)
    _check_feature_dims(x)
    if not flag("dropout2d", "training", training) or p == 0:
        return x
    return drop_channels(x, p, rng, batched=True)


def drop_channels(x: Tensor, p: float, rng: np.random.Generator, batched: bool) -> Tensor:
    """``x`` (N, C, …) with each sample's channels zeroed with probability p and the rest
    scaled by 1/(1 − p), a mask value per (sample, channel); per channel when not
    ``batched`` (``x`` is (C, …)). An integer or bool ``x`` is dropped in float64."""
    if x.dtype.kind in "biu":  # a mask of x's integer dtype could not hold 1/(1 − p)
        x = as_float(x, np.float64)
    draw = np.float32 if x.dtype == np.float32 else np.float64
    lead = x.shape[:2] if batched else x.shape[:1]
    mask = (rng.random(lead, dtype=draw) >= p).astype(x.dtype)  # (N, C) or (C,)
    if p < 1:
        mask *= 1.0 / (1.0 - p)
    mask = mask.reshape(lead + (1,) * (x.ndim - len(lead)))  # (N, C, 1, …)
    return x * mask  # d/dx = the mask, one value per channel


def _check_feature_dims(x: Tensor) -> None:
    if x.ndim == 4:
        return
    if x.ndim != 3:
        raise ValueError(
            f"dropout2d: input must be (N, C, H, W), got shape {x.shape} (use dropout)"
        )
    warnings.warn(
        "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
        "dropout behavior is desired - input is interpreted as shape (N, C, L), as PyTorch "
        "does",
        UserWarning,
        stacklevel=3,
    )


class Dropout2d(Dropout):
    """Channel dropout with probability ``p`` in training (see `dropout2d`); the identity in
    eval mode. The mask comes from ``generator``, or from the library's generator (see
    `chainrule.manual_seed`) at each call when none is given."""

    def forward(self, x) -> Tensor:
        return dropout2d(x, self.p, self.training, self.generator)
