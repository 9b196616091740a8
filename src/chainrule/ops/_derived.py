"""Ops composed of the primitives, with no `Function` (and no backward) of their own: their
gradient is the chain rule through the ops they are made of, so they need no row in the op
table (tests/test_torch_habits_round14.py and tests/test_torch_names_round15.py gradcheck
them). Mostly PyTorch's names for shape changes, selections and reductions, the variance
and standard deviation, and ``to``'s reading of a dtype or a device.
"""

from __future__ import annotations

import numpy as np

from .._dtypes import is_dtype_name, numeric_dtype
from .._tensor import Tensor
from . import _reduce  # its max and min, by that name: max(n - ddof, 0) is Python's
from ._elementwise import mul, sub, where
from ._names import torch_names
from ._reduce import _axes, _axis_arg, mean, norm, sum
from ._shape import _shape_arg, broadcast_to, reshape, transpose
from ._unary import cast


def _shape_of(x) -> tuple[int, ...]:
    return x.shape if isinstance(x, Tensor) else np.shape(x)


def _axis_in(op: str, axis, ndim: int) -> int:
    """``axis`` as an index in ``range(ndim)`` (negative counts from the end); an integer
    out of range is NumPy's AxisError naming ``op``, anything else a TypeError."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: the axis must be an int, got {type(axis).__name__}")
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(
            f"{op}: axis {axis} is out of range for a tensor of {ndim} dimensions "
            f"(-{ndim} to {ndim - 1})"
        )
    return int(axis) % ndim


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
