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


def _ce_data():
    rng = np.random.default_rng(2)
    return rng.standard_normal((8, 3)), rng.integers(0, 3, 8)


def _ce_by_hand(W, b, X, y):
    """The mean of -log softmax(X W + b)[y] (Linear keeps W as (in, out)), and the softmax."""
    z = X @ W + b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return -np.log(p[np.arange(len(y)), y]).mean(), p


@pytest.mark.parametrize("pack", [tuple, list])
def test_keras_s_none_for_sample_weight_evaluates_unweighted(pack):
    X, y = _ce_data()
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 3, dtype="float64")
    expected, _ = _ce_by_hand(model.weight.data, model.bias.data, X, y)
    got = cr.evaluate(model, cr.nn.CrossEntropyLoss(), pack([X, y, None]), batch_size=3)
    assert got["loss"] == pytest.approx(expected, rel=1e-12)


def test_keras_s_none_for_sample_weight_trains_unweighted():
    X, y = _ce_data()
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 3, dtype="float64")
    W, b = model.weight.data.copy(), model.bias.data.copy()
    opt = cr.optim.SGD(model.parameters(), lr=0.5)
    data = (X, y, None)
    cr.fit(model, cr.nn.CrossEntropyLoss(), opt, data, 1, batch_size=8, progress=False)
    _, p = _ce_by_hand(W, b, X, y)
    p[np.arange(len(y)), y] -= 1
    dz = p / len(y)  # d mean / dz
    np.testing.assert_allclose(model.weight.data, W - 0.5 * X.T @ dz, rtol=1e-10)
    np.testing.assert_allclose(model.bias.data, b - 0.5 * dz.sum(axis=0), rtol=1e-10)


def test_keras_s_none_for_sample_weight_takes_class_weight_and_validation_split():
    X, y = _ce_data()
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 3, dtype="float64")
    opt = cr.optim.SGD(model.parameters(), lr=0.0)  # the logged losses are the first model's
    expected, _ = _ce_by_hand(model.weight.data, model.bias.data, X[6:], y[6:])
    history = cr.fit(
        model, cr.nn.CrossEntropyLoss(), opt, (X, y, None), 1,
        class_weight={0: 2.0}, validation_split=0.25, progress=False,
    )  # fmt: skip
    assert history.history["val_loss"] == [pytest.approx(expected, rel=1e-12)]


def test_a_fused_loss_node_whose_mean_is_fixed_is_refused_by_name_under_weights():
    # nn.SoftmaxWithLoss has a read-only reduction: copying it and setting "none" raised
    # an AttributeError from inside fit
    X = np.random.default_rng(0).normal(size=(8, 3))
    y = np.arange(8) % 2
    model = cr.nn.Linear(3, 2, dtype="float64")
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="weigh each sample's loss, which SoftmaxWithLoss"):
        cr.fit(model, cr.nn.SoftmaxWithLoss(), opt, (X, y, np.ones(8)), 1, progress=False)
