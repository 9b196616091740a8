"""Reductions: sum, mean, prod, max, min and the Euclidean norm over ``axis`` (None, an
int or a tuple), with ``keepdims``.

Backward puts the reduced axes back (as size 1) and broadcasts the upstream gradient over
them; prod sends each element the product of the others; max and min send it to the
arg-max elements, shared equally among ties; norm sends x/‖x‖, and 0 where ‖x‖ = 0.
"""

from __future__ import annotations

import numpy as np

from .._function import Function
from ._common import broadcast_to, constant, divided, is_tensor
from ._elementwise import where
from ._names import torch_names


def _axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    n = ndim or 1  # NumPy accepts axis 0 and -1 on a 0-d array
    for a in axes:
        if not -n <= a < n:
            raise np.exceptions.AxisError(f"axis {a} is out of bounds for a tensor of rank {ndim}")
    kept = {a % n for a in axes}
    if len(kept) < len(axes):
        raise ValueError(f"duplicate value in axis {axis}")  # as NumPy: not summed twice
    return tuple(sorted(kept)) if ndim else ()


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _axis_arg(op: str, axis, pairwise: str = ""):
    """``axis`` as given, once it is None, an int or a sequence of ints: a tensor in its
    place is most likely PyTorch's two-tensor form, ``torch.max(a, b)``, which is
    ``cr.maximum`` here."""
    ints = (int, np.integer)
    fine = axis is None or (isinstance(axis, ints) and not isinstance(axis, bool))
    if not fine and isinstance(axis, (tuple, list)):
        fine = all(isinstance(a, ints) and not isinstance(a, bool) for a in axis)
    if fine:
        return axis
    hint = f"; the elementwise {pairwise} of two tensors is cr.{pairwise}(x, y)" if pairwise else ""
    raise TypeError(
        f"{op}: axis must be None, an int or a tuple of ints, got {type(axis).__name__}{hint}"
    )


class _Reduce(Function):
    __slots__ = ("axes", "keepdims")

    def __init__(self, axis=None, keepdims: bool = False):
        self.axes, self.keepdims = axis, keepdims

    def _upstream_kept(self, grad_out, shape):
        """``grad_out`` with the reduced axes restored as size 1 (keepdims form)."""
        return grad_out if self.keepdims else grad_out.reshape(_kept_shape(shape, self.axes))


class Sum(_Reduce):
    """sum: ∂(Σ x)/∂xᵢ = 1 — the upstream gradient is copied to every element."""

    __slots__ = ()
    quiet = True  # ∞ − ∞ and overflow: NaN and ±inf, as NumPy gives them

    def forward(self, x):
        self.axes = _axes(self.axes, x.ndim)
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad_out):
        shape = self.inputs[0].shape
        return (broadcast_to(self._upstream_kept(grad_out, shape), shape),)


class Mean(_Reduce):
    """mean: ∂(mean x)/∂xᵢ = 1/n, n the number of elements averaged (NaN for n = 0)."""

    __slots__ = ()
    quiet = True

    def forward(self, x):
        self.axes = _axes(self.axes, x.ndim)
        if x.size == 0:  # a mean over nothing: NaN, as 0/0 and as PyTorch, without the
            n = int(np.prod([x.shape[a] for a in self.axes]))  # warning NumPy's mean adds
            return divided(np.add.reduce(x, axis=self.axes, keepdims=self.keepdims), n)
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad_out):
        shape = self.inputs[0].shape
        n = int(np.prod([shape[a] for a in self.axes]))
        return (broadcast_to(divided(self._upstream_kept(grad_out, shape), n), shape),)


class Prod(_Reduce):
    """prod: ∂(Π x)/∂xᵢ = Π_{j≠i} xⱼ, the product of the other factors, zeros included.

    That is Π/xᵢ where no factor is 0; where one is, it alone gets the product of the rest;
    where two are, all get 0 (NaN, as 0·∞, where ±inf or NaN is among the others). Under
    ``create_graph`` with a 0 among the factors, the others' product is formed by leaving
    each factor out in turn (n² products for n factors), so that it stays a function of
    every factor and higher derivatives are exact there too."""

    __slots__ = ()
    quiet = True  # a product may overflow to ±inf, as NumPy gives it

    def forward(self, x):
        self.axes = _axes(self.axes, x.ndim)
        out = x.prod(axis=self.axes, keepdims=self.keepdims)
        self.saved = (x, out)
        return out

    def backward(self, grad_out):
        x, out = self.saved
        upstream = self._upstream_kept(grad_out, x.shape)
        zero = constant(x) == 0
        if not zero.any():  # every factor is nonzero: the others' product is Π/xᵢ
            return (upstream * self._upstream_kept(out, x.shape) / x,)
        if is_tensor(x):  # create_graph: the selections below would cut x off the graph
            return (upstream * _left_out_products(x, self.axes),)
        # the product of the nonzero factors, then by the number of zeros in each slice:
        # none, Π/xᵢ; one, that product at the zero and 0 elsewhere; more, 0 everywhere
        zeros = zero.sum(axis=self.axes, keepdims=True)
        factors = np.where(zero, 1, x)
        rest = factors.prod(axis=self.axes, keepdims=True)
        others = np.where(zeros == 0, rest / factors, np.where(zero & (zeros == 1), rest, 0))
        # 0 times ±inf or NaN is NaN, as `_left_out_products` and PyTorch give it, not 0
        nan = (zeros - zero > 0) & _nonfinite_others(factors, self.axes)
        return (upstream * np.where(nan, np.nan, others).astype(x.dtype, copy=False),)


