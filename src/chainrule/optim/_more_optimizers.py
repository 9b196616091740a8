"""More of PyTorch's optimizers: `Adadelta`, `Rprop`, `ASGD`.

All products below are elementwise (⊙); √, sign and division too. t counts a parameter's
steps from 1; arrays start at 0 unless said otherwise.
"""

from __future__ import annotations

import numpy as np

from .._aligned import aligned_full_like
from ._arithmetic import add_scaled, decay_average
from ._hyper import _number
from ._optimizer import Optimizer


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler 2012): a step whose units are the parameter's, from a moving
    average of past steps over one of past gradients, in PyTorch's form.

        d = g + λ·W                      (L2 weight decay; d = −g + λ·W with maximize)
        v ← ρ·v + (1 − ρ)·d⊙d
        Δ = √(u + ε) / √(v + ε) · d
        u ← ρ·u + (1 − ρ)·Δ⊙Δ
        W ← W − η·Δ

    Zeiler's rule has no η; PyTorch's multiplies the step by it (default 1).

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        rho: ρ in [0, 1], the decay rate of both averages.
        eps: ε >= 0, starts the steps (u = 0 at first) and keeps the division finite.
        weight_decay: λ >= 0, the coefficient of the L2 penalty ½λ‖W‖².
        maximize: ascend instead of descend (keyword only).

    State: ``square_avg`` (v), ``acc_delta`` (u). PyTorch's ``foreach``, ``capturable``
    and ``differentiable`` are refused (TypeError): chainrule has one implementation.
    """

    _state_keys = ("square_avg", "acc_delta")
    _options = (("maximize", False),)

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        **unsupported,
    ) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults, unsupported)

    def _update(self, w, g, state, group) -> None:
        d = self._direction(w, g, group)
        rho, eps = group["rho"], group["eps"]
        v, u = state["square_avg"], state["acc_delta"]
        tmp, delta = self._scratch(w, 1), self._scratch(w, 2)
        np.multiply(d, d, out=tmp)
        decay_average(v, rho, tmp, tmp)
        np.add(u, eps, out=delta)
        np.sqrt(delta, out=delta)  # √(u + ε)
        np.add(v, eps, out=tmp)
        np.sqrt(tmp, out=tmp)  # √(v + ε)
        np.divide(delta, tmp, out=delta)
        delta *= d
        np.multiply(delta, delta, out=tmp)
        decay_average(u, rho, tmp, tmp)
        add_scaled(w, -group["lr"], delta, delta)


class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun 1993): each element moves by its own step size Δ, in
    the direction of −sign(g), the gradient's size unused; PyTorch's form (Rprop without
    weight backtracking).

        d = g                             (d = −g with maximize)
        s = sign(d ⊙ d_prev)
        Δ ← clip(Δ·η⁺, Δ_min, Δ_max)     where s > 0 (the same sign: grow)
        Δ ← clip(Δ·η⁻, Δ_min, Δ_max)     where s < 0 (the sign flipped: shrink)
        d ← 0                             where s < 0 (no move; the next step counts as fresh)
        W ← W − sign(d)·Δ
        d_prev ← d

    Δ starts at η, the group's rate at the parameter's first step; later rates (a
    schedule's) change nothing, as in PyTorch. Full-batch gradients suit it: the signs of
    minibatch gradients flip from noise.

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0, the first step size.
        etas: (η⁻, η⁺), the factors that shrink and grow Δ, 0 < η⁻ < 1 < η⁺.
        step_sizes: (Δ_min, Δ_max), 0 <= Δ_min <= Δ_max (PyTorch does not check them).
        maximize: ascend instead of descend (keyword only).

    State: ``prev`` (d_prev), ``step_size`` (Δ). PyTorch's ``foreach``, ``capturable`` and
    ``differentiable`` are refused (TypeError): chainrule has one implementation.
    """

    _state_keys = ("prev", "step_size")
    _options = (("maximize", False),)

    def __init__(
        self,
        params,
        lr: float = 0.01,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50.0),
        *,
        maximize: bool = False,
        **unsupported,
    ) -> None:
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize)
        super().__init__(params, defaults, unsupported)

    def _init_state(self, w, group) -> dict:
        return {
            "step": 0,
            "prev": aligned_full_like(w, 0),
            "step_size": aligned_full_like(w, group["lr"]),
        }

    def _update(self, w, g, state, group) -> None:
        d = np.negative(g, out=self._scratch(w, 0)) if group["maximize"] else g
        prev, size, factor = state["prev"], state["step_size"], self._scratch(w, 1)
        flipped, mask = self._mask(w, 0), self._mask(w, 1)
        np.multiply(d, prev, out=factor)
        np.less(factor, 0, out=flipped)
        np.sign(factor, out=factor)  # then the factor each sign stands for
        (minus, plus), (low, high) = group["etas"], group["step_sizes"]
        np.greater(factor, 0, out=mask)
        np.copyto(factor, plus, where=mask)
        np.copyto(factor, minus, where=flipped)
        np.equal(factor, 0, out=mask)
        np.copyto(factor, 1.0, where=mask)
        size *= factor
        np.clip(size, low, high, out=size)
        np.copyto(prev, d)
        np.copyto(prev, 0.0, where=flipped)
        np.sign(prev, out=factor)
        factor *= size
        w -= factor

    def _mask(self, w: np.ndarray, slot: int) -> np.ndarray:
        """A reusable boolean work array shaped like ``w``."""
        return self._work(np.dtype(bool), ("mask", slot), w.size)[: w.size].reshape(w.shape)


