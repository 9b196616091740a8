"""fit and evaluate read a plain loss function's own defaults (``reduction="sum"``,
``ignore_index=5``) as they read a loss module's attributes."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

F = cr.nn.functional


def summed_cross_entropy(out, y, reduction="sum"):
    """Cross-entropy summed over the batch unless told otherwise."""
    return F.cross_entropy(out, y, reduction=reduction)


def cross_entropy_without_fives(out, y, ignore_index=5):
    """Cross-entropy averaged over the rows not labelled 5."""
    return F.cross_entropy(out, y, ignore_index=ignore_index)


def _model_and_data(n=13, classes=6):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3))
    y = rng.integers(0, classes, n)
    cr.manual_seed(0)
    model = cr.nn.Linear(3, classes, dtype="float64")
    logits = X @ model.weight.data + model.bias.data  # weight: (in, out)
    return model, X, y, logits


def _nll(logits, y):
    """Each row's −log softmax(logits)[y], in NumPy."""
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y]


def test_evaluate_sums_the_loss_of_a_function_whose_default_reduction_is_sum():
    model, X, y, logits = _model_and_data()
    logs = cr.evaluate(model, summed_cross_entropy, (X, y), batch_size=5)
    assert logs["loss"] == pytest.approx(_nll(logits, y).sum(), rel=1e-12)


def test_fit_logs_the_summed_loss_of_such_a_function():
    model, X, y, logits = _model_and_data()
    opt = cr.optim.SGD(model.parameters(), lr=0.0)  # the weights stay: one sum to check
    data, val = (X, y), (X[:7], y[:7])
    history = cr.fit(model, summed_cross_entropy, opt, data, 1, val, batch_size=5, shuffle=False)
    assert history.history["loss"] == pytest.approx([_nll(logits, y).sum()], rel=1e-12)
    assert history.history["val_loss"] == pytest.approx([_nll(logits[:7], y[:7]).sum()])


def test_a_function_whose_default_ignore_index_is_five_leaves_those_rows_out():
    model, X, y, logits = _model_and_data()
    y[[0, 1, 2, 8]] = 5  # three of the first batch's five rows, one of the second's
    kept = y != 5
    logs = cr.evaluate(model, cross_entropy_without_fives, (X, y), batch_size=5)
    assert logs["loss"] == pytest.approx(_nll(logits[kept], y[kept]).mean(), rel=1e-12)
    assert logs["accuracy"] == pytest.approx(np.mean(logits[kept].argmax(1) == y[kept]))
