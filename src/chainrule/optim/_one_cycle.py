"""`OneCycleLR`: the 1cycle policy, a rise to ``max_lr`` and a fall far below the start,
with the momentum cycled the other way; a closed form in the step count, as the schedules
of ``_common_schedulers.py``."""

from __future__ import annotations

import math
from itertools import pairwise

from .._arguments import count
from ._hyper import _non_negative, _number, _unit_open
from ._optimizer import Optimizer
from ._schedulers import LRScheduler, _positive, configure


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith & Topin, arXiv:1708.07120), stepped after every batch.

    With T = ``total_steps`` (or ``epochs · steps_per_epoch``), p = ``pct_start``, η_max =
    ``max_lr`` (a number, or a list of one per group), η_start = η_max / ``div_factor`` and
    η_end = η_start / ``final_div_factor``, the rate moves through phases that end at the
    steps

        two phases (the default):   e₁ = p·T − 1: η_start → η_max,   e₂ = T − 1: η_max → η_end
        ``three_phase=True``:       e₁ = p·T − 1: η_start → η_max,   e₂ = 2p·T − 2: η_max →
                                    η_start,   e₃ = T − 1: η_start → η_end

    At step t, in the phase from step s (0, or the end of the phase before) to e, from a
    to b, with x = (t − s) / (e − s):

        cos:     η_t = b + (a − b) · (1 + cos(π·x)) / 2        (``anneal_strategy="cos"``)
        linear:  η_t = a + (b − a) · x                          (``"linear"``)

    With ``cycle_momentum=True`` (the default) the momentum μ goes the other way through
    the same phases, along the same curve: from ``max_momentum`` to ``base_momentum`` while
    the rate rises, then back to ``max_momentum`` (in three phases it stays there in the
    third). μ is the group's ``momentum`` (`SGD`, `Momentum`, `Nesterov`, `RMSProp`) or β₁,
    the first of its ``betas`` (`Adam`, `AdamW`); an optimizer with neither (`AdaGrad`)
    needs ``cycle_momentum=False``. Each is a number or a list of one per group, in [0, 1).

    Made, it sets each group's rate to η_start (and μ to ``max_momentum``), and its
    ``initial_lr`` to η_start, as PyTorch's does. ``step()`` may be called T times; the
    T-th sets the rate for a step past the cycle, and one more is a ValueError. Example,
    stepped per batch::

        sched = OneCycleLR(opt, max_lr=0.1, epochs=10, steps_per_epoch=len(loader))

    In ``fit``, step it per batch with
    ``callbacks.LearningRateScheduler(sched, interval="batch")`` and
    ``total_steps=epochs * len(loader)``; the callback's default, once an epoch, needs
    ``total_steps=epochs`` (a cycle counted in batches but stepped once an epoch would
    never leave its warm-up).

    As PyTorch's, whose arguments it takes, and its rates and momenta to rounding (tested
    within 1e-12). Unlike PyTorch's: after the T-th ``step()`` the rate and momentum stay
    those of step T − 1, the end of the cycle (PyTorch extends the last phase's curve, which
    with ``"linear"`` gives a rate below 0 there); every phase must last more than 0 steps,
    so p·T > 1 and, in three phases, p < 1 / 2 + 1 / (2T) (PyTorch divides by zero for a
    phase of 0 steps, and with p·T < 1 starts in the middle of the first phase); the
    momenta must lie in [0, 1). ``last_epoch`` is PyTorch's (see ``_schedulers.py``):
    resumed, the schedule takes its rates from its arguments, as when made afresh (PyTorch's
    reads the copies it wrote to the groups, the same in a checkpoint of the same cycle),
    and ``last_epoch`` >= T, a step past the cycle, is a ValueError.
    """

    _settings = (
        "max_lrs",
        "total_steps",
        "pct_start",
        "anneal_strategy",
        "cycle_momentum",
        "base_momentums",
        "max_momentums",
        "div_factor",
        "final_div_factor",
        "three_phase",
    )
    _sets_first_rate = True

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"expected a chainrule optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        configure(  # everything checked before the groups change
            self,
            max_lrs=_per_group(optimizer, "max_lr", max_lr),
            total_steps=_total_steps(total_steps, epochs, steps_per_epoch),
            pct_start=pct_start,
            anneal_strategy=anneal_strategy,
            cycle_momentum=cycle_momentum,
            base_momentums=_per_group(optimizer, "base_momentum", base_momentum),
            max_momentums=_per_group(optimizer, "max_momentum", max_momentum),
            div_factor=div_factor,
            final_div_factor=final_div_factor,
            three_phase=three_phase,
        )
        self.base_lrs = [max_lr / self.div_factor for max_lr in self.max_lrs]
        super().__init__(optimizer, last_epoch)

    def _take_base_lrs(self) -> None:
        """Nothing to take: η_start is ``max_lr / div_factor`` (``base_lrs``, set first)."""

    def step(self) -> None:
        """Advance one step and set each group's rate (and momentum): a ValueError, changing
        nothing, after ``total_steps`` steps."""
        if self.last_epoch >= self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {self.last_epoch + 1} times; the cycle has "
                f"total_steps={self.total_steps}"
            )
        super().step()

    def _phases(self) -> list[tuple[float, str, str]]:
        """(last step, start, end) of each phase; start and end name the rate (``"initial"``,
        ``"max"``, ``"min"``), the momentum going the other way."""
        T, p = self.total_steps, self.pct_start
        if self.three_phase:
            return [(p * T - 1, "initial", "max"), (2 * p * T - 2, "max", "initial"),
                    (T - 1, "initial", "min")]  # fmt: skip
        return [(p * T - 1, "initial", "max"), (T - 1, "max", "min")]

    def _where(self, epoch: int) -> tuple[str, str, float]:
        """The phase of step ``epoch`` (its start and end) and how far along it, x."""
        if epoch > self.total_steps:
            raise ValueError(
                f"OneCycleLR: step {epoch} is past the cycle of total_steps={self.total_steps}"
            )
        start, phases = 0.0, self._phases()
        for end, a, b in phases[:-1]:
            if epoch <= end:
                return a, b, (epoch - start) / (end - start)
            start = end
        end, a, b = phases[-1]  # x = 1 at step T − 1; step T (x > 1) is held there
        return a, b, min((epoch - start) / (end - start), 1.0)

    def _anneal(self, a: float, b: float, x: float) -> float:
        if self.anneal_strategy == "cos":
            return b + (a - b) / 2.0 * (math.cos(math.pi * x) + 1)
        return (b - a) * x + a

    def _group_lr(self, i: int, base_lr: float, epoch: int) -> float:
        a, b, x = self._where(epoch)
        initial = self.max_lrs[i] / self.div_factor
        rates = {"initial": initial, "max": self.max_lrs[i], "min": initial / self.final_div_factor}
        return self._anneal(rates[a], rates[b], x)

    def _momenta_at(self, epoch: int) -> list[float]:
        """Each group's momentum at step ``epoch``: ``max_momentum`` where the rate is at
        its start or end, ``base_momentum`` at η_max."""
        a, b, x = self._where(epoch)
        out = []
        for low, high in zip(self.base_momentums, self.max_momentums):
            momenta = {"initial": high, "max": low, "min": high}
            out.append(self._anneal(momenta[a], momenta[b], x))
        return out

    def _set_rates(self) -> None:
        super()._set_rates()
        if not self.cycle_momentum:
            return
        set_momenta(self.optimizer, self._momenta_at(self.last_epoch))

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a `state_dict` (checked first; a step count past ``total_steps`` is
        refused; the optimizer's rates and momenta are not touched)."""
        before = self.state_dict()
        super().load_state_dict(state_dict)
        if self.last_epoch > self.total_steps:
            epoch = self.last_epoch
            super().load_state_dict(before)
            raise ValueError(
                f"load_state_dict: last_epoch {epoch} is past total_steps={self.total_steps}"
            )

    def _set(
        self,
        max_lrs,
        total_steps,
        pct_start,
        anneal_strategy,
        cycle_momentum,
        base_momentums,
        max_momentums,
        div_factor,
        final_div_factor,
        three_phase,
    ) -> None:
        groups = len(self.optimizer.param_groups)
        checked = {
            "max_lrs": _list("max_lr", max_lrs, groups, _non_negative),
            "total_steps": count("total_steps", total_steps, 1),
            "pct_start": _number("pct_start", pct_start),
            "anneal_strategy": anneal_strategy,
            "cycle_momentum": cycle_momentum,
            "base_momentums": _list("base_momentum", base_momentums, groups, _unit_open),
            "max_momentums": _list("max_momentum", max_momentums, groups, _unit_open),
            "div_factor": _positive("div_factor", div_factor),
            "final_div_factor": _positive("final_div_factor", final_div_factor),
            "three_phase": three_phase,
        }
        if not 0 <= checked["pct_start"] <= 1:
            raise ValueError(f"pct_start must be >= 0 and <= 1, got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        for name in ("cycle_momentum", "three_phase"):
            if not isinstance(checked[name], bool):
                raise ValueError(f"{name} must be True or False, got {checked[name]!r}")
        if cycle_momentum:
            check_momenta(self.optimizer, checked["base_momentums"], checked["max_momentums"])
        T, p = checked["total_steps"], checked["pct_start"]
        ends = [p * T - 1, 2 * p * T - 2, T - 1] if three_phase else [p * T - 1, T - 1]
        if not ends[0] > 0:
            raise ValueError(
                f"the warm-up must last more than a step: pct_start * total_steps = {p * T!r} "
                "must be > 1"
            )
        if any(b <= a for a, b in pairwise(ends)):
            most = "< 1/2 + 1/(2 total_steps) with three_phase" if three_phase else "< 1"
            raise ValueError(
                f"every phase must last more than 0 steps: pct_start must be {most}, got "
                f"{pct_start!r} for total_steps={T}"
            )
        for name, value in checked.items():
            setattr(self, name, value)


def _total_steps(total_steps, epochs, steps_per_epoch) -> int:
    """``total_steps``, else ``epochs · steps_per_epoch`` (PyTorch's order)."""
    if total_steps is not None:
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError("OneCycleLR: give total_steps, or both epochs and steps_per_epoch")
    epochs = count("epochs", epochs, 1, "OneCycleLR")
    return epochs * count("steps_per_epoch", steps_per_epoch, 1, "OneCycleLR")


def _per_group(optimizer: Optimizer, name: str, value) -> list:
    """A list of one value per group: ``value`` itself when a list or tuple, else repeated."""
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value] * len(optimizer.param_groups)


