"""`AvgPool2d` and its function `avg_pool2d`, with PyTorch's arguments, defaults, output
sizes (``ceil_mode`` included) and divisors.

Average pooling is composed: a sum by the convolution node with a kernel of ones, divided
by PyTorch's divisor, so its gradients (of any order) are the convolution's.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from .._arguments import flag
from .._tensor import Tensor
from ..ops._common import as_float
from ._im2col import Convolution
from ._module import Module
from ._pool import _batched, _check_half, _geometry, _settings, _unbatched


def _counts(size: int, out: int, k: int, s: int, p: int, include_pad: bool) -> np.ndarray:
    """How many of each window's rows (or columns) count, as PyTorch's kernel: those inside
    the padded input, or with ``count_include_pad=False`` inside the input itself."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override=None,
) -> Tensor:
    """The mean of each window, as PyTorch's ``F.avg_pool2d``: the window's sum divided by
    its size (the zeros of ``padding`` counted, unless ``count_include_pad=False``; the
    part of ceil_mode's last window past the padding never), or by ``divisor_override``.
    An integer or bool input is averaged in float64."""
    who = "avg_pool2d"
    kernel, stride, padding, _ = _settings(who, kernel_size, stride, padding, 1)
    _check_half(who, padding, kernel)
    ceil = flag(who, "ceil_mode", ceil_mode)
    include = flag(who, "count_include_pad", count_include_pad)
    _check_divisor(who, divisor_override)
    x, unbatched = _batched(input)
    if x.dtype.kind in "biu":
        x = as_float(x, np.float64)
    geom = _geometry(who, x.shape, kernel, stride, padding, (1, 1), ceil)
    n, c, h, w = x.shape
    ones = np.ones((1, 1, *kernel), x.dtype)
    summed = Convolution(geom)(ops.reshape(x, n * c, 1, h, w), ones)  # (N·C, 1, oH, oW)
    summed = ops.reshape(summed, n, c, *summed.shape[2:])
    divisor = _divisor(x, summed.shape[2:], kernel, stride, padding, include, divisor_override)
    return _unbatched(summed / divisor, unbatched)


def _divisor(x: Tensor, out, kernel, stride, padding, include: bool, override):
    """Each window's divisor, an (oH, oW) array of x's dtype, or ``divisor_override``."""
    if override is not None:
        return np.asarray(override, x.dtype)
    rows, cols = (
        _counts(x.shape[2 + a], out[a], kernel[a], stride[a], padding[a], include) for a in (0, 1)
    )
    return np.outer(rows, cols).astype(x.dtype)


def _check_divisor(who: str, divisor) -> None:
    if divisor is None:
        return
    if isinstance(divisor, (bool, np.bool_)) or not isinstance(divisor, (int, np.integer)):
        raise TypeError(f"{who}: divisor_override must be an integer or None, got {divisor!r}")
    if divisor == 0:
        raise ValueError(f"{who}: divisor_override must not be zero")


class AvgPool2d(Module):
    """Average pooling over (N, C, H, W) or (C, H, W) inputs, as PyTorch's
    ``nn.AvgPool2d`` (see `avg_pool2d`); the settings are kept and shown as given."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override=None,
    ):
        kernel, _, padding_, _ = _settings("AvgPool2d", kernel_size, stride, padding, 1)
        _check_half("AvgPool2d", padding_, kernel)
        _check_divisor("AvgPool2d", divisor_override)
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.ceil_mode = flag("AvgPool2d", "ceil_mode", ceil_mode)
        self.count_include_pad = flag("AvgPool2d", "count_include_pad", count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x) -> Tensor:
        args = (self.kernel_size, self.stride, self.padding, self.ceil_mode)
        return avg_pool2d(x, *args, self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
