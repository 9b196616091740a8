"""fit and evaluate read the options a functools.partial fixes on a loss function."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import chainrule as cr

F = cr.nn.functional


def _model_and_data(n=12, classes=3):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3))
    y = rng.integers(0, classes, n)
    cr.manual_seed(0)
    model = cr.nn.Linear(3, classes, dtype="float64")
    logits = X @ model.weight.data + model.bias.data  # weight: (in, out)
    return model, X, y, logits


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("batch_size", [5, 12])
def test_a_partial_with_class_weights_averages_by_the_weights_of_all_the_data(batch_size):
    model, X, y, logits = _model_and_data()
    w = np.array([1.0, 3.0, 0.5])
    loss = functools.partial(F.cross_entropy, weight=cr.tensor(w, dtype="float64"))
    nll = -_log_softmax(logits)[np.arange(len(y)), y]
    expected = (w[y] * nll).sum() / w[y].sum()  # PyTorch's weighted mean, by hand
    logs = cr.evaluate(model, loss, (X, y), batch_size=batch_size)
    assert logs["loss"] == pytest.approx(expected, rel=1e-12)


def test_a_partial_that_sums_is_summed_over_the_batches():
    model, X, y, logits = _model_and_data()
    loss = functools.partial(F.cross_entropy, reduction="sum")
    expected = -_log_softmax(logits)[np.arange(len(y)), y].sum()
    assert cr.evaluate(model, loss, (X, y), batch_size=5)["loss"] == pytest.approx(expected)


def test_a_partial_with_another_ignore_index_leaves_those_rows_out():
    model, X, y, logits = _model_and_data()
    y[[1, 2, 7]] = 9
    loss = functools.partial(functools.partial(F.cross_entropy), ignore_index=9)
    kept = y != 9
    expected = -_log_softmax(logits[kept])[np.arange(kept.sum()), y[kept]].mean()
    logs = cr.evaluate(model, loss, (X, y), batch_size=5)
    assert logs["loss"] == pytest.approx(expected, rel=1e-12)
    assert logs["accuracy"] == pytest.approx(np.mean(logits[kept].argmax(1) == y[kept]))


def test_a_partial_of_bce_with_logits_scores_binary_accuracy():
    model, X, _, logits = _model_and_data(classes=2)
    targets = (np.random.default_rng(1).random((12, 2)) > 0.5).astype(np.float64)
    loss = functools.partial(F.binary_cross_entropy_with_logits, reduction="mean")
    logs = cr.evaluate(model, loss, (X, targets), batch_size=5)
    assert logs["accuracy"] == pytest.approx(np.mean((logits > 0) == (targets == 1)))


def test_a_partial_with_reduction_none_is_refused_by_name():
    model, X, y, _ = _model_and_data()
    loss = functools.partial(F.cross_entropy, reduction="none")
    with pytest.raises(ValueError, match="reduction='none'"):
        cr.evaluate(model, loss, (X, y))
