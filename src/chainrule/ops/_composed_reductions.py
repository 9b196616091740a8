"""Reductions composed of the primitives: amax amin (max and min under NumPy's and
PyTorch's names), and the variance and standard deviation var std.

Composed of the primitives, with no `Function` (and no backward) of their own: their
gradient is the chain rule through the ops they are made of, so they need no row in the op
table (tests/test_torch_habits.py and tests/test_torch_names_composed.py gradcheck them).
"""

from __future__ import annotations

import numpy as np

from . import _reduce  # its max and min, by that name: max(n - ddof, 0) is Python's
from ._arithmetic import sub
from ._axis_index import _shape_of
from ._names import torch_names
from ._reduce import _axes, _axis_arg, mean, norm, sum


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
