"""Ops composed of the primitives, with no `Function` (and no backward) of their own: their
gradient is the chain rule through the ops they are made of, so they need no row in the op
table (tests/test_torch_habits_round14.py gradchecks them). Mostly PyTorch's names for
shape changes, and the variance and standard deviation.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._elementwise import sub
from ._names import torch_names
from ._reduce import _axes, _axis_arg, mean, norm, sum
from ._shape import _shape_arg, reshape, transpose
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


def clone(x):
    """A copy of ``x`` in memory of its own that stays in the graph (the gradient passes
    through unchanged), as PyTorch's ``clone``: a cast to its own dtype, which copies."""
    return cast(x, x.dtype if isinstance(x, Tensor) else np.asarray(x).dtype)


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
