"""`SequentialLR`: one schedule after another, each restarting at its milestone.

As the schedules of ``_common_schedulers.py`` it has a closed form: the rate at epoch e is that
of the schedule whose turn it is, at the epochs counted since its milestone, so it resumes
exactly from its epoch count alone.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from itertools import pairwise

from .._arguments import count
from ._optimizer import Optimizer
from ._plateau import ReduceLROnPlateau
from ._schedulers import LRScheduler


class SequentialLR(LRScheduler):
    r"""Run ``schedulers`` one after another, switching at the epochs ``milestones``.

    With milestones m₁ < m₂ < … < m_k (m₀ = 0) and schedules S₀, …, S_k, the rate at epoch
    e is S_i's at its own epoch e − m_i, where i is the number of milestones <= e:

        η_e = S_i(e − m_i),    m_i <= e < m_{i+1}

    so each schedule starts from its first rate at its milestone, from its η₀ (the group's
    ``initial_lr``), whatever rate the schedule before it left. The common use, a warm-up
    then a cosine::

        warm = LinearLR(opt, start_factor=0.1, total_iters=5)
        cosine = CosineAnnealingLR(opt, T_max=45)
        sched = SequentialLR(opt, [warm, cosine], milestones=[5])

    trains epochs 0–4 at 0.1η₀, 0.28η₀, …, 0.82η₀ and epoch 5 at η₀, the cosine's first
    rate. Made, it sets each group's rate to S₀'s at epoch 0 (0.1η₀ here), whatever rates
    the schedules set when they were made, as PyTorch's does. Its ``step()`` sets the
    ``last_epoch`` of the schedule whose turn it is (to e − m_i) and leaves the others'.

    As PyTorch's, whose arguments it takes, and PyTorch's rates: there a schedule resumes
    from the rate it finds after its first epoch, here each restarts from η₀ at each epoch
    (its closed form), which gives the same rates up to rounding (within 1e-12 of
    PyTorch's, tested). Unlike PyTorch's: the milestones must be increasing integers >= 1
    (PyTorch takes any, and a milestone 0 skips S₀); every schedule must be a chainrule
    `LRScheduler` of ``optimizer``, each given once (PyTorch takes one twice, and then
    counts its epochs from where the other turn left them, not from its milestone).
    ``last_epoch`` is that of the other schedules (see ``_schedulers.py``): resumed after
    epoch k, it sets the rate of epoch k + 1 and each schedule's ``last_epoch`` where an
    uninterrupted run would have left it, whatever those given were made with (PyTorch's
    sets its own ``last_epoch`` to k + 1 but the rate of its first schedule's epoch 0).
    """

    _sets_first_rate = True

    def __init__(self, optimizer: Optimizer, schedulers, milestones, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"expected a chainrule optimizer, got {type(optimizer).__name__}")
        self._schedulers = _checked_schedulers(optimizer, schedulers)
        self._milestones = _milestones(milestones, len(self._schedulers))
        super().__init__(optimizer, last_epoch)
        starts, ends = [0, *self._milestones], [*self._milestones, None]
        for sched, start, end in zip(self._schedulers, starts, ends):  # as a run leaves them
            over = end is not None and end <= self.last_epoch  # at its turn's last epoch
            sched.last_epoch = end - start - 1 if over else max(self.last_epoch - start, 0)

    def _take_base_lrs(self) -> None:
        """Nothing to take: ``base_lrs`` are the first schedule's."""

    @property
    def base_lrs(self) -> list[float]:
        """The first schedule's η₀ of each group."""
        return self._schedulers[0].base_lrs

    @property
    def schedulers(self) -> list[LRScheduler]:
        """The schedules, in their order (a copy of the list)."""
        return list(self._schedulers)

    @property
    def milestones(self) -> list[int]:
        """The epochs at which the next schedule starts (a copy of the list)."""
        return list(self._milestones)

    def _current(self, epoch: int) -> tuple[LRScheduler, int]:
        """The schedule whose turn it is at ``epoch``, and its own epoch count."""
        i = bisect_right(self._milestones, epoch)
        return self._schedulers[i], epoch - (self._milestones[i - 1] if i else 0)

    def _rates_at(self, epoch: int) -> list[float]:
        sched, own = self._current(epoch)
        return sched._rates_at(own)

    def _set_rates(self) -> None:
        sched, own = self._current(self.last_epoch)
        sched.last_epoch = own
        sched._set_rates()

    def state_dict(self) -> dict:
        """``{"last_epoch": int, "milestones": [int], "schedulers": [state_dict]}``, the
        schedules' own state_dicts in their order: all JSON types."""
        return {
            "last_epoch": self.last_epoch,
            "milestones": list(self._milestones),
            "schedulers": [sched.state_dict() for sched in self._schedulers],
        }

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a `state_dict`, the schedules' too: all of it is checked before anything
        changes (a schedule refusing its state puts back those loaded before it)."""
        expected = {"last_epoch", "milestones", "schedulers"}
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            raise ValueError(f"load_state_dict: expected a dict with the keys {sorted(expected)}")
        check_parts(self._schedulers, state_dict["schedulers"])
        try:
            milestones = _milestones(state_dict["milestones"], len(self._schedulers))
        except ValueError as e:
            raise ValueError(f"load_state_dict: {e}") from None
        last_epoch = count("last_epoch", state_dict["last_epoch"], 0)
        load_parts(self._schedulers, state_dict["schedulers"])
        self._milestones, self.last_epoch = milestones, last_epoch


def check_parts(schedulers: list, states) -> None:
    """``states`` must be a list of one state_dict a schedule of ``schedulers``."""
    if not isinstance(states, (list, tuple)) or len(states) != len(schedulers):
        raise ValueError(
            f"load_state_dict: schedulers must be a list of {len(schedulers)} "
            f"state_dicts, got {states!r:.80}"
        )


def load_parts(schedulers: list, states, then: Callable[[], None] | None = None) -> None:
    """Load each schedule's state from ``states`` (see `check_parts`), then run ``then``;
    a refusal anywhere (a ValueError naming the schedule) puts back every schedule's state
    as it was before, so that nothing changes."""
    check_parts(schedulers, states)
    before = [sched.state_dict() for sched in schedulers]
    try:
        for i, (sched, state) in enumerate(zip(schedulers, states)):
            try:
                sched.load_state_dict(state)
            except ValueError as e:
                raise ValueError(f"load_state_dict: schedulers[{i}]: {e}") from None
        if then is not None:
            then()
    except ValueError:
        for sched, state in zip(schedulers, before):
            sched.load_state_dict(state)
        raise


def _checked_schedulers(optimizer: Optimizer, schedulers) -> list[LRScheduler]:
    if not isinstance(schedulers, (list, tuple)) or not schedulers:
        raise ValueError(
            f"SequentialLR: schedulers must be a non-empty list of schedules, got {schedulers!r}"
        )
    for i, sched in enumerate(schedulers):
        if isinstance(sched, ReduceLROnPlateau):
            raise ValueError(
                f"SequentialLR: schedulers[{i}] is a ReduceLROnPlateau, which steps on a "
                "watched value (step(metric)) and has no rate for a given epoch"
            )
        if not isinstance(sched, LRScheduler):
            raise ValueError(
                f"SequentialLR: schedulers[{i}] must be a chainrule LRScheduler, got "
                f"{type(sched).__name__}"
            )
        if sched.optimizer is not optimizer:
            raise ValueError(
                f"SequentialLR: schedulers[{i}] ({type(sched).__name__}) was made for another "
                "optimizer; all must share the SequentialLR's"
            )
    for i, sched in enumerate(schedulers):
        if any(sched is other for other in schedulers[:i]):
            raise ValueError(
                f"SequentialLR: schedulers[{i}] is given twice; make one schedule per turn"
            )
    return list(schedulers)


def _milestones(milestones, schedules: int) -> list[int]:
    """One epoch count >= 1 per schedule after the first, increasing."""
    if not isinstance(milestones, (list, tuple)):
        raise ValueError(
            f"SequentialLR: milestones must be a list of epoch counts, got {milestones!r}"
        )
    if len(milestones) != schedules - 1:
        raise ValueError(
            f"SequentialLR: expected {schedules - 1} milestones (one fewer than the "
            f"{schedules} schedulers), got {len(milestones)}"
        )
    counts = [count("milestones", m, 1, "SequentialLR") for m in milestones]
    if any(b <= a for a, b in pairwise(counts)):
        raise ValueError(f"SequentialLR: milestones must be increasing, got {list(milestones)}")
    return counts
