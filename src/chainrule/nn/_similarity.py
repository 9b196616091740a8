"""PyTorch's similarity, normalisation and shape pieces: `normalize`, `cosine_similarity`,
`pairwise_distance`, `softmin`, `glu` and their layers `CosineSimilarity`,
`PairwiseDistance`, `Softmin`, `GLU`, with `Unflatten`.

Every one is composed from core ops (norm, abs, sum, max, division, softmax, sigmoid,
chunk, reshape), so gradients, second derivatives and `explain` come from theirs. Where
PyTorch clamps a norm at ``eps`` the clamp is PyTorch's too: `normalize`'s is ``clip``
(no gradient through a norm below eps), `cosine_similarity`'s is made outside the graph
(the norm keeps its gradient, as PyTorch's in-place clamp under ``no_grad`` does).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import ops
from .._arguments import is_count
from .._tensor import Tensor
from ..ops._reduce import norm
from ._core_activations import Softmax
from ._losses import _as_tensor
from ._module import Module


def _check_real(who: str, name: str, value) -> float:
    """A real number (not a bool), as a float; NaN refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be a number, got {value!r}")
    if math.isnan(value):
        raise ValueError(f"{who}: {name} must not be NaN")
    return float(value)


def _check_dim(who: str, dim) -> int:
    """An axis: an int, not a bool."""
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{who}: dim must be an integer, got {dim!r}")
    return int(dim)


def _axis(who: str, dim: int, ndim: int) -> int:
    """``dim`` as an axis 0 ≤ axis < ndim, or PyTorch's error."""
    if not -ndim <= dim < ndim:
        raise ValueError(
            f"{who}: dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}],"
            f" but got {dim})"
        )
    return dim % ndim


# ----- norms ----------------------------------------------------------------------------------
def p_norm(x: Tensor, p: float, axis, keepdims: bool = False) -> Tensor:
    """‖x‖ₚ = (Σ |x|ᵖ)^(1/p) over ``axis``, as ``torch.norm(x, p, dim)``: p = 2 is `norm`,
    p = 1 Σ|x|, p = ±inf max / min |x| (tied maxima share the gradient), p = 0 the number of
    nonzero elements (gradient 0). Any other p is composed; at a zero vector its gradient is
    0, as PyTorch's."""
    if p == 2:
        return norm(x, axis, keepdims)
    if p == 1:
        return ops.sum(ops.abs(x), axis, keepdims)
    if math.isinf(p):
        return (ops.amax if p > 0 else ops.amin)(ops.abs(x), axis, keepdims)
    if p == 0:  # the count, kept in the graph as PyTorch's: backward runs and gives 0
        zeros = ops.where(np.zeros(x.shape, bool), x, np.zeros((), x.dtype))  # 0·x, no NaN
        count = (x.data != 0).sum(axis, keepdims=keepdims).astype(x.dtype)
        return ops.sum(zeros, axis, keepdims) + count
    total = ops.sum(ops.abs(x) ** p, axis, keepdims)
    zero = total.data == 0  # (Σ|x|ᵖ)^(1/p) at 0: its gradient would be 0·∞
    safe = ops.where(zero, np.ones((), x.dtype), total)
    return ops.where(zero, np.zeros((), x.dtype), safe ** (1.0 / p))


