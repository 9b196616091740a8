"""More of PyTorch's activations, the smooth ones: SELU CELU Mish LogSigmoid Softsign
Tanhshrink, each with its ``nn.functional`` form under PyTorch's name and arguments; and
LogSoftmax, the layer of `log_softmax` (what `NLLLoss` takes). The piecewise ones, built
with the helpers here, are in `_piecewise_activations.py`.

Every one is composed from core ops (``where``, ``elu``, ``softplus``, ``tanh``, ``abs``,
arithmetic), so its gradient, its second derivative and `explain` come from theirs. At a
kink each takes PyTorch's one-sided choice, measured on PyTorch and stated in the
docstring: a branch is picked by a mask computed from the input's values, and
``where(mask, a, b)`` sends the gradient to the picked branch only. A branch whose value is
a constant there (the flat parts) is a NumPy array, so it gets no gradient; an input a
branch could overflow on where it is not picked is replaced by 0 there first.

An integer or bool input is computed in the float dtype ``exp`` gives it, as `elu` is.
"""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from .._tensor import Tensor
from ..ops._activations import check_number
from ..ops._common import floating
from ._core_activations import Softmax, _with_inplace
from ._layers import _inplace
from ._module import Module

#: SELU's constants, as PyTorch's (Klambauer et al., 2017)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _float(x) -> Tensor:
    """``x`` as a Tensor of a floating dtype (an integer or bool one as in `floating`)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.dtype.kind != "f":
        x = Tensor(floating(x.data), name=x.name)
    return x


def _constant(x: Tensor, values) -> np.ndarray:
    """``values`` (computed from ``x``'s array) as an array of ``x``'s dtype: a branch
    that gets no gradient."""
    return np.asarray(values, dtype=x.dtype)


def _masked(x: Tensor, keep: np.ndarray) -> Tensor:
    """``x`` where ``keep``, 0 elsewhere (gradient 1 and 0): the input of a branch that is
    only picked where ``keep`` holds, so that it cannot overflow elsewhere."""
    return ops.where(keep, x, _constant(x, 0))


# ----- functions ------------------------------------------------------------------------------
def selu(input, inplace: bool = False) -> Tensor:
    """λ·elu(x, α) with PyTorch's λ = 1.0507009873554805 and α = 1.6732632423543772: λx for
    x > 0, λα(eˣ − 1) otherwise. d/dx = λ for x > 0, λα·eˣ otherwise, so selu′(0) = λα (as
    PyTorch's, the left side); NaN gives NaN with gradient λ (PyTorch's). ``inplace`` is
    accepted and changes nothing."""
    _inplace("selu", inplace)
    x = _float(input)
    positive = ~(x.data <= 0)  # NaN included: NaN with gradient λ, as PyTorch's
    negative = SELU_SCALE * ops.elu(_masked(x, ~positive), SELU_ALPHA)
    return ops.where(positive, SELU_SCALE * x, negative)


def celu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, α·(e^(x/α) − 1) otherwise (α ≠ 0). d/dx = 1 for x > 0, e^(x/α)
    otherwise, so celu′(0) = 1 from both sides (PyTorch's); NaN gives NaN with gradient 1
    (PyTorch's). ``inplace`` is accepted and changes nothing."""
    _inplace("celu", inplace)
    _check_alpha("celu", alpha)
    return _celu(_float(input), alpha)


def _celu(x: Tensor, alpha: float) -> Tensor:
    positive = ~(x.data <= 0)  # NaN included: NaN with gradient 1, as PyTorch's
    u = _masked(x, ~positive) / alpha  # x/α on the negative side, 0 elsewhere
    # α > 0: u ≤ 0, where elu(u) = eᵘ − 1 by expm1; α < 0: u ≥ 0
    negative = alpha * (ops.elu(u) if alpha > 0 else ops.exp(u) - 1.0)
    return ops.where(positive, x, negative)


def _check_alpha(who: str, alpha) -> None:
    check_number(who, "alpha", alpha)
    if alpha == 0:
        raise ValueError(f"{who}: alpha must not be 0 (CELU divides x by it)")


def mish(input, inplace: bool = False) -> Tensor:
    """x·tanh(softplus(x)), softplus(x) = ln(1 + eˣ) without a threshold (as PyTorch's).
    d/dx = tanh(sp) + x·σ(x)·(1 − tanh²(sp)), sp = softplus(x); mish′(0) = 0.6. Smooth
    everywhere. ``inplace`` is accepted and changes nothing."""
    _inplace("mish", inplace)
    x = _float(input)
    return x * ops.tanh(ops.softplus(x, 1.0, math.inf))


def logsigmoid(input) -> Tensor:
    """ln σ(x) = −softplus(−x), computed without overflow or cancellation at any x
    (logsigmoid(−800) = −800, logsigmoid(50) = −1.93e-22). d/dx = 1 − σ(x) = σ(−x)."""
    x = _float(input)
    return -ops.softplus(-x, 1.0, math.inf)


def softsign(input) -> Tensor:
    """x / (1 + |x|). d/dx = 1/(1 + |x|)², 1 at 0 (|x|'s gradient 0 there does not
    matter: the quotient's terms give 1/(1 + |x|) − x·sign(x)/(1 + |x|)²)."""
    x = _float(input)
    return x / (1.0 + ops.abs(x))


def tanhshrink(input) -> Tensor:
    """x − tanh x. d/dx = tanh²x (0 at 0)."""
    x = _float(input)
    return x - ops.tanh(x)


# ----- modules --------------------------------------------------------------------------------
class SELU(Module):
    """λ·elu(x, α), λ = 1.0507009873554805, α = 1.6732632423543772 (PyTorch's constants);
    d/dx = λ for x > 0, λα·eˣ otherwise (λα at 0). ``inplace`` is accepted, shown in the
    repr as PyTorch's, and changes nothing (no layer writes into its input)."""

    def __init__(self, inplace: bool = False):
        self.inplace = _inplace("SELU", inplace)

    def forward(self, x) -> Tensor:
        return selu(x)

    def extra_repr(self) -> str:
        return _with_inplace("", self.inplace)


class CELU(Module):
    """x for x > 0, α·(e^(x/α) − 1) otherwise; d/dx = 1 for x > 0, e^(x/α) otherwise (1
    at 0). α ≠ 0. ``inplace`` as in `SELU` (accepted, changes nothing)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        _check_alpha("CELU", alpha)
        self.alpha = alpha
        self.inplace = _inplace("CELU", inplace)

    def forward(self, x) -> Tensor:
        return celu(x, self.alpha)

    def extra_repr(self) -> str:
        return _with_inplace(f"alpha={self.alpha}", self.inplace)


class Mish(Module):
    """x·tanh(softplus(x)); d/dx = tanh(sp) + x·σ(x)·(1 − tanh²(sp)), sp = softplus(x)
    (0.6 at 0). ``inplace`` as in `SELU` (accepted, changes nothing)."""

    def __init__(self, inplace: bool = False):
        self.inplace = _inplace("Mish", inplace)

    def forward(self, x) -> Tensor:
        return mish(x)

    def extra_repr(self) -> str:
        return _with_inplace("", self.inplace)


class LogSigmoid(Module):
    """ln σ(x) = −softplus(−x), stable at any x; d/dx = σ(−x)."""

    def forward(self, x) -> Tensor:
        return logsigmoid(x)


class LogSoftmax(Softmax):
    """log softmax(x) = x − log Σ exp(x) along ``axis`` (``dim=``, PyTorch's name),
    computed by log-sum-exp so that it stays finite for large logits; d/dx = the identity
    minus softmax(x) in every row. Put it last in a model trained with `NLLLoss`
    (together they are `CrossEntropyLoss` on the logits, which is one fused node)."""

    def forward(self, x) -> Tensor:
        return ops.log_softmax(x, self.axis)


class Softsign(Module):
    """x / (1 + |x|); d/dx = 1/(1 + |x|)²."""

    def forward(self, x) -> Tensor:
        return softsign(x)


class Tanhshrink(Module):
    """x − tanh x; d/dx = tanh²x."""

    def forward(self, x) -> Tensor:
        return tanhshrink(x)
