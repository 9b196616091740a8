"""`Adam` and `AdamW`: per-element steps from running averages of the gradient (m) and of
its square (v), bias-corrected; AdamW decays the weights apart from the gradient.

All products below are elementwise (⊙); √ and division too.
"""

from __future__ import annotations

import math

import numpy as np

from .._aligned import aligned_full_like
from ._arithmetic import add_scaled, update_moments
from ._optimizer import Optimizer
from ._params import refuse_unsupported


class Adam(Optimizer):
    r"""Adam: momentum on the gradient and RMSProp's scaling, both bias-corrected.

        d = g + λ·W                       (L2 weight decay; d = −g + λ·W with maximize)
        W ← W − η·λ·W,  d = g             (decoupled_weight_decay=True, first; d = −g with
                                           maximize)
        m ← β₁·m + (1 − β₁)·d             (m, v start at 0; t counts steps from 1)
        v ← β₂·v + (1 − β₂)·d⊙d
        s = v                             (amsgrad=False)
        v_max ← max(v_max, v),  s = v_max (amsgrad=True; v_max starts at 0)
        m̂ = m / (1 − β₁ᵗ),  ŝ = s / (1 − β₂ᵗ)
        W ← W − η·m̂ / (√ŝ + ε)

    AMSGrad (Reddi et al. 2018, "On the Convergence of Adam and Beyond") divides by the
    largest second-moment estimate seen so far, so an element's step size never grows
    back when its gradients shrink. As in PyTorch, the maximum is taken over the raw v
    and bias-corrected with the current t.

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        betas: (β₁, β₂), each in [0, 1).
        eps: ε >= 0, keeps the division finite.
        weight_decay: λ >= 0, the coefficient of the L2 penalty ½λ‖W‖², or the decoupled
            decay.
        amsgrad: keep the running maximum v_max of v and divide by it.
        maximize: ascend instead of descend (keyword only).
        decoupled_weight_decay: decay the weights directly, as `AdamW` (keyword only, as
            in PyTorch, whose ``Adam(decoupled_weight_decay=True)`` is its AdamW).

    Switching ``amsgrad`` on in a group that has taken steps starts v_max at zero, which
    is the same as starting it at the current v. PyTorch's ``foreach``, ``capturable``,
    ``differentiable`` and ``fused`` are refused (TypeError): chainrule has one
    implementation.
    """

    _state_keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _options = (("amsgrad", False), ("decoupled_weight_decay", False), ("maximize", False))

    def __init__(
        self,
        params,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
        **unsupported,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )
        if not self._decoupled:  # AdamW always decouples: it has no switch, as PyTorch's
            defaults["decoupled_weight_decay"] = decoupled_weight_decay
        super().__init__(params, defaults, unsupported)

    def _required_state(self, group: dict) -> tuple[str, ...]:
        return self._state_keys if group["amsgrad"] else ("exp_avg", "exp_avg_sq")

    #: AdamW's weight decay, W ← W·(1 − ηλ) before the step, in place of Adam's L2 term,
    #: always (Adam's ``decoupled_weight_decay`` switches it on per group)
    _decoupled = False

    def _update(self, w, g, state, group) -> None:
        decoupled = self._decoupled or group["decoupled_weight_decay"]
        self._adam(w, self._direction(w, g, group, decoupled), state, group)

    def _adam(self, w, d, state, group) -> None:
        """The Adam step from the gradient d; m̂/(√ŝ + ε) is computed as
        (m / (1 − β₁ᵗ)) / (√s / √(1 − β₂ᵗ) + ε), with the scalings applied to scalars."""
        (beta1, beta2), t = group["betas"], state["step"]
        m, v, tmp = state["exp_avg"], state["exp_avg_sq"], self._scratch(w, 1)
        update_moments(m, v, d, group["betas"], tmp)
        if group["amsgrad"]:
            v = self._running_max(w, v, state)
        np.sqrt(v, out=tmp)
        tmp /= math.sqrt(1 - beta2**t)
        tmp += group["eps"]
        np.divide(m, tmp, out=tmp)
        add_scaled(w, -group["lr"] / (1 - beta1**t), tmp, tmp)

    def _running_max(self, w, v, state) -> np.ndarray:
        """v_max ← max(v_max, v), in place; returns v_max."""
        v_max = state.get("max_exp_avg_sq")
        if v_max is None:  # amsgrad switched on after the first steps
            v_max = state["max_exp_avg_sq"] = aligned_full_like(w, 0)
        np.maximum(v_max, v, out=v_max)
        return v_max


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, arXiv:1711.05101).

        W ← W − η·λ·W                     (the decay, applied to the weights directly)
        d = g                             (d = −g with maximize=True)
        m ← β₁·m + (1 − β₁)·d
        v ← β₂·v + (1 − β₂)·d⊙d
        s = v                             (amsgrad=False)
        v_max ← max(v_max, v),  s = v_max (amsgrad=True; v_max starts at 0)
        m̂ = m / (1 − β₁ᵗ),  ŝ = s / (1 − β₂ᵗ)
        W ← W − η·m̂ / (√ŝ + ε)

    Unlike `Adam`'s L2 term, the decay is not divided by √ŝ, so every weight decays at
    the same rate ηλ whatever the size of its gradients; with maximize=True it still
    shrinks the weights.

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        betas: (β₁, β₂), each in [0, 1).
        eps: ε >= 0, keeps the division finite.
        weight_decay: λ >= 0.
        amsgrad: keep the running maximum v_max of v and divide by it (see `Adam`).
        maximize: ascend instead of descend (keyword only).

    `Adam` with ``decoupled_weight_decay=True`` gives the same steps; AdamW takes no such
    switch (as PyTorch's).
    """

    _options = (("amsgrad", False), ("maximize", False))

    def __init__(
        self,
        params,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        **unsupported,
    ) -> None:
        if "decoupled_weight_decay" in unsupported:  # Adam's switch, always on here
            refuse_unsupported("AdamW", unsupported)
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            **unsupported,
        )

    _decoupled = True
