"""`ReduceLROnPlateau`: a schedule that follows a watched value rather than the epoch count.

Unlike the schedules of ``_common_schedulers.py`` it has no closed form: the rate after e epochs
depends on the values seen, so it is not an `LRScheduler`. It multiplies each group's
current rate (a rate set by hand is reduced from), and resumes exactly from its
`state_dict` together with the optimizer's, which holds the rates.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from .._arguments import count
from ._hyper import _non_negative, _number
from ._optimizer import Optimizer
from ._schedulers import configure

#: what `state_dict` holds besides the settings: where the schedule is
_PROGRESS = ("last_epoch", "best", "num_bad_epochs", "cooldown_counter", "last_lr")
_SETTINGS = (
    "mode",
    "factor",
    "patience",
    "threshold",
    "threshold_mode",
    "cooldown",
    "min_lrs",
    "eps",
)


class ReduceLROnPlateau:
    r"""Reduce each group's learning rate by ``factor`` when ``step(metric)`` stops improving.

    Call ``step(metric)`` once per epoch with the value watched (a validation loss, say).
    With b the best value so far (+∞ for ``mode="min"``, −∞ for ``"max"``, before the first
    improvement), a value m improves when

        min, rel:  m < b · (1 − threshold)        max, rel:  m > b · (1 + threshold)
        min, abs:  m < b − threshold              max, abs:  m > b + threshold

    n counts the epochs since the last improvement, but not the ``cooldown`` epochs after a
    reduction. When n > ``patience``, each group's rate becomes

        η ← max(η · factor, η_min)      (left as it is when that changes it by ``eps`` or less)

    and n restarts from 0. ``min_lr`` is η_min for every group, or a list of one per group.
    A group added to the optimizer later gets ``min_lr`` when that is one number (kept as
    ``default_min_lr``; None for a list); with a list, the step that would reduce is a
    ValueError until ``min_lrs`` holds one per group, as PyTorch's (a RuntimeError there).
    A NaN value is never an improvement: it counts as an epoch without one (as PyTorch).

    As PyTorch's, whose arguments it takes. Unlike PyTorch's: the settings are checked
    (``0 < factor < 1``, counts >= 0, ``threshold < 1`` in "rel" mode; an error names the
    argument), as is the metric (a number, not a string); ``best`` is None rather than ±inf
    before the first improvement (no infinity in the state_dict unless a metric was one);
    there is no ``verbose``.
    In `chainrule.fit`, use `chainrule.callbacks.ReduceLROnPlateau` (Keras's), which
    watches a logged value.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"expected a chainrule optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        min_lrs = min_lr if isinstance(min_lr, (list, tuple)) else [min_lr] * self._groups()
        configure(
            self,
            mode=mode,
            factor=factor,
            patience=patience,
            threshold=threshold,
            threshold_mode=threshold_mode,
            cooldown=cooldown,
            min_lrs=min_lrs,
            eps=eps,
        )
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else self.min_lrs[0]
        self.last_epoch, self.best, self.num_bad_epochs, self.cooldown_counter = 0, None, 0, 0
        self._last_lr = [float(group["lr"]) for group in optimizer.param_groups]

    def step(self, metric: float) -> None:
        """Take one epoch's value of the watched quantity; reduce the rates after more than
        ``patience`` epochs without improvement (cooldown epochs not counted). A step that
        cannot reduce (groups added since, ``min_lr`` a list) changes nothing."""
        value = _metric(metric, "ReduceLROnPlateau.step")
        self._match_groups()
        best, bad = (value, 0) if self._improves(value) else (self.best, self.num_bad_epochs + 1)
        cooldown = self.cooldown_counter
        if cooldown > 0:  # the epochs just after a reduction do not count
            cooldown, bad = cooldown - 1, 0
        if bad > self.patience:
            self._reduce()
            cooldown, bad = self.cooldown, 0
        self.last_epoch += 1
        self.best, self.num_bad_epochs, self.cooldown_counter = best, bad, cooldown
        self._last_lr = [float(group["lr"]) for group in self.optimizer.param_groups]

    def _improves(self, value: float) -> bool:
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            best = math.inf if self.best is None else self.best
            return value < (best * (1 - self.threshold) if rel else best - self.threshold)
        best = -math.inf if self.best is None else self.best
        return value > (best * (1 + self.threshold) if rel else best + self.threshold)

    def _reduce(self) -> None:
        self._check_groups()
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new

    def get_last_lr(self) -> list[float]:
        """Each group's learning rate after the last ``step()`` (as the schedule was made,
        before the first)."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """The settings and where the schedule is (``last_epoch``, ``best``,
        ``num_bad_epochs``, ``cooldown_counter``, ``last_lr``): numbers, text and lists, as
        `chainrule.save` keeps them (a ``best`` of ±inf, after such a metric, is a float
        that strict JSON has no word for). The rates are in the optimizer's state_dict;
        ``default_min_lr`` is not saved: make the schedule with the same ``min_lr``."""
        state = {name: getattr(self, name) for name in _SETTINGS}
        state.update(
            last_epoch=self.last_epoch,
            best=self.best,
            num_bad_epochs=self.num_bad_epochs,
            cooldown_counter=self.cooldown_counter,
            last_lr=list(self._last_lr),
            min_lrs=list(self.min_lrs),
        )
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a `state_dict`: everything is checked before anything changes (the
        optimizer's rates are not touched: load its own state_dict for those)."""
        expected = {*_SETTINGS, *_PROGRESS}
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            raise ValueError(f"load_state_dict: expected a dict with the keys {sorted(expected)}")
        last_lr = _rates("last_lr", state_dict["last_lr"], self._groups())
        progress = {
            "last_epoch": count("last_epoch", state_dict["last_epoch"], 0),
            "best": _best(state_dict["best"]),
            "num_bad_epochs": count("num_bad_epochs", state_dict["num_bad_epochs"], 0),
            "cooldown_counter": count("cooldown_counter", state_dict["cooldown_counter"], 0),
        }
        self._set(**{name: state_dict[name] for name in _SETTINGS})  # checks, then assigns
        for name, value in progress.items():
            setattr(self, name, value)
        self._last_lr = last_lr

    def _set(
        self, mode, factor, patience, threshold, threshold_mode, cooldown, min_lrs, eps
    ) -> None:
        """Validate all settings, then assign them (all or nothing)."""
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        factor, threshold = _number("factor", factor), _non_negative("threshold", threshold)
        if not 0 < factor < 1:
            raise ValueError(f"factor must be > 0 and < 1, got {factor!r}")
        if threshold_mode == "rel" and threshold >= 1:  # b · (1 − threshold) would be <= 0
            raise ValueError(f"threshold must be < 1 with threshold_mode='rel', got {threshold!r}")
        checked = {
            "mode": mode,
            "factor": factor,
            "patience": count("patience", patience, 0),
            "threshold": threshold,
            "threshold_mode": threshold_mode,
            "cooldown": count("cooldown", cooldown, 0),
            "min_lrs": _rates("min_lr", min_lrs, self._groups()),
            "eps": _non_negative("eps", eps),
        }
        for name, value in checked.items():
            setattr(self, name, value)

    def _groups(self) -> int:
        return len(self.optimizer.param_groups)

    def _match_groups(self) -> None:
        """One η_min per group when ``min_lr`` was one number: with groups added to the
        optimizer since, every group's becomes ``min_lr`` (as PyTorch)."""
        if self.default_min_lr is not None and self._groups() != len(self.min_lrs):
            self.min_lrs = [self.default_min_lr] * self._groups()

    def _check_groups(self) -> None:
        """An error before a reduction when ``min_lr`` was a list and the optimizer's
        groups have changed since (PyTorch's RuntimeError, at the same step)."""
        if self._groups() != len(self.min_lrs):
            raise ValueError(
                f"ReduceLROnPlateau: the optimizer has {self._groups()} parameter groups, "
                f"min_lrs has {len(self.min_lrs)} (a group added since the schedule was "
                "made?): set the schedule's min_lrs to a list of one per group"
            )


def _metric(value, who: str) -> float:
    """The watched value as a float: a number, a NumPy scalar, or an array or Tensor of one
    element (a string or a bool is refused rather than read)."""
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise ValueError(f"{who}: metric must be a number, got {value!r}")
    if isinstance(value, np.ndarray) and value.size == 1:  # float() takes only 0-d ones
        value = value.reshape(())
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{who}: metric must be a number, got {value!r}") from None


def _rates(name: str, values, groups: int) -> list[float]:
    """One rate >= 0 per parameter group."""
    if not isinstance(values, (list, tuple)):
        raise ValueError(f"{name} must be a number or a list of one per group, got {values!r}")
    if len(values) != groups:
        raise ValueError(f"{name}: {len(values)} values for {groups} parameter groups")
    return [_non_negative(name, v) for v in values]


def _best(value) -> float | None:
    """The best value so far: None (no improvement yet) or a number that is not NaN (an
    infinite one is possible: a metric of -inf is the best a "min" schedule can see)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
        raise ValueError(f"best must be a number or None, got {value!r}")
    return float(value)
