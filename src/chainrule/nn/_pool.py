"""What the 2-D pools share, as PyTorch's: output sizes (``ceil_mode`` included), where the
windows lie, the settings read as pairs, the padding's limit, and an unbatched input as
a batch of one. Max pooling is in `_max_pool.py`, average pooling in `_avg_pool.py`.
"""

from __future__ import annotations

from .. import ops
from .._tensor import Tensor
from ._conv import pair
from ._im2col import Geometry


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
