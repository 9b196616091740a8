"""PyTorch's axis functions, composed of the core ops: ``movedim`` (= ``moveaxis``, a
transpose) and ``narrow`` (an index)."""

from __future__ import annotations

import numpy as np

from ._arrays import _axis_tuple
from ._axis_index import _axis_as_1d, _axis_in
from ._common import constant
from ._shape import index, transpose


def _moved_order(ndim: int, source, destination) -> list[int]:
    """The permutation that moves the axes ``source`` to ``destination`` (NumPy's rule)."""
    src = _axis_tuple("movedim", source, ndim)
    dst = _axis_tuple("movedim", destination, ndim)
    if len(src) != len(dst):
        raise ValueError(
            f"movedim: source {source!r} and destination {destination!r} name different "
            "numbers of axes"
        )
    order = [n for n in range(ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return order


def _narrow_start(size: int, start: int, length: int) -> int:
    """``start`` in ``range(size + 1)`` (negative counts from the end), checked with
    ``length`` against the axis' ``size``."""
    if not -size <= start <= size:
        raise IndexError(f"narrow: start {start} is out of range for an axis of size {size}")
    start = start + size if start < 0 else start
    if length < 0 or start + length > size:
        raise ValueError(f"narrow: start {start} + length {length} is beyond the axis' size {size}")
    return start


def narrow(x, dim: int, start: int, length: int):
    """The ``length`` elements of ``x`` from ``start`` (negative counts from the end) along
    ``dim``, as torch.narrow: an index, so the gradient flows back into them."""
    shape = np.shape(constant(x))
    axis = _axis_in("narrow", dim, len(shape))
    start = _narrow_start(shape[axis], start, length)
    return index(x, (slice(None),) * axis + (slice(start, start + length),))


def movedim(x, source, destination):
    """``x`` with the axes ``source`` (an int or a sequence) moved to ``destination``, the
    others keeping their order: torch.movedim, np.moveaxis (`moveaxis`); a transpose. A
    0-d ``x`` counts as 1-d (axis 0 or -1) and stays as it is, as in PyTorch."""
    ndim = np.ndim(constant(x))
    if not ndim:
        _check_0d_axes("movedim", source)
        _check_0d_axes("movedim", destination)
    order = _moved_order(max(ndim, 1), source, destination)
    return transpose(x, order if ndim else ())


def _check_0d_axes(op: str, axis) -> None:
    """Each of ``axis`` (an int or a sequence) must be 0 or -1 for a 0-d tensor, which counts
    as 1-d: an AxisError naming the 0-d tensor otherwise, not "a tensor of 1 dimensions"."""
    for a in axis if isinstance(axis, (tuple, list)) else (axis,):
        if type(a) is not bool and isinstance(a, (int, np.integer)):  # others: _axis_tuple's
            _axis_as_1d(op, a, 0)


moveaxis = movedim