def _decay_power(name: str, value) -> float:
    """ASGD's α, the power of its rate's decay: any finite number >= 0 (a negative one
    would make the rate grow with the steps)."""
    value = _number(name, value)
    if value < 0:
        raise ValueError(
            f"{name} must be >= 0 (the power of the rate's decay; a negative one makes the "
            f"rate grow), got {value!r}"
        )
    return value


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky 1992; Bottou 2012's decaying rate), in PyTorch's
    form: SGD with a rate that decays with the step count, and a running average of the
    weights, kept in the state, to read after training.

        d = g + λ_wd·W                    (L2 weight decay; d = −g + λ_wd·W with maximize)
        W ← W·(1 − λ·ηₜ) − ηₜ·d
        ā ← ā + μₜ·(W − ā)                (ā ← W while μₜ = 1)
        ηₜ₊₁ = η / (1 + λ·η·t)^α,   μₜ₊₁ = 1 / max(1, t − t₀)

    with η₁ = η, μ₁ = 1. ā is W itself up to step t₀ + 2, then the average of the weights
    from that step on. As in PyTorch, ηₜ and μₜ are state, each set from the group's rate
    at the step before (so a schedule acts one step late).

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        lambd: λ >= 0, the decay term (it shrinks the weights and the rate).
        alpha: α >= 0, the power of the rate's decay (α = 1: the classic 1/t decay).
            PyTorch takes a negative α too, which makes the rate grow: refused here.
        t0: t₀, the step after which the averaging starts.
        weight_decay: λ_wd >= 0, the coefficient of the L2 penalty ½λ_wd‖W‖².
        maximize: ascend instead of descend (keyword only).

    State: ``ax`` (ā), and ``eta`` (ηₜ) and ``mu`` (μₜ), Python floats (0-d tensors in
    PyTorch, float32 unless its default dtype is float64). Read the averaged weights as
    ``opt.state[i]["ax"]``, i numbering the parameters. PyTorch's ``foreach``,
    ``capturable`` and ``differentiable`` are refused (TypeError).
    """

    _state_keys = ("ax", "eta", "mu")
    _scalar_state = (("eta", 0.0), ("mu", 1.0))
    _options = (("maximize", False),)
    _hyper_rules = (("alpha", _decay_power),)

    def __init__(
        self,
        params,
        lr: float = 0.01,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        **unsupported,
    ) -> None:
        defaults = dict(
            lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize
        )
        super().__init__(params, defaults, unsupported)

    def _init_state(self, w, group) -> dict:
        return {"step": 0, "ax": aligned_full_like(w, 0), "eta": group["lr"], "mu": 1.0}

    def _update(self, w, g, state, group) -> None:
        d = self._direction(w, g, group)  # read before W changes
        eta, mu, lambd = state["eta"], state["mu"], group["lambd"]
        ax, tmp = state["ax"], self._scratch(w, 1)
        w *= 1 - lambd * eta
        add_scaled(w, -eta, d, tmp)
        if mu == 1:
            np.copyto(ax, w)
        else:
            np.subtract(w, ax, out=tmp)
            add_scaled(ax, mu, tmp, tmp)
        lr, t = group["lr"], state["step"]
        state["eta"] = lr / (1 + lambd * lr * t) ** group["alpha"]
        state["mu"] = 1 / max(1, t - group["t0"])
