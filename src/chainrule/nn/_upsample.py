"""`interpolate` and `Upsample` (modes "nearest", "linear", "bilinear"), `pixel_shuffle`,
`pixel_unshuffle`, `PixelShuffle` and `PixelUnshuffle`, with PyTorch's arguments, output
sizes, source positions and reprs.

Composed from core ops, one spatial axis at a time, so their gradients need no rule of their
own: "nearest" picks a source index per output position (`index_select`, whose backward
adds each output's gradient into its source); "linear" is a product with an interpolation
matrix (out, in) holding the two weights 1 − λ and λ of each output position; the pixel
shuffles are a reshape, a transpose and a reshape.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import ops
from .._arguments import flag, is_count
from .._tensor import Tensor
from ._module import Module

_MODES = {"nearest": (3, 4), "linear": (3,), "bilinear": (4,)}


def _per_axis(who: str, name: str, value, count: int, check) -> tuple:
    """``value`` (one, or a tuple or list of ``count``) as a tuple of ``count``, each passing
    ``check``."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * count
    if len(items) != count or not all(check(v) for v in items):
        raise ValueError(
            f"{who}: {name} must be one value or {count} (one per spatial dimension), each "
            f"{'an integer >= 1' if name == 'size' else 'a positive number'}, got {value!r}"
        )
    return items


# ----- output sizes and source positions ------------------------------------------------------
def _sizes(who, shape, size, scale_factor, recompute) -> tuple[tuple[int, ...], tuple]:
    """The output's spatial sizes, and the scale (or None) each axis's positions use: PyTorch's
    ⌊in·scale_factor⌋ and 1/scale_factor, or ``size`` and in/out (also with
    ``recompute_scale_factor``)."""
    if (size is None) == (scale_factor is None):
        given = "both" if size is not None else "neither"
        raise ValueError(f"{who}: give exactly one of size and scale_factor, got {given}")
    if size is not None:
        sizes = _per_axis(who, "size", size, len(shape), lambda v: is_count(v, 1))
        return tuple(int(s) for s in sizes), (None,) * len(shape)
    factors = _per_axis(who, "scale_factor", scale_factor, len(shape), _is_positive)
    scales = tuple(float(s) for s in factors)
    sizes = tuple(math.floor(n * s) for n, s in zip(shape, scales))
    if min(sizes) < 1:
        raise ValueError(
            f"{who}: scale_factor={scale_factor!r} gives an empty output {sizes} for an input "
            f"of spatial size {tuple(shape)}"
        )
    return sizes, ((None,) * len(shape) if recompute else scales)


def _is_positive(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) and v > 0


def _nearest_sources(size: int, out: int, scale, dtype, exact_sizes: bool) -> np.ndarray:
    """PyTorch's "nearest": min(⌊j·s⌋, size − 1), s = 1/scale_factor or size/out, computed
    in ``dtype`` (float32 for a float32 input) as PyTorch's kernel does, so that an index
    at a rounding edge follows it. PyTorch's 2-D kernel takes j for an output as large as
    the input and ⌊j/2⌋ for one twice as large, whatever the scale (``exact_sizes``)."""
    if exact_sizes and out in (size, 2 * size):
        return np.arange(out) // (out // size)
    s = dtype.type(1.0 / scale) if scale is not None else dtype.type(size) / dtype.type(out)
    return np.minimum(np.floor(np.arange(out, dtype=dtype) * s).astype(np.int64), size - 1)


def _linear_matrix(size: int, out: int, scale, align_corners: bool, dtype) -> np.ndarray:
    """The (out, size) matrix of linear interpolation: output j at source position
    x = j·(size − 1)/(out − 1) with ``align_corners``, else max((j + ½)·s − ½, 0) with s as
    in `_nearest_sources`; weights 1 − λ at i = ⌊x⌋ and λ = x − i at i + 1 (clamped to the
    last element), as PyTorch's."""
    j = np.arange(out, dtype=np.float64)
    if align_corners:
        x = j * ((size - 1) / (out - 1) if out > 1 else 0.0)
    else:
        s = 1.0 / scale if scale is not None else size / out
        x = np.maximum((j + 0.5) * s - 0.5, 0.0)
    i = np.minimum(np.floor(x).astype(np.int64), size - 1)
    lam = np.clip(x - i, 0.0, 1.0)
    matrix = np.zeros((out, size), dtype)
    rows = np.arange(out)
    np.add.at(matrix, (rows, i), 1.0 - lam)
    np.add.at(matrix, (rows, np.minimum(i + 1, size - 1)), lam)
    return matrix


# ----- interpolate ---------------------------------------------------------------------------
def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners=None,
    recompute_scale_factor=None,
) -> Tensor:
    """``input`` (N, C, L) or (N, C, H, W) resampled to ``size`` or by ``scale_factor``
    (one, or one per spatial dimension), as PyTorch's ``F.interpolate``. ``mode``
    "nearest" takes source min(⌊j·s⌋, in − 1) with s = 1/scale_factor (in/out given a
    size); "linear" (3-D) and "bilinear" (4-D) weigh the two nearest sources, at
    (j + ½)·s − ½, or j·(in − 1)/(out − 1) with ``align_corners=True`` (None is False;
    "nearest" refuses it). ``recompute_scale_factor=True`` uses in/out with the output
    size from ``scale_factor``. Gradients go back to the sources by the same weights."""
    who = "interpolate"
    x = input if isinstance(input, Tensor) else Tensor(input)
    align = _check_mode(who, mode, x.ndim, align_corners)
    recompute = flag(who, "recompute_scale_factor", recompute_scale_factor)
    sizes, scales = _sizes(who, x.shape[2:], size, scale_factor, recompute)
    for axis, (out, scale) in enumerate(zip(sizes, scales), start=2):
        x = _resample(x, axis, out, scale, mode, align)
    return x


