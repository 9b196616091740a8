"""`RMSNorm`, `Bilinear` and `AlphaDropout`, and their functions `rms_norm`, `bilinear` and
`alpha_dropout`, with PyTorch's arguments, parameters and formulas. All are composed from
core ops (mean, sqrt, division, einsum, reshape, products with constant masks), so their
gradients need no rule of their own and `explain` shows every node."""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from .._arguments import check_counts, flag
from .._tensor import Tensor
from ..ops._common import as_float, float_operands
from ._activations import SELU_ALPHA, SELU_SCALE
from ._init import uniform_
from ._layers import (
    Dropout,
    _check_probability,
    _generator,
    _inplace,
    _parameter_dtype,
    check_eps,
)
from ._module import Module, Parameter
from ._norm import _array, _as_input, _check_trailing, _float_dtype, _normalized_shape


# ----- RMSNorm ------------------------------------------------------------------------------
def rms_norm(input, normalized_shape, weight=None, eps: float | None = None) -> Tensor:
    """Root-mean-square normalisation over the last ``len(normalized_shape)`` dimensions, as
    PyTorch's ``torch.nn.functional.rms_norm``:

        y = x / √(mean(x²) + eps) · weight

    the mean taken over each slice of those dimensions (no centring, no bias). ``weight``
    (optional) has shape ``normalized_shape`` (an int n means (n,)). ``eps=None`` is the
    machine epsilon of the input's dtype (``np.finfo(dtype).eps``), as PyTorch 2.4+. An
    integer or bool input is computed in ``weight``'s dtype, or the default float dtype.
    """
    shape = _normalized_shape("rms_norm", normalized_shape)
    _check_eps("rms_norm", eps)
    if weight is not None and _array(weight).shape != shape:
        raise ValueError(
            f"rms_norm: weight must have the shape normalized_shape {shape}, "
            f"got {_array(weight).shape}"
        )
    x = _as_input(input, _float_dtype(weight))
    _check_trailing("rms_norm", x, shape)
    return _rms(x, len(shape), weight, eps)


def _check_eps(where: str, eps) -> None:
    if eps is not None:
        check_eps(where, eps, "a slice of zeros")


def _rms(x: Tensor, dims: int, weight, eps: float | None) -> Tensor:
    """x / √(mean(x²) + eps) over the last ``dims`` axes, then · weight."""
    eps = np.finfo(x.dtype).eps if eps is None else eps
    axes = tuple(range(-dims, 0))
    out = x / ((x * x).mean(axis=axes, keepdims=True) + eps).sqrt()
    return out if weight is None else out * weight


class RMSNorm(Module):
    """Root-mean-square normalisation, as PyTorch's ``torch.nn.RMSNorm``: each slice of the
    input over its last ``len(normalized_shape)`` dimensions becomes

        y = x / √(mean(x²) + eps) · weight,

    ``weight`` (ones, of shape ``normalized_shape``; none with ``elementwise_affine=False``).
    ``eps=None`` (the default, shown so in the repr) is the machine epsilon of the input's
    dtype at each call, as PyTorch 2.4+. An integer or bool input is computed in the
    layer's dtype, as in `LayerNorm`.
    """

    def __init__(
        self,
        normalized_shape,
        eps: float | None = None,
        elementwise_affine: bool = True,
        dtype=None,
    ):
        self.normalized_shape = _normalized_shape("RMSNorm", normalized_shape)
        _check_eps("RMSNorm", eps)
        self.eps = eps
        self.elementwise_affine = flag("RMSNorm", "elementwise_affine", elementwise_affine)
        self._dtype = dtype = _parameter_dtype("RMSNorm", dtype)
        affine = self.elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype)) if affine else None

    def forward(self, x) -> Tensor:
        # the weight's dtype, once there is one: Module.to / double() may have cast it
        x = _as_input(x, self._dtype if self.weight is None else self.weight.dtype)
        _check_trailing(f"RMSNorm({self.normalized_shape})", x, self.normalized_shape)
        return _rms(x, len(self.normalized_shape), self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


# ----- Bilinear -----------------------------------------------------------------------------
def bilinear(input1, input2, weight, bias=None) -> Tensor:
    """y_o = x1ᵀ A_o x2 + b_o, as PyTorch's ``torch.nn.functional.bilinear``: ``input1``
    (*, in1) and ``input2`` (*, in2) with the same leading dimensions, ``weight`` A of
    shape (out, in1, in2), ``bias`` (out,) optional; the output is (*, out). An integer
    or bool input takes the weight's float dtype."""
    operands = (input1, input2, weight) if bias is None else (input1, input2, weight, bias)
    x1, x2, w, *b = (t if isinstance(t, Tensor) else Tensor(t) for t in float_operands(operands))
    _check_bilinear(x1, x2, w, b[0] if b else None)
    batch = x1.shape[:-1]
    rows1 = x1.reshape(-1, w.shape[1])  # (N, in1): every batch axis flattened into rows
    rows2 = x2.reshape(-1, w.shape[2])  # (N, in2)
    out = ops.einsum("ni,oij,nj->no", rows1, w, rows2).reshape(*batch, w.shape[0])
    return out + b[0] if b else out


def _check_bilinear(x1: Tensor, x2: Tensor, w: Tensor, b: Tensor | None) -> None:
    """PyTorch's checks of ``bilinear``'s shapes, as ValueErrors naming the sizes."""
    if w.ndim != 3:
        raise ValueError(f"bilinear: weight must be (out, in1, in2), got shape {w.shape}")
    for i, x in ((1, x1), (2, x2)):
        if x.ndim == 0 or x.shape[-1] != w.shape[i]:
            size = x.shape[-1] if x.ndim else "a 0-d tensor"
            raise ValueError(
                f"bilinear: input{i}'s last dimension must be in{i}_features = {w.shape[i]} "
                f"(weight {w.shape}), got {size}"
            )
    if x1.shape[:-1] != x2.shape[:-1]:
        raise ValueError(
            "bilinear: input1 and input2 must have the same leading (batch) dimensions, got "
            f"{x1.shape} and {x2.shape}"
        )
    if b is not None and b.shape != w.shape[:1]:
        raise ValueError(f"bilinear: bias must be ({w.shape[0]},), got shape {b.shape}")


class Bilinear(Module):
    """y = x1ᵀ A x2 + b, as PyTorch's ``torch.nn.Bilinear``: inputs (*, in1_features) and
    (*, in2_features), output (*, out_features). ``weight`` A has PyTorch's shape
    (out_features, in1_features, in2_features) and ``bias`` (out_features,) (none with
    ``bias=False``), so a PyTorch state loads as it is; both are drawn from U(−k, k),
    k = 1/√in1_features, as PyTorch's, with ``generator`` (a ``numpy.random.Generator``),
    or the library's, which `manual_seed` seeds, when None. ``dtype`` as in `Linear`."""

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        *,
        dtype=None,
        generator: np.random.Generator | None = None,
    ):
        sizes = {"in1_features": in1_features, "in2_features": in2_features}
        check_counts("Bilinear", **sizes, out_features=out_features)
        dtype = _parameter_dtype("Bilinear", dtype)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(np.empty((out_features, in1_features, in2_features), dtype))
        self.bias = (
            Parameter(np.empty(out_features, dtype)) if flag("Bilinear", "bias", bias) else None
        )
        bound = 1.0 / math.sqrt(in1_features)
        for p in (self.weight, self.bias):
            if p is not None:
                uniform_(p, -bound, bound, generator)

    def forward(self, input1, input2) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