def normalize(input, p: float = 2.0, dim=1, eps: float = 1e-12) -> Tensor:
    """Each vector along ``dim`` divided by its p-norm, PyTorch's ``F.normalize``:

        v / max(‖v‖ₚ, eps)

    (``dim`` an int or a tuple of ints). Below eps the denominator is the constant eps, so
    a zero vector gives 0 with gradient 1/eps, and no gradient flows through its norm, as
    in PyTorch (``clamp_min``). See `p_norm` for p."""
    p = _check_real("normalize", "p", p)
    eps = _check_real("normalize", "eps", eps)
    x = _as_tensor(input)
    return x / ops.clip(p_norm(x, p, dim, keepdims=True), eps, None)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim``, PyTorch's
    ``F.cosine_similarity``:

        Σ (x₁ / max(‖x₁‖, eps)) · (x₂ / max(‖x₂‖, eps))

    with x₁ and x₂ broadcast to one shape first (``dim`` is an axis of that shape). Each
    norm is clamped at eps as PyTorch clamps it, outside the graph: the value is the
    clamped one, the gradient flows through the norm as if unclamped. A zero vector gives
    cosine 0 (its gradient is the other vector's direction / eps, as PyTorch's)."""
    dim = _check_dim("cosine_similarity", dim)
    eps = _check_real("cosine_similarity", "eps", eps)
    x1, x2 = _broadcast(_as_tensor(x1), _as_tensor(x2))
    axis = _axis("cosine_similarity", dim, max(x1.ndim, 1))
    return ((x1 / _clamped_norm(x1, axis, eps)) * (x2 / _clamped_norm(x2, axis, eps))).sum(axis)


def _broadcast(x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor]:
    if x1.shape == x2.shape:
        return x1, x2
    shape = np.broadcast_shapes(x1.shape, x2.shape)
    return ops.broadcast_to(x1, shape), ops.broadcast_to(x2, shape)


def _clamped_norm(x: Tensor, axis: int, eps: float) -> Tensor:
    """‖x‖ along ``axis`` (kept), raised to eps by a constant: the gradient is the norm's."""
    n = norm(x, axis, True)
    return n + _clamp_offset(n.data, eps)


def _clamp_offset(a: np.ndarray, eps: float) -> np.ndarray:
    """What lifts each value of ``a`` below eps to eps, 0 elsewhere (at inf and NaN too,
    where max(a, eps) − a would be NaN): ``a + _clamp_offset(a, eps)`` is PyTorch's clamp_min."""
    return np.where(a < eps, eps - a, 0).astype(a.dtype, copy=False)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """The p-norm distance between ``x1`` and ``x2`` along their last axis, PyTorch's
    ``F.pairwise_distance``:

        ‖x₁ − x₂ + eps‖ₚ

    (eps keeps the gradient finite where x₁ = x₂), with x₁ and x₂ broadcast, the last axis
    being that of the one with more dimensions. See `p_norm` for p."""
    p = _check_real("pairwise_distance", "p", p)
    eps = _check_real("pairwise_distance", "eps", eps)
    x1, x2 = _as_tensor(x1), _as_tensor(x2)
    axis = max(x1.ndim, x2.ndim) - 1
    return p_norm(x1 - x2 + eps, p, axis, bool(keepdim))


# ----- activations ----------------------------------------------------------------------------
def softmin(input, axis: int = -1, *, dim=None) -> Tensor:
    """exp(−x) / Σ exp(−x) along ``axis``, i.e. softmax(−x), PyTorch's ``F.softmin``;
    ``dim=`` is PyTorch's name for ``axis``. d/dx = −(diag(y) − y·yᵀ). The default axis is
    the last, as `softmax`'s (PyTorch guesses one, with a warning)."""
    return ops.softmax(-_as_tensor(input), axis, dim=dim)


def glu(input, dim: int = -1) -> Tensor:
    """The gated linear unit, PyTorch's ``F.glu``: ``input`` split in halves a, b along
    ``dim``, then a·σ(b). d/da = σ(b), d/db = a·σ(b)·(1 − σ(b)). The size along ``dim``
    must be even."""
    dim = _check_dim("glu", dim)
    x = _as_tensor(input)
    if x.ndim == 0:
        raise ValueError("glu: does not support scalars, because halving size must be even")
    size = x.shape[_axis("glu", dim, x.ndim)]
    if size % 2:
        raise ValueError(f"glu: halving dimension must be even, but dimension {dim} is size {size}")
    a, b = ops.chunk(x, 2, dim)
    return a * ops.sigmoid(b)


