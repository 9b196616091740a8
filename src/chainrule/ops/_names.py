"""PyTorch's argument names beside NumPy's: ``dim=`` for ``axis=`` and ``keepdim=`` for
``keepdims=``, in every op that takes an axis (and so in the Tensor methods, which pass them
on). chainrule's own names are NumPy's; the aliases are keyword-only, so a positional
argument means what it means in both libraries."""

from __future__ import annotations


def torch_names(op: str, axis, dim, keepdims=False, keepdim=None, *, default=None) -> tuple:
    """``(axis, keepdims)`` from NumPy's names and PyTorch's: ``dim`` (when not None) stands
    for ``axis`` and ``keepdim`` (when not None) for ``keepdims``. Both names for one
    argument is a TypeError naming ``op``; an ``axis`` equal to its ``default`` counts as not
    given (``x.sum(dim=1)`` reaches here as ``axis=None, dim=1``)."""
    if dim is not None:
        if not _is_default(axis, default):
            raise TypeError(
                f"{op}: the axis was given twice, as axis={axis!r} and as dim={dim!r} "
                "(PyTorch's name for it); give one of them"
            )
        axis = dim
    if keepdim is not None:
        if keepdims is not False:
            raise TypeError(
                f"{op}: keepdims was given twice, as keepdims={keepdims!r} and as "
                f"keepdim={keepdim!r} (PyTorch's name for it); give one of them"
            )
        keepdims = keepdim
    return axis, keepdims


def _is_default(axis, default) -> bool:
    return axis is default or (type(axis) is type(default) and axis == default)
