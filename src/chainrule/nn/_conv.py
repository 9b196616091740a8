"""`Conv2d` and `conv2d`: 2-D convolution (PyTorch's, a cross-correlation) of NCHW inputs as
one fused node, `Convolution`, with PyTorch's arguments, parameters and initialisation.

The forward is im2col and one matrix product: the padded input is cut into windows by
``sliding_window_view`` (a read-only view), copied once into columns (one per output
position, in each group), and multiplied by the weight. The backward is the transposed
products and a col2im that adds each kernel offset's strided slice (no ``np.add.at``).
Its two halves are nodes too (`ConvolutionBackwardInput`, `ConvolutionBackwardWeight`):
all three are bilinear, each one's gradient is made of the others, so that gradients of
gradients (``create_graph=True``) are exact to any order.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import ops
from .._arguments import check_counts, flag, is_count
from .._function import Function
from .._tensor import Tensor
from ..ops._common import float_operands, is_tensor
from ._init import uniform_
from ._layers import _parameter_dtype
from ._module import Module, Parameter
from ._padding import padded


class Geometry(NamedTuple):
    """Where the windows of a 2-D convolution or pooling lie: strides, the zeros added
    ((top, bottom), (left, right)), the dilation and the number of channel groups."""

    stride: tuple[int, int]
    padding: tuple[tuple[int, int], tuple[int, int]]
    dilation: tuple[int, int]
    groups: int = 1


# ----- the arrays: im2col, the product, col2im ------------------------------------------------
def windows(x: np.ndarray, kernel: tuple[int, int], geom: Geometry, fill=0) -> np.ndarray:
    """The windows of ``x`` (N, C, H, W), padded with ``fill``: a read-only view of shape
    (N, C, oH, oW, kH, kW)."""
    (top, bottom), (left, right) = geom.padding
    if top or bottom or left or right:
        pads = ((0, 0), (0, 0), (top, bottom), (left, right))
        x = np.pad(x, pads, constant_values=fill)
    (kh, kw), (sh, sw), (dh, dw) = kernel, geom.stride, geom.dilation
    view = sliding_window_view(x, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


def _columns(x: np.ndarray, kernel: tuple[int, int], geom: Geometry):
    """im2col: (g, C/g·kH·kW, N·oH·oW), a column of inputs per output position in each
    group, and the output's size (oH, oW)."""
    win = windows(x, kernel, geom)
    n, c, oh, ow, kh, kw = win.shape
    g = geom.groups
    win = win.reshape(n, g, c // g, oh, ow, kh, kw).transpose(1, 2, 5, 6, 0, 3, 4)
    return win.reshape(g, c // g * kh * kw, n * oh * ow), (oh, ow)  # the one copy


def _rows_of(gy: np.ndarray, groups: int) -> np.ndarray:
    """(N, O, oH, oW) -> (g, O/g, N·oH·oW): the upstream gradient laid out as the output of
    the product in `conv_arrays`."""
    n, o, oh, ow = gy.shape
    gy = gy.reshape(n, groups, o // groups, oh, ow).transpose(1, 2, 0, 3, 4)
    return gy.reshape(groups, o // groups, n * oh * ow)


def conv_arrays(x: np.ndarray, w: np.ndarray, geom: Geometry) -> np.ndarray:
    """out = W·cols: (N, C, H, W) with (O, C/g, kH, kW) -> (N, O, oH, oW)."""
    o, cg, kh, kw = w.shape
    g, n = geom.groups, x.shape[0]
    cols, (oh, ow) = _columns(x, (kh, kw), geom)
    out = w.reshape(g, o // g, cg * kh * kw) @ cols  # (g, O/g, N·oH·oW)
    return out.reshape(g, o // g, n, oh, ow).transpose(2, 0, 1, 3, 4).reshape(n, o, oh, ow)


def input_grad_arrays(gy: np.ndarray, w: np.ndarray, geom: Geometry, shape) -> np.ndarray:
    """dX = col2im(Wᵀ·dY): the columns' gradient added back, one kernel offset at a time."""
    n, o, oh, ow = gy.shape
    _, cg, kh, kw = w.shape
    g = geom.groups
    dcols = w.reshape(g, o // g, cg * kh * kw).transpose(0, 2, 1) @ _rows_of(gy, g)
    dcols = dcols.reshape(g, cg, kh, kw, n, oh, ow)
    (top, bottom), (left, right) = geom.padding
    height, width = shape[2] + top + bottom, shape[3] + left + right
    dx = np.zeros((g, cg, n, height, width), dcols.dtype)
    (sh, sw), (dh, dw) = geom.stride, geom.dilation
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
            cols = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
            dx[:, :, :, rows, cols] += dcols[:, :, i, j]
    dx = dx.transpose(2, 0, 1, 3, 4).reshape(n, g * cg, height, width)
    return dx[:, :, top : height - bottom, left : width - right]


def weight_grad_arrays(x: np.ndarray, gy: np.ndarray, geom: Geometry, shape) -> np.ndarray:
    """dW = Σ dY·colsᵀ over the batch and the output positions."""
    _, _, kh, kw = shape
    cols, _ = _columns(x, (kh, kw), geom)
    dw = _rows_of(gy, geom.groups) @ cols.transpose(0, 2, 1)  # (g, O/g, C/g·kH·kW)
    return dw.reshape(shape)


# ----- the nodes ------------------------------------------------------------------------------
def _conv(x, w, geom: Geometry):
    return Convolution(geom)(x, w) if is_tensor(x) or is_tensor(w) else conv_arrays(x, w, geom)


def _input_grad(gy, w, geom: Geometry, shape):
    if is_tensor(gy) or is_tensor(w):
        return ConvolutionBackwardInput(geom, shape)(gy, w)
    return input_grad_arrays(gy, w, geom, shape)


def _weight_grad(x, gy, geom: Geometry, shape):
    if is_tensor(x) or is_tensor(gy):
        return ConvolutionBackwardWeight(geom, shape)(x, gy)
    return weight_grad_arrays(x, gy, geom, shape)


class Convolution(Function):
    """conv2d: out = W·cols + b gives dX = col2im(Wᵀ·dY), dW = Σ dY·colsᵀ, db = Σ dY.

    Fused because im2col and one matrix product are fast where a graph of shifted slices
    would be one node per kernel offset. X (N, C, H, W), W (O, C/g, kH, kW), b (O,).
    """

    __slots__ = ("geom",)
    derivative = "dX = col2im(Wᵀ·dY), dW = Σ dY·colsᵀ, db = Σ dY"
    quiet = True  # inf·0 in a product: NaN, as NumPy gives it

    def __init__(self, geom: Geometry):
        self.geom = geom

    def forward(self, x, w, b=None):
        self.saved = (x, w)
        out = conv_arrays(x, w, self.geom)
        if b is None:
            return out
        b = b.reshape(-1, 1, 1)
        if b.dtype == out.dtype:
            out += b  # out is freshly allocated
            return out
        return out + b

    def backward(self, grad_out):
        x, w = self.saved
        need, geom = self.needs_grad, self.geom
        grad_x = _input_grad(grad_out, w, geom, x.shape) if need[0] else None
        grad_w = _weight_grad(x, grad_out, geom, w.shape) if need[1] else None
        if len(need) < 3:
            return grad_x, grad_w
        return grad_x, grad_w, grad_out.sum(axis=(0, 2, 3)) if need[2] else None


class ConvolutionBackwardInput(Function):
    """conv2d's input gradient dX = col2im(Wᵀ·dY), linear in dY and in W: with upstream G,
    d(dY) = G ⋆ W (conv2d of G by W), dW = Σ dY·cols(G)ᵀ."""

    __slots__ = ("geom", "shape")
    derivative = "d(dY) = G ⋆ W, dW = Σ dY·cols(G)ᵀ"
    quiet = True

    def __init__(self, geom: Geometry, shape: tuple[int, ...]):
        self.geom, self.shape = geom, shape

    def forward(self, gy, w):
        self.saved = (gy, w)
        return input_grad_arrays(gy, w, self.geom, self.shape)

    def backward(self, grad_out):
        gy, w = self.saved
        need, geom = self.needs_grad, self.geom
        grad_gy = _conv(grad_out, w, geom) if need[0] else None
        grad_w = _weight_grad(grad_out, gy, geom, w.shape) if need[1] else None
        return grad_gy, grad_w


class ConvolutionBackwardWeight(Function):
    """conv2d's weight gradient dW = Σ dY·cols(X)ᵀ, linear in X and in dY: with upstream
    H, dX = col2im(Hᵀ·dY), d(dY) = X ⋆ H (conv2d of X by H)."""

    __slots__ = ("geom", "shape")
    derivative = "dX = col2im(Hᵀ·dY), d(dY) = X ⋆ H"
    quiet = True

    def __init__(self, geom: Geometry, shape: tuple[int, ...]):
        self.geom, self.shape = geom, shape

    def forward(self, x, gy):
        self.saved = (x, gy)
        return weight_grad_arrays(x, gy, self.geom, self.shape)

    def backward(self, grad_out):
        x, gy = self.saved
        need, geom = self.needs_grad, self.geom
        grad_x = _input_grad(gy, grad_out, geom, x.shape) if need[0] else None
        grad_gy = _conv(x, grad_out, geom) if need[1] else None
        return grad_x, grad_gy


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
