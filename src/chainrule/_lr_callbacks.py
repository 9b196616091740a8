"""The callbacks that set the learning rate while `chainrule.fit` trains: a schedule
(`LearningRateScheduler`) and Keras's `ReduceLROnPlateau`. Re-exported by
`chainrule.callbacks`, beside those of ``_callbacks.py``, with the checks of
``_monitoring.py``."""

from __future__ import annotations

import inspect

import numpy as np

from . import optim
from ._arguments import count
from ._callbacks import Callback
from ._monitoring import (
    better,
    check_keys,
    check_validated,
    direction,
    finite_number,
    missing_hint,
    monitored,
    optional_number,
)
from .optim import LRScheduler
from .optim._hyper import RULES


class LearningRateScheduler(Callback):
    """Set the learning rate every epoch, and log ``lr``: the rate the epoch trained with
    (Keras's ``learning_rate``).

    ``scheduler`` is an `optim` schedule (`StepLR`, `CosineAnnealingLR`, …), whose
    ``step()`` is called at the end of every epoch, or, as in Keras, a function
    ``schedule(epoch, lr) -> new lr`` (or ``schedule(epoch)``) called at the start of
    every epoch (``epoch`` counts from 0) with each parameter group's rate. There is no
    ``verbose``: the rates are in the history.

    ``interval="batch"`` steps an `optim` schedule after every batch instead (Lightning's
    ``interval="step"``), as `OneCycleLR` is meant to be stepped: give it
    ``total_steps=epochs * len(loader)``. ``lr`` is then the rate the epoch's last batch
    trained with. A resumed run moves the schedule on by the batches done (the checkpoint's
    step count, or ``initial_epoch`` times the batches an epoch).
    """

    def __init__(self, scheduler, interval: str = "epoch"):
        if not (callable(getattr(scheduler, "step", None)) or callable(scheduler)):
            raise TypeError(
                "LearningRateScheduler: expected an optim schedule (with step()) or a "
                f"function schedule(epoch, lr) -> lr, got {type(scheduler).__name__}"
            )
        if isinstance(scheduler, optim.ReduceLROnPlateau):
            raise TypeError(
                "LearningRateScheduler: optim.ReduceLROnPlateau steps on a watched value, "
                "step(metric), which this callback does not have; in fit use "
                "cr.callbacks.ReduceLROnPlateau(monitor='val_loss', ...)"
            )
        self.scheduler = scheduler
        self._function = not callable(getattr(scheduler, "step", None))
        self._takes_lr = self._function and _positional(scheduler) != 1
        self._per_batch = _per_batch(interval, self._function)
        self._batch_lr = None  # per batch: the rate the last batch trained with

    def on_train_begin(self, state) -> None:
        """A resumed run (``initial_epoch``, ``resume_from``) continues its schedule: a
        schedule that has counted fewer epochs than are done is moved on to that count, and
        the optimizer gets the schedule's rate for the next epoch (whatever rate a
        checkpoint saved before the schedule stepped), and its momentum with `OneCycleLR`."""
        done = _batches_done(state) if self._per_batch else state.epochs_done
        if isinstance(self.scheduler, LRScheduler) and done:
            self.scheduler.last_epoch = max(self.scheduler.last_epoch, done)
            self.scheduler._set_rates()

    def on_epoch_begin(self, state) -> None:
        """With a function: each group's rate for this epoch, ``schedule(epoch, lr)`` (not
        again for an epoch resumed in its middle: the checkpoint holds the rate it set)."""
        if not self._function or state.epoch_resumed:
            return
        for group in state.optimizer.param_groups:
            args = (state.epoch, group["lr"]) if self._takes_lr else (state.epoch,)
            group["lr"] = _rate(self.scheduler(*args), state.epoch)

    def on_batch_end(self, state) -> None:
        """With ``interval="batch"``: keep the rate the batch trained with, then step."""
        if self._per_batch:
            self._batch_lr = state.optimizer.param_groups[0]["lr"]
            self.scheduler.step()

    def on_epoch_end(self, state, logs: dict) -> None:
        """Log the rate this epoch trained with as ``lr`` (per batch, its last batch's),
        then step an `optim` schedule stepped per epoch."""
        if self._per_batch and self._batch_lr is not None:
            logs["lr"] = self._batch_lr
            return
        logs["lr"] = state.optimizer.param_groups[0]["lr"]  # what this epoch trained with
        if not self._function and not self._per_batch:
            self.scheduler.step()


def _per_batch(interval, function: bool) -> bool:
    """Whether ``interval`` asks for a step after every batch ("batch") or epoch."""
    if interval not in ("epoch", "batch"):
        raise ValueError(
            f"LearningRateScheduler: interval must be 'epoch' or 'batch', got {interval!r}"
        )
    if interval == "batch" and function:
        raise ValueError(
            "LearningRateScheduler: interval='batch' steps an optim schedule; a function "
            "schedule(epoch, lr) is called once an epoch"
        )
    return interval == "batch"


def _batches_done(state) -> int:
    """The batches trained before this fit began: the checkpoint's step count, or, after
    ``initial_epoch`` alone, the epochs done times the batches an epoch."""
    if state.step or not state.epochs_done:
        return state.step
    try:
        return state.epochs_done * len(state.loader)
    except TypeError:
        raise ValueError(
            "LearningRateScheduler(interval='batch'): initial_epoch without a checkpoint "
            "needs a loader with a length, to count the batches done"
        ) from None


