"""More of PyTorch's activations: SELU CELU Mish Hardtanh ReLU6 Hardsigmoid Hardswish
LogSigmoid Softsign Tanhshrink Softshrink Hardshrink Threshold PReLU, each with its
``nn.functional`` form under PyTorch's name and arguments; and LogSoftmax, the layer of
`log_softmax` (what `NLLLoss` takes).

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
from .._arguments import check_counts
from .._tensor import Tensor
from ..ops._activations import check_number
from ..ops._common import floating
from ._core_activations import Softmax, _with_inplace
from ._layers import _inplace, _parameter_dtype
from ._module import Module, Parameter

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


def _times_zero(a: np.ndarray) -> np.ndarray:
    """a·0: 0 with a's sign (−0 for a negative a, as PyTorch's flat parts), NaN at ±inf."""
    with np.errstate(invalid="ignore"):
        return a * a.dtype.type(0)


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


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]. d/dx = 1 for min_val < x < max_val and 0 elsewhere,
    *at the bounds too* (PyTorch's convention, where `clip`'s gradient is 1 at its bounds);
    a NaN input gives NaN with gradient 1, as in PyTorch. ``inplace`` is accepted and
    changes nothing."""
    _inplace("hardtanh", inplace)
    _check_bounds("hardtanh", min_val, max_val)
    return _hardtanh(_float(input), min_val, max_val)


def _hardtanh(x: Tensor, lo: float, hi: float) -> Tensor:
    outside = (x.data <= lo) | (x.data >= hi)
    return ops.where(outside, _constant(x, np.clip(x.data, lo, hi)), x)


def _check_bounds(who: str, min_val, max_val) -> None:
    check_number(who, "min_val", min_val, finite=False)
    check_number(who, "max_val", max_val, finite=False)
    if not max_val > min_val:
        raise ValueError(f"{who}: max_val ({max_val}) must be greater than min_val ({min_val})")


