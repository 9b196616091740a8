"""Review of round 17, fit-related: LambdaCallback's arguments against Keras 3's."""

from __future__ import annotations

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
