"""The fused 2-D convolution node, `Convolution`, of NCHW inputs, and its two halves, on the
windows' `Geometry` that pooling shares too.

The forward is im2col and one matrix product: the padded input is cut into windows by
``sliding_window_view`` (a read-only view), copied once into columns (one per output
position, in each group), and multiplied by the weight. The backward is the transposed
products and a col2im that adds each kernel offset's strided slice (no ``np.add.at``).
Its two halves are nodes too (`ConvolutionBackwardInput`, `ConvolutionBackwardWeight`):
all three are bilinear, each one's gradient is made of the others, so that gradients of
gradients (``create_graph=True``) are exact to any order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._function import Function
from ..ops._common import is_tensor


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
