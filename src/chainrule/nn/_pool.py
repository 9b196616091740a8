"""`MaxPool2d`, `AvgPool2d` and their functions `max_pool2d`, `avg_pool2d`, with PyTorch's
arguments, defaults, output sizes (``ceil_mode`` included) and gradients.

Max pooling is one fused node, `MaxPool`: the windows are a read-only view of the input
padded with −∞, the maximum of each is found once, and its position (PyTorch's index into
H·W) is all backward needs: the gradient goes to the first maximum of a window, as
PyTorch's (a NaN wins over numbers, the last NaN over the others, as in PyTorch's loop).
Average pooling is composed: a sum by `conv2d` with a kernel of ones, divided by PyTorch's
divisor, so its gradients (of any order) are the convolution's.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from .._arguments import flag
from .._function import Function
from .._tensor import Tensor
from ..ops._common import as_float, is_tensor
from ._conv import pair
from ._im2col import Convolution, Geometry, windows
from ._module import Module


# ----- output sizes ---------------------------------------------------------------------------
def _out_size(size: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """PyTorch's pooling output size; with ``ceil_mode`` the last window must start inside
    the input or its left padding."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def _geometry(who: str, shape, kernel, stride, padding, dilation, ceil: bool) -> Geometry:
    """Where the windows lie, the padding at the bottom and right grown so that ceil_mode's
    last, partial window fits; a ValueError for what PyTorch refuses."""
    if len(shape) != 4:
        raise ValueError(f"{who}: input must be (N, C, H, W) or (C, H, W), got shape {shape}")
    sizes = [
        _out_size(shape[2 + a], kernel[a], stride[a], padding[a], dilation[a], ceil) for a in (0, 1)
    ]
    if min(sizes) < 1:
        raise ValueError(
            f"{who}: the output of an input of shape {shape} would be empty ({sizes[0]}, "
            f"{sizes[1]}): the kernel {kernel} with dilation {dilation} is larger than the "
            f"padded input"
        )
    pads = []
    for a in (0, 1):
        extra = (sizes[a] - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + 1
        extra -= shape[2 + a] + 2 * padding[a]
        pads.append((padding[a], padding[a] + max(extra, 0)))
    return Geometry(stride, tuple(pads), dilation)


def _settings(who, kernel_size, stride, padding, dilation, as_tuple=pair):
    """kernel, stride (None or () is the kernel size), padding and dilation as pairs, or
    as the tuples ``as_tuple`` makes (tuples of one for the 1-D pools)."""
    kernel = as_tuple(who, "kernel_size", kernel_size, 1)
    empty = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    stride = kernel if empty else as_tuple(who, "stride", stride, 1)
    padding, dilation = as_tuple(who, "padding", padding, 0), as_tuple(who, "dilation", dilation, 1)
    return kernel, stride, padding, dilation


def _check_half(who: str, padding, kernel) -> None:
    """PyTorch's rule: padding at most half the kernel (undilated), so that no window is
    padding alone."""
    for p, k in zip(padding, kernel):
        if 2 * p > k:
            raise ValueError(
                f"{who}: padding should be at most half of the kernel size, got "
                f"padding={padding} and kernel_size={kernel}"
            )


def _batched(x) -> tuple[Tensor, bool]:
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim == 3:  # unbatched (C, H, W)
        return ops.reshape(x, 1, *x.shape), True
    return x, False


def _unbatched(out: Tensor, unbatched: bool) -> Tensor:
    return ops.reshape(out, *out.shape[1:]) if unbatched else out


# ----- max pooling ----------------------------------------------------------------------------
def _lowest(dtype: np.dtype):
    if dtype.kind == "f":
        return -np.inf
    return np.iinfo(dtype).min if dtype.kind in "iu" else False


def _window_max(x: np.ndarray, kernel, geom: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Each window's maximum (N, C, oH, oW) and its position in the window, by PyTorch's
    loop: a value replaces the maximum if it is greater (so a tie keeps the first) or NaN
    (so the last NaN wins)."""
    nan = x.dtype.kind == "f" and bool(np.isnan(x).any())
    return _first_max(_at_offsets(x, kernel, geom), nan)


def _first_max(values: list[np.ndarray], nan: bool) -> tuple[np.ndarray, np.ndarray]:
    """The maximum of ``values`` (arrays of one shape) elementwise and the position in the
    list of the first that holds it, by PyTorch's loop: a value replaces the maximum if it
    is greater (a tie keeps the first) or, when ``nan`` says there are any, NaN (the last
    NaN wins)."""
    best = values[0].copy()
    small = len(values) <= 127  # positions fit int8: a quarter of the traffic
    arg = np.zeros(best.shape, np.int8 if small else np.int64)
    for position, value in enumerate(values):
        better = value > best
        if nan:
            better |= np.isnan(value)
        np.maximum(best, value, out=best)  # NaN propagates, as the loop's does
        np.copyto(arg, position, where=better)
    return best, arg


def _at_offsets(x: np.ndarray, kernel, geom: Geometry) -> list[np.ndarray]:
    """The values of every window at each kernel offset (row by row): kH·kW arrays (N, C,
    oH, oW). Where the windows tile the input (stride = kernel, no padding, no dilation:
    the usual MaxPool2d(k)), contiguous slices of one copy, which the loop reads fastest;
    else strided views of `windows`."""
    kh, kw = kernel
    if _tiling(kernel, geom):
        n, c, h, w = x.shape
        oh, ow = h // kh, w // kw
        tiles = x[:, :, : oh * kh, : ow * kw].reshape(n, c, oh, kh, ow, kw)
        tiles = np.ascontiguousarray(tiles.transpose(3, 5, 0, 1, 2, 4))
        return list(tiles.reshape(kh * kw, n, c, oh, ow))
    win = windows(x, kernel, geom, fill=_lowest(x.dtype))  # (N, C, oH, oW, kH, kW)
    return [win[..., i, j] for i in range(kh) for j in range(kw)]


def _tiling(kernel, geom: Geometry) -> bool:
    """Whether the windows tile the input: side by side, no padding, no dilation."""
    return (
        tuple(geom.stride) == tuple(kernel)
        and tuple(geom.dilation) == (1, 1)
        and geom.padding == ((0, 0), (0, 0))
    )


def _apart(kernel, geom: Geometry) -> bool:
    """Whether no two windows share a position (stride at least the dilated kernel's
    extent), so that no two argmaxes do."""
    (sh, sw), (dh, dw) = geom.stride, geom.dilation
    return sh > dh * (kernel[0] - 1) and sw > dw * (kernel[1] - 1)


def _indices(arg: np.ndarray, shape, kernel, geom: Geometry):
    """PyTorch's indices: each window's maximum as a position in its plane, row·W + column;
    a window whose values all are −∞ points at its first position inside the input. Also
    where a window misses the input (dilation can step over it): PyTorch's index there
    lies past the input, and the gradient goes nowhere."""
    (sh, sw), (dh, dw) = geom.stride, geom.dilation
    oh, ow = arg.shape[2:]
    if geom.padding == ((0, 0), (0, 0)):  # every window inside: a table of the offsets
        width = shape[3]
        offsets = np.arange(kernel[0] * kernel[1])
        table = offsets // kernel[1] * dh * width + offsets % kernel[1] * dw
        starts = np.arange(oh)[:, None] * sh * width + np.arange(ow)[None, :] * sw
        return starts + table[arg], np.zeros(arg.shape, bool)
    arg = arg.astype(np.int64)
    top, left = geom.padding[0][0], geom.padding[1][0]
    start_r = np.arange(oh)[:, None] * sh - top
    start_c = np.arange(ow)[None, :] * sw - left
    r = start_r + arg // kernel[1] * dh
    c = start_c + arg % kernel[1] * dw
    height, width = shape[2:]
    outside = (r < 0) | (r >= height) | (c < 0) | (c >= width)
    if outside.any():  # only where every value is −∞: PyTorch's first position inside
        r = np.where(outside, _first_inside(start_r, dh), r)
        c = np.where(outside, _first_inside(start_c, dw), c)
    return r * width + c, (r >= height) | (c >= width)


def _first_inside(start: np.ndarray, step: int) -> np.ndarray:
    """The first of start, start + step, ... that is >= 0."""
    behind = (-start).clip(0)
    return start + -(-behind // step) * step


def _gather(x, idx: np.ndarray):
    """x (N, C, H, W) at the plane positions ``idx`` (N, C, oH, oW); 0 at an index of −1."""
    n, c = idx.shape[:2]
    missed = idx < 0
    if is_tensor(x):
        planes = ops.reshape(x, n, c, -1)
        at = (np.arange(n)[:, None, None, None], np.arange(c)[:, None, None], idx.clip(0))
        picked = planes[at]
        return ops.where(missed, np.zeros((), x.dtype), picked) if missed.any() else picked
    picked = np.take_along_axis(x.reshape(n, c, -1), idx.clip(0).reshape(n, c, -1), -1)
    return np.where(missed, 0, picked.reshape(idx.shape))


def _scatter(g: np.ndarray, idx: np.ndarray, shape, apart: bool = False) -> np.ndarray:
    """Zeros of ``shape`` (N, C, H, W) with ``g`` added at ``idx``: one bincount, or with
    ``apart`` (no position twice: windows that share none) one assignment. An index of −1
    (a window that misses the input) takes nothing."""
    n, c, h, w = shape
    planes = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)
    at, weights = (planes + idx).ravel(), g.ravel()
    if idx.min(initial=0) < 0:
        at, weights = at[idx.ravel() >= 0], weights[idx.ravel() >= 0]
    if apart:
        out = np.zeros(n * c * h * w, g.dtype)
        out[at] = weights
        return out.reshape(shape)
    summed = np.bincount(at, weights=weights, minlength=n * c * h * w)
    return summed.astype(g.dtype, copy=False).reshape(shape)


class MaxPool(Function):
    """max_pool2d: out = max over each window gives dX = dY added at each window's argmax
    (the first maximum, as PyTorch), 0 elsewhere."""

    __slots__ = ("geom", "indices", "kernel", "shape")
    derivative = "dX = scatter(dY → argmax)"

    def __init__(self, kernel: tuple[int, int], geom: Geometry):
        self.kernel, self.geom = kernel, geom

    def forward(self, x):
        out, arg = _window_max(x, self.kernel, self.geom)
        self.indices, missed = _indices(arg, x.shape, self.kernel, self.geom)
        idx = np.where(missed, -1, self.indices) if missed.any() else self.indices
        self.saved, self.shape = (idx,), x.shape
        return out

    def backward(self, grad_out):
        (idx,), shape = self.saved, self.shape
        if is_tensor(grad_out):
            return MaxUnpool(idx, shape)(grad_out)
        return _scatter(grad_out, idx, shape, _apart(self.kernel, self.geom))


class MaxUnpool(Function):
    """max_pool2d's backward: zeros with the upstream values added at the argmaxes; its own
    gradient picks the values at the argmaxes again (d/dg = the selection)."""

    __slots__ = ("idx", "shape")
    derivative = "d(dY) = G[argmax]"

    def __init__(self, idx: np.ndarray, shape: tuple[int, ...]):
        self.idx, self.shape = idx, shape

    def forward(self, g):
        return _scatter(g, self.idx, self.shape)

    def backward(self, grad_out):
        return _gather(grad_out, self.idx)


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """The maximum of each window, as PyTorch's ``F.max_pool2d``: ``input`` (N, C, H, W) or
    (C, H, W); ``stride`` defaults to ``kernel_size``; the input is padded with −∞;
    ``dilation`` spaces a window's elements; ``ceil_mode`` keeps a last, partial window.
    With ``return_indices``, also each maximum's position in its plane (row·W + column,
    int64), as PyTorch's."""
    args = (kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    return _max_pool2d("max_pool2d", input, *args)


def _max_pool2d(who, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    kernel, stride, padding, dilation = _settings(who, kernel_size, stride, padding, dilation)
    _check_half(who, padding, kernel)
    ceil = flag(who, "ceil_mode", ceil_mode)
    x, unbatched = _batched(input)
    node = MaxPool(kernel, _geometry(who, x.shape, kernel, stride, padding, dilation, ceil))
    out = _unbatched(node(x), unbatched)
    if not flag(who, "return_indices", return_indices):
        return out
    return out, Tensor(node.indices[0] if unbatched else node.indices)


class _MaxPoolNd(Module):
    """What `MaxPool1d` and `MaxPool2d` share: PyTorch's arguments, checked when the layer
    is made (``_as_tuple`` reads them) and kept and shown as given, and the call of the
    function (``_function``)."""

    _as_tuple = staticmethod(pair)
    _function = staticmethod(_max_pool2d)

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ):
        name = type(self).__name__
        kernel, _, padding_, _ = _settings(
            name, kernel_size, stride, padding, dilation, self._as_tuple
        )
        _check_half(name, padding_, kernel)
        self.kernel_size, self.padding, self.dilation = kernel_size, padding, dilation
        self.stride = kernel_size if stride is None else stride
        self.return_indices = flag(name, "return_indices", return_indices)
        self.ceil_mode = flag(name, "ceil_mode", ceil_mode)

    def forward(self, x):
        """The maximum of each window of ``x`` (and its position, with return_indices)."""
        args = (self.kernel_size, self.stride, self.padding, self.dilation)
        return self._function(type(self).__name__, x, *args, self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool2d(_MaxPoolNd):
    """Max pooling over (N, C, H, W) or (C, H, W) inputs, as PyTorch's ``nn.MaxPool2d``
    (see `max_pool2d`); the settings are kept and shown as given."""


# ----- average pooling ------------------------------------------------------------------------
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
