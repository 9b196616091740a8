"""PyTorch's `CyclicLR`: a rate (and a momentum) cycling between two bounds, stepped per
batch; a closed form in the step count, as the schedules of ``_common_schedulers.py``."""

from __future__ import annotations

import math

from ._hyper import _flag, _non_negative, _number, _unit_open
from ._one_cycle import _list, _per_group, check_momenta, set_momenta
from ._optimizer import Optimizer
from ._schedulers import LRScheduler, _positive, configure


class CyclicLR(LRScheduler):
    r"""The cyclical learning rate (Smith 2017, arXiv:1506.01186), stepped after every
    batch: the rate goes from ``base_lr`` up to ``max_lr`` in ``step_size_up`` steps and
    back down in ``step_size_down`` (the same by default), over and over.

    At step e, with the cycle length L = up + down, the cycle c = ⌊1 + e / L⌋ (from 1) and
    x = 1 + e / L − c, how far into it (r = up / L):

        s = x / r                 (x <= r: going up)
        s = (x − 1) / (r − 1)     (x > r: coming down)
        η_e = η_base + (η_max − η_base) · s · φ

    where φ, the amplitude, is 1 (``mode="triangular"``), 1 / 2^(c − 1) (``"triangular2"``,
    halved every cycle) or γ^e (``"exp_range"``), or ``scale_fn(c)`` or ``scale_fn(e)``
    (``scale_mode`` ``"cycle"`` or ``"iterations"``) when ``scale_fn`` is given. With
    ``cycle_momentum=True`` (the default) the momentum goes the other way,

        μ_e = μ_max − (μ_max − μ_base) · s · φ

    on the group's ``momentum`` (`SGD`, `RMSProp`, …) or β₁, the first of its ``betas``
    (`Adam`, …); an optimizer with neither needs ``cycle_momentum=False`` (ValueError).
    ``base_lr``, ``max_lr``, ``base_momentum`` and ``max_momentum`` are numbers or lists of
    one per group; the momenta lie in [0, 1). Made, it sets each group's rate to η_base
    (and its momentum to μ_max) and its ``initial_lr`` to η_base, as PyTorch's does.

    As PyTorch's, whose arguments it takes, and its rates and momenta (tested within
    1e-12); ``scale_fn`` is not saved by `state_dict` (the schedule keeps the one it was
    made with). Unlike PyTorch's: ``step_size_up`` must be > 0 (PyTorch divides by it)
    and ``scale_mode`` ``"cycle"`` or ``"iterations"``. ``last_epoch`` is PyTorch's (see
    ``_schedulers.py``): resumed, η_base is ``base_lr`` too, as in PyTorch.
    """

    _settings = (
        "max_lrs",
        "step_size_up",
        "step_size_down",
        "mode",
        "gamma",
        "scale_mode",
        "cycle_momentum",
        "base_momentums",
        "max_momentums",
    )
    _sets_first_rate = True

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr,
        max_lr,
        step_size_up: float = 2000,
        step_size_down: float | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn=None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum=0.8,
        max_momentum=0.9,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"expected a chainrule optimizer, got {type(optimizer).__name__}")
        if scale_fn is not None and not callable(scale_fn):
            raise ValueError(f"CyclicLR: scale_fn must be a function, got {scale_fn!r:.40}")
        self.optimizer, self.scale_fn = optimizer, scale_fn
        configure(  # everything checked before the groups change
            self,
            base_lrs=_per_group(optimizer, "base_lr", base_lr),
            max_lrs=_per_group(optimizer, "max_lr", max_lr),
            step_size_up=step_size_up,
            step_size_down=step_size_up if step_size_down is None else step_size_down,
            mode=mode,
            gamma=gamma,
            scale_mode=scale_mode,
            cycle_momentum=cycle_momentum,
            base_momentums=_per_group(optimizer, "base_momentum", base_momentum),
            max_momentums=_per_group(optimizer, "max_momentum", max_momentum),
        )
        super().__init__(optimizer, last_epoch)

    def _take_base_lrs(self) -> None:
        """Nothing to take: η_base is ``base_lr`` (``base_lrs``, set by `_set`)."""

    def _set(
        self,
        max_lrs,
        step_size_up,
        step_size_down,
        mode,
        gamma,
        scale_mode,
        cycle_momentum,
        base_momentums,
        max_momentums,
        base_lrs=None,
    ) -> None:
        """Check every setting, then assign them; ``base_lrs`` only when made (a state_dict
        holds its own, which `LRScheduler.load_state_dict` checks)."""
        groups = len(self.optimizer.param_groups)
        if self.scale_fn is None and mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError(
                f"mode must be 'triangular', 'triangular2' or 'exp_range' (or give "
                f"a scale_fn), got {mode!r}"
            )
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}")
        cycle_momentum = _flag("cycle_momentum", cycle_momentum)
        checked = {
            "max_lrs": _list("max_lr", max_lrs, groups, _non_negative),
            "step_size_up": _positive("step_size_up", step_size_up),
            "step_size_down": _non_negative("step_size_down", step_size_down),
            "mode": mode,
            "gamma": _positive("gamma", gamma),
            "scale_mode": scale_mode,
            "cycle_momentum": cycle_momentum,
            "base_momentums": _list("base_momentum", base_momentums, groups, _unit_open),
            "max_momentums": _list("max_momentum", max_momentums, groups, _unit_open),
        }
        if base_lrs is not None:
            checked["base_lrs"] = _list("base_lr", base_lrs, groups, _non_negative)
        if self.scale_fn is None:  # each mode has its own, as in PyTorch
            checked["scale_mode"] = "iterations" if mode == "exp_range" else "cycle"
        if cycle_momentum:
            check_momenta(self.optimizer, checked["base_momentums"], checked["max_momentums"])
        for name, value in checked.items():
            setattr(self, name, value)

    def _where(self, epoch: int) -> tuple[float, float]:
        """(s, φ) at step ``epoch``: how far up the cycle, and the cycle's amplitude."""
        total = self.step_size_up + self.step_size_down
        ratio = self.step_size_up / total
        cycle = math.floor(1 + epoch / total)
        x = 1.0 + epoch / total - cycle
        rise = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        return rise, self._amplitude(cycle if self.scale_mode == "cycle" else epoch)

    def _amplitude(self, at: int) -> float:
        if self.scale_fn is not None:
            return _number("scale_fn", self.scale_fn(at))
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / 2.0 ** (at - 1)
        return self.gamma**at

    def _group_lr(self, i: int, base_lr: float, epoch: int) -> float:
        rise, amplitude = self._where(epoch)
        lr = base_lr + (self.max_lrs[i] - base_lr) * rise * amplitude
        if not lr >= 0:
            raise ValueError(f"CyclicLR: the rate at step {epoch} is {lr!r}; it must be >= 0")
        return lr

    def _set_rates(self) -> None:
        super()._set_rates()
        if not self.cycle_momentum:
            return
        rise, amplitude = self._where(self.last_epoch)
        momenta = [
            high - (high - low) * rise * amplitude
            for low, high in zip(self.base_momentums, self.max_momentums)
        ]
        set_momenta(self.optimizer, momenta)
