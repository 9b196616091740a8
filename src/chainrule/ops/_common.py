"""Helpers shared by the ops' backward rules.

Each helper takes NumPy arrays *or* Tensors and returns the same kind, so a backward rule
written with them runs on arrays in an ordinary backward pass and on Tensors (recording a
graph) when ``create_graph=True``.

`quiet` runs a forward or backward without NumPy's floating-point warnings: there, an inf
or a NaN is the IEEE result the op promises (docs/reliability.md), not an accident.
"""

from __future__ import annotations

import contextvars
import functools

import numpy as np

from .._dtypes import as_array, is_floating
from .._tensor import Tensor

# ----- NumPy's floating-point warnings ---------------------------------------------------
try:  # NumPy >= 2 keeps its error state in a context variable: setting it directly costs
    from numpy._core.umath import _extobj_contextvar as _ERRSTATE  # ~0.2 µs, np.errstate 1 µs
except ImportError:  # NumPy 1.x: np.errstate
    _ERRSTATE = None


def quiet(fn):
    """Decorate ``fn`` (positional arguments only) to run without NumPy's floating-point
    warnings, as under ``np.errstate(all="ignore")``: log 0 = −inf and 0·∞ = NaN are results.

    Only NumPy's default error state is overridden: under one the user set (``np.seterr``,
    ``np.errstate(all="raise")`` to stop at the first inf or NaN), ``fn`` obeys that.
    """
    if _ERRSTATE is None:
        return _quiet_numpy1(fn)
    # everything the wrapper needs is local to it: this runs around the hottest ops
    get, set_, reset = _ERRSTATE.get, _ERRSTATE.set, _ERRSTATE.reset
    default = contextvars.Context().run(get)  # the state of a context where nobody set one
    with np.errstate(all="ignore"):
        ignore = get()

    @functools.wraps(fn)
    def quiet_fn(*args):
        if get() is not default:  # a state the user set, or already quiet
            return fn(*args)
        token = set_(ignore)
        try:
            return fn(*args)
        finally:
            reset(token)

    return quiet_fn


def _quiet_numpy1(fn):
    default = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}

    @functools.wraps(fn)
    def quiet_fn(*args):
        if np.geterr() != default:
            return fn(*args)
        with np.errstate(all="ignore"):
            return fn(*args)

    return quiet_fn


# ----- backward helpers ------------------------------------------------------------------
def unbroadcast(grad, shape: tuple[int, ...]):
    """Sum ``grad`` back to ``shape``: the one place where broadcasting is undone."""
    if grad.shape == shape:
        return grad
    return _summed_to(grad, shape)


@quiet  # a sum of gradients may overflow, or meet ∞ − ∞
def _summed_to(grad, shape: tuple[int, ...]):
    lead = grad.ndim - len(shape)
    if lead:
        grad = grad.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


def is_tensor(a) -> bool:
    return isinstance(a, Tensor)


def exp(a):
    return a.exp() if is_tensor(a) else np.exp(a)


def log(a):
    return a.log() if is_tensor(a) else np.log(a)


def sin(a):
    return a.sin() if is_tensor(a) else np.sin(a)


def cos(a):
    return a.cos() if is_tensor(a) else np.cos(a)


def broadcast_to(a, shape):
    return a.broadcast_to(shape) if is_tensor(a) else np.broadcast_to(a, shape)


def swap_last(a):
    """Transpose the last two axes (the matrix transpose of a batch)."""
    if a.ndim < 2:
        return a
    axes = (*range(a.ndim - 2), a.ndim - 1, a.ndim - 2)
    return a.transpose(axes)


def constant(a) -> np.ndarray:
    """The array behind ``a``: for values that are constant almost everywhere (masks)."""
    return a.data if is_tensor(a) else a


def pair(x, y) -> tuple:
    """Operands of a binary op: a Python number becomes a NumPy scalar of the other
    operand's dtype (so ``x * 2`` stays float32 for a float32 x); the op holds it as a
    0-d array, not as a Tensor (see `Function`)."""
    if isinstance(x, Tensor):  # the common cases first: tensor op tensor, tensor op number
        if isinstance(y, Tensor):
            return x, y
        if type(y) is float and x.data.dtype.kind == "f":
            return x, x.data.dtype.type(y)
        return x, _operand(y, x)
    return _operand(x, y), _operand(y, x)


def _operand(a, other):
    if isinstance(a, (Tensor, np.ndarray)):
        return a
    ref = other.data.dtype if isinstance(other, Tensor) else None
    if isinstance(other, np.ndarray):
        ref = other.dtype
    python_number = isinstance(a, (int, float)) and ref is not None
    if python_number and (is_floating(ref) or (isinstance(a, int) and ref.kind in "iu")):
        return ref.type(a)  # a NumPy scalar: the op makes it the constant's array
    return as_array(a)
