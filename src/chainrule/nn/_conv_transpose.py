"""`ConvTranspose2d`, `ConvTranspose1d` and their functions `conv_transpose2d`,
`conv_transpose1d`, with PyTorch's arguments, parameters, initialisation, reprs and output
sizes.

A transposed convolution is a convolution's gradient with respect to its input: the input
(N, C_in, H, W) is the upstream gradient of a convolution by the weight (C_in, C_out/g, kH,
kW), read as a convolution's weight of C_in outputs and C_out/g inputs per group. So it is
the node `ConvolutionBackwardInput` (each input element times the kernel, added at stride
steps: col2im), cropped by ``padding``; its gradients are the convolution and its weight
gradient, nodes too, so derivatives of any order are exact. ``output_padding`` adds rows at
the bottom and columns at the right: the scatter is cropped there by padding −
output_padding only, and rows past the scatter (output_padding > padding) are zeros. The
1-D versions are the 2-D ones over a height of 1, as in `_conv1d.py`.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from .._arguments import check_counts, flag
from .._tensor import Tensor
from ..ops._common import float_operands
from ._conv import _tensor, check_channels, conv_repr, make_parameters, pair
from ._conv1d import _single, as_rows, from_rows
from ._im2col import ConvolutionBackwardInput, Geometry
from ._module import Module


# ----- sizes and checks -----------------------------------------------------------------------
def _sizes(spatial, kernel, stride, padding, out_pad, dilation) -> tuple[int, ...]:
    """PyTorch's output size per axis: (n − 1)·s − 2·p + d·(k − 1) + output_padding + 1."""
    items = zip(spatial, kernel, stride, padding, out_pad, dilation)
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, k, s, p, op, d in items)


def _settings(who: str, stride, padding, output_padding, dilation, as_tuple):
    """stride, padding, output_padding and dilation as tuples (``as_tuple`` makes them);
    output_padding must be below the stride or the dilation, as PyTorch requires."""
    stride, dilation = as_tuple(who, "stride", stride, 1), as_tuple(who, "dilation", dilation, 1)
    padding = as_tuple(who, "padding", padding, 0)
    out_pad = as_tuple(who, "output_padding", output_padding, 0)
    if any(op >= s and op >= d for op, s, d in zip(out_pad, stride, dilation)):
        raise ValueError(
            f"{who}: output_padding must be smaller than either stride or dilation, got "
            f"output_padding={out_pad}, stride={stride} and dilation={dilation}"
        )
    return stride, padding, out_pad, dilation


def _check_shapes(who, x_shape, w_shape, b_shape, groups, sizes) -> None:
    """PyTorch's checks of a transposed convolution's shapes, as ValueErrors naming them."""
    c, og, *kernel = w_shape
    if c % groups:
        raise ValueError(
            f"{who}: a weight of shape {w_shape} has {c} input channels, which groups={groups} "
            "does not divide"
        )
    if x_shape[1] != c:
        raise ValueError(
            f"{who}: an input of shape {x_shape} has {x_shape[1]} channels, but a weight of "
            f"shape {w_shape} expects {c}"
        )
    if b_shape is not None and b_shape != (og * groups,):
        raise ValueError(
            f"{who}: bias must be ({og * groups},) for a weight {w_shape} with groups={groups}, "
            f"got {b_shape}"
        )
    if 0 in kernel or min(sizes) < 1:
        raise ValueError(
            f"{who}: an input of shape {x_shape} and a weight of shape {w_shape} give an "
            f"output of size {sizes}, which is too small (the padding is too large)"
        )


def _output_padding(who, spatial, output_size, kernel, stride, padding, dilation):
    """PyTorch's output_padding for an ``output_size`` (its last len(kernel) numbers): the
    size must lie between the smallest one and that plus stride − 1."""
    k = len(kernel)
    size = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,)
    size = size[2:] if len(size) == k + 2 else size
    if len(size) != k or not all(isinstance(s, (int, np.integer)) for s in size):
        raise ValueError(f"{who}: output_size must hold {k} or {k + 2} ints, got {output_size!r}")
    smallest = _sizes(spatial, kernel, stride, padding, (0,) * k, dilation)
    largest = tuple(lo + s - 1 for lo, s in zip(smallest, stride))
    if any(not lo <= s <= hi for s, lo, hi in zip(size, smallest, largest)):
        raise ValueError(
            f"{who}: requested an output size of {size}, but valid sizes range from "
            f"{smallest} to {largest} (for an input of size {tuple(spatial)})"
        )
    return tuple(int(s) - lo for s, lo in zip(size, smallest))


# ----- the functions --------------------------------------------------------------------------
def _transposed(x: Tensor, w: Tensor, settings, groups: int, sizes) -> Tensor:
    """The scatter of x by w, (N, C_out, *sizes): the convolution's input gradient."""
    stride, padding, out_pad, dilation = settings
    past = [max(op - p, 0) for p, op in zip(padding, out_pad)]  # zero rows past the scatter
    pads = tuple((p, max(p - op, 0)) for p, op in zip(padding, out_pad))
    shape = (x.shape[0], w.shape[1] * groups, sizes[0] - past[0], sizes[1] - past[1])
    out = ConvolutionBackwardInput(Geometry(stride, pads, dilation, groups), shape)(x, w)
    for axis, rows in ((2, past[0]), (3, past[1])):
        if rows:
            zeros = np.zeros((*out.shape[:axis], rows, *out.shape[axis + 1 :]), out.dtype)
            out = ops.concatenate([out, Tensor(zeros)], axis=axis)
    return out


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> Tensor:
    """2-D transposed convolution, as PyTorch's ``F.conv_transpose2d``: ``input`` (N, C_in,
    H, W) or unbatched (C_in, H, W), ``weight`` (C_in, C_out/groups, kH, kW), ``bias``
    (C_out,) or None; the output is (N, C_out, oH, oW), oH = (H − 1)·stride − 2·padding +
    dilation·(kH − 1) + output_padding + 1: `conv2d`'s input gradient, with these
    settings."""
    who = "conv_transpose2d"
    settings = _settings(who, stride, padding, output_padding, dilation, pair)
    return _conv_transpose2d(who, input, weight, bias, settings, groups)


