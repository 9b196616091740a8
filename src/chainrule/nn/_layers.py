"""Layers: Linear (the tutorials' Affine, one fused node), Dropout, Flatten and Identity,
with the functions `linear` and `dropout`, and the checks other layers share (a
parameter's dtype, a normalisation's eps, PyTorch's ``inplace`` flag)."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import ops
from .._arguments import check_counts, flag
from .._dtypes import dtype_of, get_default_dtype
from .._function import Function
from .._generator import generator_or_default
from .._tensor import Tensor
from ..ops._common import as_float, float_operands
from ._init import initialise
from ._module import Module, Parameter


# ----- the fused Affine node ------------------------------------------------------------------
class Affine(Function):
    """affine: out = X·W + b gives dX = dY·Wᵀ, dW = Xᵀ·dY, db = Σ dY over the batch.

    Fused because it is the hot path of every MLP: one node instead of matmul + add.
    X is (..., in) or (in,), W is (in, out), b is (out,).
    """

    __slots__ = ()
    derivative = "dX = dY·Wᵀ, dW = Xᵀ·dY, db = Σ dY"
    quiet = True  # inf·0 in a product: NaN, as NumPy gives it

    def forward(self, x, w, b=None):
        if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[0]:
            raise ValueError(
                f"linear: an input of shape {x.shape} does not fit a weight of shape {w.shape} "
                f"(the input's last axis must have {w.shape[0] if w.ndim else '?'} features)"
            )
        if b is not None and b.shape != w.shape[1:]:
            raise ValueError(f"linear: bias of shape {b.shape} for a weight of shape {w.shape}")
        self.saved = (x, w)
        out = x @ w
        if b is None:
            return out
        if b.dtype == out.dtype:
            out += b  # out is freshly allocated: add the bias in place
            return out
        return out + b

    def backward(self, grad_out):
        x, w = self.saved
        need = self.needs_grad
        rows = _rows(grad_out)  # (N, out): every batch axis flattened into rows
        grad_x = grad_out @ w.T if need[0] else None  # (..., out)(out, in)
        grad_w = _rows(x).T @ rows if need[1] else None  # (in, N)(N, out)
        if len(need) < 3:
            return grad_x, grad_w
        return grad_x, grad_w, rows.sum(axis=0) if need[2] else None  # (out,)


def _rows(a):
    """``a`` as a matrix of rows: (..., n) -> (N, n); a vector becomes one row."""
    return a if a.ndim == 2 else a.reshape(-1, a.shape[-1])


def linear(x, weight, bias=None) -> Tensor:
    """x @ weight + bias as one node; weight has shape (in, out). An integer or bool ``x``
    takes the weight's float dtype."""
    if bias is None:
        return Affine()(*float_operands((x, weight)))
    return Affine()(*float_operands((x, weight, bias)))


def dropout(
    x,
    p: float = 0.5,
    training: bool = True,
    generator: np.random.Generator | None = None,
    *,
    inplace: bool = False,
) -> Tensor:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1−p),
    so nothing changes at evaluation time (``training=False`` returns x). An integer or bool
    ``x`` is dropped in float64, as NumPy computes integers scaled by a fraction. The mask
    is drawn from ``generator`` (a ``numpy.random.Generator``), or the library's, which
    `manual_seed` seeds, when None. PyTorch's ``inplace`` is a keyword here, as in
    `Dropout`, and changes nothing."""
    _check_probability(p, "dropout")
    _inplace("dropout", inplace)
    rng = _generator("dropout", generator)  # checked in eval mode too, as in Dropout
    x = x if isinstance(x, Tensor) else Tensor(x)
    if not flag("dropout", "training", training) or p == 0:
        return x
    if x.dtype.kind in "biu":  # a mask of x's integer dtype could not hold 1/(1 − p)
        x = as_float(x, np.float64)
    draw = np.float32 if x.dtype == np.float32 else np.float64
    mask = (rng.random(x.shape, dtype=draw) >= p).astype(x.dtype)
    if p < 1:
        mask *= 1.0 / (1.0 - p)
    return x * mask  # d/dx = mask: the gradient flows only through the kept elements


def _generator(who: str, generator) -> np.random.Generator:
    """Dropout's generator, or the library's when None; a bool in its place is PyTorch's
    ``inplace`` given by position, named as such."""
    if isinstance(generator, (bool, np.bool_)):  # dropout(x, 0.5, True, False): PyTorch's order
        raise TypeError(
            f"{who}: the argument after the training flag is the generator here; PyTorch's "
            "inplace flag is a keyword (inplace=True), and changes nothing"
        )
    return generator_or_default(generator, who)


def _check_probability(p: float, who: str | None = None) -> None:
    """A dropout probability: a number in [0, 1], else a ValueError naming ``who``."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        where = f"{who}: " if who else ""
        raise ValueError(f"{where}dropout probability must be a number in [0, 1], got {p!r}")