def _check_mode(who: str, mode, ndim: int, align_corners) -> bool:
    """The mode known and right for the input's rank; align_corners as a bool."""
    if mode not in _MODES:
        raise ValueError(f"{who}: mode must be one of {tuple(_MODES)}, got {mode!r}")
    if ndim not in _MODES[mode]:
        shapes = " or ".join(f"{n}-D" for n in _MODES[mode])
        raise ValueError(f"{who}: mode={mode!r} needs a {shapes} input, got {ndim}-D")
    if mode == "nearest" and align_corners is not None:
        raise ValueError(
            f"{who}: align_corners is for the interpolating modes, not mode='nearest', got "
            f"align_corners={align_corners!r}"
        )
    return flag(who, "align_corners", align_corners)


def _resample(x: Tensor, axis: int, out: int, scale, mode: str, align: bool) -> Tensor:
    """``x`` resampled along ``axis`` (the last or the one before) to ``out`` positions; the
    same ``x`` for as many by "linear", whatever the scale, as PyTorch's kernels."""
    size = x.shape[axis]
    dtype = x.dtype if x.dtype == np.float32 else np.dtype(np.float64)
    if mode == "nearest":
        sources = _nearest_sources(size, out, scale, dtype, exact_sizes=x.ndim == 4)
        return ops.index_select(x, axis, sources)
    if out == size:  # PyTorch's linear kernels copy the input then, whatever the scale
        return x
    matrix = _linear_matrix(size, out, scale, align, dtype)  # (out, size)
    if axis == x.ndim - 1:
        return x @ matrix.T  # (…, size) @ (size, out)
    return matrix @ x  # (out, size) @ (…, size, W), broadcast over the leading axes


class Upsample(Module):
    """Resampling by `interpolate`, as PyTorch's ``nn.Upsample``: ``size`` or
    ``scale_factor`` (kept as floats, as PyTorch's), ``mode`` "nearest", "linear" or
    "bilinear", ``align_corners`` and ``recompute_scale_factor`` as `interpolate`'s."""

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode: str = "nearest",
        align_corners=None,
        recompute_scale_factor=None,
    ):
        if mode not in _MODES:
            raise ValueError(f"Upsample: mode must be one of {tuple(_MODES)}, got {mode!r}")
        self.size, self.mode = size, mode
        if isinstance(scale_factor, (tuple, list)):
            scale_factor = tuple(float(s) for s in scale_factor)
        elif _is_positive(scale_factor):
            scale_factor = float(scale_factor)
        self.scale_factor = scale_factor
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, x) -> Tensor:
        args = (self.size, self.scale_factor, self.mode, self.align_corners)
        return interpolate(x, *args, recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor!r}, mode={self.mode!r}"
        return f"size={self.size!r}, mode={self.mode!r}"


# ----- pixel shuffles ------------------------------------------------------------------------
def _factor(who: str, name: str, factor) -> int:
    if not is_count(factor, 1):
        raise ValueError(f"{who}: {name} must be a positive integer, got {factor!r}")
    return int(factor)


def _image(who: str, input) -> Tensor:
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim < 3:
        raise ValueError(f"{who}: input must be (*, C, H, W), got shape {x.shape}")
    return x


def pixel_shuffle(input, upscale_factor: int) -> Tensor:
    """(*, C·r², H, W) -> (*, C, H·r, W·r), as PyTorch's ``F.pixel_shuffle``: out[c, h·r + i,
    w·r + j] = x[c·r² + i·r + j, h, w], r = ``upscale_factor``."""
    who = "pixel_shuffle"
    r, x = _factor(who, "upscale_factor", upscale_factor), _image(who, input)
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise ValueError(
            f"{who}: the channels of an input of shape {x.shape}, {c}, are not divisible by "
            f"upscale_factor² = {r * r}"
        )
    k = len(lead)
    x = ops.reshape(x, *lead, c // (r * r), r, r, h, w)
    x = ops.transpose(x, *range(k), k, k + 3, k + 1, k + 4, k + 2)  # (*, C, H, r, W, r)
    return ops.reshape(x, *lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor: int) -> Tensor:
    """(*, C, H·r, W·r) -> (*, C·r², H, W), the inverse of `pixel_shuffle`, as PyTorch's
    ``F.pixel_unshuffle``."""
    who = "pixel_unshuffle"
    r, x = _factor(who, "downscale_factor", downscale_factor), _image(who, input)
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise ValueError(
            f"{who}: the height and width of an input of shape {x.shape} are not both "
            f"divisible by downscale_factor={r}"
        )
    k = len(lead)
    x = ops.reshape(x, *lead, c, h // r, r, w // r, r)
    x = ops.transpose(x, *range(k), k, k + 2, k + 4, k + 1, k + 3)  # (*, C, r, r, H, W)
    return ops.reshape(x, *lead, c * r * r, h // r, w // r)


class PixelShuffle(Module):
    """`pixel_shuffle` by ``upscale_factor``, as PyTorch's ``nn.PixelShuffle``."""

    def __init__(self, upscale_factor: int):
        self.upscale_factor = _factor("PixelShuffle", "upscale_factor", upscale_factor)

    def forward(self, x) -> Tensor:
        return pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """`pixel_unshuffle` by ``downscale_factor``, as PyTorch's ``nn.PixelUnshuffle``."""

    def __init__(self, downscale_factor: int):
        self.downscale_factor = _factor("PixelUnshuffle", "downscale_factor", downscale_factor)

    def forward(self, x) -> Tensor:
        return pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
