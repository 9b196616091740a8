"""Ops composed of the primitives, with no `Function` (and no backward) of their own: their
gradient is the chain rule through the ops they are made of, so they need no row in the op
table (tests/test_torch_habits.py and tests/test_torch_names_composed.py gradcheck
them). Mostly PyTorch's names for shape changes, selections and reductions, the variance
and standard deviation, and ``to``'s reading of a dtype or a device.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._dtypes import is_dtype_name, numeric_dtype
from .._tensor import Tensor
from . import _reduce  # its max and min, by that name: max(n - ddof, 0) is Python's
from ._arithmetic import mul, sub
from ._arrays import diag, int_arg
from ._casts import cast
from ._common import constant
from ._elementwise import where
from ._names import torch_names
from ._reduce import _axes, _axis_arg, mean, norm, sum
from ._shape import _shape_arg, broadcast_to, reshape, transpose
from ._shape import index as _pick


def _shape_of(x) -> tuple[int, ...]:
    return x.shape if isinstance(x, Tensor) else np.shape(x)


def _axis_in(op: str, axis, ndim: int) -> int:
    """``axis`` as an index in ``range(ndim)`` (negative counts from the end); an integer
    out of range is NumPy's AxisError naming ``op``, anything else a TypeError."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: the axis must be an int, got {type(axis).__name__}")
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(
            f"{op}: axis {axis} is out of range for a tensor of {ndim} dimensions"
            + (f" (-{ndim} to {ndim - 1})" if ndim else "")
        )
    return int(axis) % ndim


def _axis_as_1d(op: str, axis, ndim: int) -> int:
    """``axis`` of a tensor of ``ndim`` dimensions for PyTorch's index ops, which take a 0-d
    tensor as 1-d: one element along axis 0 (or -1)."""
    whole = type(axis) is not bool and isinstance(axis, (int, np.integer))
    if not ndim and whole and axis not in (0, -1):
        raise np.exceptions.AxisError(
            f"{op}: axis {axis} is out of range for a 0-d tensor (0 or -1: it counts as 1-d)"
        )
    return _axis_in(op, axis, max(ndim, 1))


def _check_0d_index(op: str, idx: np.ndarray) -> None:
    """Every index into a 0-d tensor must be 0, its one element seen as 1-d (PyTorch's
    index ops): an IndexError naming the 0-d tensor, not the shape (1,) used inside."""
    bad = idx[idx != 0]
    if bad.size:
        raise IndexError(
            f"{op}: index {int(bad[0])} is out of range for a 0-d tensor (it counts as 1-d, "
            "of size 1; valid: 0)"
        )


# ----- shapes -----------------------------------------------------------------------------
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


def clone(x):
    """A copy of ``x`` in memory of its own that stays in the graph (the gradient passes
    through unchanged), as PyTorch's ``clone``: a cast to its own dtype, which copies."""
    return cast(x, x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype)


# ----- elementwise and reductions ------------------------------------------------------
def square(x):
    """x² elementwise, as ``torch.square`` and ``np.square``: ``x * x``, one mul whose two
    paths give the gradient 2x."""
    return mul(x, x)


def masked_fill(x, mask, value):
    """``x`` with ``value`` where ``mask`` is true, as PyTorch's ``masked_fill``: a `where`,
    so the gradient reaches ``x`` where the mask is false and ``value`` (a number, or a
    0-d tensor, which gets the sum of the rest) where it is true. ``mask`` must be boolean,
    as in PyTorch (a float mask is a TypeError, not rounded); it broadcasts with ``x``, as
    the out-of-place ``torch.masked_fill`` does (a larger mask gives a larger result). The
    result has ``x``'s dtype, as PyTorch's: the value is cast to it (toward 0 for an
    integer ``x``; one that does not fit is a ValueError)."""
    cond = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if cond.dtype != np.bool_:
        raise TypeError(
            f"masked_fill: the mask must be boolean, got {cond.dtype}; compare to make one, "
            "e.g. x.masked_fill(m != 0, value)"
        )
    if np.ndim(value.data if isinstance(value, Tensor) else value) != 0:
        raise ValueError(
            f"masked_fill: the value must be a number or a 0-d tensor, got shape "
            f"{np.shape(value)}; cr.where(mask, values, x) takes values of any shape"
        )
    dtype = x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype
    return where(cond, _fill_value(value, dtype), x)


