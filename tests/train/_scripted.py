"""Callbacks the callback tests place before the one under test: a scripted monitored value
(so which epoch is best is known in advance) and a record of the weights per epoch."""

from __future__ import annotations


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
