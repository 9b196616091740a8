"""More of PyTorch's schedules, closed forms in the epoch count as those of
``_common_schedulers.py``: `ConstantLR`, `PolynomialLR`, `MultiplicativeLR`,
`CosineAnnealingWarmRestarts` and `ChainedScheduler` (`CyclicLR` is in ``_cyclic_lr.py``)."""

from __future__ import annotations

import functools
import math

from .._arguments import count
from ._hyper import _non_negative, _number
from ._optimizer import Optimizer
from ._plateau import ReduceLROnPlateau
from ._schedulers import LRScheduler, configure
from ._sequential import load_parts


class ConstantLR(LRScheduler):
    r"""Multiply the learning rate by ``factor`` for the first ``total_iters`` epochs:

        η_e = η₀ · f    (e < T),      η_e = η₀    (e >= T)

    with f = ``factor`` in [0, 1] and T = ``total_iters`` >= 1. Made, it sets each group's
    rate to f·η₀, as PyTorch's does. Unlike PyTorch's, ``factor=0`` gives η₀ back at T
    (PyTorch's divides by the factor there) and T = 0 is refused.
    """

    _settings = ("factor", "total_iters")
    _sets_first_rate = True

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        configure(self, factor=factor, total_iters=total_iters)  # checked before the groups change
        super().__init__(optimizer, last_epoch)

    def _set(self, factor, total_iters) -> None:
        value = _number("factor", factor)
        if not 0 <= value <= 1:
            raise ValueError(f"factor must be >= 0 and <= 1, got {factor!r}")
        self.factor, self.total_iters = value, count("total_iters", total_iters, 1)

    def _lr(self, base_lr: float, epoch: int) -> float:
        return base_lr * (self.factor if epoch < self.total_iters else 1.0)


