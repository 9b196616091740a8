"""Selections and scatters by index, for parity with PyTorch and NumPy: index_select,
masked_select, index_add and scatter_add.

All are compositions of indexing (whose backward scatters into zeros) and scatter, so
their gradients, and the gradients of those, come from those primitives.
"""

from __future__ import annotations

import numpy as np

from ._axis_index import _along, _axis_as_1d, _check_0d_index, _check_range, _index_array, _shape_of
from ._common import float_operands, is_tensor
from ._running import _data, _required_axis
from ._shape import broadcast_to, reshape, scatter
from ._shape import index as _pick


def _positions(op: str, index, size: int, axis: int, shape) -> np.ndarray:
    """A 1-D (or 0-d, taken as 1-D) integer index into an axis of ``size``, checked, as a
    1-D array of its own."""
    idx = _index_array(op, "index", index)
    if idx.ndim > 1:
        raise ValueError(f"{op}: the index must be 1-D, got shape {idx.shape}")
    idx = idx.reshape(-1).copy()
    _check_range(op, "index", idx, size, axis, shape, 0)
    return idx


def _axis_of(op: str, x, axis, dim) -> tuple[int, tuple]:
    """The axis named by ``axis`` or ``dim``, and x's shape; a 0-d x counts as 1-d (its
    one element along axis 0, or -1), as in PyTorch."""
    axis = _required_axis(op, axis, dim)
    shape = tuple(_shape_of(x))
    return _axis_as_1d(op, axis, len(shape)), shape


def _single(op: str, index) -> np.ndarray:
    """The index into a 0-d tensor: one element (0-d or 1-d), as PyTorch requires."""
    idx = _index_array(op, "index", index)
    if idx.size != 1 or idx.ndim > 1:
        raise ValueError(
            f"{op}: the index into a 0-d tensor must hold one element (0), got shape {idx.shape}"
        )
    _check_0d_index(op, idx)
    return idx.reshape(1)


def index_select(x, axis=None, index=None, *, dim=None):
    """The slices of ``x`` at ``index`` (1-D, integers) along ``axis``, as
    ``torch.index_select(x, dim, index)`` (``dim=`` is its name) and ``np.take(x, index,
    axis)``. Indices go from 0 to size − 1; one outside is an IndexError naming the op, the
    index and the size. A 0-d ``x`` counts as 1-d, as in PyTorch: one index, 0, gives ``x``
    (0-d). The gradient is added back at the picked positions."""
    ax, shape = _axis_of("index_select", x, axis, dim)
    if index is None:
        raise TypeError("index_select: give the index, e.g. index_select(x, 0, index)")
    if not shape:
        return reshape(index_select(reshape(x, 1), 0, _single("index_select", index)), ())
    idx = _positions("index_select", index, shape[ax], ax, shape)
    return _pick(x, _along(ax, len(shape), idx))


def masked_select(x, mask):
    """The elements of ``x`` where the boolean ``mask`` is true, in a 1-D tensor, as
    ``torch.masked_select`` (``x[mask]`` in NumPy); the mask and ``x`` broadcast together.
    The gradient is scattered back to the selected positions, 0 elsewhere."""
    cond = _data(mask)
    if cond.dtype != np.bool_:
        raise TypeError(f"masked_select: the mask must be boolean, got {cond.dtype}")
    shape = _shape_of(x)
    try:
        wide = np.broadcast_shapes(tuple(shape), cond.shape)
    except ValueError:
        raise ValueError(
            f"masked_select: a mask of shape {cond.shape} does not broadcast with the "
            f"tensor's shape {tuple(shape)}"
        ) from None
    x = x if tuple(shape) == wide else broadcast_to(x, wide)
    return _pick(x, np.broadcast_to(cond, wide))


def _operand(op: str, x, source, name: str):
    """``x`` and ``source`` (a Tensor, an array or a list) in one float dtype as PyTorch's
    promotion gives it for an integer one beside a float one."""
    if source is None:
        raise TypeError(f"{op}: give the {name} tensor, e.g. {op}(x, 0, index, {name})")
    return float_operands((x, source if is_tensor(source) else np.asarray(source)))


