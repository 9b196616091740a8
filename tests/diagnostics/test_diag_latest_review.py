"""The Monitor on models the other tests do not build: an `nn.Embedding` first."""

from __future__ import annotations

import numpy as np

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