def _fill_value(value, dtype: np.dtype):
    """``masked_fill``'s value in ``x``'s dtype (a 0-d tensor through a cast, which passes
    the gradient back); a value an integer ``x`` cannot hold is refused, not wrapped."""
    if isinstance(value, Tensor):
        return value if value.dtype == dtype else cast(value, dtype)
    v = np.asarray(value)
    if v.dtype.kind == "c" and dtype.kind != "c":
        raise TypeError(f"masked_fill: a complex value {value!r} for a tensor of {dtype}")
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    if info is not None and not (np.isfinite(v) and info.min <= np.trunc(v) <= info.max):
        raise ValueError(f"masked_fill: the value {value!r} does not fit the tensor's {dtype}")
    return v.astype(dtype)


def amax(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Maximum over ``axis`` (all axes when None), as ``torch.amax`` and ``np.amax``: `max`,
    whose tied maxima share the gradient equally, as ``torch.amax``'s do. ``dim=``,
    ``keepdim=`` are PyTorch's names (`sum`). An empty tuple of axes reduces none, as in
    NumPy (``torch.amax(x, dim=())`` reduces all)."""
    axis, keepdims = torch_names("amax", axis, dim, keepdims, keepdim)
    return _reduce.max(x, _axis_arg("amax", axis, "maximum"), keepdims)


def amin(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Minimum over ``axis``, as ``torch.amin`` and ``np.amin``: `min` (ties share the
    gradient equally, as in ``torch.amin``)."""
    axis, keepdims = torch_names("amin", axis, dim, keepdims, keepdim)
    return _reduce.min(x, _axis_arg("amin", axis, "minimum"), keepdims)


# ----- statistics -------------------------------------------------------------------------
def var(x, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=None, correction=None):
    """Variance over ``axis`` (all axes when None): Σ(x − mean x)² / (n − ddof).

    ``ddof=0`` by default, the population variance, as NumPy's ``var``; PyTorch's default
    is the unbiased estimator, ``correction=1`` — give ``ddof=1`` (or ``correction=1``, its
    PyTorch name) for it. ``dim=`` and ``keepdim=`` are PyTorch's names for ``axis`` and
    ``keepdims``. n ≤ ddof gives inf or NaN (0/0), as NumPy's, without its warning.
    Composed of mean, sub, mul, sum and div, so its gradient is 2(x − mean)/(n − ddof)."""
    d, axes, keepdims, count = _deviations(
        "var", x, (axis, dim), (keepdims, keepdim), ddof, correction
    )
    return sum(d * d, axes, keepdims) / count


def std(x, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=None, correction=None):
    """Standard deviation √var over ``axis``: ``ddof=0`` by default as NumPy's ``std``
    (PyTorch's default is ``correction=1``); the arguments are `var`'s. Composed as
    ‖x − mean x‖ / √(n − ddof), so that where it is 0 (a constant slice) its gradient is 0,
    as PyTorch's (norm's subgradient), not √'s 1/0 times 0."""
    d, axes, keepdims, count = _deviations(
        "std", x, (axis, dim), (keepdims, keepdim), ddof, correction
    )
    return norm(d, axes, keepdims) / np.sqrt(np.float64(count))


def _deviations(op: str, x, axis_names, keepdims_names, ddof, correction) -> tuple:
    """x − mean x over the axes, the axes, keepdims and the divisor n − ddof (at least 0),
    from each argument's pair of names (NumPy's, PyTorch's); errors name ``op``."""
    axis, keepdims = torch_names(op, *axis_names, *keepdims_names)
    ddof = _ddof(op, ddof, correction)
    shape = _shape_of(x)
    axes = _axes(_axis_arg(op, axis), len(shape))
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    return sub(x, mean(x, axes, keepdims=True)), axes, keepdims, max(n - ddof, 0)


def _ddof(op: str, ddof, correction):
    """The degrees of freedom removed, given as ``ddof`` (NumPy's name) or ``correction``
    (PyTorch's); both is a TypeError."""
    if correction is not None:
        if ddof != 0:
            raise TypeError(
                f"{op}: the correction was given twice, as ddof={ddof!r} and as "
                f"correction={correction!r} (PyTorch's name for it); give one of them"
            )
        ddof = correction
    if isinstance(ddof, bool) or not isinstance(ddof, (int, np.integer, float, np.floating)):
        raise TypeError(f"{op}: ddof must be a number, got {ddof!r}")
    return ddof


# ----- dtype and device -------------------------------------------------------------------
def to(x, *args, dtype=None, device=None):
    """PyTorch's ``x.to(...)``: a dtype (NumPy's, or its name: ``"float64"``) or a tensor
    (whose dtype is taken) casts, as `cast` and ``astype`` do (a new node, even to the same
    dtype: PyTorch returns ``x`` itself there); the device ``"cpu"`` alone returns ``x``
    itself. Any other device (``"cuda"``, ``"mps"``) is a ValueError: chainrule runs on the
    CPU, with NumPy."""
    dtype = device_and_dtype("to", args, dtype, device)
    return x if dtype is None else cast(x, dtype)


def device_and_dtype(op: str, args: tuple, dtype=None, device=None):
    """The dtype that ``op(*args, dtype=, device=)`` asks for (None for none), after checking
    that any device named is the CPU. A string is a dtype when NumPy reads it as one, a
    device otherwise; a Tensor stands for its dtype, as in PyTorch's ``to(other)``."""
    for arg in args:
        if isinstance(arg, Tensor):
            arg = arg.dtype
        if isinstance(arg, str) and not is_dtype_name(arg):
            device = _once(op, "device", device, arg)
        else:
            dtype = _once(op, "dtype", dtype, arg)
    kind = device.split(":")[0] if isinstance(device, str) else None
    if kind is not None and kind != "cpu" and kind not in _DEVICES:
        raise ValueError(
            f"{op}: {device!r} is neither a NumPy dtype (such as 'float32') nor a device "
            "(chainrule's is 'cpu')"
        )
    if device is not None and kind != "cpu":
        raise ValueError(
            f"{op}: chainrule runs on the CPU only, with NumPy, so the device must be 'cpu', "
            f"got {device!r}"
        )
    return None if dtype is None else numeric_dtype(dtype, op)


#: PyTorch's devices other than the CPU: named, they are told that chainrule runs on the CPU
_DEVICES = frozenset({"cuda", "mps", "xpu", "hpu", "mtia", "meta", "xla", "ipu", "privateuseone"})


def _once(op: str, what: str, given, value):
    if given is not None:
        raise TypeError(f"{op}: the {what} was given twice, as {given!r} and {value!r}")
    return value


# ----- array ops ----------------------------------------------------------------------------
# composed of indexing (whose backward scatter-adds into zeros), reshape, broadcast_to,
# where and sum: their gradients, and the gradients of those, come from those primitives
class TopK(NamedTuple):
    """What `topk` returns, as PyTorch's: the values (in the graph) and their indices
    (int64, outside it)."""

    values: Tensor
    indices: Tensor


def _along(axis: int, ndim: int, part) -> tuple:
    """An index taking ``part`` along ``axis`` and everything along the other axes."""
    return (slice(None),) * axis + (part,) + (slice(None),) * (ndim - axis - 1)


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


def _index_array(op: str, what: str, idx) -> np.ndarray:
    """An integer index given as a Tensor, an array or a list, as an int64 array; a float
    or bool one is a TypeError naming ``op``."""
    a = np.asarray(constant(idx))
    if a.dtype.kind not in "iu" and not (a.size == 0 and a.dtype.kind == "f"):
        raise TypeError(
            f"{op}: {what} must hold integers, got {a.dtype}; e.g. cr.tensor([[0, 1]], "
            f"dtype='int64') (Python lists become float32 tensors)"
        )
    return a.astype(np.intp, copy=False)


def _check_range(op: str, what: str, idx: np.ndarray, n: int, axis: int, shape, low: int):
    bad = (idx < low) | (idx >= n)
    if bad.any():
        value = int(idx[bad].flat[0])
        span = f"{low} to {n - 1}" if n else "none: the axis is empty"
        raise IndexError(
            f"{op}: {what} {value} is out of range for axis {axis} of size {n} (the tensor's "
            f"shape is {tuple(shape)}; valid: {span})"
        )


def take_along_axis(x, indices, axis):
    """``x``'s elements picked along ``axis`` by ``indices``, as ``np.take_along_axis``:
    ``out[i, j] = x[i, indices[i, j]]`` for axis 1. ``indices`` has ``x``'s number of
    dimensions and broadcasts with it along the other axes; negative indices count from the
    end; with ``axis=None`` ``x`` is flattened and ``indices`` is 1-D. Indices must be
    integers; one out of range is an IndexError naming the op, the index and the axis's
    size. An integer index, so the gradient is the upstream gradient added into zeros at
    the picked positions (twice picked, twice added). PyTorch's argument order is `gather`."""
    idx = _index_array("take_along_axis", "indices", indices)
    if axis is None:
        x, axis = reshape(x, -1), 0
        if idx.ndim != 1:
            raise ValueError(
                f"take_along_axis: with axis=None the indices must be 1-D, got shape {idx.shape}"
            )
    shape = _shape_of(x)
    if idx.ndim != len(shape):
        raise ValueError(
            f"take_along_axis: indices of shape {idx.shape} for a tensor of shape "
            f"{tuple(shape)}; they need the same number of dimensions ({len(shape)})"
        )
    axis = _axis_in("take_along_axis", axis, len(shape))
    n = shape[axis]
    _check_range("take_along_axis", "index", idx, n, axis, shape, -n)
    parts = []
    for d, size in enumerate(shape):
        if d == axis:
            parts.append(idx)
        else:
            grid = (1,) * d + (-1,) + (1,) * (len(shape) - d - 1)
            parts.append(np.arange(size).reshape(grid))
    try:
        np.broadcast_shapes(*(p.shape for p in parts))
    except ValueError:
        raise ValueError(
            f"take_along_axis: indices of shape {idx.shape} do not broadcast with the "
            f"tensor's shape {tuple(shape)} along the axes other than {axis}"
        ) from None
    return _pick(x, tuple(parts))


def gather(x, dim, index):
    """PyTorch's ``gather(input, dim, index)``: ``out[i][j] = x[i][index[i][j]]`` for dim
    1, the argument order of ``torch.gather`` (NumPy's is `take_along_axis`). ``index`` has
    ``x``'s number of dimensions and, along the other axes, sizes no larger than ``x``'s
    (the leading part is taken, as in PyTorch); indices from 0 to size − 1 (a negative one
    is an error, as in PyTorch). A 0-d ``x`` or ``index`` counts as 1-d, as in PyTorch:
    ``gather(5, 0, [0, 0])`` is ``[5, 5]``, the result having the index's shape. Its
    gradient is added into zeros at the picked positions."""
    idx = _index_array("gather", "index", index)
    shape = _shape_of(x)
    if max(idx.ndim, 1) != max(len(shape), 1):
        raise ValueError(
            f"gather: an index of shape {idx.shape} for a tensor of shape {tuple(shape)}; "
            f"it needs the same number of dimensions ({len(shape)}; 0-d counts as 1-d)"
        )
    dim = _axis_as_1d("gather", dim, len(shape))
    if not shape or not idx.ndim:
        if not shape:
            _check_0d_index("gather", idx)
        return reshape(gather(reshape(x, -1), 0, idx.reshape(-1)), idx.shape)
    too_big = [d for d in range(len(shape)) if d != dim and idx.shape[d] > shape[d]]
    if too_big:
        raise ValueError(
            f"gather: the index of shape {idx.shape} is larger than the tensor of shape "
            f"{tuple(shape)} along axis {too_big[0]} (only axis {dim} may differ)"
        )
    _check_range("gather", "index", idx, shape[dim], dim, shape, 0)
    parts = [
        idx
        if d == dim
        else np.arange(idx.shape[d]).reshape((1,) * d + (-1,) + (1,) * (len(shape) - d - 1))
        for d in range(len(shape))
    ]
    return _pick(x, tuple(parts))


def _stable_order(op: str, x, axis, descending: bool) -> tuple[np.ndarray, int | None]:
    """The stable sorting permutation of ``x`` along ``axis`` (None: flattened): ties keep
    their order, also in descending order (the first of equal values first); NaN sorts
    as the largest value, last ascending and first descending."""
    data = np.asarray(constant(x))
    if axis is None:
        data, axis = data.reshape(-1), None
        ax = 0
    else:
        ax = _axis_in(op, axis, max(data.ndim, 1))
        if data.ndim == 0:
            data = data.reshape(1)
    if not descending:
        return np.argsort(data, axis=ax, kind="stable"), axis
    # descending, ties in ascending position: sort the reversed array ascending, reverse
    # that order and map the positions back (no negation: it would wrap unsigned integers)
    n = data.shape[ax]
    order = np.argsort(np.flip(data, ax), axis=ax, kind="stable")
    return (n - 1) - np.flip(order, ax), axis


def sort(x, axis=-1, *, dim=None, descending: bool = False, stable=None):
    """The values of ``x`` sorted along ``axis`` (last by default; flattened when None), as
    NumPy's ``sort``: the values only (PyTorch's ``sort`` returns (values, indices): the
    indices are `argsort`). Stable: equal values keep their order, also with
    ``descending=True`` (PyTorch's name; largest first); PyTorch's ``stable=`` is accepted
    and changes nothing. NaN sorts as the largest value.
    ``dim=`` is PyTorch's name for ``axis``. A `take_along_axis`, so each value's gradient
    goes back to the position it came from."""
    axis, _ = torch_names("sort", axis, dim, default=-1)
    order, axis = _stable_order("sort", x, axis, descending)
    if not _shape_of(x) and axis is not None:
        return take_along_axis(reshape(x, 1), order, 0).reshape(())
    return take_along_axis(x, order, axis)


def topk(x, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *, axis=None):
    """The ``k`` largest (``largest=False``: smallest) values along ``dim`` and their
    indices, as PyTorch's ``topk``: a `TopK` named tuple ``(values, indices)``, largest
    first. Ties are broken by position, the first one first (PyTorch leaves the order of
    ties unspecified), and NaN counts as the largest value, as in PyTorch. ``sorted=False``
    is accepted and gives the same sorted result. ``axis=`` is NumPy's name for ``dim``. k
    larger than the axis is a ValueError. Each value's gradient goes back to its position;
    the others get 0."""
    dim, _ = torch_names("topk", dim, axis, default=-1)
    k = int_arg("topk", "k", k)
    shape = _shape_of(x)
    d = _axis_in("topk", dim, max(len(shape), 1))
    n = shape[d] if shape else 1
    if not 0 <= k <= n:
        raise ValueError(
            f"topk: k={k} for axis {d} of size {n} (the tensor's shape is {tuple(shape)}); k "
            f"must be 0 to {n}"
        )
    if not shape and k == 0:
        raise ValueError("topk: k=0 for a 0-d tensor, whose 0-d result holds a value; k must be 1")
    order, _ = _stable_order("topk", x, d, largest)
    first = order[_along(d, order.ndim, slice(0, k))]
    if not shape:
        values = reshape(take_along_axis(reshape(x, 1), first, 0), ())
        return TopK(values, Tensor(first.reshape(()).astype(np.int64)))
    return TopK(take_along_axis(x, first, d), Tensor(first.astype(np.int64)))


def outer(a, b):
    """The outer product of two 1-D tensors, ``out[i, j] = a[i]·b[j]``, as ``torch.outer``
    (NumPy's ``outer`` also flattens other shapes; here they are a ValueError). A product
    of a column and a row, whose gradients are ``g @ b`` and ``gᵀ @ a``."""
    sa, sb = _shape_of(a), _shape_of(b)
    if len(sa) != 1 or len(sb) != 1:
        raise ValueError(
            f"outer: takes two 1-D tensors, got shapes {tuple(sa)} and {tuple(sb)}; flatten "
            f"them first (cr.flatten) for NumPy's meaning"
        )
    return mul(reshape(a, (-1, 1)), reshape(b, (1, -1)))


def trace(x, offset: int = 0):
    """The sum of a matrix's diagonal ``offset`` (0: the main one), as ``np.trace`` of a
    2-D array and ``torch.trace``: `diag` and `sum`, so its gradient is 1 on that
    diagonal and 0 elsewhere."""
    shape = _shape_of(x)
    if len(shape) != 2:
        raise ValueError(f"trace: takes a matrix (2-D), got shape {tuple(shape)}")
    return sum(diag(x, int_arg("trace", "offset", offset)))


def _triangle(op: str, x, k, diagonal, upper: bool):
    k, _ = torch_names(op, k, diagonal, default=0)
    k = int_arg(op, "the diagonal k", k)
    shape = _shape_of(x)
    if len(shape) < 2:
        raise ValueError(
            f"{op}: takes a matrix or a batch of matrices (at least 2-D), got shape {tuple(shape)}"
        )
    m, n = shape[-2:]
    below = np.tri(m, n, k - 1 if upper else k, dtype=bool)
    # False for a bool tensor: a where with the int 0 would make it int64
    zero = False if np.asarray(constant(x)).dtype == bool else 0
    return where(~below if upper else below, x, zero)


def triu(x, k: int = 0, *, diagonal=None):
    """The upper triangle of the last two axes: elements on and above diagonal ``k``, zeros
    below, as ``np.triu`` and ``torch.triu`` (``diagonal=`` is PyTorch's name for ``k``). A
    `where`: the gradient passes on and above the diagonal, 0 below."""
    return _triangle("triu", x, k, diagonal, upper=True)


def tril(x, k: int = 0, *, diagonal=None):
    """The lower triangle of the last two axes: elements on and below diagonal ``k``, zeros
    above, as ``np.tril`` and ``torch.tril`` (``diagonal=``: PyTorch's name for ``k``). A
    `where`: the gradient passes on and below the diagonal, 0 above."""
    return _triangle("tril", x, k, diagonal, upper=False)