class PolynomialLR(LRScheduler):
    r"""Decay the learning rate to 0 over ``total_iters`` epochs along a power:

        η_e = η₀ · (1 − min(e, T) / T)^p

    with T = ``total_iters`` >= 1 and p = ``power`` >= 0; the rate stays 0 after T.
    """

    _settings = ("total_iters", "power")

    def __init__(
        self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        configure(self, total_iters=total_iters, power=power)  # checked before the groups change
        super().__init__(optimizer, last_epoch)

    def _set(self, total_iters, power) -> None:
        self.total_iters = count("total_iters", total_iters, 1)
        self.power = _non_negative("power", power)

    def _lr(self, base_lr: float, epoch: int) -> float:
        return base_lr * (1.0 - min(epoch, self.total_iters) / self.total_iters) ** self.power


class MultiplicativeLR(LRScheduler):
    r"""Multiply the learning rate by a function of the epoch at every epoch:

        η_e = η₀ · λ(1) · λ(2) · … · λ(e)

    with λ = ``lr_lambda``, a function of the epoch count returning a number, or a list of
    one function per parameter group. λ must depend on the epoch alone: the products are
    kept, and a resumed run calls λ again from epoch 1. A rate that is not a finite number
    >= 0 is a ValueError naming the epoch. As PyTorch's, `state_dict` does not hold the
    functions. After a `SequentialLR` milestone it starts again from η₀, where PyTorch's
    multiplies by λ(0) there too.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda, last_epoch: int = -1) -> None:
        self.lr_lambdas = _functions(self, optimizer, lr_lambda)  # checked before any change
        self._products = [[1.0] for _ in self.lr_lambdas]  # λ(1)·…·λ(e) at index e
        super().__init__(optimizer, last_epoch)

    def _set(self) -> None:
        """Nothing to check: the functions are not in the state."""

    def _group_lr(self, i: int, base_lr: float, epoch: int) -> float:
        products = self._products[i]
        while len(products) <= epoch:
            e = len(products)
            products.append(products[-1] * _factor(self.lr_lambdas[i], e))
        lr = base_lr * products[epoch]
        if not (math.isfinite(lr) and lr >= 0):
            raise ValueError(
                f"MultiplicativeLR: the rate for epoch {epoch} is {lr!r}; it must be >= 0"
            )
        return lr


def _factor(function, epoch: int) -> float:
    value = function(epoch)
    try:
        return _number("lr_lambda", value)
    except (TypeError, ValueError) as e:
        raise ValueError(f"MultiplicativeLR: for epoch {epoch}: {e}") from None


def _functions(schedule, optimizer, lr_lambda) -> list:
    """``lr_lambda`` as one function per group, checked."""
    groups, name = len(getattr(optimizer, "param_groups", ())), type(schedule).__name__
    functions = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
    if isinstance(lr_lambda, (list, tuple)) and len(functions) != groups:
        raise ValueError(
            f"{name}: expected {groups} lr_lambdas (one per parameter group), got {len(functions)}"
        )
    for f in functions or [lr_lambda]:
        if not callable(f):
            raise TypeError(
                f"{name}: lr_lambda must be a function of the epoch (or a list of "
                f"one per parameter group), got {type(f).__name__}"
            )
    return functions


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""SGDR (Loshchilov & Hutter 2017): a cosine from η₀ down to η_min, restarted at η₀
    after T₀ epochs, the next cycle T_mult times as long:

        η = η_min + (η₀ − η_min) · (1 + cos(π·T_cur / T_i)) / 2

    where T_i is the length of the current cycle (T₀, T₀·T_mult, …) and T_cur the epochs
    since its start. ``step()`` advances one epoch; ``step(epoch)`` jumps to ``epoch``,
    which may be fractional (``step(epoch + i / batches)`` within an epoch), as in
    PyTorch, and the following ``step()`` goes on from it by whole epochs.

    Args:
        optimizer: a chainrule optimizer.
        T_0: T₀, an integer >= 1, the first cycle's length.
        T_mult: an integer >= 1, the factor between successive cycles' lengths.
        eta_min: η_min >= 0.
        last_epoch: -1 to start afresh, or the epoch k to resume after (see
            ``_schedulers.py``).

    ``last_epoch`` is the whole part of the epoch; ``epoch_fraction``, in [0, 1), the rest
    (saved in `state_dict`). The cycle is found by subtracting whole cycles, where
    PyTorch's ``step(epoch)`` takes a logarithm whose rounding can give the wrong cycle right at
    a restart; a schedule resumed with ``last_epoch`` is in its right cycle, where PyTorch's,
    with T_mult > 1, counts its epochs from the start of the first.
    """

    _settings = ("T_0", "T_mult", "eta_min", "epoch_fraction")

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        configure(self, T_0=T_0, T_mult=T_mult, eta_min=eta_min, epoch_fraction=0.0)
        super().__init__(optimizer, last_epoch)

    def _set(self, T_0, T_mult, eta_min, epoch_fraction) -> None:
        self.T_0, self.T_mult = count("T_0", T_0, 1), count("T_mult", T_mult, 1)
        self.eta_min = _non_negative("eta_min", eta_min)
        fraction = _non_negative("epoch_fraction", epoch_fraction)
        if fraction >= 1:
            raise ValueError(f"epoch_fraction must be < 1, got {epoch_fraction!r}")
        self.epoch_fraction = fraction

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or go to ``epoch`` (a number >= 0, maybe fractional)."""
        if epoch is None:
            super().step()
            return
        where = _non_negative("epoch", epoch)
        self._check_groups()
        self.last_epoch = math.floor(where)
        self.epoch_fraction = where - self.last_epoch
        self._set_rates()

    def _cycle(self, epoch: float) -> tuple[float, int]:
        """(T_cur, T_i) at ``epoch``: the epochs since the last restart, the cycle's length."""
        if self.T_mult == 1:
            return epoch % self.T_0, self.T_0
        t_cur, t_i = epoch, self.T_0
        while t_cur >= t_i:
            t_cur, t_i = t_cur - t_i, t_i * self.T_mult
        return t_cur, t_i

    def _lr(self, base_lr: float, epoch: int) -> float:
        t_cur, t_i = self._cycle(epoch + self.epoch_fraction)
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


class ChainedScheduler(LRScheduler):
    r"""Apply several schedules at once: the rate is η₀ times the product of their factors,

        η_e = η₀ · Π_k S_k(e) / η₀,k

    where S_k(e) is schedule k's rate at epoch e and η₀,k its η₀ (0 for a schedule whose
    η₀ is 0). ``step()`` steps them all. Example, a warm-up and an exponential decay::

        sched = ChainedScheduler([ConstantLR(opt, factor=0.1, total_iters=2),
                                  ExponentialLR(opt, gamma=0.9)])

    Made, it sets each group's rate to that of its schedules' epoch: 0 when they are made
    afresh, k + 1 when each was resumed with ``last_epoch=k`` (so a chain of resumed
    schedules goes on as they do; it takes no ``last_epoch`` of its own, as PyTorch's);
    schedules at different epochs all start again from 0. This is PyTorch's rate when every
    schedule multiplies the rate it finds (`StepLR`, `MultiStepLR`, `ExponentialLR`,
    `ConstantLR`, `LinearLR`, `PolynomialLR`, `MultiplicativeLR`, `CosineAnnealingLR` with
    ``eta_min=0``; tested within 1e-12). Where a schedule sets its rate outright
    (`LambdaLR`, `CyclicLR`, `OneCycleLR`, `CosineAnnealingWarmRestarts`, and `SequentialLR`
    at its milestones), PyTorch's chain depends on the order of the schedules; this one is
    still the product. Every schedule must be a chainrule
    `LRScheduler` of the same optimizer (``optimizer``, by default the first's), each given
    once (ValueError). `CyclicLR` and `OneCycleLR` set the momentum too.
    """

    _sets_first_rate = True

    def __init__(self, schedulers, optimizer: Optimizer | None = None) -> None:
        self._schedulers = _chained(schedulers, optimizer)
        epochs = {sched.last_epoch for sched in self._schedulers}
        start = epochs.pop() if len(epochs) == 1 else 0  # resumed schedules resume the chain
        super().__init__(self._schedulers[0].optimizer, start - 1)

    @property
    def schedulers(self) -> list[LRScheduler]:
        """The schedules, in their order (a copy of the list)."""
        return list(self._schedulers)

    def _rates_at(self, epoch: int) -> list[float]:
        rates = list(self.base_lrs)
        for sched in self._schedulers:
            for i, (rate, base) in enumerate(zip(sched._rates_at(epoch), sched.base_lrs)):
                rates[i] *= rate / base if base else 0.0
        return rates

    def _set_rates(self) -> None:
        for sched in self._schedulers:  # their momenta, and get_last_lr(), at this epoch
            sched.last_epoch = self.last_epoch
            sched._set_rates()
        super()._set_rates()

    def _set(self) -> None:
        """Nothing to check: the schedules check their own."""

    def state_dict(self) -> dict:
        """``{"last_epoch": int, "base_lrs": [float], "schedulers": [state_dict]}``, the
        schedules' own state_dicts in their order: all JSON types."""
        schedules = [sched.state_dict() for sched in self._schedulers]
        return {**super().state_dict(), "schedulers": schedules}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a `state_dict`, the schedules' too: all checked before anything changes
        (a schedule refusing its state puts back those loaded before it)."""
        if not isinstance(state_dict, dict) or "schedulers" not in state_dict:
            raise ValueError("load_state_dict: expected a dict with the key 'schedulers'")
        own = {k: v for k, v in state_dict.items() if k != "schedulers"}
        # the chain's own state last: LRScheduler's load checks it all before it changes any
        then = functools.partial(LRScheduler.load_state_dict, self, own)
        load_parts(self._schedulers, state_dict["schedulers"], then)


def _chained(schedulers, optimizer) -> list[LRScheduler]:
    """The schedules to chain, checked: LRSchedulers of one optimizer, each once."""
    if not isinstance(schedulers, (list, tuple)) or not schedulers:
        raise ValueError(
            f"ChainedScheduler: schedulers must be a non-empty list of schedules, "
            f"got {schedulers!r:.80}"
        )
    for i, sched in enumerate(schedulers):
        if isinstance(sched, ReduceLROnPlateau) or not isinstance(sched, LRScheduler):
            raise ValueError(
                f"ChainedScheduler: schedulers[{i}] must be a chainrule "
                f"LRScheduler (one with a rate for each epoch), got "
                f"{type(sched).__name__}"
            )
        if sched.optimizer is not (optimizer or schedulers[0].optimizer):
            raise ValueError(
                f"ChainedScheduler: schedulers[{i}] ({type(sched).__name__}) was "
                "made for another optimizer; all must share one"
            )
        if any(sched is other for other in schedulers[:i]):
            raise ValueError(f"ChainedScheduler: schedulers[{i}] is given twice")
    return list(schedulers)
