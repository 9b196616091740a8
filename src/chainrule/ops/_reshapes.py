"""Shape changes under PyTorch's names: flatten unsqueeze squeeze permute expand, and tile
repeat_interleave chunk unbind, made of reshape, transpose, broadcast_to and indexing.

Composed of the primitives, with no `Function` (and no backward) of their own: their
gradient is the chain rule through the ops they are made of, so they need no row in the op
table (tests/test_torch_habits.py and tests/test_torch_names_composed.py gradcheck them).
"""

from __future__ import annotations

import numpy as np

from ._arrays import int_arg
from ._axis_index import _along, _axis_in, _shape_of
from ._common import constant
from ._names import torch_names
from ._reduce import _axes, _axis_arg
from ._shape import _shape_arg, broadcast_to, reshape, transpose
from ._shape import index as _pick


def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """``x`` with the axes ``start_dim`` to ``end_dim`` (both included) merged into one, as
    PyTorch's ``flatten``: all of them by default (a 0-d tensor becomes shape (1,)). A
    `reshape`, whose gradient is reshaped back."""
    shape = _shape_of(x)
    n = len(shape) or 1  # a 0-d tensor flattens as one of shape (1,), as in PyTorch
    start, end = _axis_in("flatten", start_dim, n), _axis_in("flatten", end_dim, n)
    if start > end:
        raise ValueError(
            f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a tensor of "
            f"shape {shape}"
        )
    merged = int(np.prod(shape[start : end + 1], dtype=np.int64))
    return reshape(x, (*shape[:start], merged, *shape[end + 1 :]))


def unsqueeze(x, axis=None, *, dim=None):
    """``x`` with a new axis of size 1 at position ``axis`` (-ndim-1 to ndim), as PyTorch's
    ``unsqueeze(dim)`` and NumPy's ``expand_dims``; a `reshape`."""
    axis, _ = torch_names("unsqueeze", axis, dim)
    if axis is None:
        raise TypeError("unsqueeze: give the position of the new axis, e.g. unsqueeze(x, 0)")
    shape = _shape_of(x)
    at = _axis_in("unsqueeze", axis, len(shape) + 1)
    return reshape(x, (*shape[:at], 1, *shape[at:]))


def squeeze(x, axis=None, *, dim=None):
    """``x`` without its axes of size 1: all of them when ``axis`` is None, else those of
    ``axis`` (an int or a tuple) that have size 1. As in PyTorch, a named axis whose size is
    not 1 is left as it is (NumPy's ``squeeze`` raises there); a `reshape`."""
    axis, _ = torch_names("squeeze", axis, dim)
    shape = _shape_of(x)
    named = _axes(_axis_arg("squeeze", axis), len(shape))  # None: every axis
    return reshape(x, tuple(n for i, n in enumerate(shape) if n != 1 or i not in named))


def permute(x, *dims):
    """``x`` with its axes in the order ``dims`` (each axis once: ``permute(x, 2, 0, 1)``
    or ``permute(x, (2, 0, 1))``), as PyTorch's ``permute``; NumPy's ``transpose``."""
    ndim = len(_shape_of(x))
    order = _shape_arg(dims) if dims else ()
    if len(order) != ndim:
        raise ValueError(
            f"permute: got the order {order} for a tensor of shape {_shape_of(x)}; give "
            f"every one of its {ndim} axes once, e.g. permute(x, {tuple(range(ndim))[::-1]})"
        )
    return transpose(x, order)


def expand(x, *sizes):
    """``x`` broadcast to ``sizes`` with PyTorch's ``expand`` rules: ``expand(2, 3)`` or
    ``expand((2, 3))``; -1 keeps that axis's size; extra leading axes are new (and may not
    be -1); an axis of size 1 may take any size, the others keep theirs. A `broadcast_to`,
    whose gradient is summed back over the broadcast axes. Errors are ValueErrors (PyTorch
    raises RuntimeError)."""
    shape = _shape_of(x)
    target = _shape_arg(sizes) if sizes else ()
    new = len(target) - len(shape)
    if new < 0:
        raise ValueError(
            f"expand: {len(target)} sizes {target} for a tensor of shape {shape}; give at "
            f"least one size per axis ({len(shape)}), -1 to keep an axis"
        )
    return broadcast_to(x, tuple(_expanded(target, shape, i, new) for i in range(len(target))))


def _expanded(target: tuple, shape: tuple, i: int, new: int) -> int:
    """The size of axis ``i`` of ``expand(x, *target)``; ``new`` leading axes are added."""
    size = target[i]
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise TypeError(f"expand: sizes must be ints, got {size!r} in {target}")
    if i < new:
        if size < 0:
            raise ValueError(f"expand: the new leading axis {i} needs a size >= 0, got {size}")
        return int(size)
    old = shape[i - new]
    if size == -1 or size == old:
        return old
    if old != 1 or size < 0:
        raise ValueError(
            f"expand: axis {i} of the tensor of shape {shape} has size {old}, which only an "
            f"axis of size 1 may change (to {size}), in {target}; -1 keeps it"
        )
    return int(size)


