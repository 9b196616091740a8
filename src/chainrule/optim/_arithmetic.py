"""In-place array arithmetic the update rules share: y += a·x, the L2-decayed gradient,
and exponential moving averages (Adam's moments), each through a caller's work array."""

from __future__ import annotations

import numpy as np


def add_scaled(y: np.ndarray, a: float, x: np.ndarray, tmp: np.ndarray) -> None:
    """y += a·x in place, using ``tmp`` (which may be ``x`` itself) for a·x."""
    if a == 1:
        y += x
        return
    np.multiply(x, a, out=tmp)
    y += tmp


def decayed_grad(w: np.ndarray, g: np.ndarray, weight_decay: float, tmp: np.ndarray):
    """d = g + λ·w, the gradient with the L2 penalty's added, in ``tmp``; ``g`` when λ = 0."""
    if weight_decay == 0:
        return g
    np.multiply(w, weight_decay, out=tmp)
    tmp += g
    return tmp


def update_moments(m: np.ndarray, v: np.ndarray, d: np.ndarray, betas, tmp: np.ndarray) -> None:
    """Adam's moments, in place: m ← β₁·m + (1 − β₁)·d and v ← β₂·v + (1 − β₂)·d⊙d, with
    ``tmp`` a work array other than ``d``."""
    decay_average(m, betas[0], d, tmp)
    np.multiply(d, d, out=tmp)
    decay_average(v, betas[1], tmp, tmp)


def decay_average(avg: np.ndarray, beta: float, x: np.ndarray, tmp: np.ndarray) -> None:
    """avg ← β·avg + (1 − β)·x in place, using ``tmp`` (which may be ``x``) for (1 − β)·x."""
    avg *= beta
    add_scaled(avg, 1 - beta, x, tmp)
