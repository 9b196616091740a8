"""The common schedules, each a closed form in the epoch e and the initial rate η₀:
`StepLR`, `MultiStepLR`, `ExponentialLR`, `CosineAnnealingLR`, `LinearLR` (warm-up) and
`LambdaLR` (a function of e). How all schedules start, resume and save: ``_schedulers.py``."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable

from .._arguments import count
from ._hyper import _non_negative, _number
from ._optimizer import Optimizer
from ._schedulers import LRScheduler, _positive, configure


class StepLR(LRScheduler):
    r"""Multiply the learning rate by γ (``gamma``) every ``step_size`` epochs:

        η_e = η₀ · γ^⌊e / step_size⌋

    where η₀ is the group's learning rate when the schedule was made.
    """

    _settings = ("step_size", "gamma")

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        configure(self, step_size=step_size, gamma=gamma)  # checked before the groups change
        super().__init__(optimizer, last_epoch)

    def _set(self, step_size, gamma) -> None:
        self.step_size, self.gamma = count("step_size", step_size, 1), _positive("gamma", gamma)

    def _lr(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    r"""Multiply the learning rate by γ (``gamma``) every epoch:

        η_e = η₀ · γ^e

    where η₀ is the group's learning rate when the schedule was made.
    """

    _settings = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        configure(self, gamma=gamma)  # checked before the groups change
        super().__init__(optimizer, last_epoch)

    def _set(self, gamma) -> None:
        self.gamma = _positive("gamma", gamma)

    def _lr(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma**epoch


class MultiStepLR(LRScheduler):
    r"""Multiply the learning rate by γ (``gamma``) at each of the epochs ``milestones``:

        η_e = η₀ · γ^|{m ∈ milestones : m ≤ e}|

    where η₀ is the group's learning rate when the schedule was made. The milestones are
    epoch counts >= 1, in any order; one given twice counts twice (as in PyTorch).
    """

    _settings = ("milestones", "gamma")

    def __init__(
        self, optimizer: Optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        configure(self, milestones=milestones, gamma=gamma)  # checked before the groups change
        super().__init__(optimizer, last_epoch)

    def _set(self, milestones, gamma) -> None:
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Iterable):
            raise ValueError(f"milestones must be a list of epoch counts, got {milestones!r}")
        try:
            given = list(milestones)
        except TypeError:  # a 0-d array is Iterable but cannot be iterated
            raise ValueError(
                f"milestones must be a list of epoch counts, got {milestones!r}"
            ) from None
        counts = sorted(count("milestones", m, 1) for m in given)
        self.milestones, self.gamma = counts, _positive("gamma", gamma)

    def _lr(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** bisect_right(self.milestones, epoch)


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the learning rate from η₀ to η_min along half a cosine over ``T_max`` epochs:

        η_e = η_min + (η₀ − η_min) · (1 + cos(π·e / T_max)) / 2

    with η_min = ``eta_min``. After ``T_max`` epochs the formula goes on (the rate rises
    again), as in PyTorch.
    """

    _settings = ("T_max", "eta_min")

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        configure(self, T_max=T_max, eta_min=eta_min)  # checked before the groups change
        super().__init__(optimizer, last_epoch)

    def _set(self, T_max, eta_min) -> None:
        self.T_max, self.eta_min = count("T_max", T_max, 1), _non_negative("eta_min", eta_min)

    def _lr(self, base_lr: float, epoch: int) -> float:
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


class LinearLR(LRScheduler):
    r"""Change the learning rate linearly from ``start_factor``·η₀ to ``end_factor``·η₀
    over ``total_iters`` epochs, then keep it (a warm-up, with the defaults):

        η_e = η₀ · (s + (f − s) · min(e, T) / T)

    with s = ``start_factor`` (> 0 and <= 1), f = ``end_factor`` (>= 0 and <= 1), T =
    ``total_iters`` (>= 1) and η₀ the group's learning rate when the schedule was made.
    Made, it sets each group's rate to η_0 = s·η₀, as PyTorch's does (PyTorch's
    multiplies the rate it finds; this one starts from η₀, as the other schedules).
    """

    _settings = ("start_factor", "end_factor", "total_iters")
    _sets_first_rate = True

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        configure(  # checked before the groups change
            self, start_factor=start_factor, end_factor=end_factor, total_iters=total_iters
        )
        super().__init__(optimizer, last_epoch)

    def _set(self, start_factor, end_factor, total_iters) -> None:
        start, end = _number("start_factor", start_factor), _number("end_factor", end_factor)
        if not 0 < start <= 1:
            raise ValueError(f"start_factor must be > 0 and <= 1, got {start_factor!r}")
        if not 0 <= end <= 1:
            raise ValueError(f"end_factor must be >= 0 and <= 1, got {end_factor!r}")
        self.total_iters = count("total_iters", total_iters, 1)
        self.start_factor, self.end_factor = start, end

    def _lr(self, base_lr: float, epoch: int) -> float:
        done = min(epoch, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * done)


class LambdaLR(LRScheduler):
    r"""Set the learning rate to η₀ times a function of the epoch:

        η_e = η₀ · λ(e)

    with λ = ``lr_lambda``, a function of the epoch count (from 0) returning a number, or
    a list of one function per parameter group; η₀ is the group's learning rate when the
    schedule was made. Made, it sets each group's rate to η₀ · λ(0), as PyTorch's does.
    λ is called again for the same epoch (by ``get_last_lr``, a resumed run): it must
    depend on the epoch alone. A rate that is not a finite number >= 0 is a ValueError
    naming the epoch.

    `state_dict` cannot hold the functions: as PyTorch's, it saves the rest (the epoch
    count and η₀), and `load_state_dict` keeps the functions the schedule was made with.
    """

    _sets_first_rate = True

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int = -1) -> None:
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)  # checked before the groups change
        super().__init__(optimizer, last_epoch)

    def _set(self) -> None:
        """Nothing to check: the functions are not in the state."""

    def _group_lr(self, i: int, base_lr: float, epoch: int) -> float:
        factor = self.lr_lambdas[i](epoch)
        try:
            lr = base_lr * _number("lr_lambda", factor)
        except (TypeError, ValueError) as e:
            raise ValueError(f"LambdaLR: for epoch {epoch}: {e}") from None
        if not lr >= 0:
            raise ValueError(
                f"LambdaLR: lr_lambda returned {factor!r} for epoch {epoch}, giving the "
                f"rate {lr!r}; a rate must be >= 0"
            )
        return lr


def _lambdas(optimizer, lr_lambda) -> list:
    """``lr_lambda`` as one function per group, checked."""
    groups = len(getattr(optimizer, "param_groups", ()))
    if isinstance(lr_lambda, (list, tuple)):
        if isinstance(optimizer, Optimizer) and len(lr_lambda) != groups:
            raise ValueError(
                f"LambdaLR: expected {groups} lr_lambdas (one per parameter group), got "
                f"{len(lr_lambda)}"
            )
        functions = list(lr_lambda)
    else:
        functions = [lr_lambda] * groups
    for f in functions or [lr_lambda]:
        if not callable(f):
            raise TypeError(
                "LambdaLR: lr_lambda must be a function of the epoch (or a list of one per "
                f"parameter group), got {type(f).__name__} {f!r:.40}"
            )
    return functions
