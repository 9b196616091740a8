"""PyTorch's tensor constructors: zeros, ones, full, their ``_like`` forms, arange, eye,
linspace, randn, rand, from_numpy. Each makes a leaf; ``dtype=None`` gives the default float
dtype (float32 unless `set_default_dtype` changed it), except where noted, and
``requires_grad=True`` needs a floating dtype. They record nothing: they are not ops, and
have no row in the op table.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._dtypes import as_array, get_default_dtype, numeric_dtype
from .._generator import generator_or_default
from .._tensor import Tensor
from ._shape import _shape_arg


def _dtype(dtype, op: str) -> np.dtype:
    return get_default_dtype() if dtype is None else numeric_dtype(dtype, op)


def _leaf(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(array, requires_grad=requires_grad)


def zeros(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _leaf(np.zeros(_shape_arg(shape), _dtype(dtype, "zeros")), requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _leaf(np.ones(_shape_arg(shape), _dtype(dtype, "ones")), requires_grad)


def full(shape, fill_value, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``shape`` (a tuple, or an int for one axis) holding ``fill_value``, in the
    default float dtype unless ``dtype`` is given, also for an integer ``fill_value`` (as a
    Python number becomes a float tensor in `tensor`; PyTorch would make it int64)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, (numbers.Number, np.generic)):
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__}")
    dtype = _dtype(dtype, "full")
    try:  # as `tensor` converts a number: 1e40 is inf in float32, NaN for an integer dtype
        value = as_array(fill_value, dtype)  # or a complex for a real one is an error
    except (TypeError, ValueError, OverflowError) as e:
        raise type(e)(f"full: fill_value {fill_value!r} does not fit {dtype}: {e}") from None
    return _leaf(np.full(shape, value, dtype), requires_grad)


def zeros_like(x, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``x``'s shape and dtype (a Tensor's or an array's), or of ``dtype``."""
    like = np.asarray(x.data if isinstance(x, Tensor) else x)
    dtype = like.dtype if dtype is None else numeric_dtype(dtype, "zeros_like")
    return _leaf(np.zeros(like.shape, dtype), requires_grad)


def ones_like(x, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """Ones of ``x``'s shape and dtype (a Tensor's or an array's), or of ``dtype``."""
    like = np.asarray(x.data if isinstance(x, Tensor) else x)
    dtype = like.dtype if dtype is None else numeric_dtype(dtype, "ones_like")
    return _leaf(np.ones(like.shape, dtype), requires_grad)


def arange(start, end=None, step=1, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """``start``, ``start + step``, … up to ``end`` (excluded); ``arange(n)`` is 0 … n − 1.

    With integer arguments and no ``dtype`` the result is int64, as in PyTorch and NumPy
    (so ``logits[cr.arange(n), labels]`` indexes); a float argument gives the default
    float dtype."""
    if end is None:
        start, end = 0, start
    values = (start, end, step)
    if step == 0:  # NumPy's ZeroDivisionError would not name the op
        raise ValueError("arange: step must not be 0")
    if dtype is None:
        integers = all(isinstance(v, (int, np.integer)) for v in values)
        dtype = np.int64 if integers else get_default_dtype()
    return _leaf(np.arange(start, end, step).astype(numeric_dtype(dtype, "arange")), requires_grad)


def eye(n, m=None, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """The ``n`` × ``m`` matrix (``m`` = ``n`` when None) with ones on the diagonal and
    zeros elsewhere, as ``torch.eye`` and ``np.eye``."""
    rows = _count("eye", "n", n)
    cols = rows if m is None else _count("eye", "m", m)
    return _leaf(np.eye(rows, cols, dtype=_dtype(dtype, "eye")), requires_grad)


def linspace(start, end, steps, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included, as
    ``torch.linspace`` (``steps`` has no default, as in PyTorch; NumPy's ``num`` defaults to
    50). Worked out in float64, the first half from ``start`` and the second from ``end``
    as PyTorch's formula goes, then rounded to ``dtype`` (PyTorch computes a float32 result
    in float32: the two may differ in the last bit); an integer ``dtype`` makes integers of
    ``start`` and ``end`` first and truncates each value toward 0, as PyTorch's does."""
    dtype = _dtype(dtype, "linspace")
    start, end = (_number("linspace", v, dtype) for v in (start, end))
    count = _count("linspace", "steps", steps)
    i = np.arange(count, dtype=np.float64)
    step = (end - start) / (count - 1) if count > 1 else 0.0
    first_half = i < max(count // 2, 1)  # linspace(a, b, 1) is [a], as in PyTorch
    values = np.where(first_half, start + step * i, end - step * (count - 1 - i))
    return _leaf(values.astype(dtype), requires_grad)


def _count(op: str, name: str, value) -> int:
    """``value`` as a count: an int (or 0-d integer tensor) that is not negative."""
    if isinstance(value, Tensor) and value.ndim == 0:
        value = value.data.item()
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{op}: {name} must not be negative, got {value}")
    return int(value)


def _number(op: str, value, dtype: np.dtype) -> float:
    """A real number given as one, or as a one-element tensor (as `full` takes it), as a
    float, made an integer first (toward 0) for an integer ``dtype``."""
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"{op}: start and end must be real numbers, got {value!r}")
    return float(int(value) if dtype.kind in "iu" else value)


def randn(*shape, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Samples of the standard normal distribution, from ``generator`` (a
    ``numpy.random.Generator``) or the library's, which `manual_seed` seeds."""
    return _random("randn", shape, generator, dtype, requires_grad)


def rand(*shape, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Samples of the uniform distribution on [0, 1), from ``generator`` or the library's
    (see `randn`)."""
    return _random("rand", shape, generator, dtype, requires_grad)


def _random(op: str, shape, generator, dtype, requires_grad: bool) -> Tensor:
    rng = generator_or_default(generator, op)
    dtype = _dtype(dtype, op)
    if dtype.kind != "f":
        raise TypeError(f"{op}: samples are floating, so dtype must be a float dtype, got {dtype}")
    drawn = np.float64 if dtype == np.float64 else np.float32  # what NumPy draws (no float16)
    draw = rng.standard_normal if op == "randn" else rng.random
    return _leaf(draw(_shape_arg(shape), dtype=drawn).astype(dtype, copy=False), requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory and dtype, as ``torch.from_numpy``: a write
    into either shows in the other (`tensor` copies instead)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"from_numpy: expected a NumPy array, got {type(array).__name__}; "
            "cr.tensor(data) makes a tensor of other data"
        )
    return Tensor(array)
