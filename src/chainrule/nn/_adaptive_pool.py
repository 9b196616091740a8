"""`AdaptiveAvgPool2d`, `AdaptiveMaxPool2d` and their functions `adaptive_avg_pool2d`,
`adaptive_max_pool2d`, with PyTorch's arguments, windows and gradients.

Output row i pools input rows floor(i·H/oH) to ceil((i + 1)·H/oH) (excluded), and
likewise for columns, as PyTorch's kernels. Both are composed from core ops: the average
is separable, A_h · x · A_wᵀ with averaging matrices of shape (oH, H) and (oW, W), so its
gradient is the matrix products'; the maximum is found in NumPy by `max_pool2d`'s rule (a
tie keeps the first, a NaN wins, the last NaN over the others) and picked by indexing, so
the gradient goes to each window's first maximum, as PyTorch's.
"""

from __future__ import annotations

import numpy as np

from .._arguments import flag, is_count
from .._tensor import Tensor
from ..ops._common import as_float
from ._max_pool import _first_max, _gather
from ._module import Module
from ._pool import _batched, _unbatched


def _output_size(who: str, output_size, shape) -> tuple[int, int]:
    """``output_size`` (an int, or a pair whose None keeps the input's size) as a pair."""
    pair = (output_size, output_size) if is_count(output_size, 1) else output_size
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValueError(f"{who}: output_size must be an int or a pair, got {output_size!r}")
    sizes = tuple(shape[2 + a] if s is None else s for a, s in enumerate(pair))
    if not all(is_count(s, 1) for s in sizes):
        raise ValueError(
            f"{who}: output_size must hold positive ints (or None), got {output_size!r}"
        )
    return int(sizes[0]), int(sizes[1])


def _bounds(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's windows: start = floor(i·size/out), end = ceil((i + 1)·size/out)."""
    i = np.arange(out)
    return i * size // out, -(-(i + 1) * size // out)


def _averaging(size: int, out: int, dtype) -> np.ndarray:
    """(out, size): row i holds 1/len over window i, zeros elsewhere."""
    start, end = _bounds(size, out)
    j = np.arange(size)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _checked(who: str, input) -> tuple[Tensor, bool]:
    x, unbatched = _batched(input)
    if x.ndim != 4 or 0 in x.shape[2:]:
        raise ValueError(f"{who}: input must be (N, C, H, W) or (C, H, W), got {x.shape}")
    return x, unbatched


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """The mean of each of PyTorch's adaptive windows, as ``F.adaptive_avg_pool2d``:
    ``input`` (N, C, H, W) or (C, H, W) gives (…, oH, oW); ``output_size`` an int, a pair,
    or a pair with None for the input's size. An integer or bool input is averaged in
    float64."""
    x, unbatched = _checked("adaptive_avg_pool2d", input)
    if x.dtype.kind in "biu":
        x = as_float(x, np.float64)
    oh, ow = _output_size("adaptive_avg_pool2d", output_size, x.shape)
    rows = _averaging(x.shape[2], oh, x.dtype)  # (oH, H)
    cols = _averaging(x.shape[3], ow, x.dtype).T  # (W, oW)
    return _unbatched(rows @ x @ cols, unbatched)


def _window_indices(size: int, out: int) -> np.ndarray:
    """(out, k): the positions of each window, k the longest; a shorter window repeats its
    last position, which neither changes its maximum nor which position holds it."""
    start, end = _bounds(size, out)
    steps = np.arange((end - start).max())
    return np.minimum(start[:, None] + steps, end[:, None] - 1)


def _argmax(x: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """Each window's first maximum (the last NaN, if any) as row·W + column, (N, C, oH, oW),
    by `max_pool2d`'s loop over the window's positions in row-major order."""
    width = x.shape[3]
    rows, cols = _window_indices(x.shape[2], oh), _window_indices(width, ow)
    win = x[:, :, rows[:, None, :, None], cols[None, :, None, :]]  # (N, C, oH, oW, kH, kW)
    kh, kw = rows.shape[1], cols.shape[1]
    nan = x.dtype.kind == "f" and bool(np.isnan(x).any())
    _, arg = _first_max([win[..., i, j] for i in range(kh) for j in range(kw)], nan)
    i, j = arg // kw, arg % kw  # the position's row and column in the window
    return rows[np.arange(oh)[:, None], i] * width + cols[np.arange(ow), j]


def adaptive_max_pool2d(input, output_size, return_indices: bool = False):
    """The maximum of each of PyTorch's adaptive windows, as ``F.adaptive_max_pool2d``
    (windows as in `adaptive_avg_pool2d`); the gradient goes to each window's first
    maximum. With ``return_indices``, also each maximum's position in its plane
    (row·W + column, int64), as `max_pool2d`'s."""
    who = "adaptive_max_pool2d"
    indices = flag(who, "return_indices", return_indices)
    x, unbatched = _checked(who, input)
    idx = _argmax(x.data, *_output_size(who, output_size, x.shape))
    out = _unbatched(_gather(x, idx), unbatched)
    if not indices:
        return out
    return out, Tensor(idx[0] if unbatched else idx)


class AdaptiveAvgPool2d(Module):
    """Adaptive average pooling to ``output_size``, as PyTorch's ``nn.AdaptiveAvgPool2d``
    (see `adaptive_avg_pool2d`); the size is kept and shown as given."""

    def __init__(self, output_size):
        self.output_size = output_size

    def forward(self, x) -> Tensor:
        return adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Module):
    """Adaptive max pooling to ``output_size``, as PyTorch's ``nn.AdaptiveMaxPool2d`` (see
    `adaptive_max_pool2d`); the size is kept and shown as given."""

    def __init__(self, output_size, return_indices: bool = False):
        self.output_size = output_size
        self.return_indices = flag("AdaptiveMaxPool2d", "return_indices", return_indices)

    def forward(self, x):
        return adaptive_max_pool2d(x, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
