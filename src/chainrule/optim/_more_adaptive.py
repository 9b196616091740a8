"""Adam's variants in PyTorch: `Adamax`, `NAdam`, `RAdam`.

All products below are elementwise (⊙); √, |·|, max and division too. t counts a
parameter's steps from 1; m, v and u start at 0.
"""

from __future__ import annotations

import math

import numpy as np

from ._arithmetic import add_scaled, decay_average, update_moments
from ._optimizer import Optimizer


class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm in place of the second moment (Kingma & Ba
    2015, section 7.1), in PyTorch's form.

        d = g + λ·W                       (L2 weight decay; d = −g + λ·W with maximize)
        m ← β₁·m + (1 − β₁)·d
        u ← max(β₂·u, |d| + ε)
        W ← W − η / (1 − β₁ᵗ) · m / u

    u needs no bias correction; ε sits inside the maximum (as in PyTorch), so u > 0 from
    the first step when ε > 0.

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        betas: (β₁, β₂), each in [0, 1).
        eps: ε >= 0, keeps the division finite.
        weight_decay: λ >= 0, the coefficient of the L2 penalty ½λ‖W‖².
        maximize: ascend instead of descend (keyword only).

    State: ``exp_avg`` (m), ``exp_inf`` (u). PyTorch's ``foreach``, ``capturable`` and
    ``differentiable`` are refused (TypeError): chainrule has one implementation.
    """

    _state_keys = ("exp_avg", "exp_inf")
    _options = (("maximize", False),)

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        **unsupported,
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults, unsupported)

    def _update(self, w, g, state, group) -> None:
        d = self._direction(w, g, group)
        (beta1, beta2), t = group["betas"], state["step"]
        m, u, tmp = state["exp_avg"], state["exp_inf"], self._scratch(w, 1)
        decay_average(m, beta1, d, tmp)
        u *= beta2
        np.abs(d, out=tmp)
        tmp += group["eps"]
        np.maximum(u, tmp, out=u)
        np.divide(m, u, out=tmp)
        add_scaled(w, -group["lr"] / (1 - beta1**t), tmp, tmp)


class NAdam(Optimizer):
    r"""NAdam: Adam with Nesterov momentum (Dozat 2016, "Incorporating Nesterov Momentum
    into Adam"), with PyTorch's momentum schedule.

        d = g + λ·W               (L2 weight decay; d = −g + λ·W with maximize)
        W ← W − η·λ·W,  d = g     (decoupled_weight_decay=True, first; d = −g with maximize)
        μₜ = β₁·(1 − ½·0.96^(t·ψ)),   μₜ₊₁ = β₁·(1 − ½·0.96^((t + 1)·ψ))
        Πₜ = Πₜ₋₁·μₜ                 (Π₀ = 1: the product of the μ's so far)
        m ← β₁·m + (1 − β₁)·d
        v ← β₂·v + (1 − β₂)·d⊙d
        D = √(v / (1 − β₂ᵗ)) + ε
        W ← W − η·(1 − μₜ) / (1 − Πₜ) · d / D − η·μₜ₊₁ / (1 − Πₜ·μₜ₊₁) · m / D

    The second term is the momentum step one step ahead (Nesterov's look-ahead); ψ, the
    momentum decay, makes μₜ grow from β₁/2 towards β₁ (PyTorch's schedule, from Dozat's
    0.96^(t/250) with ψ = 0.004).

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        betas: (β₁, β₂), each in [0, 1).
        eps: ε >= 0, keeps the division finite.
        weight_decay: λ >= 0: the L2 penalty ½λ‖W‖², or the decoupled decay.
        momentum_decay: ψ >= 0.
        decoupled_weight_decay: decay the weights directly, as `AdamW` (PyTorch's NAdamW).
        maximize: ascend instead of descend (keyword only).

    State: ``exp_avg`` (m), ``exp_avg_sq`` (v) and ``mu_product`` (Πₜ, a float: a
    0-d tensor in PyTorch, in float32 unless its default dtype is float64). PyTorch's
    ``foreach``, ``capturable`` and ``differentiable`` are refused (TypeError).
    """

    _state_keys = ("exp_avg", "exp_avg_sq", "mu_product")
    _scalar_state = (("mu_product", 1.0),)
    _options = (("decoupled_weight_decay", False), ("maximize", False))

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
        **unsupported,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults, unsupported)

    def _update(self, w, g, state, group) -> None:
        d = self._direction(w, g, group, group["decoupled_weight_decay"])
        (beta1, beta2), t, psi = group["betas"], state["step"], group["momentum_decay"]
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        product = state["mu_product"] = state["mu_product"] * mu
        m, v, denom = state["exp_avg"], state["exp_avg_sq"], self._scratch(w, 1)
        update_moments(m, v, d, group["betas"], denom)
        np.divide(v, 1 - beta2**t, out=denom)
        np.sqrt(denom, out=denom)
        denom += group["eps"]
        lr, tmp = group["lr"], self._scratch(w, 0)  # d may be work array 0: read it first
        np.divide(d, denom, out=tmp)
        add_scaled(w, -lr * (1 - mu) / (1 - product), tmp, tmp)
        np.divide(m, denom, out=denom)
        add_scaled(w, -lr * mu_next / (1 - product * mu_next), denom, denom)


class RAdam(Optimizer):
    r"""RAdam: Adam with its adaptive step rectified while v is estimated from few steps
    (Liu et al. 2020, "On the Variance of the Adaptive Learning Rate and Beyond").

        d = g + λ·W               (L2 weight decay; d = −g + λ·W with maximize)
        W ← W − η·λ·W,  d = g     (decoupled_weight_decay=True, first; d = −g with maximize)
        m ← β₁·m + (1 − β₁)·d
        v ← β₂·v + (1 − β₂)·d⊙d
        m̂ = m / (1 − β₁ᵗ)
        ρ∞ = 2 / (1 − β₂) − 1,   ρₜ = ρ∞ − 2·t·β₂ᵗ / (1 − β₂ᵗ)
        rₜ = √((ρₜ − 4)(ρₜ − 2)·ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)·ρₜ))
        W ← W − η·m̂·rₜ·√(1 − β₂ᵗ) / (√v + ε)     (ρₜ > 5)
        W ← W − η·m̂                               (ρₜ <= 5: the un-adapted momentum step)

    ρₜ, the length of the simple moving average that v approximates, grows from 1 at
    t = 1 towards ρ∞; with β₂ = 0.999 the rectified step starts at t = 6. As in PyTorch, ε
    is added to √v, not to the bias-corrected √(v / (1 − β₂ᵗ)) as in `Adam`.

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        betas: (β₁, β₂), each in [0, 1).
        eps: ε >= 0, keeps the division finite.
        weight_decay: λ >= 0: the L2 penalty ½λ‖W‖², or the decoupled decay.
        decoupled_weight_decay: decay the weights directly, as `AdamW` (PyTorch's RAdamW).
        maximize: ascend instead of descend (keyword only).

    State: ``exp_avg`` (m), ``exp_avg_sq`` (v). PyTorch's ``foreach``, ``capturable`` and
    ``differentiable`` are refused (TypeError): chainrule has one implementation.
    """

    _state_keys = ("exp_avg", "exp_avg_sq")
    _options = (("decoupled_weight_decay", False), ("maximize", False))

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
        **unsupported,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults, unsupported)

    def _update(self, w, g, state, group) -> None:
        d = self._direction(w, g, group, group["decoupled_weight_decay"])
        (beta1, beta2), t = group["betas"], state["step"]
        m, v, tmp = state["exp_avg"], state["exp_avg_sq"], self._scratch(w, 1)
        update_moments(m, v, d, group["betas"], tmp)
        step = group["lr"] / (1 - beta1**t)  # η·m̂ = step·m
        rho = rectification_length(beta2, t)
        if rho <= 5:
            add_scaled(w, -step, m, tmp)
            return
        rho_inf = 2 / (1 - beta2) - 1
        r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        np.sqrt(v, out=tmp)
        tmp += group["eps"]
        np.divide(m, tmp, out=tmp)
        add_scaled(w, -step * r * math.sqrt(1 - beta2**t), tmp, tmp)


def rectification_length(beta2: float, t: int) -> float:
    """ρₜ = ρ∞ − 2·t·β₂ᵗ / (1 − β₂ᵗ), with ρ∞ = 2 / (1 − β₂) − 1: the length of the simple
    moving average that RAdam's v approximates after t steps."""
    return 2 / (1 - beta2) - 1 - 2 * t * beta2**t / (1 - beta2**t)
