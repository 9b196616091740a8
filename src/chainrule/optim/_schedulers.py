"""Learning-rate schedules: each sets ``group["lr"]`` from a closed form in the epoch count.
This module holds their base, `LRScheduler`; the common schedules are in
``_common_schedulers.py``.

Call ``optimizer.step()`` for every batch and ``scheduler.step()`` once per epoch. The
learning rate after e calls is a function of e and the group's initial rate η₀ alone, so a
resumed schedule gives exactly the same rates; a rate the user sets by hand is overwritten
at the next ``scheduler.step()``. η₀ is kept in each parameter group as ``"initial_lr"``, as
in PyTorch: the first schedule made on an optimizer sets it, and it is saved and loaded with
the optimizer's state, so a schedule made after loading a checkpoint starts from η₀ too.
To start a new schedule from a rate set by hand on such an optimizer, set ``initial_lr``
along with ``lr`` (or delete it from the group).

Unlike PyTorch's schedules, which multiply the group's current rate (so a second schedule,
or one made on a restored optimizer, goes on from the rate it finds), these restart from
η₀ at their first ``step()``. Making a schedule whose epoch-0 factor is 1 (`StepLR`,
`MultiStepLR`, `ExponentialLR`, `CosineAnnealingLR`) leaves the groups' rates as they are,
as in PyTorch, so until that first step a group may train at a rate other than η₀, the
rate that ``get_last_lr()`` reports for epoch 0. `LinearLR` and `LambdaLR`, whose factor
at epoch 0 is their own, set that rate when made, as PyTorch's do: a warm-up's first
epoch trains at its first rate.

Every schedule but `ChainedScheduler` takes PyTorch's ``last_epoch``: -1 (the default)
starts afresh; k >= 0 resumes after epoch k on an optimizer restored from a checkpoint.
Every group must then hold its ``initial_lr`` (a KeyError otherwise), which is η₀, and
the schedule starts at epoch k + 1 (``last_epoch`` is k + 1) with the groups' rates set
to that epoch's. A run stopped after e ``step()`` calls (its ``last_epoch`` e) goes on
with ``last_epoch=e - 1`` at exactly the rates it would have had without stopping.

`SequentialLR` (``_sequential.py``), one schedule after another, and `OneCycleLR`
(``_one_cycle.py``), which sets the momentum too, are closed forms as well.
`ReduceLROnPlateau` (``_plateau.py``), which follows a watched value, has no closed form
and is not one of these.
"""

from __future__ import annotations

from numbers import Integral

