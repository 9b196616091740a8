"""`Conv1d`, `MaxPool1d`, `AvgPool1d`, `AdaptiveAvgPool1d`, `AdaptiveMaxPool1d` and their
functions, with PyTorch's arguments, parameters, reprs and output sizes, as the 2-D ones
over a height of 1.

An input (N, C, L) is reshaped to (N, C, 1, L), a kernel k to (1, k), a stride s to (1, s),
a padding p to (0, p); the 2-D node runs, and its output (N, C', 1, L') is reshaped back.
The reshapes are ops, so gradients of any order are the 2-D node's. The shapes are
checked here first, so that an error names the 1-D shapes the caller gave.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from .._arguments import check_counts, flag, is_count
from .._tensor import Tensor
from ._adaptive_pool import adaptive_avg_pool2d, adaptive_max_pool2d
from ._avg_pool import avg_pool2d
from ._conv import (
    _check_shapes,
    _conv2d,
    _conv_padding,
    _tensor,
    check_channels,
    conv_repr,
    make_parameters,
)
from ._max_pool import _max_pool2d, _MaxPoolNd
from ._module import Module
from ._padding import padded
from ._pool import _check_half, _out_size, _settings


# ----- arguments and reshapes -----------------------------------------------------------------
def single(who: str, name: str, value, least: int) -> int:
    """An int, or a tuple or list of one, at least ``least`` (PyTorch's ``_single``)."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(items) != 1 or not is_count(items[0], least):
        raise ValueError(
            f"{who}: {name} must be an integer >= {least} or a tuple of one, got {value!r}"
        )
    return int(items[0])


def _single(who: str, name: str, value, least: int) -> tuple[int]:
    """`single`'s int as a tuple of one, as PyTorch keeps the 1-D layers' settings."""
    return (single(who, name, value, least),)


def as_rows(who: str, input) -> tuple[Tensor, bool]:
    """(N, C, L) -> (N, C, 1, L), or unbatched (C, L) -> (1, C, 1, L), and whether it was
    unbatched."""
    x = _tensor(input)
    if x.ndim not in (2, 3):
        raise ValueError(f"{who}: input must be (N, C, L) or (C, L), got shape {x.shape}")
    if x.ndim == 2:
        return ops.reshape(x, 1, x.shape[0], 1, x.shape[1]), True
    return ops.reshape(x, x.shape[0], x.shape[1], 1, x.shape[2]), False


def from_rows(out: Tensor, unbatched: bool) -> Tensor:
    """(N, C, 1, L) -> (N, C, L), or (C, L) when the input was unbatched."""
    n, c, _, length = out.shape
    return ops.reshape(out, c, length) if unbatched else ops.reshape(out, n, c, length)


# ----- convolution ----------------------------------------------------------------------------
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D convolution (a cross-correlation), as PyTorch's ``F.conv1d``: ``input`` (N, C, L)
    or unbatched (C, L), ``weight`` (O, C/groups, k), ``bias`` (O,) or None; the output is
    (N, O, oL), oL = ⌊(L + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1. ``padding`` may
    be "valid" or "same" (stride 1 only). `conv2d` over a height of 1."""
    return _conv1d("conv1d", input, weight, bias, stride, padding, dilation, groups)


def _conv1d(who, input, weight, bias, stride, padding, dilation, groups) -> Tensor:
    w = _tensor(weight)
    if w.ndim != 3:
        raise ValueError(f"{who}: weight must be (out, in/groups, k), got shape {w.shape}")
    stride, dilation = single(who, "stride", stride, 1), single(who, "dilation", dilation, 1)
    if not isinstance(padding, str):
        padding = (0, single(who, "padding", padding, 0))
    pads = _conv_padding(who, padding, (1, w.shape[2]), (1, stride), (1, dilation))
    check_counts(who, groups=groups)
    x, unbatched = as_rows(who, input)
    shape = (x.shape[0], x.shape[1], x.shape[3])
    b_shape = None if bias is None else np.shape(bias.data if isinstance(bias, Tensor) else bias)
    _check_shapes(who, shape, w.shape, b_shape, pads[1:], (dilation,), groups)
    w = ops.reshape(w, w.shape[0], w.shape[1], 1, w.shape[2])  # (O, C/g, 1, k)
    out = _conv2d(who, x, w, bias, (1, stride), padding, (1, dilation), groups)
    return from_rows(out, unbatched)


class Conv1d(Module):
    """1-D convolution of (N, C, L) or (C, L) inputs, as PyTorch's ``nn.Conv1d``: ``weight``
    (out_channels, in_channels/groups, k) and ``bias`` (out_channels,) from U(−1/√fan_in,
    1/√fan_in), fan_in = in_channels/groups·k, as `Conv2d`'s; the settings are kept as
    PyTorch keeps them (tuples of one, or the padding's string). ``padding_mode`` as
    `Conv2d`'s."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        dtype=None,
        generator: np.random.Generator | None = None,
    ):
        check_channels("Conv1d", in_channels, out_channels, groups, padding_mode)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _single("Conv1d", "kernel_size", kernel_size, 1)
        self.stride = _single("Conv1d", "stride", stride, 1)
        self.dilation = _single("Conv1d", "dilation", dilation, 1)
        if not isinstance(padding, str):
            padding = _single("Conv1d", "padding", padding, 0)
        (k,), (s,), (d,) = self.kernel_size, self.stride, self.dilation
        wide = padding if isinstance(padding, str) else (0, *padding)
        _conv_padding("Conv1d", wide, (1, k), (1, s), (1, d))
        self.padding, self.padding_mode = padding, padding_mode
        self._make_parameters(flag("Conv1d", "bias", bias), dtype, generator)

    def _make_parameters(self, bias: bool, dtype, generator) -> None:
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        make_parameters(self, shape, bias, dtype, generator)

    def forward(self, x) -> Tensor:
        who = f"Conv1d({self.in_channels}, {self.out_channels})"
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        if self.padding_mode != "zeros":
            wide = padding if isinstance(padding, str) else (0, padding)
            (k,), (s,), (d,) = self.kernel_size, self.stride, self.dilation
            _, pads = _conv_padding(who, wide, (1, k), (1, s), (1, d))
            x, padding = padded(who, x, pads, self.padding_mode), 0
        args = (self.stride[0], padding, self.dilation[0], self.groups)
        return _conv1d(who, x, self.weight, self.bias, *args)

    def extra_repr(self) -> str:
        return conv_repr(self)


# ----- pooling --------------------------------------------------------------------------------
def _pool_settings(who, shape, kernel_size, stride, padding, dilation, ceil: bool):
    """kernel, stride (None or () is the kernel), padding and dilation as ints, checked
    against the input's length (N, C, 1, L) as PyTorch checks them."""
    settings = _settings(who, kernel_size, stride, padding, dilation, _single)
    (kernel,), (stride,), (padding,), (dilation,) = settings
    _check_half(who, (padding,), (kernel,))
    if _out_size(shape[3], kernel, stride, padding, dilation, ceil) < 1:
        given = (shape[0], shape[1], shape[3])
        raise ValueError(
            f"{who}: the output of an input of shape {given} would be empty: the kernel "
            f"{kernel} with dilation {dilation} is larger than the padded input"
        )
    return kernel, stride, padding, dilation


def max_pool1d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """The maximum of each window, as PyTorch's ``F.max_pool1d`` (see `max_pool2d`):
    ``input`` (N, C, L) or (C, L); with ``return_indices``, also each maximum's position
    along L (int64)."""
    args = (kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    return _max_pool1d("max_pool1d", input, *args)


def _max_pool1d(who, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    ceil, indices = flag(who, "ceil_mode", ceil_mode), flag(who, "return_indices", return_indices)
    x, unbatched = as_rows(who, input)
    k, s, p, d = _pool_settings(who, x.shape, kernel_size, stride, padding, dilation, ceil)
    found = _max_pool2d(who, x, (1, k), (1, s), (0, p), (1, d), ceil, indices)
    return _maxima_from_rows(found, unbatched, indices)


def _maxima_from_rows(found, unbatched: bool, indices: bool):
    """A 2-D max pool's output over a height of 1 (and its indices) back in 1-D."""
    if not indices:
        return from_rows(found, unbatched)
    out, idx = found  # the row is 0: a plane's index row·L + column is the column
    return from_rows(out, unbatched), Tensor(from_rows(idx, unbatched).data)


class MaxPool1d(_MaxPoolNd):
    """Max pooling over (N, C, L) or (C, L) inputs, as PyTorch's ``nn.MaxPool1d`` (see
    `max_pool1d`); the settings are kept and shown as given."""

    _as_tuple = staticmethod(_single)
    _function = staticmethod(_max_pool1d)


def avg_pool1d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each window, as PyTorch's ``F.avg_pool1d`` (see `avg_pool2d`): ``input``
    (N, C, L) or (C, L); the zeros of ``padding`` counted unless ``count_include_pad=False``."""
    who = "avg_pool1d"
    ceil = flag(who, "ceil_mode", ceil_mode)
    x, unbatched = as_rows(who, input)
    k, s, p, _ = _pool_settings(who, x.shape, kernel_size, stride, padding, 1, ceil)
    out = avg_pool2d(x, (1, k), (1, s), (0, p), ceil, count_include_pad)
    return from_rows(out, unbatched)


class AvgPool1d(Module):
    """Average pooling over (N, C, L) or (C, L) inputs, as PyTorch's ``nn.AvgPool1d`` (see
    `avg_pool1d`); the kernel, stride and padding are kept as tuples of one, as PyTorch's."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ):
        self.kernel_size = _single("AvgPool1d", "kernel_size", kernel_size, 1)
        stride = kernel_size if stride is None else stride
        self.stride = _single("AvgPool1d", "stride", stride, 1)
        self.padding = _single("AvgPool1d", "padding", padding, 0)
        _check_half("AvgPool1d", self.padding, self.kernel_size)
        self.ceil_mode = flag("AvgPool1d", "ceil_mode", ceil_mode)
        self.count_include_pad = flag("AvgPool1d", "count_include_pad", count_include_pad)

    def forward(self, x) -> Tensor:
        args = (self.kernel_size, self.stride, self.padding, self.ceil_mode)
        return avg_pool1d(x, *args, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """The mean of each of PyTorch's adaptive windows (floor(i·L/oL) to ceil((i + 1)·L/oL)),
    as ``F.adaptive_avg_pool1d``: ``input`` (N, C, L) or (C, L) gives (…, oL)."""
    out, unbatched = _adaptive_rows("adaptive_avg_pool1d", adaptive_avg_pool2d, input, output_size)
    return from_rows(out, unbatched)


def _adaptive_rows(who: str, pool, input, output_size, *args):
    """The 2-D adaptive ``pool`` of ``input`` as rows (N, C, 1, L) to (1, output_size), and
    whether the input was unbatched."""
    size = single(who, "output_size", output_size, 1)
    x, unbatched = as_rows(who, input)
    if x.shape[3] == 0:
        shape = x.shape[1:2] + x.shape[3:] if unbatched else x.shape[:2] + x.shape[3:]
        raise ValueError(f"{who}: input must have a non-empty length, got shape {shape}")
    return pool(x, (1, size), *args), unbatched


def adaptive_max_pool1d(input, output_size, return_indices: bool = False):
    """The maximum of each of PyTorch's adaptive windows, as ``F.adaptive_max_pool1d``:
    ``input`` (N, C, L) or (C, L) gives (…, oL); the gradient goes to each window's first
    maximum. With ``return_indices``, also each maximum's position along L (int64).
    `adaptive_max_pool2d` over a height of 1."""
    who = "adaptive_max_pool1d"
    indices = flag(who, "return_indices", return_indices)
    found, unbatched = _adaptive_rows(who, adaptive_max_pool2d, input, output_size, indices)
    return _maxima_from_rows(found, unbatched, indices)


class AdaptiveAvgPool1d(Module):
    """Adaptive average pooling to ``output_size``, as PyTorch's ``nn.AdaptiveAvgPool1d``
    (see `adaptive_avg_pool1d`); the size is kept and shown as given."""

    def __init__(self, output_size):
        single("AdaptiveAvgPool1d", "output_size", output_size, 1)
        self.output_size = output_size

    def forward(self, x) -> Tensor:
        return adaptive_avg_pool1d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(Module):
    """Adaptive max pooling to ``output_size``, as PyTorch's ``nn.AdaptiveMaxPool1d`` (see
    `adaptive_max_pool1d`); the size is kept and shown as given."""

    def __init__(self, output_size, return_indices: bool = False):
        single("AdaptiveMaxPool1d", "output_size", output_size, 1)
        self.output_size = output_size
        self.return_indices = flag("AdaptiveMaxPool1d", "return_indices", return_indices)

    def forward(self, x):
        return adaptive_max_pool1d(x, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
