"""Optimizers with a per-element step size: `AdaGrad`, `RMSProp`, `Adam`, `AdamW`.

All products below are elementwise (⊙); √ and division too.
"""

from __future__ import annotations

import math

import numpy as np

from ._optimizer import Optimizer, add_scaled


class AdaGrad(Optimizer):
    r"""AdaGrad: each element's step shrinks with the sum of its squared gradients.

        d = g + λ·W
        h ← h + d⊙d                 (h starts at 0)
        W ← W − η·d / (√h + ε)

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        eps: ε >= 0, keeps the division finite.
        weight_decay: λ >= 0, the coefficient of the L2 penalty ½λ‖W‖².
    """

    _state_keys = ("sum_sq",)

    def __init__(self, params, lr: float = 0.01, eps: float = 1e-10, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, eps=eps, weight_decay=weight_decay))

    def _update(self, w, g, state, group) -> None:
        d = self._decayed(w, g, group)
        h, tmp = state["sum_sq"], self._scratch(w, 1)
        np.multiply(d, d, out=tmp)
        h += tmp
        np.sqrt(h, out=tmp)
        tmp += group["eps"]
        np.divide(d, tmp, out=tmp)
        add_scaled(w, -group["lr"], tmp, tmp)


class RMSProp(Optimizer):
    r"""RMSProp: AdaGrad with a moving average of squared gradients instead of a sum.

        d = g + λ·W
        v ← α·v + (1 − α)·d⊙d       (v starts at 0)
        u = d / (√v + ε)
        W ← W − η·u                 (μ = 0)
        b ← μ·b + u,  W ← W − η·b   (μ > 0; b starts at 0)

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        alpha: α in [0, 1), the decay rate of the average (PyTorch also takes α >= 1).
        eps: ε >= 0, keeps the division finite.
        weight_decay: λ >= 0, the coefficient of the L2 penalty ½λ‖W‖².
        momentum: μ in [0, 1).
    """

    _state_keys = ("square_avg", "momentum_buffer")

    def __init__(
        self,
        params,
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
    ) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum)
        super().__init__(params, defaults)

    def _required_state(self, group: dict) -> tuple[str, ...]:
        return self._state_keys if group["momentum"] else ("square_avg",)

    def _update(self, w, g, state, group) -> None:
        d = self._decayed(w, g, group)
        v, u = state["square_avg"], self._scratch(w, 1)
        v *= group["alpha"]
        np.multiply(d, d, out=u)
        add_scaled(v, 1 - group["alpha"], u, u)
        np.sqrt(v, out=u)
        u += group["eps"]
        np.divide(d, u, out=u)
        if group["momentum"]:
            u = self._momentum(w, u, state, group["momentum"])
        add_scaled(w, -group["lr"], u, self._scratch(w, 1))

    def _momentum(self, w, u, state, mu: float) -> np.ndarray:
        buf = state.get("momentum_buffer")
        if buf is None:  # momentum switched on after the first steps
            buf = state["momentum_buffer"] = np.zeros_like(w)
        buf *= mu
        buf += u
        return buf


class Adam(Optimizer):
    r"""Adam: momentum on the gradient and RMSProp's scaling, both bias-corrected.

        d = g + λ·W                       (L2 weight decay, added to the gradient)
        m ← β₁·m + (1 − β₁)·d             (m, v start at 0; t counts steps from 1)
        v ← β₂·v + (1 − β₂)·d⊙d
        m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
        W ← W − η·m̂ / (√v̂ + ε)

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        betas: (β₁, β₂), each in [0, 1).
        eps: ε >= 0, keeps the division finite.
        weight_decay: λ >= 0, the coefficient of the L2 penalty ½λ‖W‖² (see `AdamW` for
            decoupled decay).
    """

    _state_keys = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _update(self, w, g, state, group) -> None:
        d = self._decayed(w, g, group)
        self._adam(w, d, state, group)

    def _adam(self, w, d, state, group) -> None:
        """The Adam step from the gradient d; m̂/(√v̂ + ε) is computed as
        (m / (1 − β₁ᵗ)) / (√v / √(1 − β₂ᵗ) + ε), with the scalings applied to scalars."""
        (beta1, beta2), t = group["betas"], state["step"]
        m, v, tmp = state["exp_avg"], state["exp_avg_sq"], self._scratch(w, 1)
        m *= beta1
        add_scaled(m, 1 - beta1, d, tmp)
        v *= beta2
        np.multiply(d, d, out=tmp)
        add_scaled(v, 1 - beta2, tmp, tmp)
        np.sqrt(v, out=tmp)
        tmp /= math.sqrt(1 - beta2**t)
        tmp += group["eps"]
        np.divide(m, tmp, out=tmp)
        add_scaled(w, -group["lr"] / (1 - beta1**t), tmp, tmp)


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, arXiv:1711.05101).

        W ← W − η·λ·W                     (the decay, applied to the weights directly)
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g⊙g
        m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
        W ← W − η·m̂ / (√v̂ + ε)

    Unlike `Adam`'s L2 term, the decay is not divided by √v̂, so every weight decays at
    the same rate ηλ whatever the size of its gradients.

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        betas: (β₁, β₂), each in [0, 1).
        eps: ε >= 0, keeps the division finite.
        weight_decay: λ >= 0.
    """

    def __init__(
        self,
        params,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _update(self, w, g, state, group) -> None:
        if group["weight_decay"]:
            w *= 1 - group["lr"] * group["weight_decay"]
        self._adam(w, g, state, group)
