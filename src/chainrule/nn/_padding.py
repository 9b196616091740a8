"""`pad` (PyTorch's ``F.pad``) and the padding layers `ZeroPad1d`, `ZeroPad2d`,
`ConstantPad1d`, `ConstantPad2d`, `ReflectionPad1d`, `ReflectionPad2d`, `ReplicationPad1d`,
`ReplicationPad2d`, `CircularPad1d`, `CircularPad2d`, with PyTorch's arguments and reprs.

Composed from core ops, one axis at a time, so their gradients need no rule of their own:

- "constant" crops a negative pad by slicing and joins blocks of the fill value to the
  input (`concatenate`): the gradient is the upstream one at the input's positions;
- "reflect", "replicate" and "circular" pick, along the axis, the source of every output
  position by an integer index (`index_select`): its backward adds the gradient of each
  copied element back into its source.
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import ops
from .._arguments import is_integer
from .._tensor import Tensor
from ._module import Module

_MODES = ("constant", "reflect", "replicate", "circular")


# ----- where each output position comes from, along one axis of ``size`` -----------------------
def _reflect(before: int, after: int, size: int) -> np.ndarray:
    """Mirrored at the first and last elements, which are not repeated (np.pad's "reflect");
    a negative pad drops the positions it would start or end with."""
    mirrored = np.abs(np.arange(-before, size + after))
    return np.where(mirrored > size - 1, 2 * (size - 1) - mirrored, mirrored)


def _replicate(before: int, after: int, size: int) -> np.ndarray:
    """The nearest edge element (np.pad's "edge")."""
    return np.clip(np.arange(-before, size + after), 0, size - 1)


def _circular(before: int, after: int, size: int) -> np.ndarray:
    """Wrapped around (np.pad's "wrap"): PyTorch's, which crops the negative pads first and
    wraps around what is left."""
    low, kept = max(-before, 0), size - max(-before, 0) - max(-after, 0)
    return low + np.arange(-max(before, 0), kept + max(after, 0)) % max(kept, 1)


_SOURCES = {"reflect": _reflect, "replicate": _replicate, "circular": _circular}


# ----- checks --------------------------------------------------------------------------------
def _pairs(who: str, pad, ndim: int) -> list[tuple[int, int, int]]:
    """PyTorch's ``pad`` (last axis first: (left, right, top, bottom, …)) as (axis, before,
    after) triples."""
    values = tuple(pad) if isinstance(pad, (tuple, list)) else None
    if values is None or not all(is_integer(v) for v in values):
        raise ValueError(f"{who}: pad must be a tuple of integers, got {pad!r}")
    if len(values) % 2:
        raise ValueError(f"{who}: pad must have an even length (pairs), got {pad!r}")
    if len(values) > 2 * ndim:
        raise ValueError(
            f"{who}: pad {pad!r} pads {len(values) // 2} dimensions, but the input has {ndim}"
        )
    return [
        (ndim - 1 - i, int(values[2 * i]), int(values[2 * i + 1])) for i in range(len(values) // 2)
    ]


def _check_mode(who: str, mode, value) -> None:
    if mode not in _MODES:
        raise ValueError(f"{who}: mode must be one of {_MODES}, got {mode!r}")
    if mode != "constant" and value is not None:
        raise ValueError(
            f"{who}: mode={mode!r} takes no value (the fill of 'constant'), got {value!r}"
        )


def _check_rank(who: str, mode: str, shape: tuple, count: int) -> None:
    """PyTorch's non-constant modes pad the last 1, 2 or 3 axes of a batch (N, C, …) or of
    one unbatched sample (C, …)."""
    if count not in (1, 2, 3) or len(shape) not in (count + 1, count + 2):
        raise ValueError(
            f"{who}: mode={mode!r} pads the last 1, 2 or 3 dimensions of an input with one or "
            f"two more ((N, C, …) or (C, …)); got {2 * count} pad values for an input of shape "
            f"{shape}"
        )


def _check_sizes(who: str, mode: str, size: int, axis: int, before: int, after: int) -> None:
    if mode != "constant" and size == 0:
        raise ValueError(f"{who}: mode={mode!r} cannot pad dimension {axis} of size 0")
    if mode == "reflect" and max(before, after) >= size:
        raise ValueError(
            f"{who}: mode='reflect' needs pads smaller than the dimension they pad, got "
            f"({before}, {after}) for dimension {axis} of size {size}"
        )
    kept = size - max(-before, 0) - max(-after, 0)  # what circular padding wraps around
    if mode == "circular" and max(before, after) > kept:
        raise ValueError(
            f"{who}: mode='circular' needs pads at most the size they wrap around (once), got "
            f"({before}, {after}) for dimension {axis} of size {size}"
        )
    if size + before + after < 0:
        raise ValueError(
            f"{who}: pads ({before}, {after}) would crop dimension {axis} of size {size} to "
            f"{size + before + after}"
        )


# ----- padding -------------------------------------------------------------------------------
def pad(input, pad, mode: str = "constant", value=None) -> Tensor:
    """``input`` padded as PyTorch's ``F.pad``: ``pad`` names the last dimension first,
    (left, right), then (top, bottom), …; a negative pad crops. ``mode`` "constant" fills
    with ``value`` (None is 0) any number of dimensions; "reflect" (np.pad's "reflect"),
    "replicate" ("edge") and "circular" ("wrap") pad the last 1, 2 or 3 dimensions of an
    input with one or two more, and take no ``value``. Their gradient adds each copied
    element's gradient back into its source."""
    return padded("pad", input, pad, mode, value)


def padded(who: str, input, pad, mode: str, value=None) -> Tensor:
    """`pad`, with errors naming ``who``."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    _check_mode(who, mode, value)
    pairs = _pairs(who, pad, x.ndim)
    if mode != "constant":
        _check_rank(who, mode, x.shape, len(pairs))
    for axis, before, after in pairs:
        _check_sizes(who, mode, x.shape[axis], axis, before, after)
    for axis, before, after in pairs:
        if mode == "constant":
            x = _constant(x, axis, before, after, 0.0 if value is None else value)
        elif before or after:
            x = ops.index_select(x, axis, _SOURCES[mode](before, after, x.shape[axis]))
    return x


def _constant(x: Tensor, axis: int, before: int, after: int, value) -> Tensor:
    """``x`` cropped by the negative pads along ``axis`` and joined to blocks of ``value``
    for the positive ones."""
    size = x.shape[axis]
    if before < 0 or after < 0:
        kept = [slice(None)] * x.ndim
        kept[axis] = slice(max(-before, 0), size - max(-after, 0))
        x = x[tuple(kept)]
    if before <= 0 and after <= 0:
        return x
    blocks = [_block(x, axis, before, value), x, _block(x, axis, after, value)]
    return ops.concatenate(blocks, axis=axis)


def _block(x: Tensor, axis: int, width: int, value) -> np.ndarray:
    """``value`` in ``x``'s shape and dtype, ``width`` wide (or none) along ``axis``."""
    return np.full((*x.shape[:axis], max(width, 0), *x.shape[axis + 1 :]), value, x.dtype)


# ----- the layers ----------------------------------------------------------------------------
class _PadNd(Module):
    """A padding layer over the last ``_dims`` dimensions: ``padding`` an int (every side)
    or a tuple of 2·``_dims`` ints, last dimension first, kept as a tuple as PyTorch's."""

    _dims = 1
    mode = "constant"

    def __init__(self, padding):
        self.padding = _padding(type(self).__name__, padding, 2 * self._dims)

    def forward(self, x) -> Tensor:
        return padded(type(self).__name__, x, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


def _padding(who: str, padding, count: int) -> tuple[int, ...]:
    if is_integer(padding):
        return (int(padding),) * count
    pads = tuple(padding) if isinstance(padding, (tuple, list)) else ()
    if len(pads) == count and all(map(is_integer, pads)):
        return tuple(int(p) for p in pads)
    raise ValueError(f"{who}: padding must be an int or a tuple of {count} ints, got {padding!r}")


class _ConstantPadNd(_PadNd):
    """Padding with ``value`` (PyTorch's ``ConstantPadNd``)."""

    def __init__(self, padding, value: float):
        super().__init__(padding)
        if not isinstance(value, numbers.Real):
            raise ValueError(f"{type(self).__name__}: value must be a number, got {value!r}")
        self.value = value

    def forward(self, x) -> Tensor:
        return padded(type(self).__name__, x, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dimension of (N, C, L) or (C, L) inputs with ``value``, as PyTorch's
    ``nn.ConstantPad1d``: ``padding`` an int or (left, right); negative pads crop."""


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dimensions of (N, C, H, W) or (C, H, W) inputs with ``value``, as
    PyTorch's ``nn.ConstantPad2d``: ``padding`` an int or (left, right, top, bottom)."""

    _dims = 2


class ZeroPad1d(ConstantPad1d):
    """`ConstantPad1d` with zeros, as PyTorch's ``nn.ZeroPad1d``."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """`ConstantPad2d` with zeros, as PyTorch's ``nn.ZeroPad2d``."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pads the last dimension of (N, C, L) or (C, L) inputs with its reflection (the edge
    not repeated), as PyTorch's ``nn.ReflectionPad1d``; each pad below L."""

    mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Pads the last two dimensions with their reflection, as PyTorch's
    ``nn.ReflectionPad2d``: ``padding`` an int or (left, right, top, bottom)."""

    _dims = 2
    mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Pads the last dimension with copies of its edge elements, as PyTorch's
    ``nn.ReplicationPad1d``."""

    mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Pads the last two dimensions with copies of their edge elements, as PyTorch's
    ``nn.ReplicationPad2d``."""

    _dims = 2
    mode = "replicate"


class CircularPad1d(_PadNd):
    """Pads the last dimension by wrapping it around, as PyTorch's ``nn.CircularPad1d``;
    each pad at most L."""

    mode = "circular"


class CircularPad2d(_PadNd):
    """Pads the last two dimensions by wrapping them around, as PyTorch's
    ``nn.CircularPad2d``."""

    _dims = 2
    mode = "circular"
