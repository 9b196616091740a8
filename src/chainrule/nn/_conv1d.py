"""`Conv1d` and `conv1d`, with PyTorch's arguments, parameters, repr and output sizes, as
the 2-D ones over a height of 1; and the 1-D arguments and reshapes that the other 1-D
layers (`_pool1d.py`, `_conv_transpose.py`, `_lp_pool.py`) share.

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
from ._conv import (
    _check_shapes,
    _conv2d,
    _conv_padding,
    _tensor,
    check_channels,
    conv_repr,
    make_parameters,
)
from ._module import Module
from ._padding import padded


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