from .._arguments import count
from ._hyper import _non_negative, _number
from ._optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses write ``_lr(base_lr, epoch)`` and name their settings.

    A subclass validates its settings (``_set``) before calling ``__init__(optimizer,
    last_epoch)``, which checks ``last_epoch``, sets the groups' rates if the schedule is
    resumed (``last_epoch`` >= 0) or has ``_sets_first_rate``, and records η₀ in the
    groups: a schedule refused changes nothing.
    """

    #: the settings that `state_dict` saves (attributes of the same names)
    _settings: tuple[str, ...] = ()
    #: whether a schedule made afresh sets its epoch-0 rate (one whose factor there is
    #: not 1); a resumed schedule always sets the rate of the epoch it resumes at
    _sets_first_rate = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"expected a chainrule optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        start = self._start_epoch(last_epoch)
        self._take_base_lrs()
        self.last_epoch = start
        if start or self._sets_first_rate:  # all its rates checked before any is set
            self._set_rates()
        # η₀ is kept in each group as "initial_lr" (PyTorch's key): it travels with the
        # optimizer's state_dict, so a schedule made again after loading a checkpoint starts
        # from the first rate, not from the rate the checkpoint had decayed to
        self._write_initial_lrs()

    def _start_epoch(self, last_epoch) -> int:
        """The epoch a schedule made with ``last_epoch`` starts at: 0 for -1 (afresh), k + 1
        for k >= 0 (resumed after epoch k, on groups that hold their ``initial_lr``)."""
        name = type(self).__name__
        if not isinstance(last_epoch, Integral) or isinstance(last_epoch, bool):
            raise TypeError(f"{name}: last_epoch must be an integer, got {last_epoch!r}")
        if last_epoch < -1:
            raise ValueError(
                f"{name}: last_epoch must be -1 (start afresh) or the epoch >= 0 to resume "
                f"after, got {last_epoch!r}"
            )
        for i, group in enumerate(self.optimizer.param_groups):
            if last_epoch >= 0 and "initial_lr" not in group:
                raise KeyError(
                    f"{name}: param 'initial_lr' is not specified in param_groups[{i}] when "
                    f"resuming with last_epoch={last_epoch!r}: load the optimizer's "
                    "state_dict saved with the schedule first, or pass last_epoch=-1 to start "
                    "afresh"
                )
        return int(last_epoch) + 1

    def _take_base_lrs(self) -> None:
        """Set ``base_lrs``, each group's η₀ (`CyclicLR` and `OneCycleLR` have theirs from
        their arguments, `SequentialLR` its first schedule's)."""
        groups = self.optimizer.param_groups
        self.base_lrs = [self._first_lr(i, group) for i, group in enumerate(groups)]

    def _write_initial_lrs(self) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["initial_lr"] = base

    def _first_lr(self, i: int, group: dict) -> float:
        """The group's η₀ (its ``initial_lr``, else its ``lr``) as a Python float >= 0,
        whatever the user assigned by hand (a NumPy scalar, a negative rate)."""
        name = "initial_lr" if "initial_lr" in group else "lr"
        try:
            return _non_negative(name, group[name])
        except ValueError as e:
            raise ValueError(f"{type(self).__name__}: group {i}: {e}") from None

    def step(self) -> None:
        """Advance one epoch and set each group's learning rate."""
        self._check_groups()
        self.last_epoch += 1
        try:
            self._set_rates()
        except Exception:  # a rate refused (a λ gone negative): the schedule stays put
            self.last_epoch -= 1
            raise

    def _check_groups(self) -> None:
        """A ValueError when the optimizer's groups are no longer those it was made for."""
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise ValueError(
                f"the optimizer has {len(groups)} parameter groups, the schedule was made "
                f"for {len(self.base_lrs)}"
            )

    def _set_rates(self) -> None:
        """Give each group the rate of ``last_epoch`` (`OneCycleLR` sets its momentum too)."""
        for group, lr in zip(self.optimizer.param_groups, self.get_last_lr()):
            group["lr"] = lr

    def get_last_lr(self) -> list[float]:
        """The learning rate of each parameter group after the last ``step()``: the closed
        form at ``last_epoch`` (before the first step of a schedule made afresh, its
        epoch-0 rate, whatever rate a group holds)."""
        return self._rates_at(self.last_epoch)

    def _rates_at(self, epoch: int) -> list[float]:
        """Every group's rate at ``epoch`` (`SequentialLR` asks its parts for theirs)."""
        return [self._group_lr(i, base, epoch) for i, base in enumerate(self.base_lrs)]

    def _group_lr(self, i: int, base_lr: float, epoch: int) -> float:
        """Group ``i``'s rate at ``epoch``; the same formula for every group but in
        `LambdaLR`."""
        return self._lr(base_lr, epoch)

    def _lr(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """``{"last_epoch": int, "base_lrs": [float], <settings>}``, all JSON types."""
        settings = {name: _copied(getattr(self, name)) for name in self._settings}
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs), **settings}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a `state_dict` (checked first; the optimizer's rates are not touched)."""
        expected = {"last_epoch", "base_lrs", *self._settings}
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            raise ValueError(f"load_state_dict: expected a dict with the keys {sorted(expected)}")
        if not isinstance(state_dict["base_lrs"], (list, tuple)):
            raise ValueError(
                f"load_state_dict: base_lrs must be a list, got {state_dict['base_lrs']!r}"
            )
        base_lrs = [_non_negative("base_lrs", lr) for lr in state_dict["base_lrs"]]
        if len(base_lrs) != len(self.optimizer.param_groups):
            raise ValueError(
                f"load_state_dict: {len(base_lrs)} base_lrs for "
                f"{len(self.optimizer.param_groups)} parameter groups"
            )
        last_epoch = count("last_epoch", state_dict["last_epoch"], 0)
        configure(self, **{name: state_dict[name] for name in self._settings})
        self.last_epoch, self.base_lrs = last_epoch, base_lrs
        self._write_initial_lrs()

    def _set(self, **settings) -> None:
        """Validate all ``settings``, then assign them (all or nothing)."""
        raise NotImplementedError


def configure(schedule, **settings) -> None:
    """``schedule._set(**settings)`` (all checked, then assigned), an error naming the
    schedule: ``StepLR: step_size must be an integer >= 1, got 0``."""
    try:
        schedule._set(**settings)
    except ValueError as e:
        raise ValueError(f"{type(schedule).__name__}: {e}") from None


def _positive(name: str, value) -> float:
    value = _number(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return value


def _copied(value):
    """A setting as `state_dict` gives it: a list (``milestones``) copied, so that changing
    the dict does not change the schedule."""
    return list(value) if isinstance(value, list) else value