def _inplace(layer: str, inplace) -> bool:
    """PyTorch's ``inplace=`` flag, checked as every yes/no setting is (`flag`). It changes
    nothing here: chainrule never writes into an op's input, so the output is a new tensor
    either way (the values and gradients are the same; only the memory PyTorch saves
    differs)."""
    return flag(layer, "inplace", inplace)


# ----- layers -------------------------------------------------------------------------------
class Linear(Module):
    """The Affine layer: ``x @ weight + bias`` with weight of shape (in_features, out_features).

    ``init`` chooses the weight initialiser: "he" (default, for ReLU), "xavier" (tanh,
    sigmoid), "normal" (std 0.01), "he_uniform", "xavier_uniform", "uniform" (on ±0.05,
    as Keras), "zeros", or a positive number used as the std of a normal distribution.
    The bias starts at zero. The parameters have ``dtype`` (a floating one; the default
    float dtype when None), and random weights are drawn from ``generator`` (a
    ``numpy.random.Generator``), or the library's, which `manual_seed` seeds, when None.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init="he",
        dtype=None,
        generator: np.random.Generator | None = None,
    ):
        check_counts("Linear", in_features=in_features, out_features=out_features)
        dtype = _parameter_dtype("Linear", dtype)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((in_features, out_features), dtype))
        self.bias = Parameter(np.zeros(out_features, dtype)) if bias else None
        initialise(self.weight, init, generator)

    def forward(self, x) -> Tensor:
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


def check_eps(where: str, eps, constant: str) -> None:
    """A normalisation's eps: a finite number > 0 (with 0, ``constant`` -- what has all its
    values equal -- would be normalised to 0/0 = NaN)."""
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0 < eps < math.inf:
        raise ValueError(
            f"{where}: eps must be a finite number > 0, got {eps!r} (with 0, {constant} "
            "would be normalised to 0/0 = NaN)"
        )


def _parameter_dtype(layer: str, dtype) -> np.dtype:
    """The dtype of a layer's parameters: the default one, or a floating ``dtype``."""
    dtype = get_default_dtype() if dtype is None else dtype_of(dtype, layer)
    if dtype.kind != "f":
        raise TypeError(
            f"{layer}: dtype must be a floating dtype (parameters are trained), got {dtype}"
        )
    return dtype


class Flatten(Module):
    """Joins the axes ``start_dim`` to ``end_dim`` (both included; a negative one counts
    from the end) into one, as PyTorch's ``nn.Flatten``: the defaults keep the batch axis
    and join the others, (N, d1, d2, ...) -> (N, d1·d2·...). With the defaults a 1-D input
    (N,) becomes (N, 1), a batch of single features (PyTorch refuses it); axes out of
    range, or ``start_dim`` after ``end_dim``, are a ValueError when the layer is called."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        for name, dim in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
                raise TypeError(f"Flatten: {name} must be an integer, got {dim!r}")
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim == 0:
            raise ValueError("Flatten: expects an input with a batch axis, got shape ()")
        start, end = self._axes(x.shape)
        # -1 cannot be inferred when the batch is empty, so the joined size is given
        joined = math.prod(x.shape[start : end + 1])
        return ops.reshape(x, *x.shape[:start], joined, *x.shape[end + 1 :])

    def _axes(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """``start_dim`` and ``end_dim`` as axes of an input of ``shape``, checked."""
        n = len(shape)
        start = self.start_dim + n if self.start_dim < 0 else self.start_dim
        end = self.end_dim + n if self.end_dim < 0 else self.end_dim
        batch_of_scalars = (n, start, end) == (1, 1, 0)  # (N,) -> (N, 1)
        if not (0 <= start <= end < n or batch_of_scalars):
            raise ValueError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}): these axes "
                f"do not fit an input of shape {shape} (start_dim must be an axis not after "
                "end_dim)"
            )
        return start, end

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Returns its input as it is (the same object, no node), as PyTorch's ``Identity``: a
    placeholder for a layer, e.g. ``model.head = Identity()``. Any arguments given to it are
    ignored, as PyTorch's are."""

    def __init__(self, *args, **kwargs):
        pass

    def forward(self, x):
        return x


class Dropout(Module):
    """Inverted dropout with probability ``p`` in training; the identity in eval mode.

    The mask comes from ``generator``, or from the library's generator (see
    `chainrule.manual_seed`) at each call when none is given.
    """

    def __init__(
        self,
        p: float = 0.5,
        generator: np.random.Generator | None = None,
        *,
        inplace: bool = False,
    ):
        name = type(self).__name__  # the subclasses' too (Dropout2d, AlphaDropout)
        _check_probability(p, name)
        if isinstance(generator, (bool, np.bool_)):  # Dropout(0.5, True), PyTorch's order
            raise TypeError(
                f"{name}: the second argument is the generator here; PyTorch's inplace "
                "flag is a keyword (inplace=True), and changes nothing"
            )
        # a seed or a RandomState is refused here, by name, not at the first training call
        generator_or_default(generator, name)
        self.p, self.generator = p, generator
        self.inplace = _inplace(name, inplace)

    def forward(self, x) -> Tensor:
        return dropout(x, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"  # PyTorch's shows inplace=False too
