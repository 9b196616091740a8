"""The methods of the reductions (``sum``, ``mean``, ``max``, ``var``, ``norm``, ``argmax``,
...) and of softmax, one line each into the ops. Mixed into `Tensor`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _tensor

if TYPE_CHECKING:
    from ._tensor import Tensor

# ``_tensor.ops``, read at each call: the ops build Tensors, so `_tensor` imports them after
# the class exists (an attribute read, where an import inside each method would cost more
# than a 0-d op)


class ReduceMethods:
    """``x.sum()``, ``x.mean(axis)``, ``x.softmax(dim)``, ...: each calls its op."""

    __slots__ = ()

    # ``dim=`` and ``keepdim=``, PyTorch's names for ``axis`` and ``keepdims``, are passed on
    # to the ops, which accept either name (`_tensor.ops._names`)
    def sum(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Sum over ``axis`` (all axes when None); see `chainrule.sum`."""
        return _tensor.ops.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Arithmetic mean over ``axis`` (all axes when None)."""
        return _tensor.ops.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Maximum over ``axis``; tied maxima share the gradient equally (the values alone,
        also with ``dim=``: the indices are `argmax`)."""
        return _tensor.ops.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Minimum over ``axis``; tied minima share the gradient equally (the values alone)."""
        return _tensor.ops.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(self, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=None, correction=None):
        """Variance over ``axis``, Σ(x − mean)² / (n − ddof): ``ddof=0`` by default, as
        NumPy (PyTorch's default is ``correction=1``); see `chainrule.var`."""
        return _tensor.ops.var(
            self, axis, keepdims, ddof, dim=dim, keepdim=keepdim, correction=correction
        )

    def std(self, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=None, correction=None):
        """Standard deviation √var over ``axis``, ``ddof=0`` by default as NumPy (PyTorch's
        default is ``correction=1``); see `chainrule.std`."""
        return _tensor.ops.std(
            self, axis, keepdims, ddof, dim=dim, keepdim=keepdim, correction=correction
        )

    def prod(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Product over ``axis``; each element's gradient is the product of the others."""
        return _tensor.ops.prod(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def norm(self, p=2, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
        """Euclidean norm √(Σ x²) over ``dim`` (all elements when None), as PyTorch's
        ``x.norm()`` (positional arguments in its order: ``p``, ``dim``, ``keepdim``); its
        gradient at 0 is 0. Only ``p=2`` (or ``"fro"``) is offered."""
        if p not in (2, 2.0, "fro") or isinstance(p, bool):
            raise ValueError(f"norm: only the Euclidean norm (p=2 or 'fro') is offered, got {p=}")
        return _tensor.ops._reduce.norm(
            self, axis, bool(keepdims), dim=dim, keepdim=keepdim or None
        )

    def amax(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Maximum over ``axis`` (all axes when None), as PyTorch's ``amax``: `max`, tied
        maxima sharing the gradient equally, as in PyTorch."""
        return _tensor.ops.amax(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def amin(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Minimum over ``axis``, as PyTorch's ``amin``: `min` (ties share the gradient)."""
        return _tensor.ops.amin(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmax(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Index of the largest value along ``axis`` (int64, outside the graph)."""
        return _tensor.ops.argmax(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmin(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Index of the smallest value along ``axis`` (int64, outside the graph)."""
        return _tensor.ops.argmin(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def softmax(self, axis: int = -1, *, dim=None) -> Tensor:
        """exp(x) / Σ exp(x) along ``axis``."""
        return _tensor.ops.softmax(self, axis, dim=dim)

    def log_softmax(self, axis: int = -1, *, dim=None) -> Tensor:
        """x − log Σ exp(x) along ``axis`` (finite for large logits)."""
        return _tensor.ops.log_softmax(self, axis, dim=dim)
