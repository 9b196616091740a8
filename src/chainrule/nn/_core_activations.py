"""The activations of the core ops as layers: `ReLU Sigmoid Tanh LeakyReLU ELU SiLU GELU
Softplus Softmax`, each calling its op (which has its own node), with PyTorch's arguments
and reprs."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import ops
from .._tensor import Tensor
from ..ops._activations import check_number, check_softplus
from ..ops._gaussian import check_approximate
from ..ops._names import torch_names
from ._layers import _inplace
from ._module import Module


def _with_inplace(settings: str, inplace: bool) -> str:
    """The repr's settings, with ``inplace=True`` after them when it was asked for (as
    PyTorch prints it)."""
    if not inplace:
        return settings
    return f"{settings}, inplace=True" if settings else "inplace=True"


class ReLU(Module):
    """max(x, 0) elementwise. ``inplace``, PyTorch's flag, is accepted and changes nothing:
    the output is a new tensor and the input is left as it is."""

    def __init__(self, inplace: bool = False):
        self.inplace = _inplace("ReLU", inplace)

    def forward(self, x) -> Tensor:
        return ops.relu(x)

    def extra_repr(self) -> str:
        return _with_inplace("", self.inplace)


class Sigmoid(Module):
    """1 / (1 + e⁻ˣ) elementwise."""

    def forward(self, x) -> Tensor:
        return ops.sigmoid(x)


class Tanh(Module):
    """tanh x elementwise."""

    def forward(self, x) -> Tensor:
        return ops.tanh(x)


class LeakyReLU(Module):
    """x for x > 0, negative_slope · x otherwise. ``inplace`` as in `ReLU` (accepted, changes
    nothing)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        if (
            isinstance(negative_slope, bool)
            or not isinstance(negative_slope, numbers.Real)
            or not math.isfinite(negative_slope)
        ):
            raise ValueError(
                "LeakyReLU: negative_slope must be a finite number (an infinite slope gives "
                f"inf·0 = NaN at 0, a NaN one NaN for every x < 0), got {negative_slope!r}"
            )
        self.negative_slope = negative_slope
        self.inplace = _inplace("LeakyReLU", inplace)

    def forward(self, x) -> Tensor:
        return ops.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return _with_inplace(f"negative_slope={self.negative_slope}", self.inplace)


class ELU(Module):
    """x for x > 0, α·(eˣ − 1) otherwise; d/dx = 1 if x > 0 else α·eˣ. ``inplace`` as in
    `ReLU` (accepted, changes nothing)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        check_number("ELU", "alpha", alpha)
        self.alpha = alpha
        self.inplace = _inplace("ELU", inplace)

    def forward(self, x) -> Tensor:
        return ops.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return _with_inplace(f"alpha={self.alpha}", self.inplace)


class SiLU(Module):
    """x·σ(x) elementwise (swish); d/dx = σ(x)(1 + x(1 − σ(x))). ``inplace`` as in `ReLU`
    (accepted, changes nothing)."""

    def __init__(self, inplace: bool = False):
        self.inplace = _inplace("SiLU", inplace)

    def forward(self, x) -> Tensor:
        return ops.silu(x)

    def extra_repr(self) -> str:
        return _with_inplace("", self.inplace)


class GELU(Module):
    """x·Φ(x), Φ the standard normal CDF (``approximate="tanh"``: ½·x·(1 + tanh(√(2/π)(x +
    0.044715x³)))); d/dx = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π). As PyTorch's
    ``nn.GELU``, its repr always names ``approximate``; any other value than "none" and
    "tanh" is a ValueError here, when the layer is made."""

    def __init__(self, approximate: str = "none"):
        check_approximate("GELU", approximate)
        self.approximate = approximate

    def forward(self, x) -> Tensor:
        return ops.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """(1/β)·ln(1 + e^(βx)), and x where βx > threshold; d/dx = σ(βx) (1 on the linear part)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        check_softplus("Softplus", beta, threshold)
        self.beta, self.threshold = beta, threshold

    def forward(self, x) -> Tensor:
        return ops.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """exp(x) / Σ exp(x) along ``axis``, an integer (``dim=``, PyTorch's name, works too;
    for a loss, use SoftmaxCrossEntropy on the logits). No axis (None) is refused rather
    than guessed."""

    def __init__(self, axis: int = -1, *, dim=None):
        name = type(self).__name__  # LogSoftmax's too
        axis, _ = torch_names(name, axis, dim, default=-1)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(
                f"{name}: axis must be an integer, got {axis!r} (None is refused: the "
                "softmax would be taken over the whole batch)"
            )
        self.axis = int(axis)

    def forward(self, x) -> Tensor:
        return ops.softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"
