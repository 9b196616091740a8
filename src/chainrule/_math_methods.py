"""Tensor methods that call the elementwise math ops (``ops/_exp_log.py``, ``_trig.py``,
``_gaussian.py``, ``_piecewise.py``) and the
array ops (``ops/_arrays.py`` and their compositions): one line each, so that ``Tensor``
itself stays the core (data, grad, operators). Mixed into `Tensor`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _tensor  # its ``ops``, read at each call (they import the Tensor)

if TYPE_CHECKING:
    from ._tensor import Tensor


class MathMethods:
    """``x.log1p()``, ``x.cumsum(axis)``, ``x.topk(k)``, ...: each calls its op."""

    __slots__ = ()

    # ----- more unary math (ops/_exp_log.py, _trig.py, _gaussian.py, _piecewise.py): PyTorch's
    # method names, and NumPy's arcsin/arccos/arctan beside asin/acos/atan; floor, ceil,
    # round, trunc and sign have gradient 0 everywhere
    def log1p(self) -> Tensor:
        """ln(1 + x) elementwise, exact for tiny x."""
        return _tensor.ops.log1p(self)

    def expm1(self) -> Tensor:
        """eˣ − 1 elementwise, exact for tiny x."""
        return _tensor.ops.expm1(self)

    def log2(self) -> Tensor:
        """Base-2 logarithm elementwise."""
        return _tensor.ops.log2(self)

    def log10(self) -> Tensor:
        """Base-10 logarithm elementwise."""
        return _tensor.ops.log10(self)

    def reciprocal(self) -> Tensor:
        """1/x elementwise (floating also for an integer tensor)."""
        return _tensor.ops.reciprocal(self)

    def rsqrt(self) -> Tensor:
        """1/√x elementwise."""
        return _tensor.ops.rsqrt(self)

    def tan(self) -> Tensor:
        """tan x elementwise."""
        return _tensor.ops.tan(self)

    def sinh(self) -> Tensor:
        """Hyperbolic sine elementwise."""
        return _tensor.ops.sinh(self)

    def cosh(self) -> Tensor:
        """Hyperbolic cosine elementwise."""
        return _tensor.ops.cosh(self)

    def arcsin(self) -> Tensor:
        """Inverse sine elementwise (NaN outside [−1, 1]); also ``asin``."""
        return _tensor.ops.arcsin(self)

    def arccos(self) -> Tensor:
        """Inverse cosine elementwise (NaN outside [−1, 1]); also ``acos``."""
        return _tensor.ops.arccos(self)

    def arctan(self) -> Tensor:
        """Inverse tangent elementwise; also ``atan``."""
        return _tensor.ops.arctan(self)

    def arctan2(self, other) -> Tensor:
        """arctan2(self, other): the angle of the point (other, self), as ``torch.atan2``;
        also ``atan2``."""
        return _tensor.ops.arctan2(self, other)

    asin = arcsin
    acos = arccos
    atan = arctan
    atan2 = arctan2

    def erf(self) -> Tensor:
        """The error function elementwise."""
        return _tensor.ops.erf(self)

    def erfc(self) -> Tensor:
        """The complementary error function 1 − erf x elementwise."""
        return _tensor.ops.erfc(self)

    def sign(self) -> Tensor:
        """−1, 0 or 1 elementwise (NaN for NaN, as NumPy); gradient 0 everywhere."""
        return _tensor.ops.sign(self)

    def floor(self) -> Tensor:
        """⌊x⌋ elementwise; gradient 0 everywhere."""
        return _tensor.ops.floor(self)

    def ceil(self) -> Tensor:
        """⌈x⌉ elementwise; gradient 0 everywhere."""
        return _tensor.ops.ceil(self)

    def round(self, decimals: int = 0) -> Tensor:
        """x rounded to ``decimals`` decimals, halves to even (NumPy's ``round``,
        ``torch.round``); gradient 0 everywhere."""
        return _tensor.ops.round(self, decimals)

    def trunc(self) -> Tensor:
        """x rounded toward 0 elementwise; gradient 0 everywhere."""
        return _tensor.ops.trunc(self)

    # ----- array ops
    def cumsum(self, axis=None, *, dim=None) -> Tensor:
        """Cumulative sum along ``axis`` (flattened when None, as NumPy's; ``dim=`` is
        PyTorch's name); see `chainrule.cumsum`."""
        return _tensor.ops.cumsum(self, axis, dim=dim)

    def flip(self, *axis, dims=None) -> Tensor:
        """The elements in reverse order along ``axis`` (``x.flip(0)``, ``x.flip((0, 1))``,
        ``x.flip(0, 1)``; every axis when none is given, as NumPy's)."""
        if not axis:  # x.flip(): every axis (x.flip(()) flips none, as NumPy's)
            return _tensor.ops.flip(self, None, dims=dims)
        return _tensor.ops.flip(self, axis[0] if len(axis) == 1 else axis, dims=dims)

    def roll(self, shift=None, axis=None, *, shifts=None, dims=None) -> Tensor:
        """The elements shifted by ``shift`` places along ``axis``, wrapping around; see
        `chainrule.roll`."""
        return _tensor.ops.roll(self, shift, axis, shifts=shifts, dims=dims)

    def tile(self, *reps) -> Tensor:
        """The tensor repeated ``reps`` times along each axis (``np.tile``, PyTorch's
        ``tile`` and its ``repeat``, which chainrule does not name: NumPy's ``repeat`` is
        `repeat_interleave`)."""
        return _tensor.ops.tile(self, *reps)

    def repeat_interleave(self, repeats, axis=None, *, dim=None) -> Tensor:
        """Each element repeated ``repeats`` times in place (``np.repeat``); see
        `chainrule.repeat_interleave`."""
        return _tensor.ops.repeat_interleave(self, repeats, axis, dim=dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """The tensor split into ``chunks`` pieces along ``dim``, as PyTorch's ``chunk``."""
        return _tensor.ops.chunk(self, chunks, dim)

    def unbind(self, dim: int = 0) -> tuple:
        """The slices along ``dim``, that axis removed, as PyTorch's ``unbind``."""
        return _tensor.ops.unbind(self, dim)

    def take_along_axis(self, indices, axis) -> Tensor:
        """Elements picked along ``axis`` by ``indices`` (``np.take_along_axis``)."""
        return _tensor.ops.take_along_axis(self, indices, axis)

    def gather(self, dim, index) -> Tensor:
        """Elements picked along ``dim`` by ``index``, as PyTorch's ``gather``."""
        return _tensor.ops.gather(self, dim, index)

    def sort(self, axis=-1, *, dim=None, descending: bool = False, stable=None) -> Tensor:
        """The values sorted along ``axis`` (stable), NumPy's meaning: the values only,
        where PyTorch's ``x.sort()`` returns (values, indices); the indices are `argsort`."""
        return _tensor.ops.sort(self, axis, dim=dim, descending=descending, stable=stable)

    def argsort(self, axis=-1, *, dim=None, descending: bool = False, stable=None) -> Tensor:
        """The indices that sort the tensor along ``axis`` (stable; int64, outside the graph)."""
        return _tensor.ops.argsort(self, axis, dim=dim, descending=descending, stable=stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """The ``k`` largest (or smallest) values along ``dim`` and their indices, as
        PyTorch's ``topk``: a named tuple ``(values, indices)``."""
        return _tensor.ops.topk(self, k, dim, largest, sorted)

    def outer(self, other) -> Tensor:
        """The outer product with another 1-D tensor, as PyTorch's ``outer``."""
        return _tensor.ops.outer(self, other)

    def diag(self, k: int = 0, *, diagonal=None) -> Tensor:
        """The matrix with this vector on diagonal ``k``, or this matrix's diagonal ``k``."""
        return _tensor.ops.diag(self, k, diagonal=diagonal)

    def trace(self, offset: int = 0) -> Tensor:
        """The sum of this matrix's diagonal ``offset``."""
        return _tensor.ops.trace(self, offset)

    def triu(self, k: int = 0, *, diagonal=None) -> Tensor:
        """Elements on and above diagonal ``k`` of the last two axes, zeros below."""
        return _tensor.ops.triu(self, k, diagonal=diagonal)

    def tril(self, k: int = 0, *, diagonal=None) -> Tensor:
        """Elements on and below diagonal ``k`` of the last two axes, zeros above."""
        return _tensor.ops.tril(self, k, diagonal=diagonal)

    def isnan(self) -> Tensor:
        """Where the tensor is NaN (boolean, outside the graph)."""
        return _tensor.ops.isnan(self)

    def isinf(self) -> Tensor:
        """Where the tensor is ±inf (boolean, outside the graph)."""
        return _tensor.ops.isinf(self)

    def isfinite(self) -> Tensor:
        """Where the tensor is finite (boolean, outside the graph)."""
        return _tensor.ops.isfinite(self)

    def all(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Whether every element (along ``axis``) is true or nonzero (boolean, no graph)."""
        return _tensor.ops.all(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def any(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Whether some element (along ``axis``) is true or nonzero (boolean, no graph)."""
        return _tensor.ops.any(self, axis, keepdims, dim=dim, keepdim=keepdim)

    # ----- more array ops (ops/_running.py, _select_scatter.py, _statistics.py,
    # _index_valued.py): PyTorch's methods, NumPy's meaning where the two differ (median is
    # NumPy's; PyTorch's lower median with its index is kthvalue)
    def cumprod(self, axis=None, *, dim=None) -> Tensor:
        """Cumulative product along ``axis`` (flattened when None, as NumPy's); see
        `chainrule.cumprod`."""
        return _tensor.ops.cumprod(self, axis, dim=dim)

    def logcumsumexp(self, axis=None, *, dim=None) -> Tensor:
        """log Σ exp over each prefix along ``axis`` (required), without overflow."""
        return _tensor.ops.logcumsumexp(self, axis, dim=dim)

    def cummax(self, axis=None, *, dim=None):
        """The running maximum along ``axis`` and its indices, a named tuple, as PyTorch's."""
        return _tensor.ops.cummax(self, axis, dim=dim)

    def cummin(self, axis=None, *, dim=None):
        """The running minimum along ``axis`` and its indices, a named tuple, as PyTorch's."""
        return _tensor.ops.cummin(self, axis, dim=dim)

    def diff(self, n: int = 1, axis=-1, prepend=None, append=None, *, dim=None) -> Tensor:
        """The ``n``-th difference along ``axis``; see `chainrule.diff`."""
        return _tensor.ops.diff(self, n, axis, prepend, append, dim=dim)

    def index_select(self, axis=None, index=None, *, dim=None) -> Tensor:
        """The slices at ``index`` along ``axis``, as PyTorch's ``index_select(dim, index)``."""
        return _tensor.ops.index_select(self, axis, index, dim=dim)

    def masked_select(self, mask) -> Tensor:
        """The elements where the boolean ``mask`` is true, in a 1-D tensor."""
        return _tensor.ops.masked_select(self, mask)

    def index_add(self, axis=None, index=None, source=None, *, alpha=1, dim=None) -> Tensor:
        """A copy with ``alpha · source`` added at ``index`` along ``axis`` (out of place)."""
        return _tensor.ops.index_add(self, axis, index, source, alpha=alpha, dim=dim)

    def scatter_add(self, axis=None, index=None, src=None, *, dim=None) -> Tensor:
        """A copy with ``src`` added at ``index`` along ``axis`` (out of place), as PyTorch's."""
        return _tensor.ops.scatter_add(self, axis, index, src, dim=dim)

    def nansum(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        """The sum over ``axis`` with NaN counted as 0."""
        return _tensor.ops.nansum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def nanmean(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        """The mean over ``axis`` of the elements that are not NaN."""
        return _tensor.ops.nanmean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def median(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        """The median over ``axis``, NumPy's meaning: the values only, the mean of the two
        middle values for an even count (PyTorch's ``x.median(dim)`` is `kthvalue`)."""
        return _tensor.ops.median(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def kthvalue(self, k: int, axis=-1, keepdims=False, *, dim=None, keepdim=None):
        """The ``k``-th smallest value along ``axis`` and its index, a named tuple."""
        return _tensor.ops.kthvalue(self, k, axis, keepdims, dim=dim, keepdim=keepdim)

    def nonzero(self, *, as_tuple: bool = False):
        """The indices of the nonzero elements, (n, ndim) int64 (outside the graph)."""
        return _tensor.ops.nonzero(self, as_tuple=as_tuple)

    def unique(
        self,
        sorted: bool = True,
        return_inverse: bool = False,
        return_counts: bool = False,
        axis=None,
        *,
        dim=None,
    ):
        """The distinct values in ascending order (outside the graph); see
        `chainrule.unique`."""
        return _tensor.ops.unique(self, sorted, return_inverse, return_counts, axis, dim=dim)
