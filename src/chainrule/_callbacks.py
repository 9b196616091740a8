"""Callbacks for `chainrule.fit`: the base class, early stopping, checkpointing, and the
checks they share (the learning-rate callbacks are in ``_lr_callbacks.py``). What a
callback is and how it stops training: `chainrule.callbacks`, which exports them all."""

from __future__ import annotations

import difflib
import re
import string
from numbers import Real
from pathlib import Path

import numpy as np

from ._arguments import count
from ._callback_calls import callback_states
from ._checkpoint import names_directory, save
from ._generator import default_generator
from ._history import checkpoint_form


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


def _better(mode: str, min_delta: float):
    if mode == "min":
        return lambda new, best: new < best - min_delta
    return lambda new, best: new > best + min_delta


_HIGHER_IS_BETTER = {"acc", "accuracy", "auc", "f1", "precision", "recall"}
_LOWER_IS_BETTER = {"loss", "error", "mse", "mae"}


def _mode(owner: str, monitor: str, mode: str, needed: bool = True) -> str:
    """The direction, "min" or "max", in which ``monitor`` improves. "auto" reads the words
    of the name (``val_soft_f1_loss``: loss, error, mse, mae are minimised first; then acc,
    accuracy, auc, f1, precision, recall maximised); another name is an error, when the
    direction is ``needed``, rather than a silent guess (Keras 3 refuses one too)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    words = set(re.split(r"[^a-z0-9]+", str(monitor).lower()))
    if words & _LOWER_IS_BETTER:
        return "min"
    if words & _HIGHER_IS_BETTER:
        return "max"
    if not needed:
        return "min"  # never used: the callback does not compare values
    raise ValueError(
        f"{owner}: cannot tell whether {monitor!r} should go up or down; pass mode='min' "
        "or mode='max'"
    )


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
        self.mode = _mode("EarlyStopping", monitor, mode)
        self.is_better = _better(self.mode, abs(_finite("min_delta", min_delta)))
        self.baseline = None if baseline is None else _finite("baseline", baseline)
        self.restore = restore_best_weights
        self.best, self.wait, self.best_weights, self.stopped_epoch = None, 0, None, None

    def on_train_begin(self, state) -> None:
        """Start afresh (a resumed ``fit`` then gives back the saved state); refuse to
        watch a ``val_`` value of a run that does not validate."""
        _check_validated("EarlyStopping", self.monitor, state)
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
        _check_keys(state_dict, ("best", "wait", "best_weights", "stopped_epoch"))
        best = _optional_number(state_dict, "best")
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
                f"{_missing_hint(self.monitor, logs)}"
            )
        if state.epoch < self.start_from_epoch:  # the warm-up: not watched
            return
        value = _monitored(logs, self.monitor)
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


class ModelCheckpoint(Callback):
    """Save a checkpoint (`chainrule.save`) at the end of each epoch.

    ``path`` may contain ``{epoch}`` (1 for the first) and any logged value, Keras-style
    (``"ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"``); with ``save_best_only`` it is
    written only when ``monitor`` improves, in the direction ``mode`` gives ("min", "max",
    or "auto" read from the name, as `EarlyStopping`'s); missing folders on the path are
    made. The checkpoint's training state records ``epoch`` (the number of epochs done),
    ``step``, and what an exact continuation needs: ``position`` (the resume point: epoch, batch,
    step, the data loader's state and the epoch's running totals), ``history`` and ``rng``
    (the library generator's state, which dropout draws from). The history's columns of
    floats are float64 arrays (its epochs an int64 array): one tensor each in the file,
    so that a checkpoint of a long run is not slower to write than a short one's
    (``cr.History(**state["history"])`` gives the lists back). To continue as if the run
    had not stopped, rebuild the model, optimizer and data the same way, then::

        state = cr.load(path, model, optimizer)
        cr.fit(model, loss_fn, optimizer, data, epochs, resume_from=state)

    The checkpoint also holds the state of ``fit``'s callbacks that have ``state_dict``
    and ``load_state_dict`` (`EarlyStopping`'s best value, patience count and best weights;
    this callback's best value), which a resumed ``fit`` gives back to the same callbacks.
    ``fit`` calls its ``on_epoch_end`` after every other callback's, wherever it is in the
    list (``saves_training``), so that the checkpoint holds their end-of-epoch work: a
    `LearningRateScheduler`'s step and logged ``lr``, `EarlyStopping`'s count. Before any
    checkpoint of an epoch is written, each one takes that epoch's best (`before_saving`),
    so that Keras's usual pair, one checkpoint of the last epoch and one ``save_best_only``,
    hold each other's state of the same epoch in either order. A callback
    that needs the file of an epoch finds it in the next ``on_epoch_begin`` or in
    ``on_train_end``. ``extra_state`` (a callable given the `TrainState`, returning a dict)
    adds training state of your own under names the checkpoint does not use itself.

    Unlike Keras's: it saves once an epoch (no ``save_freq`` in batches) and always the
    whole checkpoint (no ``save_weights_only``); with ``save_best_only`` a ``monitor``
    missing from the logs is a `KeyError` rather than a warning (a ``val_`` one in a fit
    given no validation data is refused as training begins), and a NaN value is never
    saved as the best (as Keras). There is no ``verbose`` or ``initial_value_threshold``.
    """

    saves_training = True

    #: the names `save` and the training state use themselves, which ``extra_state`` cannot
    RESERVED = frozenset(
        {"path", "model", "optimizer", "epoch", "step", "position", "history", "rng", "callbacks"}
    )

    def __init__(
        self, path, monitor="val_loss", save_best_only=False, mode="auto", extra_state=None
    ):
        self.path, self.monitor, self.best_only = _checked_path(str(path)), monitor, save_best_only
        self.is_better = _better(_mode("ModelCheckpoint", monitor, mode, save_best_only), 0.0)
        self.extra_state = extra_state
        self.best = None
        self._decided = None  # (the logs, whether they are saved) from before_saving

    def on_train_begin(self, state) -> None:
        """With ``save_best_only``, refuse to watch a ``val_`` value of a run that does not
        validate (before it trains, not after its first epoch)."""
        if self.best_only:
            _check_validated("ModelCheckpoint", self.monitor, state)

    def before_saving(self, state, logs: dict) -> None:
        """Decide whether this epoch is saved, taking its value as the best if it improved:
        `fit` calls this on every saving callback before any of them saves, so that another
        checkpoint of this epoch holds this one's best as of this epoch."""
        self._decided = (logs, self._improved(logs))

    def on_epoch_end(self, state, logs: dict) -> None:
        """Save the checkpoint (to the path filled in with this epoch's logs), or with
        ``save_best_only`` only when ``logs[monitor]`` improved on the best so far."""
        decided, self._decided = self._decided, None
        due = decided[1] if decided is not None and decided[0] is logs else self._improved(logs)
        if not due:
            return
        extra = self.extra_state(state) if self.extra_state else {}
        clash = sorted(self.RESERVED.intersection(extra))
        if clash:
            raise ValueError(
                f"ModelCheckpoint: extra_state returned {', '.join(clash)}, which the "
                "checkpoint's training state uses itself; choose other names"
            )
        try:
            path = Path(self.path.format(**{**logs, "epoch": state.epoch + 1}))
        except KeyError as e:
            raise KeyError(
                f"ModelCheckpoint: the path {self.path!r} names {e}, which is not among the "
                f"logs {sorted(logs)}"
            ) from None
        except (ValueError, TypeError) as e:  # a format spec that does not fit the value
            raise ValueError(
                f"ModelCheckpoint: cannot fill in the path {self.path!r}: {e}"
            ) from None
        path.parent.mkdir(parents=True, exist_ok=True)  # as Keras and Lightning do
        save(
            path,
            state.model,
            state.optimizer,
            epoch=state.epoch + 1,
            step=state.step,
            position=state.resume_point(),
            history=checkpoint_form(state.history),
            rng=default_generator().bit_generator.state,
            callbacks=callback_states(state.callbacks),
            **extra,
        )

    def _improved(self, logs: dict) -> bool:
        """Whether the epoch of ``logs`` is saved; with ``save_best_only``, whether its value
        improved on the best, which it then becomes."""
        if not self.best_only:
            return True
        if self.monitor not in logs:
            raise KeyError(
                f"ModelCheckpoint: {self.monitor!r} is not among the logs {sorted(logs)}, "
                f"which save_best_only needs{_missing_hint(self.monitor, logs)}"
            )
        value = _monitored(logs, self.monitor)
        if np.isnan(value) or (self.best is not None and not self.is_better(value, self.best)):
            return False
        self.best = value
        return True

    def state_dict(self) -> dict:
        """``{"best": float | None}``: the best monitored value so far."""
        return {"best": self.best}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a `state_dict` (a resumed ``fit`` does this from the checkpoint)."""
        _check_keys(state_dict, ("best",))
        self.best = _optional_number(state_dict, "best")


class _NotValidatedError(ValueError, KeyError):
    """A ``val_`` value to watch in a run given no validation data: a ValueError, as
    training begins; a KeyError too, as the monitor missing from the logs was (and is,
    mid-run), so that code catching that goes on working (NumPy's AxisError is both a
    ValueError and an IndexError for the same reason)."""

    def __str__(self) -> str:  # the message as written (a KeyError's str() quotes it)
        return str(self.args[0])


def _check_validated(owner: str, monitor, state) -> None:
    """A `_NotValidatedError`, as training begins, for a ``val_`` value to watch in a run
    given no validation data: its logs will never hold it (a state that does not tell,
    as one of a test's own, is let be)."""
    if str(monitor).startswith("val_") and getattr(state, "validates", True) is False:
        raise _NotValidatedError(
            f"{owner}: {monitor!r} is not among the logs of a run without validation "
            f"data{_missing_hint(monitor)}"
        )


def _missing_hint(monitor, logs=None) -> str:
    """How to get a ``val_`` value into the logs, or watch the training one instead; for
    ``logs`` that hold validation values (the run validates), or a training name, the
    closest name among them instead (a mistyped name)."""
    if logs is not None and (not str(monitor).startswith("val_") or _validated(logs)):
        close = difflib.get_close_matches(str(monitor), [str(k) for k in logs], n=1)
        return f": did you mean {close[0]!r}?" if close else ""
    if not str(monitor).startswith("val_"):
        return ""
    return (
        f": pass val_data=(X_val, y_val) (or validation_split=0.2) to fit, or "
        f"monitor={str(monitor)[len('val_') :]!r}"
    )


def _validated(logs: dict) -> bool:
    """Whether an epoch's logs hold validation values (``val_loss``, ...)."""
    return any(str(k).startswith("val_") for k in logs)


def _finite(name: str, value, owner: str = "EarlyStopping") -> float:
    if isinstance(value, bool) or not isinstance(value, (Real, np.ndarray)):
        raise ValueError(f"{owner}: {name} must be a number, got {value!r}")
    if np.ndim(value) != 0 or not np.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number, got {value!r}")
    return float(value)


def _monitored(logs: dict, monitor: str) -> float:
    """``logs[monitor]`` as a Python float, as the history keeps it: a value a callback
    logged as a NumPy scalar or 0-d array is kept, and saved in a checkpoint, as a number."""
    return float(logs[monitor])


def _check_keys(state_dict, keys: tuple[str, ...]) -> None:
    if not isinstance(state_dict, dict) or set(state_dict) != set(keys):
        got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
        raise ValueError(f"expected a dict with the keys {', '.join(keys)}, got {got}")


def _optional_number(state_dict: dict, key: str) -> float | None:
    value = state_dict[key]
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(f"{key} must be a number or None, got {value!r}")
    return value


def _checked_path(path: str) -> str:
    """A checkpoint path whose fields are names (``{epoch}``, ``{val_loss:.3f}``; ``{{``
    for a brace), checked when the callback is made rather than after an epoch."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(path) if name is not None]
    except ValueError as e:
        raise ValueError(
            f"ModelCheckpoint: the path {path!r} is not a valid pattern: {e}"
        ) from None
    if names_directory(path):
        raise ValueError(
            f"ModelCheckpoint: the path {path!r} names a directory; give a file in it, such "
            "as 'checkpoints/epoch-{epoch}.safetensors'"
        )
    for name in fields:
        if not name.isidentifier():
            raise ValueError(
                f"ModelCheckpoint: the path {path!r} has a field {{{name}}}; fields are names "
                "such as {epoch} or {val_loss:.3f} (write {{ and }} for literal braces)"
            )
    return path
