"""Callbacks for `chainrule.fit`: the base class and early stopping (checkpointing is in
``_model_checkpoint.py``, the learning-rate callbacks in ``_lr_callbacks.py``, the checks
they share in ``_monitoring.py``). What a callback is and how it stops training:
`chainrule.callbacks`, which exports them all."""

from __future__ import annotations

import numpy as np

from ._arguments import count
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


class Callback:
    """Base class with no-op hooks; override the ones you need."""

    def on_train_begin(self, state) -> None:
        """Called once, before the first epoch (of this `fit` call)."""

    def on_epoch_begin(self, state) -> None:
        """Called at the start of each epoch (also of an epoch resumed in its middle)."""

    def on_batch_end(self, state) -> None:
        """Called after each optimizer step; ``state.step`` counts them."""

    def on_epoch_end(self, state, logs: dict) -> None:
        """Called after each epoch's validation, its row already in the history;
        keys added to ``logs`` are added to that row."""

    def on_train_end(self, state) -> None:
        """Called once after the last epoch, or after a callback stopped training."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    As Keras's: ``mode`` "min", "max" or "auto" (read from the words of the name: loss,
    error, mse, mae are minimised, then acc, accuracy, auc, f1, precision, recall
    maximised; another name needs "min" or "max");
    ``min_delta`` is a size (its sign is ignored); with ``patience=0`` the first epoch that
    does not improve stops training. With ``baseline`` an epoch counts towards
    ``patience`` unless it improves on the baseline too, so training stops after
    ``patience`` epochs that do not reach it. The first ``start_from_epoch`` epochs (a
    warm-up) are not watched: they are never the best and never counted. With
    ``restore_best_weights=True`` the model ends with the weights of its best epoch,
    whether or not training stopped early (as Keras 3); when no epoch had a number to
    compare (all NaN, or all in the warm-up) it keeps its last weights. A run resumed
    from the checkpoint of the epoch where it stopped training trains no further, as the
    uninterrupted run (to train on, drop its entry from the checkpoint's ``callbacks``).

    Unlike Keras: ``patience`` defaults to 5 (Keras: 0); a ``monitor`` missing from an
    epoch's logs is a `KeyError` rather than a warning, and NaN is never an improvement. A
    ``val_`` monitor in a fit given no validation data is refused as training begins (a
    ValueError, which is also a KeyError).
    """

    def __init__(
        self,
        monitor="val_loss",
        patience=5,
        min_delta=0.0,
        mode="auto",
        restore_best_weights=False,
        baseline=None,
        start_from_epoch=0,
    ):
        self.monitor = monitor
        self.patience = count("patience", patience, 0, "EarlyStopping")
        self.start_from_epoch = count("start_from_epoch", start_from_epoch, 0, "EarlyStopping")
        self.mode = direction("EarlyStopping", monitor, mode)
        self.is_better = better(self.mode, abs(finite_number("min_delta", min_delta)))
        self.baseline = None if baseline is None else finite_number("baseline", baseline)
        self.restore = restore_best_weights
        self.best, self.wait, self.best_weights, self.stopped_epoch = None, 0, None, None

    def on_train_begin(self, state) -> None:
        """Start afresh (a resumed ``fit`` then gives back the saved state); refuse to
        watch a ``val_`` value of a run that does not validate."""
        check_validated("EarlyStopping", self.monitor, state)
        self.best, self.wait, self.best_weights, self.stopped_epoch = None, 0, None, None

    def state_dict(self) -> dict:
        """``{"best", "wait", "best_weights", "stopped_epoch"}``: where the callback is
        (``best_weights``: the model's state_dict at the best epoch, when restoring)."""
        return {
            "best": self.best,
            "wait": self.wait,
            "best_weights": self.best_weights,
            "stopped_epoch": self.stopped_epoch,
        }

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a `state_dict` (a resumed ``fit`` does this from the checkpoint)."""
        check_keys(state_dict, ("best", "wait", "best_weights", "stopped_epoch"))
        best = optional_number(state_dict, "best")
        wait, stopped = state_dict["wait"], state_dict["stopped_epoch"]
        weights = state_dict["best_weights"]
        if isinstance(wait, bool) or not isinstance(wait, int) or wait < 0:
            raise ValueError(f"wait must be an integer >= 0, got {wait!r}")
        if stopped is not None and (isinstance(stopped, bool) or not isinstance(stopped, int)):
            raise ValueError(f"stopped_epoch must be an integer or None, got {stopped!r}")
        if weights is not None and not (
            isinstance(weights, dict) and all(isinstance(v, np.ndarray) for v in weights.values())
        ):
            raise ValueError("best_weights must be a dict of arrays or None")
        self.best, self.wait, self.best_weights, self.stopped_epoch = best, wait, weights, stopped

    def on_epoch_begin(self, state) -> None:
        """Stop at once a run resumed from the checkpoint of the epoch where this callback
        stopped it (its state says so): the uninterrupted run ended there."""
        if self.stopped_epoch is not None:
            state.stop_training = True

    def on_epoch_end(self, state, logs: dict) -> None:
        """Keep a new best of ``logs[monitor]`` (and its weights); count an epoch that does
        not improve on the best, or on the ``baseline`` (NaN never improves); ask fit to
        stop after ``patience`` of them. Epochs before ``start_from_epoch`` are skipped."""
        if self.monitor not in logs:
            raise KeyError(
                f"EarlyStopping: {self.monitor!r} is not among the logs {sorted(logs)}"
                f"{missing_hint(self.monitor, logs)}"
            )
        if state.epoch < self.start_from_epoch:  # the warm-up: not watched
            return
        value = monitored(logs, self.monitor)
        if self._improves(value, self.best):
            self.best = value
            if self.restore:
                self.best_weights = state.model.state_dict()
            if self._improves(value, self.baseline):
                self.wait = 0
                return
        self.wait += 1
        if self.wait >= self.patience:
            state.stop_training, self.stopped_epoch = True, state.epoch

    def _improves(self, value: float, reference: float | None) -> bool:
        # nan is no improvement: as the best it would make every later value look worse
        return not np.isnan(value) and (reference is None or self.is_better(value, reference))

    def on_train_end(self, state) -> None:
        """Give the model its best epoch's weights back, with ``restore_best_weights``."""
        if self.restore and self.best_weights is not None:
            state.model.load_state_dict(self.best_weights)
