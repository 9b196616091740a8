"""The Monitor on models the other tests do not build: an `nn.Embedding` first, a model
that is one layer holding its parameters itself; and arguments given in the wrong place."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import diagnostics as diag


def fit_one_batch(model, monitor, X, y):
    """One epoch, one batch of all of ``X``, no shuffling: plain SGD."""
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    cr.fit(
        model, cr.nn.SoftmaxCrossEntropy(), opt, (X, y), 1, callbacks=[monitor],
        batch_size=len(X), shuffle=False, progress=False,
    )  # fmt: skip


def test_a_model_with_an_embedding_first_is_probed_with_its_integer_indices():
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 10, size=(20, 4))
    y = rng.integers(0, 2, size=20)
    model = cr.nn.Sequential(
        cr.nn.Embedding(10, 3), cr.nn.Flatten(), cr.nn.Linear(12, 2), cr.nn.Tanh()
    )
    monitor = diag.Monitor(model, warn=False)
    fit_one_batch(model, monitor, idx, y)
    # the tanh output by hand, from the trained table and weights
    emb = model[0].weight.data[idx].reshape(20, 12)
    out = np.tanh(emb @ model[2].weight.data + model[2].bias.data)  # weight: (in, out)
    (stats,) = monitor.records[-1].activations
    assert stats.layer == "3"
    np.testing.assert_allclose(stats.mean, out.mean(dtype=np.float64), rtol=1e-5)
    np.testing.assert_allclose(stats.std, out.std(dtype=np.float64), rtol=1e-5)


def test_a_single_layer_model_is_one_layer_not_one_per_parameter():
    # inputs of size 1e-5: the weight's gradient is 1e-5 of the bias's, but the model is
    # one layer, so there is no first and last layer to compare and nothing vanishes
    rng = np.random.default_rng(1)
    X = rng.normal(size=(32, 3)) * 1e-5
    y = rng.integers(0, 2, size=32)
    model = cr.nn.Linear(3, 2, dtype="float64", generator=np.random.default_rng(2))
    w0, b0 = model.weight.data.copy(), model.bias.data.copy()
    monitor = diag.Monitor(model, warn=False)
    fit_one_batch(model, monitor, X, y)
    logits = X @ w0 + b0  # weight: (in, out)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    d = (p - np.eye(2)[y]) / len(X)  # d loss / d logits of the mean cross-entropy
    expected = np.sqrt(np.sum((X.T @ d) ** 2) + np.sum(d.sum(0) ** 2))
    record = monitor.records[-1]
    assert list(record.layer_grad_norms) == [""]
    np.testing.assert_allclose(record.layer_grad_norms[""], expected, rtol=1e-10)
    assert monitor.alerts == []
    assert {r["layer"] for r in record.gradient_rows()} == {""}


def test_probe_data_given_as_the_model_is_refused_where_it_is_given():
    # Monitor(X) once failed with an AttributeError inside fit, at the first probe
    X = np.zeros((4, 3), dtype=np.float32)
    for wrong in (X, cr.tensor(X)):
        with pytest.raises(TypeError, match=r"model must be an nn\.Module.*probe="):
            diag.Monitor(wrong)
    with pytest.raises(TypeError, match=r"model must be an nn\.Module, or None .* got str"):
        diag.Monitor("model")
    assert diag.Monitor(None).model is None
