"""PyTorch's piecewise activations: Hardtanh ReLU6 Hardsigmoid Hardswish Softshrink Hardshrink
Threshold PReLU, each with its ``nn.functional`` form under PyTorch's name and arguments.

They are composed from core ops as those of `_activations.py` are (with its helpers): a
piece is picked by a mask computed from the input's values, ``where`` sends the gradient to
the picked piece only, and a flat piece is a NumPy array, so it gets no gradient. At a kink
each takes PyTorch's one-sided choice, measured on PyTorch and stated in the docstring. An
integer or bool input is computed in a float dtype, as there.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from .._arguments import check_counts
from .._tensor import Tensor
from ..ops._activations import check_number
from ._activations import _constant, _float, _masked
from ._core_activations import _with_inplace
from ._layers import _inplace, _parameter_dtype
from ._module import Module, Parameter


def _times_zero(a: np.ndarray) -> np.ndarray:
    """a·0: 0 with a's sign (−0 for a negative a, as PyTorch's flat parts), NaN at ±inf."""
    with np.errstate(invalid="ignore"):
        return a * a.dtype.type(0)


# ----- functions ------------------------------------------------------------------------------
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
