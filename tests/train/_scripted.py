"""Callbacks the callback tests place beside the one under test: a scripted monitored value
(so which epoch is best is known in advance), a record of the weights per epoch, and a
crash at the end of a chosen epoch (for the resume tests); and `quiet_fit`, the run they
make."""

from __future__ import annotations

import chainrule as cr


def quiet_fit(model, opt, data, epochs, callbacks, batch_size=8, loss_fn=None, **kwargs):
    """``cr.fit`` with no progress bar, softmax cross-entropy unless ``loss_fn`` is given
    (``kwargs`` as fit's)."""
    loss_fn = loss_fn or cr.nn.SoftmaxCrossEntropy()
    return cr.fit(
        model, loss_fn, opt, data, epochs, callbacks=callbacks, batch_size=batch_size,
        progress=False, **kwargs,
    )  # fmt: skip


class Scripted:
    """Sets ``logs[key] = values[epoch]`` at every epoch end (runs before later callbacks)."""

    def __init__(self, values, key="score"):
        self.values, self.key = values, key

    def on_epoch_end(self, state, logs):
        logs[self.key] = self.values[state.epoch]


class WeightLog:
    """A copy of the model's state_dict at the end of every epoch."""

    def __init__(self):
        self.snapshots = []

    def on_epoch_end(self, state, logs):
        self.snapshots.append(state.model.state_dict())


class SimulatedCrashError(Exception):
    pass


class CrashAfter:
    """Raises ``error`` at the end of epoch ``n`` (1-based), after the callbacks before it."""

    def __init__(self, n, error=SimulatedCrashError):
        self.n, self.error = n, error

    def on_epoch_end(self, state, logs):
        if state.epoch + 1 == self.n:
            raise self.error
