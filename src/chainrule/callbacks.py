"""Callbacks for `chainrule.fit`: early stopping, checkpointing, learning-rate schedules,
stopping at a NaN loss, logging to a CSV file, and Keras's `LambdaCallback` of plain
functions.

A callback is any object with some of these methods, each given the `TrainState`:
``on_train_begin(state)``, ``on_epoch_begin(state)``, ``on_batch_end(state)``,
``on_epoch_end(state, logs)``, ``on_train_end(state)``. Setting ``state.stop_training``
ends training: after the current batch when set in ``on_batch_end`` (the epoch's row then
covers the batches trained), after the epoch when set in ``on_epoch_end``, before the
epoch trains when set in ``on_train_begin`` or ``on_epoch_begin``.
"""

from ._callbacks import Callback, EarlyStopping
from ._lambda_callback import LambdaCallback
from ._log_callbacks import CSVLogger, TerminateOnNaN
from ._lr_callbacks import LearningRateScheduler, ReduceLROnPlateau
from ._model_checkpoint import ModelCheckpoint

__all__ = [
    "CSVLogger",
    "Callback",
    "EarlyStopping",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]