def tile(x, *reps):
    """``x`` repeated ``reps`` times along each axis, as ``np.tile`` and ``torch.tile``
    (``tile(x, 2, 3)`` or ``tile(x, (2, 3))``): fewer reps than axes repeat the last axes,
    more add leading axes. A reshape, `broadcast_to` and reshape, so the gradient is the
    sum of the upstream gradient over the tiles."""
    reps = tuple(int_arg("tile", "each repetition", r) for r in _shape_arg(reps)) if reps else ()
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: repetitions must be >= 0, got {reps}")
    shape = _shape_of(x)
    n = max(len(shape), len(reps))
    shape = (1,) * (n - len(shape)) + tuple(shape)
    reps = (1,) * (n - len(reps)) + reps
    spread = reshape(x, tuple(s for d in shape for s in (1, d)))
    wide = broadcast_to(spread, tuple(s for r, d in zip(reps, shape) for s in (r, d)))
    return reshape(wide, tuple(r * d for r, d in zip(reps, shape)))


def repeat_interleave(x, repeats, axis=None, *, dim=None):
    """Each element repeated ``repeats`` times in place (``[a, b]`` → ``[a, a, b, b]``), as
    ``torch.repeat_interleave`` and ``np.repeat`` (NumPy's ``repeat``; PyTorch's
    ``repeat`` is `tile`). ``repeats`` is an int or one int per element along the axis;
    with ``axis=None`` the tensor is flattened first. ``dim=`` is PyTorch's name. An integer
    index, so each element's gradient is the sum of its copies' upstream gradients."""
    axis, _ = torch_names("repeat_interleave", axis, dim)
    counts = np.asarray(constant(repeats))
    if counts.shape == (0,):  # [] is float64 to NumPy: no counts, for an empty axis
        counts = counts.astype(np.intp)
    if counts.dtype.kind not in "iu" or counts.ndim > 1:
        raise TypeError(
            f"repeat_interleave: repeats must be an int or a 1-D sequence of ints, got "
            f"{counts.dtype} of shape {counts.shape}"
        )
    if axis is None:
        x, axis = reshape(x, -1), 0
    shape = _shape_of(x)
    axis = _axis_in("repeat_interleave", axis, len(shape))
    n = shape[axis]
    if counts.ndim == 1 and counts.size not in (1, n):
        raise ValueError(
            f"repeat_interleave: {counts.size} repeats for an axis of size {n} (axis {axis} "
            f"of shape {shape}); give one int, or one per element"
        )
    if np.any(counts < 0):
        raise ValueError(f"repeat_interleave: repeats must be >= 0, got {counts.tolist()}")
    idx = np.repeat(np.arange(n), counts)
    return _pick(x, _along(axis, len(shape), idx))


def chunk(x, chunks: int, dim: int = 0, *, axis=None):
    """``x`` split along ``dim`` into ``chunks`` pieces, as PyTorch's ``chunk``: each
    ⌈n/chunks⌉ long, the last shorter, so fewer pieces come back when n does not divide
    (``chunk`` of 5 into 3 gives 2, 2 and 1; of 6 into 4, three of 2); an empty axis gives
    ``chunks`` empty pieces. A tuple of tensors, each a basic slice (its gradient goes back
    to its place). ``axis=`` is NumPy's name. NumPy's ``split`` and ``array_split`` differ
    from PyTorch's ``split`` and are not offered."""
    dim, _ = torch_names("chunk", dim, axis, default=0)
    chunks = int_arg("chunk", "chunks", chunks)
    if chunks <= 0:
        raise ValueError(f"chunk: the number of chunks must be at least 1, got {chunks}")
    shape = _shape_of(x)
    if not shape:
        raise ValueError("chunk: a 0-d tensor has no axis to split")
    dim = _axis_in("chunk", dim, len(shape))
    n = shape[dim]
    if n == 0:
        return tuple(_pick(x, _along(dim, len(shape), slice(0, 0))) for _ in range(chunks))
    size = -(-n // chunks)
    return tuple(_pick(x, _along(dim, len(shape), slice(i, i + size))) for i in range(0, n, size))


def unbind(x, dim: int = 0, *, axis=None):
    """The slices of ``x`` along ``dim``, as a tuple of tensors with that axis removed, as
    PyTorch's ``unbind`` (``list(x)`` for dim 0). ``axis=`` is NumPy's name. Each is an
    integer index, whose gradient goes back to its place."""
    dim, _ = torch_names("unbind", dim, axis, default=0)
    shape = _shape_of(x)
    if not shape:
        raise ValueError("unbind: a 0-d tensor has no axis to unbind")
    dim = _axis_in("unbind", dim, len(shape))
    return tuple(_pick(x, _along(dim, len(shape), i)) for i in range(shape[dim]))
