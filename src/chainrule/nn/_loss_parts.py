"""Small parts the composed losses share: a target's array, the flag check, PyTorch's
clamp at 0, and a reduction that refuses the mean over an empty batch."""

from __future__ import annotations

import numpy as np

from .. import ops
from .._tensor import Tensor
from ._losses import _check_nonempty, reduced


def _data(t) -> np.ndarray:
    return t.data if isinstance(t, Tensor) else t


def _check_flag(who: str, name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{who}: {name} must be True or False, got {value!r}")
    return bool(value)


def _clamp_min_zero(z: Tensor) -> Tensor:
    """max(z, 0) with PyTorch's ``clamp_min`` gradient: 1 where z ≥ 0 (at 0 too)."""
    return ops.where(~(z.data < 0), z, np.zeros((), z.dtype))


def _reduced(who: str, losses: Tensor, reduction: str, x: Tensor, t) -> Tensor:
    if reduction == "mean":
        _check_nonempty(who, losses.size, x, _data(t))
    return reduced(losses, reduction)
