"""`MaxPool1d`, `AvgPool1d`, `AdaptiveAvgPool1d`, `AdaptiveMaxPool1d` and their functions,
with PyTorch's arguments, reprs and output sizes, as the 2-D pools over a height of 1.

The input is reshaped by `_conv1d.py`'s `as_rows` and back by `from_rows`, so gradients of
any order are the 2-D ones'. The shapes are checked here first, so that an error names
the 1-D shapes the caller gave.
"""

from __future__ import annotations

from .._arguments import flag
from .._tensor import Tensor
from ._adaptive_pool import adaptive_avg_pool2d, adaptive_max_pool2d
from ._avg_pool import avg_pool2d
from ._conv1d import _single, as_rows, from_rows, single
from ._max_pool import _max_pool2d, _MaxPoolNd
from ._module import Module
from ._pool import _check_half, _out_size, _settings


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
