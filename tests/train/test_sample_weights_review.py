"""Keras's sample weights in fit and evaluate with the losses and data they meet less
often, against torch's per-element losses and NumPy worked here.

Keras 3 weighs a batch as Σ wᵢ·lᵢ / N, lᵢ the loss of sample i as the loss's mean would
count it: for ``kl_div``'s "batchmean" the sum over a sample's classes (its KL divergence).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import chainrule as cr

F = cr.nn.functional


def _kl_data(n=6, classes=4):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3))
    T = rng.dirichlet(np.ones(classes), n)
    w = rng.uniform(0.0, 2.0, n)
    return X, T, w


def _kl_model():
    cr.manual_seed(0)
    return cr.nn.Sequential(cr.nn.Linear(3, 4, dtype="float64"), cr.nn.LogSoftmax(dim=1))


@pytest.mark.parametrize(
    "loss_fn",
    [cr.nn.KLDivLoss(reduction="batchmean"), functools.partial(F.kl_div, reduction="batchmean")],
    ids=["module", "partial"],
)
@pytest.mark.parametrize("batch_size", [2, 4, 6])
def test_kl_batchmean_under_sample_weights_is_the_weighted_kl_a_sample_over_n(loss_fn, batch_size):
    torch = pytest.importorskip("torch")
    X, T, w = _kl_data()
    model = _kl_model()
    logp = torch.tensor(cr.predict(model, X))
    each = torch.nn.functional.kl_div(logp, torch.tensor(T), reduction="none").numpy()
    expected = (w * each.sum(axis=1)).sum() / len(X)  # Keras: Σ wᵢ·KLᵢ / N
    got = cr.evaluate(model, loss_fn, (X, T, w), batch_size=batch_size)["loss"]
    assert got == pytest.approx(expected, rel=1e-12)


def test_kl_batchmean_with_weights_of_one_is_the_unweighted_loss():
    X, T, _ = _kl_data()
    model, loss_fn = _kl_model(), cr.nn.KLDivLoss(reduction="batchmean")
    unweighted = cr.evaluate(model, loss_fn, (X, T), batch_size=4)["loss"]
    weighted = cr.evaluate(model, loss_fn, (X, T, np.ones(len(X))), batch_size=4)["loss"]
    assert weighted == pytest.approx(unweighted, rel=1e-12)


def test_a_fit_step_on_weighted_kl_batchmean_is_sgd_on_the_weighted_kl_by_hand():
    X, T, w = _kl_data()
    model = _kl_model()
    W, b = model[0].weight.data.copy(), model[0].bias.data.copy()
    lr = 0.5
    opt = cr.optim.SGD(model.parameters(), lr=lr)
    loss_fn = cr.nn.KLDivLoss(reduction="batchmean")
    cr.fit(model, loss_fn, opt, (X, T, w), 1, batch_size=len(X), shuffle=False, progress=False)
    # L = Σᵢ wᵢ Σₖ tᵢₖ (ln tᵢₖ − log softmax(zᵢ)ₖ) / N; dL/dzᵢ = wᵢ (softmax(zᵢ)·Σₖ tᵢₖ − tᵢ) / N
    z = X @ W + b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz = w[:, None] * (p * T.sum(axis=1, keepdims=True) - T) / len(X)
    np.testing.assert_allclose(model[0].weight.data, W - lr * X.T @ dz, rtol=1e-10)
    np.testing.assert_allclose(model[0].bias.data, b - lr * dz.sum(axis=0), rtol=1e-10)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_class_weight_names_targets_that_are_not_finite_as_fit_does(bad):
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, (6, 1)).astype(np.float64)
    y[2, 0] = bad
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 1)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(
        ValueError, match=r"1 NaN or infinite target values \(y of shape \(6, 1\)\)"
    ):
        cr.fit(
            model, cr.nn.BCEWithLogitsLoss(), opt, (X, y), 1,
            class_weight={0: 1.0, 1: 2.0}, progress=False,
        )  # fmt: skip
