"""Keras's `LambdaCallback`: a callback made of plain functions, called with Keras's
arguments. Re-exported by `chainrule.callbacks`."""

from __future__ import annotations

from ._callback_calls import KERAS_ONLY
from ._callbacks import Callback


class LambdaCallback(Callback):
    """A callback made of functions, as Keras's; each is called with Keras's arguments,
    not with the `TrainState` the other callbacks get:

    - ``on_train_begin(logs)`` and ``on_train_end(logs)``: ``logs`` is ``{}`` at the
      beginning and the last epoch's row at the end (``{}`` when no epoch of this ``fit``
      call finished, even if it continues a history that has rows);
    - ``on_epoch_begin(epoch, logs)``: ``epoch`` counts from 0, ``logs`` is ``{}``;
    - ``on_epoch_end(epoch, logs)``: the epoch's logs (``loss``, ``accuracy``, the
      ``val_`` values); keys added to ``logs`` are added to the epoch's row in the
      `History`, as with any callback;
    - ``on_batch_end(batch, logs)`` (also accepted as ``on_train_batch_end``): ``batch``
      is the index of the batch just trained within its epoch, from 0, and ``logs`` holds
      the epoch's running ``loss`` (and ``accuracy``) so far, as Keras 3 gives them.

    The first four may be given by position, in Keras 3's order; ``on_batch_end`` is by
    name only (Keras 3's fifth is ``on_train_batch_begin``, tf.keras's third
    ``on_batch_begin``: a function written for either must not run at a batch's end).
    Keras's other hooks (``on_batch_begin``, the test and predict hooks) are a TypeError:
    ``fit`` has no such moment, and a function given for one would never run. To stop
    training or to reach the model, the optimizer or the step count, write a
    `Callback` subclass instead: its hooks get the `TrainState`.

    Example::

        print_loss = cr.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: print(epoch, round(logs["loss"], 4))
        )
        cr.fit(model, loss_fn, opt, (X, y), epochs=3, callbacks=[print_loss])

    It keeps no state a checkpoint needs (only the history's length when ``fit`` began),
    so a run resumed from a checkpoint calls the functions from the resumed epoch on.
    """

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        *,
        on_batch_end=None,
        **kwargs,
    ):
        if "on_train_batch_end" in kwargs:
            if on_batch_end is not None:
                raise TypeError(
                    "LambdaCallback: on_batch_end and on_train_batch_end name the same "
                    "hook; give one of them"
                )
            on_batch_end = kwargs.pop("on_train_batch_end")
        _refuse_unknown(kwargs)
        given = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_batch_end": on_batch_end,
        }
        for hook, fn in given.items():
            if fn is not None and not callable(fn):
                raise TypeError(
                    f"LambdaCallback: {hook} must be a function, got {type(fn).__name__}"
                )
        self.functions = {hook: fn for hook, fn in given.items() if fn is not None}
        self._rows_before = 0  # the history's rows when this run began (set at its beginning)

    def _run(self, hook: str, *args) -> None:
        fn = self.functions.get(hook)
        if fn is not None:
            fn(*args)

    def on_train_begin(self, state) -> None:
        """Call ``on_train_begin({})``."""
        self._rows_before = len(state.history.epoch)  # an earlier run's rows are not ours
        self._run("on_train_begin", {})

    def on_epoch_begin(self, state) -> None:
        """Call ``on_epoch_begin(epoch, {})``."""
        self._run("on_epoch_begin", state.epoch, {})

    def on_batch_end(self, state) -> None:
        """Call ``on_batch_end(batch, logs)`` with the epoch's running logs."""
        if "on_batch_end" in self.functions:
            self._run("on_batch_end", state.batch - 1, state.meter.logs())

    def on_epoch_end(self, state, logs: dict) -> None:
        """Call ``on_epoch_end(epoch, logs)`` with the epoch's logs themselves."""
        self._run("on_epoch_end", state.epoch, logs)

    def on_train_end(self, state) -> None:
        """Call ``on_train_end(logs)`` with the last epoch's row ({} when this run
        finished none: a history it continues holds an earlier run's rows)."""
        if "on_train_end" in self.functions:
            n = len(state.history.epoch)
            rows = state.history.history.items() if n > self._rows_before else ()
            self._run("on_train_end", {k: v[-1] for k, v in rows if len(v) == n})


def _refuse_unknown(kwargs: dict) -> None:
    """A Keras hook fit never calls, or a name that is no hook, is a TypeError."""
    for name in kwargs:
        if name in KERAS_ONLY:  # on_train_batch_end, accepted, is taken out before
            hint = "; use on_batch_end" if name.endswith("batch_begin") else ""
            raise TypeError(
                f"LambdaCallback: fit has no {name} hook, so the function would never run{hint}"
            )
        raise TypeError(f"LambdaCallback got an unexpected keyword argument {name!r}")
