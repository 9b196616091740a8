"""Layer normalisation: `LayerNorm` and the function `layer_norm`, composed from core ops
(mean, subtraction, multiplication, sqrt, division), so the gradient needs no rule of its
own and `explain` shows every node."""

from __future__ import annotations

import numpy as np

from .._arguments import flag, is_count
from .._dtypes import get_default_dtype
from .._tensor import Tensor
from ..ops._common import as_float
from ._layers import _parameter_dtype, check_eps
from ._module import Module, Parameter


def layer_norm(x, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Normalise ``x`` over its last ``len(normalized_shape)`` dimensions, as PyTorch's
    ``torch.nn.functional.layer_norm``:

        y = (x − μ) / √(σ² + eps) · weight + bias

    where μ and σ² are the mean and the biased variance (divided by n, not n − 1) of each
    slice of ``x`` over those dimensions, and ``weight`` and ``bias`` (optional, each of
    shape ``normalized_shape``) are applied elementwise. An int ``normalized_shape`` means
    ``(n,)``. An integer or bool ``x`` is computed in ``weight``'s dtype, or the default
    float dtype without a weight. With eps > 0 a constant slice (σ² = 0) gives a finite
    output and gradient.
    """
    shape = _normalized_shape("layer_norm", normalized_shape)
    check_eps("layer_norm", eps, "a slice whose values are all equal")
    for name, p in (("weight", weight), ("bias", bias)):
        _check_affine_shape(name, p, shape)
    x = _as_input(x, _float_dtype(weight))
    _check_trailing("layer_norm", x, shape)
    return _normalise(x, len(shape), weight, bias, eps)


def _normalise(x: Tensor, dims: int, weight, bias, eps: float) -> Tensor:
    """(x − μ) / √(σ² + eps) over the last ``dims`` axes, then · weight + bias."""
    axes = tuple(range(-dims, 0))
    centred = x - x.mean(axis=axes, keepdims=True)
    var = (centred * centred).mean(axis=axes, keepdims=True)  # biased, as PyTorch's
    out = centred / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def _float_dtype(weight) -> np.dtype:
    """The dtype an integer input is computed in: a floating weight's, or the default."""
    dtype = None if weight is None else _array(weight).dtype
    return dtype if dtype is not None and dtype.kind == "f" else get_default_dtype()


def _array(value) -> np.ndarray:
    return np.asarray(value.data if isinstance(value, Tensor) else value)


def _as_input(x, dtype: np.dtype) -> Tensor:
    """``x`` as a Tensor; an integer or bool one in the floating ``dtype``."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    return as_float(x, dtype) if x.dtype.kind in "biu" else x


def _normalized_shape(where: str, normalized_shape) -> tuple[int, ...]:
    """``normalized_shape`` as a tuple of positive ints (an int n is (n,)), or a ValueError."""
    sizes = (normalized_shape,) if is_count(normalized_shape, 1) else _sizes(normalized_shape)
    if not sizes or not all(is_count(n, 1) for n in sizes):
        raise ValueError(
            f"{where}: normalized_shape must be a positive int or a non-empty tuple of "
            f"positive ints (the sizes of the trailing dimensions), got {normalized_shape!r}"
        )
    return tuple(int(n) for n in sizes)


def _sizes(value) -> tuple | None:
    if isinstance(value, (str, bytes)):
        return None
    try:
        return tuple(value)
    except TypeError:
        return None


def _check_affine_shape(name: str, p, shape: tuple[int, ...]) -> None:
    if p is not None and _array(p).shape != shape:
        raise ValueError(
            f"layer_norm: {name} must have the shape normalized_shape {shape}, "
            f"got {_array(p).shape}"
        )


def _check_trailing(where: str, x: Tensor, shape: tuple[int, ...]) -> None:
    if x.ndim < len(shape) or x.shape[x.ndim - len(shape) :] != shape:
        raise ValueError(
            f"{where} expects inputs whose trailing dimensions are {shape}, i.e. of shape "
            f"(*, {', '.join(map(str, shape))}), got an input of shape {x.shape}"
        )


class LayerNorm(Module):
    """Layer normalisation, as PyTorch's ``torch.nn.LayerNorm``: each slice of the input
    over its last ``len(normalized_shape)`` dimensions is normalised by its own statistics,

        y = (x − μ) / √(σ² + eps) · weight + bias,

    with μ the slice's mean and σ² its biased variance (divided by n). ``weight`` (ones) and
    ``bias`` (zeros) have shape ``normalized_shape`` (an int n means (n,)); there are none
    with ``elementwise_affine=False``, and no bias with ``bias=False``. Train and eval
    modes compute the same thing: there are no running statistics. An integer or bool
    input is computed in the layer's dtype: its weight's (``dtype``, a floating one, or the
    default, until ``double()`` or ``to`` casts it); without a weight, ``dtype``'s.
    Composed from core ops, so its gradient needs no rule of its own.
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype=None,
    ):
        self.normalized_shape = _normalized_shape("LayerNorm", normalized_shape)
        check_eps("LayerNorm", eps, "a slice whose values are all equal")
        self.eps = eps
        self.elementwise_affine = flag("LayerNorm", "elementwise_affine", elementwise_affine)
        with_bias = flag("LayerNorm", "bias", bias) and self.elementwise_affine
        self._dtype = dtype = _parameter_dtype("LayerNorm", dtype)
        shape = self.normalized_shape
        self.weight = Parameter(np.ones(shape, dtype)) if self.elementwise_affine else None
        self.bias = Parameter(np.zeros(shape, dtype)) if with_bias else None

    def forward(self, x) -> Tensor:
        # the weight's dtype, once there is one: Module.to / double() may have cast it
        x = _as_input(x, self._dtype if self.weight is None else self.weight.dtype)
        _check_trailing(f"LayerNorm({self.normalized_shape})", x, self.normalized_shape)
        return _normalise(x, len(self.normalized_shape), self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )
