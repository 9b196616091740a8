"""`Conv2d` and `conv2d`: 2-D convolution (PyTorch's, a cross-correlation) of NCHW inputs as
the fused node `Convolution` of `_im2col.py`, with PyTorch's arguments, parameters and
initialisation; and what the other convolution layers share: `pair`, the padding's and
the shapes' checks, `check_channels`, `make_parameters`, `conv_repr`.
"""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from .._arguments import check_counts, flag, is_count
from .._tensor import Tensor
from ..ops._common import float_operands
from ._im2col import Convolution, Geometry
from ._init import uniform_
from ._layers import _parameter_dtype
from ._module import Module, Parameter
from ._padding import padded


# ----- arguments ------------------------------------------------------------------------------
def pair(who: str, name: str, value, least: int) -> tuple[int, int]:
    """An int or a pair of ints, each at least ``least``, as a pair (PyTorch's ``_pair``)."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(is_count(v, least) for v in items):
        raise ValueError(
            f"{who}: {name} must be an integer >= {least} or a pair of them, got {value!r}"
        )
    return int(items[0]), int(items[1])


def _conv_padding(who: str, padding, kernel, stride, dilation):
    """PyTorch's padding (an int, a pair, "valid" or "same") as ((top, bottom), (left,
    right)); "same" puts the odd zero at the bottom and right, as PyTorch does."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(
                f"{who}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}"
            )
        if stride != (1, 1):
            raise ValueError(f"{who}: padding='same' is not supported for strided convolutions")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in total)
    ph, pw = pair(who, "padding", padding, 0)
    return (ph, ph), (pw, pw)


def _tensor(a) -> Tensor:
    return a if isinstance(a, Tensor) else Tensor(a)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D convolution (a cross-correlation), as PyTorch's ``F.conv2d``: ``input`` (N, C,
    H, W) or unbatched (C, H, W), ``weight`` (O, C/groups, kH, kW), ``bias`` (O,) or None;
    the output is (N, O, oH, oW), oH = ⌊(H + 2·padding − dilation·(kH − 1) − 1)/stride⌋ + 1.
    ``padding`` may be "valid" or "same" (stride 1 only) as PyTorch's. An integer or bool
    input takes the weight's float dtype."""
    return _conv2d("conv2d", input, weight, bias, stride, padding, dilation, groups)


def _conv2d(who, input, weight, bias, stride, padding, dilation, groups) -> Tensor:
    operands = (input, weight) if bias is None else (input, weight, bias)
    x, w, *b = (_tensor(t) for t in float_operands(operands))
    if w.ndim != 4:
        raise ValueError(f"{who}: weight must be (out, in/groups, kH, kW), got shape {w.shape}")
    stride, dilation = pair(who, "stride", stride, 1), pair(who, "dilation", dilation, 1)
    pads = _conv_padding(who, padding, w.shape[2:], stride, dilation)
    check_counts(who, groups=groups)
    unbatched = x.ndim == 3
    if unbatched:
        x = ops.reshape(x, 1, *x.shape)
    if x.ndim != 4:
        raise ValueError(f"{who}: input must be (N, C, H, W) or (C, H, W), got shape {x.shape}")
    _check_shapes(who, x.shape, w.shape, b[0].shape if b else None, pads, dilation, groups)
    out = Convolution(Geometry(stride, pads, dilation, int(groups)))(x, w, *b)
    return ops.reshape(out, *out.shape[1:]) if unbatched else out


def _check_shapes(who, x_shape, w_shape, b_shape, pads, dilation, groups) -> None:
    """PyTorch's checks of a convolution's shapes (any number of spatial axes, one pair of
    pads and one dilation per axis), as ValueErrors naming them."""
    o, cg, *kernel = w_shape
    if o % groups:
        raise ValueError(
            f"{who}: a weight of shape {w_shape} has {o} output channels, which groups={groups} "
            "does not divide"
        )
    if x_shape[1] != cg * groups:
        raise ValueError(
            f"{who}: an input of shape {x_shape} has {x_shape[1]} channels, but a weight of "
            f"shape {w_shape} with groups={groups} expects {cg * groups}"
        )
    if b_shape is not None and b_shape != (o,):
        raise ValueError(f"{who}: bias must be ({o},) for a weight {w_shape}, got {b_shape}")
    padded = tuple(size + sum(p) for size, p in zip(x_shape[2:], pads))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(s > p for s, p in zip(span, padded)) or 0 in w_shape:
        raise ValueError(
            f"{who}: the kernel {tuple(kernel)} (spanning {span} with dilation {dilation}) is "
            f"larger than the padded input {padded} of an input of shape {x_shape}"
        )


