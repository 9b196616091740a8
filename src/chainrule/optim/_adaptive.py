"""Optimizers with a per-element step size: `AdaGrad` and `RMSProp` (Adam is in ``_adam.py``).

All products below are elementwise (⊙); √ and division too.
"""

from __future__ import annotations

import numpy as np

from .._aligned import aligned_full_like
from ._arithmetic import add_scaled
from ._optimizer import Optimizer


class AdaGrad(Optimizer):
    r"""AdaGrad: each element's step shrinks with the sum of its squared gradients.

        d = g + λ·W                 (d = −g + λ·W with maximize=True)
        h ← h + d⊙d                 (h starts at h₀, the initial accumulator value)
        ηₜ = η / (1 + (t − 1)·δ)    (t counts steps from 1; δ is lr_decay)
        W ← W − ηₜ·d / (√h + ε)

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        lr_decay: δ >= 0, shrinks the rate with the parameter's step count.
        weight_decay: λ >= 0, the coefficient of the L2 penalty ½λ‖W‖².
        initial_accumulator_value: h₀ >= 0, the sum's starting value, used when a
            parameter's state is made, at its first step.
        eps: ε >= 0, keeps the division finite.
        maximize: ascend instead of descend (keyword only).

    The positional order is PyTorch's, so ``Adagrad(params, 0.01, 0.1)`` sets lr_decay
    there and here alike. PyTorch's ``foreach``, ``fused`` and ``differentiable`` are
    refused (TypeError): chainrule has one implementation.
    """

    _state_keys = ("sum_sq",)
    _options = (("lr_decay", 0.0), ("initial_accumulator_value", 0.0), ("maximize", False))

    def __init__(
        self,
        params,
        lr: float = 0.01,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
        **unsupported,
    ):
        defaults = dict(
            lr=lr,
            eps=eps,
            weight_decay=weight_decay,
            lr_decay=lr_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        super().__init__(params, defaults, unsupported)

    def _init_state(self, w, group) -> dict:
        return {"step": 0, "sum_sq": aligned_full_like(w, group["initial_accumulator_value"])}

    def _update(self, w, g, state, group) -> None:
        d = self._direction(w, g, group)
        h, tmp = state["sum_sq"], self._scratch(w, 1)
        np.multiply(d, d, out=tmp)
        h += tmp
        np.sqrt(h, out=tmp)
        tmp += group["eps"]
        np.divide(d, tmp, out=tmp)
        lr = group["lr"]
        if group["lr_decay"]:
            lr = lr / (1 + (state["step"] - 1) * group["lr_decay"])
        add_scaled(w, -lr, tmp, tmp)


class RMSProp(Optimizer):
    r"""RMSProp: AdaGrad with a moving average of squared gradients instead of a sum.

        d = g + λ·W                 (d = −g + λ·W with maximize=True)
        v ← α·v + (1 − α)·d⊙d       (v starts at 0)
        s = v                                       (centered=False)
        ḡ ← α·ḡ + (1 − α)·d,  s = max(v − ḡ⊙ḡ, 0)  (centered=True; ḡ starts at 0)
        u = d / (√s + ε)
        W ← W − η·u                 (μ = 0)
        b ← μ·b + u,  W ← W − η·b   (μ > 0; b starts at 0)

    The centered form divides by an estimate of the gradient's standard deviation rather
    than of its root mean square. v − ḡ⊙ḡ >= 0 in exact arithmetic; the max with 0 keeps
    a rounding below 0 from giving NaN (PyTorch takes the square root as it is).

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        alpha: α in [0, 1), the decay rate of the average (PyTorch also takes α >= 1).
        eps: ε >= 0, keeps the division finite.
        weight_decay: λ >= 0, the coefficient of the L2 penalty ½λ‖W‖².
        momentum: μ in [0, 1).
        centered: divide by √(E[d²] − E[d]²) + ε instead of √E[d²] + ε.
        maximize: ascend instead of descend (keyword only).

    Switching ``centered`` (or μ > 0) on in a group that has taken steps starts ḡ (or b)
    at zero. PyTorch's ``foreach``, ``capturable`` and ``differentiable`` are refused
    (TypeError): chainrule has one implementation.
    """

    _state_keys = ("square_avg", "momentum_buffer", "grad_avg")
    _options = (("centered", False), ("maximize", False))

    def __init__(
        self,
        params,
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
        **unsupported,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults, unsupported)

    def _required_state(self, group: dict) -> tuple[str, ...]:
        keys = ("square_avg", "momentum_buffer") if group["momentum"] else ("square_avg",)
        return (*keys, "grad_avg") if group["centered"] else keys

    def _update(self, w, g, state, group) -> None:
        d = self._direction(w, g, group)
        v, u = state["square_avg"], self._scratch(w, 1)
        v *= group["alpha"]
        np.multiply(d, d, out=u)
        add_scaled(v, 1 - group["alpha"], u, u)
        if group["centered"]:
            self._centered_sqrt(w, d, v, u, state, group["alpha"])
        else:
            np.sqrt(v, out=u)
        u += group["eps"]
        np.divide(d, u, out=u)
        if group["momentum"]:
            u = self._momentum(w, u, state, group["momentum"])
        add_scaled(w, -group["lr"], u, self._scratch(w, 1))

    def _centered_sqrt(self, w, d, v, out, state, alpha: float) -> None:
        """ḡ ← α·ḡ + (1 − α)·d, then √max(v − ḡ⊙ḡ, 0) into ``out``."""
        avg = state.get("grad_avg")
        if avg is None:  # centered switched on after the first steps
            avg = state["grad_avg"] = aligned_full_like(w, 0)
        avg *= alpha
        add_scaled(avg, 1 - alpha, d, out)
        np.multiply(avg, avg, out=out)
        np.subtract(v, out, out=out)
        np.maximum(out, 0, out=out)
        np.sqrt(out, out=out)

    def _momentum(self, w, u, state, mu: float) -> np.ndarray:
        buf = state.get("momentum_buffer")
        if buf is None:  # momentum switched on after the first steps
            buf = state["momentum_buffer"] = aligned_full_like(w, 0)
        buf *= mu
        buf += u
        return buf