def _rate(value, epoch: int) -> float:
    """What a schedule function returned, checked by the optimizers' own rule for ``lr``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    try:
        return RULES["lr"]("lr", value)
    except ValueError as e:
        raise ValueError(
            f"LearningRateScheduler: the schedule returned {value!r} for epoch {epoch}: {e}"
        ) from None


def _positional(fn) -> int | None:
    """How many positional arguments ``fn`` takes (None when it cannot be told, or any)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return None
    return sum(p.kind in kinds for p in params)


class ReduceLROnPlateau(Callback):
    """Reduce the learning rate when ``monitor`` has stopped improving, as Keras's; log
    ``lr``, the rate each epoch trained with (as `LearningRateScheduler`).

    At the end of each epoch, with b the best value so far (none at first): the value
    improves when it is below b − ``min_delta`` (``mode="min"``) or above b + ``min_delta``
    (``"max"``; ``"auto"`` reads the name, as `EarlyStopping`'s; the sign of ``min_delta``
    is ignored). Then, as Keras does, in this order:

    - in a cooldown (c > 0 epochs left of it): c ← c − 1 and the count n ← 0;
    - an improvement: b ← the value, n ← 0;
    - otherwise, unless still in the cooldown (c > 0): n ← n + 1, and when n >= ``patience``
      each group's rate above ``min_lr`` becomes max(η · ``factor``, ``min_lr``); if one
      changed, n ← 0 and c ← ``cooldown``.

    So the rate falls after ``patience`` epochs without improvement (``patience=0`` acts as
    1), and ``cooldown=k`` leaves the k − 1 epochs after a reduction uncounted, as Keras
    does; PyTorch's rule (`optim.ReduceLROnPlateau`) waits for more than ``patience`` and
    leaves k. A resumed ``fit`` gives back the count, best value and cooldown from the
    checkpoint (the rates are in the optimizer's state).

    Unlike Keras's: the rate is logged as ``lr`` (Keras 2's name; Keras 3's is
    ``learning_rate``), that of the first parameter group; every group is reduced, in
    float64; NaN is never an improvement (Keras 3 takes a NaN first value as the best); a
    ``monitor`` missing from the logs is a `KeyError` rather than a warning (a ``val_`` one
    in a fit given no validation data is refused as training begins); there is no
    ``verbose``: the rates are in the history.
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
    ):
        owner = "ReduceLROnPlateau"
        self.monitor = monitor
        self.factor = finite_number("factor", factor, owner)
        if not 0 < self.factor < 1:
            raise ValueError(f"{owner}: factor must be > 0 and < 1, got {factor!r}")
        self.patience = count("patience", patience, 0, owner)
        self.mode = direction(owner, monitor, mode)
        self.min_delta = abs(finite_number("min_delta", min_delta, owner))
        self.is_better = better(self.mode, self.min_delta)
        self.cooldown = count("cooldown", cooldown, 0, owner)
        self.min_lr = finite_number("min_lr", min_lr, owner)
        if self.min_lr < 0:
            raise ValueError(f"{owner}: min_lr must be >= 0, got {min_lr!r}")
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def on_train_begin(self, state) -> None:
        """Start afresh (a resumed ``fit`` then gives back the saved state); refuse to
        watch a ``val_`` value of a run that does not validate."""
        check_validated("ReduceLROnPlateau", self.monitor, state)
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def on_epoch_end(self, state, logs: dict) -> None:
        """Log ``lr``, then count an epoch without improvement of ``logs[monitor]`` and
        reduce the rates after ``patience`` of them (see the class)."""
        logs["lr"] = state.optimizer.param_groups[0]["lr"]  # what this epoch trained with
        if self.monitor not in logs:
            raise KeyError(
                f"ReduceLROnPlateau: {self.monitor!r} is not among the logs {sorted(logs)}"
                f"{missing_hint(self.monitor, logs)}"
            )
        value = monitored(logs, self.monitor)
        if self.cooldown_counter > 0:
            self.cooldown_counter, self.wait = self.cooldown_counter - 1, 0
        if not np.isnan(value) and (self.best is None or self.is_better(value, self.best)):
            self.best, self.wait = value, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience and self._reduce(state.optimizer):
                self.cooldown_counter, self.wait = self.cooldown, 0

    def _reduce(self, optimizer) -> bool:
        """Multiply each group's rate above ``min_lr`` by ``factor`` (not below ``min_lr``);
        whether any changed."""
        reduced = False
        for group in optimizer.param_groups:
            if group["lr"] > self.min_lr:
                group["lr"] = max(group["lr"] * self.factor, self.min_lr)
                reduced = True
        return reduced

    def state_dict(self) -> dict:
        """``{"best": float | None, "wait": int, "cooldown_counter": int}``."""
        return {"best": self.best, "wait": self.wait, "cooldown_counter": self.cooldown_counter}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a `state_dict` (a resumed ``fit`` does this from the checkpoint); all of
        it is checked before any of it is used."""
        check_keys(state_dict, ("best", "wait", "cooldown_counter"))
        best = optional_number(state_dict, "best")
        if best is not None and np.isnan(best):
            raise ValueError("best must be a number or None, got nan")
        wait = count("wait", state_dict["wait"], 0, "ReduceLROnPlateau")
        counter = count("cooldown_counter", state_dict["cooldown_counter"], 0, "ReduceLROnPlateau")
        self.best, self.wait, self.cooldown_counter = best, wait, counter
