"""evaluate and fit with a class-weighted loss: the epoch loss is the loss of all the data
at once (Σ w[y]·ℓ / Σ w[y] over the labels kept, as PyTorch's weighted mean), whatever the
batch size. The truth is worked in NumPy."""

import numpy as np
import pytest

import chainrule as cr

nn = cr.nn
W = np.array([0.2, 1.0, 3.0])


def _data():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((11, 4))
    y = rng.integers(0, 3, 11)
    y[[2, 7]] = -100
    return x, y


def _model():
    cr.manual_seed(0)
    return nn.Linear(4, 3, dtype="float64")


def _truth(model, x, y, log_probs=False):
    z = model(x).data
    keep = y != -100
    log_p = (
        z
        if log_probs
        else z
        - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True))
        - z.max(1, keepdims=True)
    )
    w = W[y[keep]]
    return float((-(w * log_p[keep, y[keep]])).sum() / w.sum())


@pytest.mark.parametrize("batch_size", [1, 2, 4, 11])
def test_cross_entropy_with_class_weights_is_the_loss_of_all_the_data(batch_size):
    model, (x, y) = _model(), _data()
    logs = cr.evaluate(model, nn.CrossEntropyLoss(weight=W), (x, y), batch_size=batch_size)
    assert logs["loss"] == pytest.approx(_truth(model, x, y), rel=1e-12)
    keep = y != -100
    assert logs["accuracy"] == pytest.approx((model(x).data.argmax(1) == y)[keep].mean())


@pytest.mark.parametrize("batch_size", [1, 3, 11])
def test_nll_with_class_weights_is_the_loss_of_all_the_data(batch_size):
    model, (x, y) = _model(), _data()
    scored = nn.Sequential(model, nn.LogSoftmax(dim=1))
    logs = cr.evaluate(scored, nn.NLLLoss(weight=W), (x, y), batch_size=batch_size)
    assert logs["loss"] == pytest.approx(_truth(model, x, y), rel=1e-12)


def test_a_fit_epoch_with_class_weights_logs_the_loss_of_all_the_data():
    model, (x, y) = _model(), _data()
    opt = cr.optim.SGD(model.parameters(), lr=0.0)
    history = cr.fit(
        model, nn.CrossEntropyLoss(weight=W), opt, (x, y), epochs=1, batch_size=3, verbose=0
    )
    assert history.history["loss"][0] == pytest.approx(_truth(model, x, y), rel=1e-12)