def index_add(x, axis=None, index=None, source=None, *, alpha=1, dim=None):
    """``x`` with ``alpha · source`` added at ``index`` along ``axis``, out of place, as
    ``torch.index_add(x, dim, index, source, alpha=)``: ``out[..., index[i], ...] +=
    alpha · source[..., i, ...]``, repeated indices adding up. ``source`` has x's shape
    except along the axis, where it has one slice per index; for a 0-d x (1-d, as in
    PyTorch) one index, 0, and a 0-d source. The gradient of x is the upstream gradient;
    of ``source``, alpha times its slices at ``index``."""
    ax, shape = _axis_of("index_add", x, axis, dim)
    if not shape:
        return _index_add_0d(x, index, source, alpha)
    idx = _positions("index_add", index, shape[ax], ax, shape)
    x, source = _operand("index_add", x, source, "source")
    want = (*shape[:ax], idx.size, *shape[ax + 1 :])
    if tuple(_shape_of(source)) != want:
        raise ValueError(
            f"index_add: a source of shape {tuple(_shape_of(source))} for a tensor of shape "
            f"{shape} and {idx.size} indices along axis {ax}; it needs the shape {want}"
        )
    added = scatter(source, _along(ax, len(shape), idx), shape)
    return x + (added if alpha == 1 else added * alpha)


def _index_add_0d(x, index, source, alpha):
    """`index_add` into a 0-d x, as into one of shape (1,) with a 0-d source (PyTorch's)."""
    x, source = _operand("index_add", x, source, "source")
    if tuple(_shape_of(source)):
        raise ValueError(
            f"index_add: a source of shape {tuple(_shape_of(source))} for a 0-d tensor; it "
            "needs the shape ()"
        )
    one = reshape(source, 1)
    return reshape(index_add(reshape(x, 1), 0, _single("index_add", index), one, alpha=alpha), ())


def scatter_add(x, axis=None, index=None, src=None, *, dim=None):
    """``x`` with ``src`` added at ``index`` along ``axis``, out of place, as
    ``torch.scatter_add(x, dim, index, src)``: for axis 0, ``out[index[i][j]][j] +=
    src[i][j]``, repeated indices adding up (the adjoint of `gather`). ``index`` has x's
    number of dimensions, is no larger than ``src`` anywhere nor than x off the axis (the
    leading part of ``src`` is used); a 0-d one of the three counts as 1-d, as in PyTorch.
    The gradient of x is the upstream gradient; of ``src``, the upstream gradient gathered
    at ``index`` (0 where unused)."""
    ax, shape = _axis_of("scatter_add", x, axis, dim)
    x, src = _operand("scatter_add", x, src, "src")
    idx = _index_array("scatter_add", "index", index)
    sshape = tuple(_shape_of(src))
    ndims = (len(shape), idx.ndim, len(sshape))
    if len({max(n, 1) for n in ndims}) > 1:
        raise ValueError(
            f"scatter_add: the tensor {shape}, the index {idx.shape} and src {sshape} need "
            f"the same number of dimensions (0-d counts as 1-d)"
        )
    if 0 in ndims:  # all three as 1-d, the result of x's shape
        return _scatter_add_as_1d(x, idx, src, shape, sshape)
    over = [
        d
        for d in range(len(shape))
        if idx.shape[d] > sshape[d] or (d != ax and idx.shape[d] > shape[d])
    ]
    if over:
        raise ValueError(
            f"scatter_add: the index of shape {idx.shape} is larger than src {sshape} or "
            f"the tensor {shape} along axis {over[0]} (only axis {ax} may exceed the tensor)"
        )
    _check_range("scatter_add", "index", idx, shape[ax], ax, shape, 0)
    parts = tuple(
        idx.copy() if d == ax else np.arange(k).reshape((-1,) + (1,) * (len(shape) - d - 1))
        for d, k in enumerate(idx.shape)
    )
    used = src if sshape == idx.shape else _pick(src, tuple(slice(0, k) for k in idx.shape))
    return x + scatter(used, parts, shape)


def _scatter_add_as_1d(x, idx: np.ndarray, src, shape: tuple, sshape: tuple):
    """`scatter_add` where x, the index or src is 0-d: all three as 1-d, as PyTorch's, the
    result of x's shape; a refusal names the shapes given, not the 1-d ones used inside."""
    if idx.size > int(np.prod(sshape)):
        raise ValueError(
            f"scatter_add: the index of shape {idx.shape} is larger than src {sshape} "
            "(0-d counts as 1-d, of size 1)"
        )
    if not shape:
        _check_0d_index("scatter_add", idx)
    return reshape(scatter_add(reshape(x, -1), 0, idx.reshape(-1), reshape(src, -1)), shape)