def _list(name: str, values, groups: int, rule) -> list[float]:
    if not isinstance(values, (list, tuple)):
        raise ValueError(f"{name} must be a number or a list of one per group, got {values!r}")
    if len(values) != groups:
        raise ValueError(f"{name}: {len(values)} values for {groups} parameter groups")
    return [rule(name, v) for v in values]


def check_momenta(opt: Optimizer, base_momentums, max_momentums) -> None:
    """The optimizer must have a momentum to cycle (its ``momentum``, or β₁ of its
    ``betas``), and take both ends as its own."""
    key = "betas" if "betas" in opt.defaults else "momentum"
    if key not in opt.defaults:
        raise ValueError(
            f"{type(opt).__name__} has no momentum or betas to cycle; pass cycle_momentum=False"
        )
    for i, group in enumerate(opt.param_groups):
        for mu in (base_momentums[i], max_momentums[i]):
            value = (mu, group["betas"][1]) if key == "betas" else mu
            try:
                opt._check_group({**group, key: value})
            except ValueError as e:
                raise ValueError(f"group {i} with momentum {mu!r}: {e}") from None


def set_momenta(opt: Optimizer, momenta) -> None:
    """Give each group its momentum: ``momentum``, or β₁ of its ``betas``."""
    betas = "betas" in opt.defaults
    for group, mu in zip(opt.param_groups, momenta):
        if betas:
            group["betas"] = (mu, group["betas"][1])
        else:
            group["momentum"] = mu
