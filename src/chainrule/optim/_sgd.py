"""Gradient descent and its momentum forms: `SGD` (PyTorch's form), `Momentum`, `Nesterov`.

Two ways of writing momentum, with learning rate η, momentum α and gradient g:

    PyTorch (`SGD`):            b ← α·b + g,     W ← W − η·b
    the tutorials (`Momentum`): v ← α·v − η·g,   W ← W + v

With a constant η they give the same parameters: by induction v = −η·b. They differ only
when η changes (a schedule): `SGD` applies the new η to the whole buffer b at once, while
`Momentum`'s velocity still holds the steps taken with the old η and forgets them at rate
α. The same holds for `Nesterov` and ``SGD(nesterov=True)``.
"""

from __future__ import annotations

import numpy as np

from .._aligned import aligned_copy
from ._arithmetic import add_scaled
from ._optimizer import Optimizer


class SGD(Optimizer):
    r"""Stochastic gradient descent: W ← W − η·g (GD is SGD on the full batch).

    With weight decay λ, momentum μ and dampening τ (PyTorch's form), at step t:

        d = g + λ·W                    (d = −g + λ·W with maximize=True)
        b = d                          (the first step with μ > 0: no buffer yet)
        b = μ·b + (1 − τ)·d            (later steps with μ > 0)
        d = d + μ·b  if nesterov,  else  d = b         (only when μ > 0)
        W ← W − η·d

    A step with μ = 0 leaves the buffer b as it is, as in PyTorch. ``maximize=True``
    climbs the objective instead: the gradient's sign flips, the decay still shrinks W.

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0; required (PyTorch's SGD defaults to 1e-3).
        momentum: μ in [0, 1); 0 is plain gradient descent (PyTorch also takes μ >= 1).
        nesterov: use Nesterov momentum (needs μ > 0 and τ = 0).
        weight_decay: λ >= 0, the coefficient of the L2 penalty ½λ‖W‖².
        dampening: τ in [0, 1], scales the gradient entering the momentum buffer.
        maximize: ascend (W moves along +g) instead of descend; keyword only, as in PyTorch.

    Positionally, PyTorch's order is (lr, momentum, dampening, weight_decay, nesterov):
    pass those by name when porting. PyTorch's ``foreach``, ``fused`` and
    ``differentiable`` choose among its implementations; chainrule has one, and refuses
    them (TypeError).
    """

    _state_keys = ("momentum_buffer",)
    _options = (("maximize", False),)

    def __init__(
        self,
        params,
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        dampening: float = 0.0,
        *,
        maximize: bool = False,
        **unsupported,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "nesterov": nesterov,
            "weight_decay": weight_decay,
            "dampening": dampening,
            "maximize": maximize,
        }
        super().__init__(params, defaults, unsupported)

    def _check_group(self, group: dict) -> None:
        if group["nesterov"] and (group["momentum"] == 0 or group["dampening"] != 0):
            raise ValueError(
                "nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _required_state(self, group: dict) -> tuple[str, ...]:
        return ()  # the momentum buffer starts as the first gradient, so it is made then

    def _update(self, w, g, state, group) -> None:
        d = self._direction(w, g, group)
        if group["momentum"] != 0:
            d = self._momentum(w, d, state, group)
        self._add_scaled(w, -group["lr"], d)

    def _momentum(self, w, d, state, group) -> np.ndarray:
        """Update the buffer b from d; return the direction (b, or d + μ·b for Nesterov)."""
        mu = group["momentum"]
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = aligned_copy(d, w.dtype)
        else:
            buf *= mu
            add_scaled(buf, 1 - group["dampening"], d, self._scratch(w, 1))
        if not group["nesterov"]:
            return buf
        out = self._scratch(w, 1)
        np.multiply(buf, mu, out=out)
        out += d
        return out


class Momentum(Optimizer):
    r"""Momentum SGD in the tutorials' form, with velocity v (zero at the start):

        v ← α·v − η·g
        W ← W + v

    with g + λ·W in place of g under weight decay λ. Equal to ``SGD(params, lr,
    momentum=α, weight_decay=λ)`` while η is constant. They differ when η changes (a
    schedule): `SGD` applies the new η to its whole buffer at once, while the velocity v
    still holds the steps taken with the old η and forgets them at rate α.

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        momentum: α in [0, 1).
        weight_decay: λ >= 0, the coefficient of the L2 penalty ½λ‖W‖².
    """

    _state_keys = ("velocity",)
    _added_later = (("weight_decay", 0.0),)  # checkpoints saved before it load unchanged

    def __init__(self, params, lr: float, momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    def _update(self, w, g, state, group) -> None:
        d = self._decayed(w, g, group)  # in work array 0 under weight decay, else g
        v = state["velocity"]
        v *= group["momentum"]
        add_scaled(v, -group["lr"], d, self._scratch(w, 0))
        w += v


class Nesterov(Optimizer):
    r"""Nesterov's accelerated gradient in the tutorials' form, velocity v zero at the start:

        v ← α·v − η·g
        W ← W + α·v − η·g

    which is the tutorials' W ← W + α²·v − (1 + α)·η·g, v ← α·v − η·g written with the
    new v (Bengio et al. 2012, arXiv:1212.0901), with g + λ·W in place of g under weight
    decay λ. Equal to ``SGD(params, lr, momentum=α, nesterov=True, weight_decay=λ)``
    while η is constant.

    Args:
        params: Tensors (or parameter-group dicts) to optimize.
        lr: the learning rate η >= 0.
        momentum: α in [0, 1).
        weight_decay: λ >= 0, the coefficient of the L2 penalty ½λ‖W‖².
    """

    _state_keys = ("velocity",)
    _added_later = (("weight_decay", 0.0),)  # checkpoints saved before it load unchanged

    def __init__(self, params, lr: float, momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    def _update(self, w, g, state, group) -> None:
        d = self._decayed(w, g, group)  # in work array 0 under weight decay, else g
        v, step = state["velocity"], self._scratch(w, 0)
        np.multiply(d, -group["lr"], out=step)  # −η·d (in place when d is work array 0)
        v *= group["momentum"]
        v += step
        w += step
        add_scaled(w, group["momentum"], v, step)
