"""fit skips a batch with nothing to score (its mean loss is 0/0) instead of stopping."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def _data():
    """48 rows in batches of 16: the middle batch's labels are all ignored."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((48, 3))
    y = rng.integers(0, 3, 48)
    y[16:32] = -100
    return X, y


def _adam_by_hand(W, b, batches, epochs, lr):
    """Softmax cross-entropy of X @ W + b trained by PyTorch's Adam, worked in NumPy."""
    params = [W.copy(), b.copy()]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t = 0
    for _ in range(epochs):
        for X, y in batches:
            z = X @ params[0] + params[1]
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(y)), y] -= 1
            dz = p / len(y)
            t += 1
            for i, g in enumerate([X.T @ dz, dz.sum(axis=0)]):
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                m_hat, v_hat = m[i] / (1 - 0.9**t), v[i] / (1 - 0.999**t)
                params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + 1e-8)
    return params


def _fit(X, y, loss_fn, epochs=2):
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 3, dtype="float64")
    start = model.weight.data.copy(), model.bias.data.copy()
    opt = cr.optim.Adam(model.parameters(), lr=0.05)
    history = cr.fit(
        model, loss_fn, opt, (X, y), epochs, batch_size=16, shuffle=False, progress=False
    )
    return model, start, history


def test_a_batch_of_ignored_labels_takes_no_step_and_the_run_goes_on():
    X, y = _data()
    model, (W0, b0), history = _fit(X, y, cr.nn.CrossEntropyLoss())
    batches = [(X[:16], y[:16]), (X[32:], y[32:])]  # the ignored batch left out
    W, b = _adam_by_hand(W0, b0, batches, epochs=2, lr=0.05)
    np.testing.assert_allclose(model.weight.data, W, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.bias.data, b, rtol=1e-12, atol=1e-12)
    assert len(history.history["loss"]) == 2
    assert all(np.isfinite(history.history["loss"]))


def test_the_epoch_loss_and_accuracy_are_those_of_the_scored_rows():
    X, y = _data()
    kept = y != -100
    _, _, with_ignored = _fit(X, y, cr.nn.CrossEntropyLoss(), epochs=1)
    _, _, without = _fit(X[kept], y[kept], cr.nn.CrossEntropyLoss(), epochs=1)
    assert with_ignored.history == without.history


def test_class_weights_that_zero_a_whole_batch_skip_it_too():
    X, y = _data()
    y[16:32] = 2  # the middle batch holds class 2 only, weighted 0
    weight = cr.tensor([1.0, 2.0, 0.0], dtype="float64")
    model, _, _ = _fit(X, y, cr.nn.CrossEntropyLoss(weight=weight))
    # the scored batches also hold rows of class 2: they weigh nothing in the mean
    rows = np.r_[0:16, 32:48]
    reference, _, _ = _fit(X[rows], y[rows], cr.nn.CrossEntropyLoss(weight=weight))
    np.testing.assert_array_equal(model.weight.data, reference.weight.data)


def test_a_nan_loss_of_scored_rows_still_stops_the_run():
    X, y = _data()

    def nan_loss(out, target):  # NaN on every batch, the first of which has scored rows
        return cr.nn.functional.cross_entropy(out, target) * float("nan")

    with pytest.raises(FloatingPointError, match="the loss became nan at step 0"):
        _fit(X, y, nan_loss, epochs=1)
