"""`ModelCheckpoint`: save the model (with the optimizer and the run's position, so that a
run resumes from it) after every epoch or only when a watched value improves."""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np

from ._atomic_write import names_directory
from ._callback_calls import callback_states
from ._callbacks import Callback
from ._checkpoint import save
from ._generator import default_generator
from ._history import checkpoint_form
from ._monitoring import (
    better,
    check_keys,
    check_validated,
    direction,
    missing_hint,
    monitored,
    optional_number,
)


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
        self.is_better = better(direction("ModelCheckpoint", monitor, mode, save_best_only), 0.0)
        self.extra_state = extra_state
        self.best = None
        self._decided = None  # (the logs, whether they are saved) from before_saving

    def on_train_begin(self, state) -> None:
        """With ``save_best_only``, refuse to watch a ``val_`` value of a run that does not
        validate (before it trains, not after its first epoch)."""
        if self.best_only:
            check_validated("ModelCheckpoint", self.monitor, state)

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
                f"which save_best_only needs{missing_hint(self.monitor, logs)}"
            )
        value = monitored(logs, self.monitor)
        if np.isnan(value) or (self.best is not None and not self.is_better(value, self.best)):
            return False
        self.best = value
        return True

    def state_dict(self) -> dict:
        """``{"best": float | None}``: the best monitored value so far."""
        return {"best": self.best}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a `state_dict` (a resumed ``fit`` does this from the checkpoint)."""
        check_keys(state_dict, ("best",))
        self.best = optional_number(state_dict, "best")


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
