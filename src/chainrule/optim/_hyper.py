"""Validation of optimizer hyper-parameters, one rule per name, shared by every optimizer
(one whose name means something else to it overrides the rule: `check_hyper`'s ``rules``).

Each rule returns the value normalised to a plain Python type (float, bool, tuple of
floats). Python floats matter for speed and dtype: NumPy treats them as "weak" scalars, so
``float32_array * lr`` stays float32 and allocates no float64 temporary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import numpy as np

from .._tensor import Tensor


def _number(name: str, value) -> float:
    value = _unwrapped(value)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _unwrapped(value):
    """A 0-d array or Tensor of numbers (PyTorch takes ``lr=torch.tensor(0.01)``) as the
    NumPy scalar it holds; anything else as it is."""
    data = value.data if isinstance(value, Tensor) else value
    if isinstance(data, np.ndarray) and data.ndim == 0 and data.dtype.kind in "fiu":
        return data[()]
    return value


def _non_negative(name: str, value) -> float:
    value = _number(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return value


def _unit_open(name: str, value) -> float:
    """A decay factor in [0, 1): 1 would never forget, above 1 would diverge."""
    value = _number(name, value)
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return value


def _unit_closed(name: str, value) -> float:
    value = _number(name, value)
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return value


def _pair(name: str, value, what: str = "of numbers") -> tuple[float, float]:
    """An ordered pair of finite numbers: a tuple, list or 1-d array of two (not a set or a
    dict); ``what`` describes it in the error."""
    ordered = (isinstance(value, Sequence) and not isinstance(value, (str, bytes))) or (
        isinstance(value, np.ndarray) and value.ndim == 1
    )
    if not ordered or len(value) != 2:
        raise ValueError(f"{name} must be a pair {what}, got {value!r}")
    return (_number(f"{name}[0]", value[0]), _number(f"{name}[1]", value[1]))


def _betas(name: str, value) -> tuple[float, float]:
    """Adam's (β₁, β₂): two decay factors, each in [0, 1)."""
    beta1, beta2 = _pair(name, value, "(beta1, beta2)")
    return (_unit_open(f"{name}[0]", beta1), _unit_open(f"{name}[1]", beta2))


def _etas(name: str, value) -> tuple[float, float]:
    """Rprop's (η⁻, η⁺): 0 < η⁻ < 1 < η⁺, a shrinking and a growing factor."""
    minus, plus = _pair(name, value)
    if not 0 < minus < 1 < plus:
        raise ValueError(
            f"{name} must be (etaminus, etaplus) with 0 < etaminus < 1 < etaplus, got {value!r}"
        )
    return minus, plus


def _step_sizes(name: str, value) -> tuple[float, float]:
    """Rprop's (Δ_min, Δ_max): 0 <= Δ_min <= Δ_max (PyTorch does not check them)."""
    low, high = _pair(name, value)
    if not 0 <= low <= high:
        raise ValueError(f"{name} must be (min, max) with 0 <= min <= max, got {value!r}")
    return low, high


def _flag(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


RULES = {
    "lr": _non_negative,
    "initial_lr": _non_negative,  # a schedule's η₀, kept in the group as PyTorch does
    "eps": _non_negative,
    "weight_decay": _non_negative,
    "momentum": _unit_open,
    "alpha": _unit_open,
    "dampening": _unit_closed,
    "betas": _betas,
    "nesterov": _flag,
    "maximize": _flag,
    "amsgrad": _flag,
    "centered": _flag,
    "lr_decay": _non_negative,
    "initial_accumulator_value": _non_negative,
    "momentum_decay": _non_negative,
    "decoupled_weight_decay": _flag,
    "rho": _unit_closed,  # Adadelta
    "etas": _etas,  # Rprop
    "step_sizes": _step_sizes,
    "lambd": _non_negative,  # ASGD
    "t0": _number,
}


def check_hyper(options: dict, rules: dict | None = None) -> dict:
    """``options`` with every value validated and normalised; ValueError names the culprit.

    ``rules`` maps names to the rules that replace `RULES`' for one optimizer (ASGD's
    ``alpha`` is a power, not RMSProp's smoothing constant)."""
    rules = {**RULES, **rules} if rules else RULES
    return {name: rules[name](name, value) for name, value in options.items()}