# ----- AlphaDropout -------------------------------------------------------------------------
_SELU_SATURATION = SELU_SCALE * SELU_ALPHA  # λ·α of SELU: its value at −∞ is −λα


def alpha_dropout(
    input,
    p: float = 0.5,
    training: bool = False,
    generator: np.random.Generator | None = None,
    *,
    inplace: bool = False,
) -> Tensor:
    """Alpha dropout (Klambauer et al., 2017), as PyTorch's ``F.alpha_dropout``, whose
    ``training`` defaults to False (the identity): in training, each element is dropped
    with probability p to SELU's saturation value −λα, and the result is corrected by
    the affine map PyTorch uses, which keeps a mean of 0 and a variance of 1:

        out = a·x + a·λα·p            where kept,   a = 1 / √((λ²α²·p + 1)(1 − p))
        out = −a·λα·(1 − p)           where dropped (d/dx = 0 there, a where kept).

    p = 1 gives zeros. The mask comes from ``generator``, or the library's, as in
    `dropout`; ``inplace`` is PyTorch's keyword, and changes nothing."""
    _check_probability(p, "alpha_dropout")
    _inplace("alpha_dropout", inplace)
    rng = _generator("alpha_dropout", generator)  # checked in eval mode too, as in dropout
    x = input if isinstance(input, Tensor) else Tensor(input)
    if not flag("alpha_dropout", "training", training) or p == 0 or x.size == 0:
        return x
    if x.dtype.kind in "biu":  # as in dropout: the scaled values need a float
        x = as_float(x, np.float64)
    if p == 1:
        return x * np.zeros(x.shape, x.dtype)  # PyTorch's input.mul(0)
    draw = np.float32 if x.dtype == np.float32 else np.float64
    kept = rng.random(x.shape, dtype=draw) >= p  # kept with probability 1 − p
    alpha = _SELU_SATURATION
    a = 1.0 / math.sqrt((alpha * alpha * p + 1.0) * (1.0 - p))
    scale = (kept * a).astype(x.dtype)
    shift = np.where(kept, a * alpha * p, -a * alpha * (1.0 - p)).astype(x.dtype)
    return x * scale + shift


class AlphaDropout(Dropout):
    """Alpha dropout with probability ``p`` in training (see `alpha_dropout`), for
    self-normalising networks of `SELU`s: it keeps their inputs' mean 0 and variance 1,
    where `Dropout` would change the variance; the identity in eval mode, as PyTorch's
    ``nn.AlphaDropout``. ``generator`` and ``inplace`` as in `Dropout` (the generator
    second, ``inplace`` a keyword that changes nothing)."""

    def forward(self, x) -> Tensor:
        return alpha_dropout(x, self.p, self.training, self.generator)