# ----- layers ---------------------------------------------------------------------------------
class CosineSimilarity(Module):
    """``layer(x1, x2)``: the cosine of the angle between x1 and x2 along ``dim``,
    Σ x₁x₂ / (max(‖x₁‖, eps)·max(‖x₂‖, eps)), as PyTorch's. See `cosine_similarity`."""

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        self.dim = _check_dim("CosineSimilarity", dim)
        self.eps = _check_real("CosineSimilarity", "eps", eps)

    def forward(self, x1, x2) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, eps={self.eps}"


class PairwiseDistance(Module):
    """``layer(x1, x2)``: ‖x₁ − x₂ + eps‖ₚ along the last axis, as PyTorch's. See
    `pairwise_distance`."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        self.norm = _check_real("PairwiseDistance", "p", p)
        self.eps = _check_real("PairwiseDistance", "eps", eps)
        self.keepdim = bool(keepdim)

    def forward(self, x1, x2) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

    def extra_repr(self) -> str:
        return f"p={self.norm}, eps={self.eps}, keepdim={self.keepdim}"


class Softmin(Softmax):
    """softmax(−x) along ``axis`` (``dim=``, PyTorch's name): the smallest input gets the
    largest weight. d/dx = −(diag(y) − y·yᵀ). See `softmin`."""

    def forward(self, x) -> Tensor:
        return ops.softmax(-_as_tensor(x), self.axis)


class GLU(Module):
    """The gated linear unit a·σ(b) of the halves a, b of the input along ``dim``, as
    PyTorch's. See `glu`."""

    def __init__(self, dim: int = -1):
        self.dim = _check_dim("GLU", dim)

    def forward(self, x) -> Tensor:
        return glu(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Unflatten(Module):
    """Splits the axis ``dim`` of its input into ``unflattened_size``, as PyTorch's
    ``nn.Unflatten``: (*, S, *) → (*, U₁, …, Uₙ, *) with U₁·…·Uₙ = S (one Uᵢ may be -1, then
    inferred). The inverse of `Flatten`; a reshape, so the gradient is reshaped back."""

    def __init__(self, dim: int, unflattened_size):
        self.dim = _check_dim("Unflatten", dim)
        self.unflattened_size = _sizes(unflattened_size)

    def forward(self, x) -> Tensor:
        x = _as_tensor(x)
        if x.ndim == 0:
            raise ValueError("unflatten: a 0-d tensor has no dimension to unflatten")
        axis = _axis("unflatten", self.dim, x.ndim)
        sizes = _unflattened(self.unflattened_size, x.shape[axis], axis)
        return ops.reshape(x, *x.shape[:axis], *sizes, *x.shape[axis + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def _sizes(value) -> tuple[int, ...]:
    """``unflattened_size``: a tuple or list of ints, PyTorch's checks and TypeErrors."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(
            f"unflattened_size must be a tuple of ints, but found type {type(value).__name__}"
        )
    for i, size in enumerate(value):
        if not is_count(size, -(2**63)):
            raise TypeError(
                "unflattened_size must be tuple of ints, but found element of type "
                f"{type(size).__name__} at pos {i}"
            )
    if not value:
        raise ValueError("unflatten: sizes must be non-empty")
    return tuple(int(s) for s in value)


def _unflattened(sizes: tuple[int, ...], size: int, axis: int) -> tuple[int, ...]:
    """``sizes`` with its one -1 inferred, checked to multiply up to ``size``."""
    if any(s < -1 for s in sizes) or sizes.count(-1) > 1:
        raise ValueError(f"unflatten: sizes {sizes} may hold one -1, and no other negative size")
    known = math.prod(s for s in sizes if s != -1)
    if -1 in sizes and known and size % known == 0:
        sizes = tuple(size // known if s == -1 else s for s in sizes)
    if math.prod(sizes) != size or -1 in sizes:
        raise ValueError(
            f"unflatten: provided sizes {sizes} don't multiply up to the size of dim {axis} "
            f"({size}) in the input tensor"
        )
    return sizes
