"""`calculate_gain` and the Kaiming initialisers `kaiming_normal_`, `kaiming_uniform_`, as
PyTorch's, with fans read from chainrule's (in, out) weights (see `_init.py`)."""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ._init import _finite, _nothing_to_fill, _target, fans, normal_, uniform_

_GAINS = {
    "linear": 1.0,
    "identity": 1.0,
    **dict.fromkeys(
        ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"],
        1.0,
    ),
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4.0,
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's recommended gain for a nonlinearity: 1 for "linear", "identity", the
    convolutions' names and "sigmoid", 5/3 for "tanh", √2 for "relu", 3/4 for "selu", and
    √(2 / (1 + slope²)) for "leaky_relu" (``param`` is the negative slope, 0.01 if None)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        _finite("calculate_gain", param=slope)
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity not in _GAINS:
        names = ", ".join(map(repr, [*_GAINS, "leaky_relu"]))
        raise ValueError(
            f"calculate_gain: unknown nonlinearity {nonlinearity!r}: use one of {names}"
        )
    return _GAINS[nonlinearity]


def _kaiming_std(fn: str, t: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    """gain / √fan, the fan chosen by ``mode``, for the Kaiming initialisers."""
    _target(fn, t)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{fn}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    gain = calculate_gain(nonlinearity, a)
    fan_in, fan_out = fans(t)
    fan = fan_in if mode == "fan_in" else fan_out
    return gain / math.sqrt(fan) if fan else 0.0  # fan 0: an empty tensor, nothing drawn


def kaiming_normal_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Kaiming/He normal, as PyTorch's: std = gain / √fan, with fan = fan_in (the default,
    keeping the forward pass's variance) or fan_out (``mode``), and gain from
    `calculate_gain` (``a`` is the negative slope of a leaky ReLU; the defaults give
    √2, for ReLU). fan_in and fan_out are chainrule's: a Linear weight is (in, out), so
    fan_in is its first axis, where PyTorch's (out, in) weight has it second; on the same
    layer both libraries draw with the same std."""
    std = _kaiming_std("kaiming_normal_", t, a, mode, nonlinearity)
    if _nothing_to_fill(t, generator):
        return t
    return normal_(t, 0.0, std, generator)


def kaiming_uniform_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Kaiming/He uniform, as PyTorch's: uniform on ±√3 · gain / √fan, the variance of
    `kaiming_normal_` with the same arguments (fans as there: a weight is (in, out))."""
    std = _kaiming_std("kaiming_uniform_", t, a, mode, nonlinearity)
    if _nothing_to_fill(t, generator):
        return t
    bound = math.sqrt(3.0) * std
    return uniform_(t, -bound, bound, generator)