# ----- the layer ------------------------------------------------------------------------------
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class Conv2d(Module):
    """2-D convolution of (N, C, H, W) or (C, H, W) inputs, as PyTorch's ``nn.Conv2d``:
    ``weight`` (out_channels, in_channels/groups, kH, kW) and ``bias`` (out_channels,)
    (none with ``bias=False``), both drawn from U(−1/√fan_in, 1/√fan_in), fan_in =
    in_channels/groups·kH·kW (PyTorch's kaiming_uniform with a = √5), with ``generator``
    (a ``numpy.random.Generator``), or the library's, which `manual_seed` seeds, when None.
    So a PyTorch state loads as it is. ``padding_mode`` "reflect", "replicate" or
    "circular" pads the input by `pad` in that mode and convolves it with no padding, as
    PyTorch's. ``dtype`` as in `Linear`."""

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
        check_channels("Conv2d", in_channels, out_channels, groups, padding_mode)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride = pair("Conv2d", "stride", stride, 1)
        self.dilation = pair("Conv2d", "dilation", dilation, 1)
        _conv_padding("Conv2d", padding, self.kernel_size, self.stride, self.dilation)
        self.padding = (
            padding if isinstance(padding, str) else pair("Conv2d", "padding", padding, 0)
        )
        self.padding_mode = padding_mode
        self._make_parameters(flag("Conv2d", "bias", bias), dtype, generator)

    def _make_parameters(self, bias: bool, dtype, generator) -> None:
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        make_parameters(self, shape, bias, dtype, generator)

    def forward(self, x) -> Tensor:
        who = f"Conv2d({self.in_channels}, {self.out_channels})"
        padding = self.padding
        if self.padding_mode != "zeros":
            pads = _conv_padding(who, padding, self.kernel_size, self.stride, self.dilation)
            (top, bottom), (left, right) = pads
            x, padding = padded(who, x, (left, right, top, bottom), self.padding_mode), 0
        args = (self.stride, padding, self.dilation, self.groups)
        return _conv2d(who, x, self.weight, self.bias, *args)

    def extra_repr(self) -> str:
        return conv_repr(self)


def check_channels(
    who: str, in_channels, out_channels, groups, padding_mode, transposed: bool = False
) -> None:
    """A convolution layer's channel counts (groups dividing both) and padding mode (only
    "zeros" for a ``transposed`` one, as PyTorch's)."""
    check_counts(who, in_channels=in_channels, out_channels=out_channels, groups=groups)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{who}: groups={groups} must divide in_channels={in_channels} and "
            f"out_channels={out_channels}"
        )
    _check_padding_mode(padding_mode, who, transposed)


def make_parameters(layer: Module, shape: tuple, bias: bool, dtype, generator) -> None:
    """A convolution layer's ``weight`` of ``shape`` and ``bias`` (one per output channel,
    ``layer.out_channels``; none without ``bias``), both from U(−1/√fan_in, 1/√fan_in),
    fan_in the product of the weight's axes after the first, as PyTorch's
    (kaiming_uniform with a = √5, which reads the fan so for a transposed one too)."""
    dtype = _parameter_dtype(type(layer).__name__, dtype)
    layer.weight = Parameter(np.empty(shape, dtype))
    layer.bias = Parameter(np.empty(layer.out_channels, dtype)) if bias else None
    bound = 1.0 / math.sqrt(math.prod(shape[1:]))
    for p in (layer.weight, layer.bias):
        if p is not None:
            uniform_(p, -bound, bound, generator)


def conv_repr(layer: Module, output_padding: tuple[int, ...] | None = None) -> str:
    """A convolution layer's repr, as PyTorch's ``_ConvNd.extra_repr``: the channels, the
    kernel and the stride, then each other setting that is not its default."""
    zeros, ones = (0,) * len(layer.kernel_size), (1,) * len(layer.kernel_size)
    s = f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size}"
    s += f", stride={layer.stride}"
    if layer.padding != zeros:
        s += f", padding={layer.padding}"
    if layer.dilation != ones:
        s += f", dilation={layer.dilation}"
    if output_padding not in (None, zeros):
        s += f", output_padding={output_padding}"
    if layer.groups != 1:
        s += f", groups={layer.groups}"
    if layer.bias is None:
        s += ", bias=False"
    return s if layer.padding_mode == "zeros" else s + f", padding_mode={layer.padding_mode}"


def _check_padding_mode(mode, who: str, transposed: bool) -> None:
    if mode not in _PADDING_MODES:
        raise ValueError(f"{who}: padding_mode must be one of {_PADDING_MODES}, got {mode!r}")
    if transposed and mode != "zeros":
        raise ValueError(
            f"{who}: only padding_mode='zeros' is supported for a transposed convolution, as "
            f"PyTorch's, got {mode!r}"
        )