def _conv_transpose2d(who, input, weight, bias, settings, groups) -> Tensor:
    operands = (input, weight) if bias is None else (input, weight, bias)
    x, w, *b = (_tensor(t) for t in float_operands(operands))
    if w.ndim != 4:
        raise ValueError(f"{who}: weight must be (in, out/groups, kH, kW), got shape {w.shape}")
    check_counts(who, groups=groups)
    unbatched = x.ndim == 3
    if unbatched:
        x = ops.reshape(x, 1, *x.shape)
    if x.ndim != 4:
        raise ValueError(f"{who}: input must be (N, C, H, W) or (C, H, W), got shape {x.shape}")
    sizes = _sizes(x.shape[2:], w.shape[2:], *settings)
    _check_shapes(who, x.shape, w.shape, b[0].shape if b else None, groups, sizes)
    out = _transposed(x, w, settings, int(groups), sizes)
    if b:
        out = out + ops.reshape(b[0], -1, 1, 1)
    return ops.reshape(out, *out.shape[1:]) if unbatched else out


def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> Tensor:
    """1-D transposed convolution, as PyTorch's ``F.conv_transpose1d``: ``input`` (N, C_in,
    L) or (C_in, L), ``weight`` (C_in, C_out/groups, k); `conv_transpose2d` over a height
    of 1."""
    who = "conv_transpose1d"
    settings = _settings(who, stride, padding, output_padding, dilation, _single)
    return _conv_transpose1d(who, input, weight, bias, settings, groups)


def _conv_transpose1d(who, input, weight, bias, settings, groups) -> Tensor:
    w = _tensor(weight)
    if w.ndim != 3:
        raise ValueError(f"{who}: weight must be (in, out/groups, k), got shape {w.shape}")
    check_counts(who, groups=groups)
    x, unbatched = as_rows(who, input)
    shape = (x.shape[0], x.shape[1], x.shape[3])
    b_shape = None if bias is None else np.shape(bias.data if isinstance(bias, Tensor) else bias)
    _check_shapes(who, shape, w.shape, b_shape, groups, _sizes(shape[2:], w.shape[2:], *settings))
    w = ops.reshape(w, w.shape[0], w.shape[1], 1, w.shape[2])  # (C_in, C_out/g, 1, k)
    wide = tuple((first, *s) for first, s in zip((1, 0, 0, 1), settings))
    return from_rows(_conv_transpose2d(who, x, w, bias, wide, groups), unbatched)


# ----- the layers -----------------------------------------------------------------------------
class _ConvTransposeNd(Module):
    """What `ConvTranspose1d` and `ConvTranspose2d` share: PyTorch's arguments, the weight
    (in_channels, out_channels/groups, *kernel) and bias (out_channels,) from U(−1/√fan_in,
    1/√fan_in), fan_in = out_channels/groups·∏kernel (PyTorch's, which reads the fan from
    the weight's second axis), forward's ``output_size`` and the repr."""

    _as_tuple = staticmethod(pair)
    _function = staticmethod(_conv_transpose2d)

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        *,
        dtype=None,
        generator: np.random.Generator | None = None,
    ):
        name = type(self).__name__
        check_channels(name, in_channels, out_channels, groups, padding_mode, transposed=True)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = self._as_tuple(name, "kernel_size", kernel_size, 1)
        settings = _settings(name, stride, padding, output_padding, dilation, self._as_tuple)
        self.stride, self.padding, self.output_padding, self.dilation = settings
        self.padding_mode = padding_mode
        self._make_parameters(flag(name, "bias", bias), dtype, generator)

    def _make_parameters(self, bias: bool, dtype, generator) -> None:
        shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        make_parameters(self, shape, bias, dtype, generator)

    def forward(self, x, output_size=None) -> Tensor:
        """The transposed convolution of ``x``; ``output_size`` (the output's spatial size,
        or its whole shape) chooses the output_padding, as PyTorch's."""
        who = f"{type(self).__name__}({self.in_channels}, {self.out_channels})"
        out_pad = self.output_padding
        if output_size is not None:
            spatial = _tensor(x).shape[-len(self.kernel_size) :]
            args = (self.kernel_size, self.stride, self.padding, self.dilation)
            out_pad = _output_padding(who, spatial, output_size, *args)
        settings = (self.stride, self.padding, out_pad, self.dilation)
        return self._function(who, x, self.weight, self.bias, settings, self.groups)

    def extra_repr(self) -> str:
        return conv_repr(self, self.output_padding)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution of (N, C, H, W) or (C, H, W) inputs, as PyTorch's
    ``nn.ConvTranspose2d`` (see `conv_transpose2d`): ``weight`` (in_channels,
    out_channels/groups, kH, kW), so a PyTorch state loads as it is. Only
    ``padding_mode="zeros"``, as PyTorch's; ``dtype`` and ``generator`` as in `Conv2d`."""


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution of (N, C, L) or (C, L) inputs, as PyTorch's
    ``nn.ConvTranspose1d`` (see `conv_transpose1d`): ``weight`` (in_channels,
    out_channels/groups, k); the settings kept as tuples of one, as PyTorch's."""

    _as_tuple = staticmethod(_single)
    _function = staticmethod(_conv_transpose1d)