def _left_out_products(x, axes: tuple[int, ...]):
    """Π_{j≠i} xⱼ over ``axes`` for every element i, with no division: the reduced axes
    are moved last and flattened into n, and each row of an n × n copy of them has its
    own element replaced by 1 before the product."""
    kept = tuple(a for a in range(x.ndim) if a not in axes)
    moved = x.transpose((*kept, *axes))
    n = int(np.prod([x.shape[a] for a in axes]))
    rows = moved.reshape((*moved.shape[: len(kept)], 1, n))
    others = prod(where(np.eye(n, dtype=bool), 1, rows), -1)  # (..., n)
    order = np.argsort((*kept, *axes))  # the inverse of the move
    return others.reshape(moved.shape).transpose(tuple(order.tolist()))


def _nonfinite_others(factors: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Whether ±inf or NaN is among each element's others (the zeros are 1 in ``factors``)."""
    bad = ~np.isfinite(factors)
    return bad.sum(axis=axes, keepdims=True) - bad > 0


class _Extreme(_Reduce):
    __slots__ = ()
    quiet = True  # a slice holding NaN: max is NaN, equal to no element: shares 0/0 = NaN
    _pick = None

    def forward(self, x):
        self.axes = _axes(self.axes, x.ndim)
        kept = type(self)._pick(x, axis=self.axes, keepdims=True)
        hits = x == kept
        # 1/k for k ties, worked out in float64: float16 cannot hold a count above 65,504
        share = 1.0 / hits.sum(axis=self.axes, keepdims=True)
        self.saved = (hits * (share.astype(x.dtype) if x.dtype.kind == "f" else share),)
        return kept if self.keepdims else np.squeeze(kept, axis=self.axes)

    def backward(self, grad_out):
        (share,) = self.saved
        return (self._upstream_kept(grad_out, share.shape) * share,)


class Max(_Extreme):
    """max: ∂(max x)/∂xᵢ = 1 for the maximum element; ties share it equally (1/k each)."""

    __slots__ = ()
    _pick = staticmethod(np.max)


class Min(_Extreme):
    """min: ∂(min x)/∂xᵢ = 1 for the minimum element; ties share it equally (1/k each)."""

    __slots__ = ()
    _pick = staticmethod(np.min)


class Norm(_Reduce):
    """norm: ∂‖x‖/∂xᵢ = xᵢ/‖x‖, and 0 where ‖x‖ = 0 (PyTorch's subgradient, not 0/0 = NaN)."""

    __slots__ = ()
    quiet = True  # x·x may overflow: ‖x‖ = inf, as np.linalg.norm gives it

    def forward(self, x):
        self.axes = _axes(self.axes, x.ndim)
        out = np.sqrt((x * x).sum(axis=self.axes, keepdims=self.keepdims))
        self.saved = (x, out)
        return out

    def backward(self, grad_out):
        x, out = self.saved
        norm = self._upstream_kept(out, x.shape)  # keepdims form, broadcasts against x
        safe = norm + (constant(norm) == 0)  # 1 where ‖x‖ = 0, and there x = 0: 0/1 = 0
        return (self._upstream_kept(grad_out, x.shape) * x / safe,)


def sum(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None):
    """Sum over ``axis`` (all axes when None); ``dim=`` and ``keepdim=`` are PyTorch's names
    for ``axis`` and ``keepdims``."""
    axis, keepdims = torch_names("sum", axis, dim, keepdims, keepdim)
    return Sum(_axis_arg("sum", axis), keepdims)(x)


def mean(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None):
    """Arithmetic mean over ``axis`` (all axes when None); ``dim=``, ``keepdim=`` as in `sum`."""
    axis, keepdims = torch_names("mean", axis, dim, keepdims, keepdim)
    return Mean(_axis_arg("mean", axis), keepdims)(x)


def prod(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None):
    """Product over ``axis`` (all axes when None); each element's gradient is the product
    of the others, also where factors are 0 (as PyTorch's). ``dim=``, ``keepdim=`` as in
    `sum`."""
    axis, keepdims = torch_names("prod", axis, dim, keepdims, keepdim)
    return Prod(_axis_arg("prod", axis), keepdims)(x)


def max(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None):
    """Maximum over ``axis``; tied maxima share the gradient equally. ``dim=``, ``keepdim=``
    as in `sum`; unlike PyTorch's ``max(dim=...)`` it returns the values alone (the
    indices are `argmax`)."""
    axis, keepdims = torch_names("max", axis, dim, keepdims, keepdim)
    return Max(_axis_arg("max", axis, "maximum"), keepdims)(x)


def min(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None):
    """Minimum over ``axis``; tied minima share the gradient equally. ``dim=``, ``keepdim=``
    as in `sum`; the values alone, as `max`."""
    axis, keepdims = torch_names("min", axis, dim, keepdims, keepdim)
    return Min(_axis_arg("min", axis, "minimum"), keepdims)(x)


def norm(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None):
    """Euclidean norm √(Σ x²) over ``axis`` (all axes when None); its gradient at 0 is 0.
    ``dim=``, ``keepdim=`` as in `sum`."""
    axis, keepdims = torch_names("norm", axis, dim, keepdims, keepdim)
    return Norm(_axis_arg("norm", axis), keepdims)(x)
