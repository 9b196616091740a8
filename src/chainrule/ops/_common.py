"""Helpers shared by the ops' backward rules.

Each helper takes NumPy arrays *or* Tensors and returns the same kind, so a backward rule
written with them runs on arrays in an ordinary backward pass and on Tensors (recording a
graph) when ``create_graph=True``.
"""

from __future__ import annotations

import numpy as np

from .._dtypes import as_array, is_floating
from .._quiet import quietly
from .._tensor import Tensor


# ----- backward helpers ------------------------------------------------------------------
def unbroadcast(grad, shape: tuple[int, ...]):
    """Sum ``grad`` back to ``shape``: the one place where broadcasting is undone."""
    if grad.shape == shape:
        return grad
    return _summed_to(grad, shape)


def _summed_to(grad, shape: tuple[int, ...]):
    lead = grad.ndim - len(shape)
    if lead:
        grad = grad.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


_FLOAT16_MAX = 65504  # the largest finite float16


def has_nan(a: np.ndarray) -> bool:
    """Whether ``a`` holds a NaN, in one pass: a minimum propagates NaN and is the fastest
    reduction (~3× faster than a sum on a (512, 256) float32 array)."""
    return a.size > 0 and bool(np.isnan(np.minimum.reduce(a, axis=None)))


def divided(a, n: int):
    """``a / n`` for a count ``n`` (a mean's), in ``a``'s dtype. float16 cannot hold a count
    above 65,504: NumPy would make it inf and the quotient 0, so there ``a`` is multiplied
    by 1/n instead. A floating ``a`` is divided by the count in its own dtype, as NumPy 2
    converts a Python number (NumPy 1.x divides a 0-d float32 by a Python int in float64)."""
    if a.dtype.kind != "f":
        return a / n
    if n > _FLOAT16_MAX and a.dtype == np.float16:
        return a * a.dtype.type(1.0 / n)
    return a / a.dtype.type(n)


def is_tensor(a) -> bool:
    return isinstance(a, Tensor)


def floating(x: np.ndarray) -> np.ndarray:
    """``x`` itself if it is floating, else in the float dtype np.exp gives it (int8 and
    bool: float16, int32: float64), for ops whose formula would wrap around or fail in
    integers: x − max x of uint8 (0 − 200 is 56), −|x| of uint8, bool subtraction."""
    return x if x.dtype.kind == "f" else x.astype(np.result_type(x.dtype, np.float16))


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
    """Operands of a binary op: a number (Python's or a NumPy scalar) becomes a 0-d array of
    the other operand's dtype (so ``x * 2`` stays float32 for a float32 x), which the op
    holds as it is, not as a Tensor (see `Function`); an array becomes a view, an array
    object of its own, converted to a float tensor's dtype if it holds integers or bools;
    a list or tuple of numbers with a float tensor becomes an array of the tensor's dtype."""
    if isinstance(x, Tensor):  # the common cases first: tensor op tensor, tensor op number
        if isinstance(y, Tensor):
            return (x, y) if x.data.dtype is y.data.dtype else float_operands((x, y))
        table = _NUMBERS.get(x.data.dtype) if type(y) is float or type(y) is int else None
        if table is not None:  # a float tensor
            c = table.get(y)
            return x, c if c is not None else _number(y, table, x.data.dtype)
        return float_operands((x, _operand(y, x)))  # an integer tensor with a float array
    return float_operands((_operand(x, y), _operand(y, x)))


def float_operands(operands) -> tuple:
    """Operands of an op computed in floating point: an integer or bool Tensor or array among
    floating ones takes their dtype, as in PyTorch (float32 with int64 stays float32, where
    NumPy would compute in float64). Other operands are returned as they are."""
    operands = tuple(operands)
    first = operands[0].data.dtype if operands and isinstance(operands[0], Tensor) else None
    if first is not None and all(isinstance(a, Tensor) and a.data.dtype is first for a in operands):
        return operands  # the common case: tensors of one dtype
    kinds = [_dtype(a) for a in operands]
    floats = [d for d in kinds if d is not None and d.kind == "f"]
    if not floats or len(floats) == len(operands):
        return operands
    dtype = np.result_type(*floats)
    return tuple(
        as_float(a, dtype) if d is not None and d.kind in "biu" else a
        for a, d in zip(operands, kinds)
    )


def _dtype(a) -> np.dtype | None:
    if isinstance(a, Tensor):
        return a.data.dtype
    return a.dtype if isinstance(a, np.ndarray) else None


def as_float(a, dtype: np.dtype):
    """An integer or bool operand as ``dtype``: a Tensor keeps its name (it has no gradient
    to carry: only floating tensors require one)."""
    if isinstance(a, Tensor):
        return Tensor(a.data.astype(dtype), name=a.name)
    return a.astype(dtype)


def _operand(a, other):
    if isinstance(a, Tensor):
        return a
    ref = other.data.dtype if isinstance(other, Tensor) else None
    if isinstance(a, np.ndarray):
        return a.view()  # an integer one takes a float tensor's dtype in `float_operands`
    if isinstance(other, np.ndarray):
        ref = other.dtype
    if ref is not None and ref.kind == "b" and isinstance(a, (int, np.integer, np.bool_)):
        # with a bool operand an integer or bool number keeps NumPy's promotion (mask + 1 is
        # int64, mask * True stays bool): there is no float dtype to take
        return np.asarray(a, bool if isinstance(a, (bool, np.bool_)) else _int_dtype(a))
    if ref is not None and isinstance(a, np.generic) and a.dtype.kind in "biuf":
        a = a.item()  # a NumPy scalar counts as the Python number it holds
    table = _NUMBERS.get(ref) if type(a) is float or type(a) is int else None
    if table is not None:  # a number with a float tensor, as in `pair`
        c = table.get(a)
        return c if c is not None else _number(a, table, ref)
    python_number = isinstance(a, (int, float)) and ref is not None
    if python_number and (is_floating(ref) or (isinstance(a, int) and ref.kind in "iu")):
        return quietly(np.asarray, (a, ref))
    if isinstance(a, (list, tuple)) and ref is not None and is_floating(ref):
        return as_array(a, ref)  # Python numbers, as one number: x's float dtype (None refused)
    return as_array(a)


def _int_dtype(a) -> np.dtype:
    """A NumPy integer scalar's dtype, or NumPy's default integer for a Python int (one
    too large for it is NumPy's OverflowError, as ``mask + 2**70`` is in NumPy)."""
    return a.dtype if isinstance(a, np.integer) else np.dtype(np.int_)


# The arrays of Python numbers met as constants, for each float dtype: in ``y * 0.5 + 1``
# the same few numbers recur, and sharing one array between nodes saves converting each
# again (and an array per node). Nodes never write into their inputs, and ``node.inputs``
# shows a constant through a read-only view. NaN and ±0 are not kept: as dictionary keys,
# NaN never matches and 0.0 matches −0.0.
_NUMBERS: dict[np.dtype, dict] = {np.dtype(t): {} for t in (np.float16, np.float32, np.float64)}
_NUMBERS_KEPT = 256  # per dtype; a full table starts again empty


def _number(a, table: dict, dtype: np.dtype) -> np.ndarray:
    c = quietly(np.array, (a, dtype))  # beyond the dtype's range: ±inf, without a warning
    if a == a and a != 0:
        if len(table) >= _NUMBERS_KEPT:
            table.clear()
        table[a] = c
    return c
