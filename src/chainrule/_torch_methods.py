"""PyTorch's tensor methods that are other names for chainrule's ops (``x.t()``,
``x.mm(w)``, ``x.add(y, alpha=2)``, ``x.view_as(y)``, ``x.new_zeros(3)``, ...) or call
PyTorch's functions of ``ops/_torch_*.py`` (``x.xlogy(y)``, ``x.addmm(a, b)``): each
calls the op, so it is recorded, differentiated and shown by ``explain`` as that op.
PyTorch's comparisons, tests and casts by name are in ``_compare_methods.py``. Mixed into
`Tensor`."""

from __future__ import annotations

import numpy as np

from . import _tensor  # its ``ops``, read at each call (they import the Tensor)


class TorchMethods:
    """PyTorch's method names for chainrule's ops and PyTorch's functions."""

    __slots__ = ()

    # ----- products -----------------------------------------------------------------------
    def t(self):
        """The transpose of a tensor of at most 2 axes (PyTorch's ``t``); a 0-d or 1-d
        tensor is returned as it is. More axes are a ValueError: use ``swapaxes`` or
        ``permute``, which say which axes."""
        if self.ndim > 2:
            raise ValueError(
                f"t: expects a tensor of at most 2 axes, got shape {self.shape}; use "
                "x.swapaxes(a, b) or x.permute(...) to say which axes"
            )
        return self if self.ndim < 2 else _tensor.ops.transpose(self)

    def matmul(self, other):
        """``self @ other`` (1-d, 2-d and batched, as NumPy's matmul)."""
        return _tensor.ops.matmul(self, other)

    def mm(self, other):
        """The product of two matrices (2-d only, as PyTorch's ``mm``)."""
        _check_ndim("mm", (self, other), 2)
        return _tensor.ops.matmul(self, other)

    def dot(self, other):
        """The inner product of two 1-d tensors (as PyTorch's ``dot``; NumPy's ``dot`` of
        matrices is ``matmul``)."""
        _check_ndim("dot", (self, other), 1)
        return _tensor.ops.matmul(self, other)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta·self + alpha·(mat1 @ mat2), as PyTorch's; see `chainrule.addmm`."""
        return _tensor.ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def bmm(self, mat2):
        """The batched matrix product of two 3-d tensors (b, n, m) @ (b, m, p), as
        PyTorch's ``bmm`` (no broadcasting); see `chainrule.bmm`."""
        return _tensor.ops.bmm(self, mat2)

    # ----- arithmetic by name -------------------------------------------------------------
    def add(self, other, *, alpha=1):
        """``self + alpha·other``, as PyTorch's ``add``."""
        return _tensor.ops.add(self, _scaled(other, alpha))

    def sub(self, other, *, alpha=1):
        """``self − alpha·other``, as PyTorch's ``sub``."""
        return _tensor.ops.sub(self, _scaled(other, alpha))

    def mul(self, other):
        """``self * other``."""
        return _tensor.ops.mul(self, other)

    def div(self, other, *, rounding_mode=None):
        """``self / other``; with ``rounding_mode="trunc"`` the quotient rounded toward 0,
        with ``"floor"`` toward −inf (``//``), as PyTorch's: their gradient is 0, and
        integer tensors give integers. Floating "trunc" is trunc(self / other), PyTorch's
        formula; integer "trunc" is exact."""
        if rounding_mode is None:
            return _tensor.ops.div(self, other)
        if rounding_mode == "floor":
            return _tensor.ops.floor_divide(self, other)
        if rounding_mode == "trunc":
            from .ops._torch_elementwise import trunc_divide  # a composition, not among ops' names

            return trunc_divide(self, other)
        raise ValueError(
            f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        )

    def true_divide(self, other):
        """``self / other`` (PyTorch's other name for ``div``)."""
        return _tensor.ops.div(self, other)

    multiply = mul
    subtract = sub
    divide = div

    def remainder(self, other):
        """``self % other``, with other's sign (Python's, NumPy's and PyTorch's)."""
        return _tensor.ops.remainder(self, other)

    def fmod(self, other):
        """The remainder with self's sign (C's fmod); see `chainrule.fmod`."""
        return _tensor.ops.fmod(self, other)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """``self + value·tensor1·tensor2``, as PyTorch's; see `chainrule.addcmul`."""
        return _tensor.ops.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """``self + value·tensor1/tensor2``, as PyTorch's; see `chainrule.addcdiv`."""
        return _tensor.ops.addcdiv(self, tensor1, tensor2, value=value)

    # ----- elementwise --------------------------------------------------------------------
    def logit(self, eps=None):
        """ln(x/(1 − x)), x clamped to [eps, 1 − eps] when ``eps`` is given; see
        `chainrule.logit`."""
        return _tensor.ops.logit(self, eps)

    def xlogy(self, other):
        """self·ln(other), 0 where self is 0; see `chainrule.xlogy`."""
        return _tensor.ops.xlogy(self, other)

    def hypot(self, other):
        """√(self² + other²) without overflow; see `chainrule.hypot`."""
        return _tensor.ops.hypot(self, other)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +inf and −inf replaced by numbers (the dtype's extremes for infinities by
        default); the gradient is 0 where a value was replaced; see `chainrule.nan_to_num`."""
        return _tensor.ops.nan_to_num(self, nan, posinf, neginf)

    def clamp_min(self, min):
        """Values limited below by ``min``: ``clamp(min=min)``, as PyTorch's (None is a
        TypeError there and here, not a clamp that does nothing)."""
        return _tensor.ops.clip(self, _given_bound("clamp_min", min), None)

    def clamp_max(self, max):
        """Values limited above by ``max``: ``clamp(max=max)``, as PyTorch's (None is a
        TypeError, as for `clamp_min`)."""
        return _tensor.ops.clip(self, None, _given_bound("clamp_max", max))

    def neg(self):
        """``-self``."""
        return _tensor.ops.neg(self)

    def maximum(self, other):
        """The elementwise maximum with ``other`` (ties share the gradient)."""
        return _tensor.ops.maximum(self, other)

    def minimum(self, other):
        """The elementwise minimum with ``other`` (ties share the gradient)."""
        return _tensor.ops.minimum(self, other)

    def where(self, condition, other):
        """``self`` where ``condition`` holds, ``other`` elsewhere: PyTorch's
        ``x.where(cond, y)``, which is ``cr.where(cond, x, y)``."""
        return _tensor.ops.where(condition, self, other)

    def lerp(self, end, weight):
        """``self + weight·(end − self)``, recorded (the in-place form is ``lerp_``); where
        weight ≥ ½ it is computed as ``end − (1 − weight)·(end − self)``, as PyTorch does,
        so weight 1 gives ``end`` exactly."""
        step = end - self
        w = np.asarray(weight.data if hasattr(weight, "_requires_grad") else weight)
        if w.ndim == 0:
            return self + weight * step if abs(float(w)) < 0.5 else end - (1 - weight) * step
        return _tensor.ops.where(np.abs(w) < 0.5, self + weight * step, end - (1 - weight) * step)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """log Σ exp over ``axis`` (``dim``), computed stably; see `cr.logsumexp`."""
        from .ops._softmax import logsumexp  # a composition, not among ops' primitives

        return logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    # ----- axes ---------------------------------------------------------------------------
    @property
    def mT(self):
        """The last two axes swapped (a batch of matrices transposed), as PyTorch's ``mT``;
        fewer than 2 axes is a ValueError."""
        if self.ndim < 2:
            raise ValueError(f"mT: expects at least 2 axes, got shape {self.shape}")
        return _tensor.ops.swapaxes(self, -2, -1)

    def movedim(self, source, destination):
        """The axes ``source`` (an int or a sequence) moved to ``destination``, the others
        keeping their order, as PyTorch's ``movedim`` and NumPy's ``moveaxis``."""
        return _tensor.ops.movedim(self, source, destination)

    moveaxis = movedim

    def swapdims(self, dim0, dim1):
        """Two axes swapped (PyTorch's other name for ``swapaxes``)."""
        return _tensor.ops.swapaxes(self, dim0, dim1)

    def narrow(self, dim, start, length):
        """The ``length`` elements from ``start`` (negative counts from the end) along
        ``dim``, as PyTorch's ``narrow``; see `chainrule.narrow`."""
        return _tensor.ops.narrow(self, dim, start, length)

    # ----- shapes and dtypes of another tensor --------------------------------------------
    def view_as(self, other):
        """This tensor reshaped to ``other``'s shape."""
        return _tensor.ops.reshape(self, _shape_of(other))

    def reshape_as(self, other):
        """This tensor reshaped to ``other``'s shape."""
        return _tensor.ops.reshape(self, _shape_of(other))

    def expand_as(self, other):
        """This tensor broadcast to ``other``'s shape."""
        return _tensor.ops.broadcast_to(self, _shape_of(other))

    def type_as(self, other):
        """This tensor cast to ``other``'s dtype: a new node even to the same dtype, as
        `to` (PyTorch returns the tensor itself there)."""
        return self.astype(np.asarray(other.data if hasattr(other, "data") else other).dtype)

    # ----- new leaves with this tensor's dtype ---------------------------------------------
    def new_zeros(self, *size, dtype=None, requires_grad=False):
        """A new leaf of zeros of shape ``size`` with this tensor's dtype (or ``dtype``)."""
        return self.new_full(_size(size), 0, dtype=dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        """A new leaf of ones of shape ``size`` with this tensor's dtype (or ``dtype``)."""
        return self.new_full(_size(size), 1, dtype=dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, requires_grad=False):
        """A new leaf of shape ``size`` filled with ``fill_value``, with this tensor's
        dtype (or ``dtype``)."""
        from .ops._create import full  # a constructor, not among ops' primitives

        dtype = self.dtype if dtype is None else dtype
        return full(_size((size,)), fill_value, dtype=dtype, requires_grad=requires_grad)

    def new_tensor(self, data, *, dtype=None, requires_grad=False):
        """A new leaf holding a copy of ``data``, with this tensor's dtype (or ``dtype``)."""
        from ._tensor import Tensor  # the class this one is mixed into (a Parameter's too)

        dtype = self.dtype if dtype is None else dtype
        return Tensor(np.array(data, dtype=dtype), requires_grad=requires_grad)


def _check_ndim(op: str, tensors, ndim: int) -> None:
    shapes = [np.shape(t.data if hasattr(t, "data") else t) for t in tensors]
    if any(len(s) != ndim for s in shapes):
        kind = "matrices (2-d)" if ndim == 2 else "vectors (1-d)"
        raise ValueError(f"{op}: expects two {kind}, got shapes {shapes[0]} and {shapes[1]}")


def _scaled(other, alpha):
    """``alpha·other`` for ``add`` and ``sub``: a number stays a Python number, and a list
    is scaled as the tensor ``add`` makes of it (Python's ``2 * [1, 2]`` repeats it)."""
    if alpha == 1:
        return other
    if hasattr(other, "_requires_grad") or isinstance(other, (list, tuple)):
        return _tensor.ops.mul(alpha, other)
    return alpha * other


def _given_bound(who: str, bound):
    if bound is None:
        raise TypeError(f"{who}: the bound must be a number or a tensor, got None")
    return bound


def _shape_of(other) -> tuple[int, ...]:
    return tuple(other.shape) if hasattr(other, "shape") else np.shape(other)


def _size(size: tuple) -> tuple[int, ...]:
    """``(2, 3)`` from ``new_zeros(2, 3)`` or ``new_zeros((2, 3))``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)
