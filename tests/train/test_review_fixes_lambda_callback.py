"""Review of the fit-related additions: LambdaCallback's arguments against Keras 3's."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def test_lambda_callback_refuses_a_fifth_positional_function():
    # Keras 3's fifth positional parameter is on_train_batch_begin (tf.keras 2's third is
    # on_batch_begin): a function written for it must not be called at a batch's end
    def at_batch(batch, logs):
        raise AssertionError("called")

    with pytest.raises(TypeError):
        cr.callbacks.LambdaCallback(None, None, None, None, at_batch)
    # by name it is accepted, under both of its names
    cr.callbacks.LambdaCallback(on_batch_end=at_batch)
    cr.callbacks.LambdaCallback(on_train_batch_end=at_batch)


def _fit_twice(on_train_end, second_callbacks=()):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    loss = cr.nn.CrossEntropyLoss()
    history = cr.fit(model, loss, opt, (X, y), 2, progress=False)
    cb = cr.callbacks.LambdaCallback(on_train_end=on_train_end)
    return cr.fit(
        model, loss, opt, (X, y), 4, initial_epoch=2, history=history, progress=False,
        callbacks=[*second_callbacks, cb],
    )  # fmt: skip


def test_lambda_callback_on_train_end_gets_no_earlier_runs_row():
    # "{} when no epoch finished", as Keras: a run that trains no epoch of its own (stopped
    # before its first) is not given the row an earlier run left in the history
    class StopAtOnce(cr.callbacks.Callback):
        def on_epoch_begin(self, state):
            state.stop_training = True

    seen = []
    _fit_twice(seen.append, [StopAtOnce()])
    assert seen == [{}]
    seen.clear()
    history = _fit_twice(seen.append)  # the run's own last epoch, when it trains one
    assert seen == [{k: v[-1] for k, v in history.history.items()}]
    assert len(history.epoch) == 4
