"""Matrix ops: outer (a column times a row), trace (diag and sum), and the triangles triu
tril (a where).

Composed of the primitives, with no `Function` (and no backward) of their own: their
gradient is the chain rule through the ops they are made of, so they need no row in the op
table (tests/test_torch_habits.py and tests/test_torch_names_composed.py gradcheck them).
"""

from __future__ import annotations

import numpy as np

from ._arithmetic import mul
from ._arrays import diag, int_arg
from ._axis_index import _shape_of
from ._common import constant
from ._elementwise import where
from ._names import torch_names
from ._reduce import sum
from ._shape import reshape


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
