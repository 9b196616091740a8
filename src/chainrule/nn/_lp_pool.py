"""`LPPool1d`, `LPPool2d` and their functions `lp_pool1d`, `lp_pool2d`: power-average
pooling, composed from average pooling as PyTorch defines it,

    out = (sign(a) · relu(|a|) · kernel_numel)^(1/p),  a = avg_pool(xᵖ),

so the output is the window's p-norm (Σ xᵖ)^(1/p), and a window whose sum is 0 has
gradient 0 (relu's mask stops the root's infinite slope there), as PyTorch's. ``p = ±inf``
is PyTorch's max (min) pooling of |x|. The average and max pools are `avg_pool2d`,
`max_pool2d` and their 1-D forms, so their output sizes and gradients are theirs; their
checks of the kernel, the stride and an empty output run first, under lp_pool's name.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import ops
from .._arguments import flag
from .._tensor import Tensor
from ._avg_pool import avg_pool2d
from ._conv import pair
from ._conv1d import _single, as_rows
from ._max_pool import max_pool2d
from ._module import Module
from ._norm import _as_input
from ._pool import _geometry, _settings
from ._pool1d import _pool_settings, avg_pool1d, max_pool1d


def _norm_type(who: str, norm_type) -> float:
    """p: a number other than 0 and NaN (1/p is the root)."""
    real = isinstance(norm_type, numbers.Real) and not isinstance(norm_type, (bool, np.bool_))
    if not real or math.isnan(norm_type) or norm_type == 0:
        raise ValueError(
            f"{who}: norm_type must be a non-zero number (the p of the p-norm, inf for max "
            f"pooling of |x|), got {norm_type!r}"
        )
    return float(norm_type)


def _input(who: str, input, shapes: str, ranks: tuple[int, int]) -> Tensor:
    """``input`` as a floating Tensor (an integer one in float64) of one of ``ranks``."""
    x = _as_input(input, np.float64)
    if x.ndim not in ranks:
        raise ValueError(f"{who}: input must be {shapes}, got shape {x.shape}")
    return x


def _lp_pool(x: Tensor, p: float, numel: int, avg_pool, max_pool, **settings) -> Tensor:
    """(sign(a)·relu(|a|)·numel)^(1/p) of a = avg_pool(xᵖ), or for p = ±inf ±max_pool(±|x|);
    ``settings`` the pools' kernel_size, stride and ceil_mode (no padding)."""
    if p == math.inf:
        return max_pool(ops.abs(x), **settings)
    if p == -math.inf:
        return -max_pool(-ops.abs(x), **settings)
    a = avg_pool(x**p, **settings)
    return (ops.sign(a) * ops.relu(ops.abs(a)) * numel) ** (1.0 / p)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """The p-norm (Σ xᵖ)^(1/p) of each window, as PyTorch's ``F.lp_pool2d``: ``input``
    (N, C, H, W) or (C, H, W), ``norm_type`` p, ``stride`` the kernel size when None, no
    padding; with ``ceil_mode`` a last, partial window, whose mean PyTorch multiplies by
    the whole kernel's size as the others'."""
    who = "lp_pool2d"
    p = _norm_type(who, norm_type)
    (kh, kw), stride, _, _ = _settings(who, kernel_size, stride, 0, 1)
    x = _input(who, input, "(N, C, H, W) or (C, H, W)", (3, 4))
    ceil = flag(who, "ceil_mode", ceil_mode)
    shape = x.shape if x.ndim == 4 else (1, *x.shape)
    _geometry(who, shape, (kh, kw), stride, (0, 0), (1, 1), ceil)  # an empty output, by name
    settings = {"kernel_size": (kh, kw), "stride": stride, "ceil_mode": ceil}
    return _lp_pool(x, p, kh * kw, avg_pool2d, max_pool2d, **settings)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """The p-norm (Σ xᵖ)^(1/p) of each window, as PyTorch's ``F.lp_pool1d`` (see
    `lp_pool2d`): ``input`` (N, C, L) or (C, L)."""
    who = "lp_pool1d"
    p = _norm_type(who, norm_type)
    x = _input(who, input, "(N, C, L) or (C, L)", (2, 3))
    ceil = flag(who, "ceil_mode", ceil_mode)
    rows, _ = as_rows(who, x)  # checked by name: the kernel, the stride, an empty output
    k, stride, _, _ = _pool_settings(who, rows.shape, kernel_size, stride, 0, 1, ceil)
    settings = {"kernel_size": k, "stride": stride, "ceil_mode": ceil}
    return _lp_pool(x, p, k, avg_pool1d, max_pool1d, **settings)


class _LPPoolNd(Module):
    """What `LPPool1d` and `LPPool2d` share: PyTorch's arguments, checked when the layer is
    made and kept and shown as given, and the call of the function (``_function``)."""

    _function = staticmethod(lp_pool2d)
    _as_tuple = staticmethod(pair)

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
        name = type(self).__name__
        _norm_type(name, norm_type)
        self._as_tuple(name, "kernel_size", kernel_size, 1)
        if stride is not None:
            self._as_tuple(name, "stride", stride, 1)
        self.norm_type, self.kernel_size, self.stride = norm_type, kernel_size, stride
        self.ceil_mode = flag(name, "ceil_mode", ceil_mode)

    def forward(self, x) -> Tensor:
        """The p-norm of each window of ``x``."""
        return self._function(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )


class LPPool2d(_LPPoolNd):
    """Power-average pooling over (N, C, H, W) or (C, H, W) inputs, as PyTorch's
    ``nn.LPPool2d`` (see `lp_pool2d`)."""


class LPPool1d(_LPPoolNd):
    """Power-average pooling over (N, C, L) or (C, L) inputs, as PyTorch's ``nn.LPPool1d``
    (see `lp_pool1d`)."""

    _function = staticmethod(lp_pool1d)
    _as_tuple = staticmethod(_single)