def relu6(input, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6). d/dx = 1 for 0 < x < 6, 0 elsewhere: 0 at 0
    and at 6 (PyTorch's). ``inplace`` is accepted and changes nothing."""
    _inplace("relu6", inplace)
    return _hardtanh(_float(input), 0.0, 6.0)


def hardsigmoid(input, inplace: bool = False) -> Tensor:
    """relu6(x + 3)/6: 0 for x ≤ −3, 1 for x ≥ 3, (x + 3)/6 between. d/dx = 1/6 for
    −3 < x < 3, 0 elsewhere: 0 at ±3 and for a NaN input (PyTorch's). ``inplace`` is
    accepted and changes nothing."""
    _inplace("hardsigmoid", inplace)
    x = _float(input)
    inside = (x.data > -3) & (x.data < 3)
    flat = _constant(x, np.clip(x.data + x.dtype.type(3), 0, 6) / x.dtype.type(6))
    return ops.where(inside, (x + 3.0) / 6.0, flat)


def hardswish(input, inplace: bool = False) -> Tensor:
    """x·relu6(x + 3)/6: 0 for x ≤ −3, x for x ≥ 3, x(x + 3)/6 between. d/dx = 0 for
    x ≤ −3, x/3 + ½ for −3 < x < 3, 1 for x ≥ 3: 0 at −3 and 1 at 3, the outer pieces'
    values (PyTorch's; the middle piece would give −½ and 3/2), 1 for a NaN input. The
    flat part is x·0 (−0 for x < 0, NaN at −inf, as PyTorch's). ``inplace`` is accepted
    and changes nothing."""
    _inplace("hardswish", inplace)
    x = _float(input)
    low = x.data <= -3
    high = ~(x.data < 3)  # NaN included: x itself, gradient 1
    xm = _masked(x, ~(low | high))
    middle = xm * (xm + 3.0) / 6.0
    return ops.where(low, _constant(x, _times_zero(x.data)), ops.where(high, x, middle))


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


def softshrink(input, lambd: float = 0.5) -> Tensor:
    """x − λ for x > λ, x + λ for x < −λ, 0 for −λ ≤ x ≤ λ; λ ≥ 0. d/dx = 1 outside
    [−λ, λ], 0 inside it and at ±λ (PyTorch's); NaN gives NaN (with gradient 1, where
    PyTorch's vectorised and scalar loops disagree: 0 or 1)."""
    check_number("softshrink", "lambd", lambd, finite=False)
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be >= 0, got {lambd!r}")
    x = _float(input)
    inside = (x.data >= -lambd) & (x.data <= lambd)
    shift = _constant(x, np.where(x.data < -lambd, -lambd, lambd))
    return ops.where(inside, _constant(x, 0), x - shift)


def hardshrink(input, lambd: float = 0.5) -> Tensor:
    """x for |x| > λ, 0 for −λ ≤ x ≤ λ (a negative λ, which PyTorch allows, keeps every x).
    d/dx = 1 outside [−λ, λ], 0 inside it and at ±λ (PyTorch's); NaN gives NaN with
    gradient 1."""
    check_number("hardshrink", "lambd", lambd, finite=False)
    x = _float(input)
    inside = (x.data >= -lambd) & (x.data <= lambd)
    return ops.where(inside, _constant(x, 0), x)


def threshold(input, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x for x > threshold, ``value`` otherwise. d/dx = 1 for x > threshold, 0 for
    x ≤ threshold: 0 at the threshold (PyTorch's); NaN gives NaN with gradient 1.
    ``inplace`` is accepted and changes nothing."""
    _inplace("threshold", inplace)
    check_number("threshold", "threshold", threshold, finite=False)
    check_number("threshold", "value", value, finite=False)
    x = _float(input)
    return ops.where(x.data <= threshold, _constant(x, value), x)


_threshold = threshold  # for Threshold.forward, whose attribute has the function's name


def prelu(input, weight) -> Tensor:
    """x for x > 0, a·x otherwise, with a learned slope ``weight`` of one value or one per
    channel (axis 1 of an (N, C, …) input), as PyTorch's ``F.prelu``. d/dx = 1 for x > 0,
    a otherwise (a at 0, PyTorch's); d/da = x for x ≤ 0, 0 otherwise, summed over all but
    the channel axis. NaN gives NaN with gradient a."""
    x = _float(input)
    w = weight if isinstance(weight, Tensor) else Tensor(np.asarray(weight))
    if w.ndim != 1 or w.shape[0] == 0:
        raise ValueError(f"prelu: weight must have shape (num_parameters,), got {w.shape}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if w.shape[0] == 1:
        w = w.reshape(())
    elif w.shape[0] != channels:
        raise ValueError(
            f"prelu: {w.shape[0]} slopes (num_parameters) for an input of shape {x.shape}, "
            f"whose channel axis (axis 1) has {channels} (an input of under 2 axes has 1)"
        )
    else:
        w = w.reshape((channels,) + (1,) * (x.ndim - 2))
    positive = x.data > 0
    return ops.where(positive, x, w * _masked(x, ~positive))


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


class Hardtanh(Module):
    """x clipped to [min_val, max_val] (min_val < max_val); d/dx = 1 strictly between the
    bounds, 0 elsewhere, at the bounds too (PyTorch's). ``inplace`` as in `SELU`."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        _check_bounds(type(self).__name__, min_val, max_val)
        self.min_val, self.max_val = min_val, max_val
        self.inplace = _inplace(type(self).__name__, inplace)

    def forward(self, x) -> Tensor:
        return _hardtanh(_float(x), self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return _with_inplace(f"min_val={self.min_val}, max_val={self.max_val}", self.inplace)


class ReLU6(Hardtanh):
    """min(max(x, 0), 6), a `Hardtanh` on [0, 6] as in PyTorch; d/dx = 1 for 0 < x < 6,
    else 0 (0 at 0 and at 6, PyTorch's). ``inplace`` as in `SELU`."""

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _with_inplace("", self.inplace)


class Hardsigmoid(Module):
    """relu6(x + 3)/6; d/dx = 1/6 for −3 < x < 3, else 0 (0 at ±3, PyTorch's).
    ``inplace`` is accepted and changes nothing; PyTorch's repr does not show it."""

    def __init__(self, inplace: bool = False):
        self.inplace = _inplace("Hardsigmoid", inplace)

    def forward(self, x) -> Tensor:
        return hardsigmoid(x)


class Hardswish(Module):
    """x·relu6(x + 3)/6; d/dx = 0 for x ≤ −3, x/3 + ½ for −3 < x < 3, 1 for x ≥ 3 (0 at −3
    and 1 at 3, PyTorch's). ``inplace`` as in `Hardsigmoid` (not in the repr)."""

    def __init__(self, inplace: bool = False):
        self.inplace = _inplace("Hardswish", inplace)

    def forward(self, x) -> Tensor:
        return hardswish(x)


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


class Softshrink(Module):
    """x − λ for x > λ, x + λ for x < −λ, else 0 (λ ≥ 0); d/dx = 1 outside [−λ, λ], 0 on
    it, ends included (PyTorch's). The repr shows λ alone, as PyTorch's."""

    def __init__(self, lambd: float = 0.5):
        check_number("Softshrink", "lambd", lambd, finite=False)
        if lambd < 0:
            raise ValueError(f"Softshrink: lambd must be >= 0, got {lambd!r}")
        self.lambd = lambd

    def forward(self, x) -> Tensor:
        return softshrink(x, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Module):
    """x for |x| > λ, else 0; d/dx = 1 for |x| > λ, 0 otherwise (0 at ±λ, PyTorch's). The
    repr shows λ alone, as PyTorch's."""

    def __init__(self, lambd: float = 0.5):
        check_number("Hardshrink", "lambd", lambd, finite=False)
        self.lambd = lambd

    def forward(self, x) -> Tensor:
        return hardshrink(x, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Threshold(Module):
    """x for x > threshold, ``value`` otherwise; d/dx = 1 for x > threshold, else 0 (0 at
    the threshold, PyTorch's). ``inplace`` as in `SELU`."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        check_number("Threshold", "threshold", threshold, finite=False)
        check_number("Threshold", "value", value, finite=False)
        self.threshold, self.value = threshold, value
        self.inplace = _inplace("Threshold", inplace)

    def forward(self, x) -> Tensor:
        return _threshold(x, self.threshold, self.value)

    def extra_repr(self) -> str:
        return _with_inplace(f"threshold={self.threshold}, value={self.value}", self.inplace)


class PReLU(Module):
    """x for x > 0, a·x otherwise, with the slope a learned: ``weight``, a Parameter of
    shape (num_parameters,) filled with ``init``. One slope is shared by every element;
    ``num_parameters`` = C gives one per channel, axis 1 of an (N, C, …) input (as
    PyTorch's). d/dx = 1 for x > 0, a otherwise (a at 0, PyTorch's); d/da = Σ x over the
    elements with x ≤ 0. The weight has ``dtype`` (the default float dtype when None)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=None):
        check_counts("PReLU", num_parameters=num_parameters)
        check_number("PReLU", "init", init)
        dtype = _parameter_dtype("PReLU", dtype)
        self.num_parameters = int(num_parameters)
        self.init = init
        self.weight = Parameter(np.full(self.num_parameters, init, dtype))

    def forward(self, x) -> Tensor:
        return prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
