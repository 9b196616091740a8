"""`MaxPool2d` and its function `max_pool2d`, with PyTorch's arguments, defaults, output
sizes (``ceil_mode`` included) and gradients, and `_MaxPoolNd`, what `MaxPool1d` shares.

Max pooling is one fused node, `MaxPool`: the windows are a read-only view of the input
padded with −∞, the maximum of each is found once, and its position (PyTorch's index into
H·W) is all backward needs: the gradient goes to the first maximum of a window, as
PyTorch's (a NaN wins over numbers, the last NaN over the others, as in PyTorch's loop).
"""

from __future__ import annotations

import numpy as np

from .. import ops
from .._arguments import flag
from .._function import Function
from .._tensor import Tensor
from ..ops._common import is_tensor
from ._conv import pair
from ._im2col import Geometry, windows
from ._module import Module
from ._pool import _batched, _check_half, _geometry, _settings, _unbatched


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
