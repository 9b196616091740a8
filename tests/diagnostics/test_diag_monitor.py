"""The Monitor's numbers against NumPy, and its warnings."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

import chainrule as cr
from chainrule import diagnostics as diag


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def data(n=64, features=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)), rng.integers(0, classes, size=n)


def mlp(act, init, depth=5, width=30, features=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    layers, n_in = [], features
    for _ in range(depth):
        layers += [cr.nn.Linear(n_in, width, init=init, dtype="float64", generator=rng), act()]
        n_in = width
    last = cr.nn.Linear(n_in, classes, init="xavier", dtype="float64", generator=rng)
    return cr.nn.Sequential(*layers, last)


def train(model, monitor, X, y, epochs=1, batch_size=64, lr=0.1, **kwargs):
    opt = cr.optim.SGD(model.parameters(), lr=lr)
    loss_fn = cr.nn.SoftmaxCrossEntropy()
    return cr.fit(
        model, loss_fn, opt, (X, y), epochs, callbacks=[monitor],
        batch_size=batch_size, shuffle=False, progress=False, **kwargs,
    )  # fmt: skip


class GradLog:
    """An independent record of every batch's gradients (copied)."""

    def __init__(self):
        self.batches = []

    def on_batch_end(self, state):
        self.batches.append({n: p.grad.copy() for n, p in state.model.named_parameters()})


# ----- gradients ------------------------------------------------------------------------------
def test_grad_norms_equal_numpy_norms_of_the_last_grad():
    X, y = data()
    model = mlp(cr.nn.ReLU, "he", depth=2)
    monitor = diag.Monitor(model, warn=False)
    train(model, monitor, X, y, batch_size=len(X))  # one batch: its norm is the epoch's mean
    record = monitor.records[-1]
    for name, p in model.named_parameters():
        assert record.grad_norms[name] == pytest.approx(np.linalg.norm(p.grad), rel=1e-12)
    w, b = model[0].weight.grad, model[0].bias.grad
    layer0 = np.sqrt(np.sum(w**2) + np.sum(b**2))
    assert record.layer_grad_norms["0"] == pytest.approx(layer0, rel=1e-12)
    assert list(record.layer_grad_norms) == ["0", "2", "4"]


def test_grad_norms_are_averaged_over_the_epochs_batches():
    X, y = data(n=40)
    model = mlp(cr.nn.Tanh, "xavier", depth=2)
    log, monitor = GradLog(), diag.Monitor(model, warn=False)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    cr.fit(
        model, cr.nn.SoftmaxCrossEntropy(), opt, (X, y), 2, callbacks=[log, monitor],
        batch_size=16, shuffle=False, progress=False,
    )  # fmt: skip
    assert len(log.batches) == 6  # 3 batches per epoch
    for epoch, record in enumerate(monitor.records):
        batches = log.batches[3 * epoch : 3 * epoch + 3]
        for name in record.grad_norms:
            expected = np.mean([np.linalg.norm(b[name]) for b in batches])
            assert record.grad_norms[name] == pytest.approx(expected, rel=1e-12)


def test_the_probe_of_a_per_sample_dataset_is_its_first_inputs():
    X, y = data(n=20)
    model = mlp(cr.nn.Tanh, "xavier", depth=1)
    samples = [(X[i], int(y[i])) for i in range(len(X))]  # dataset[i] is one sample
    loader = cr.data.DataLoader(samples, batch_size=5)
    monitor = diag.Monitor(model, probe_size=7, warn=False)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, loader, 1, callbacks=[monitor], progress=False)
    hidden = np.tanh(X[:7] @ model[0].weight.data + model[0].bias.data)
    stats = monitor.records[-1].activations[0]
    assert stats.mean == pytest.approx(hidden.mean(), rel=1e-12)
    assert stats.std == pytest.approx(hidden.std(), rel=1e-12)
    assert stats.counts.sum() == hidden.size


def test_every_records_only_every_nth_epoch():
    X, y = data(n=16)
    model = mlp(cr.nn.ReLU, "he", depth=1)
    monitor = diag.Monitor(model, every=2, warn=False)
    train(model, monitor, X, y, epochs=5)
    assert [r.epoch for r in monitor.records] == [2, 4]
    assert [r.logs["loss"] for r in monitor.records] == pytest.approx(
        [monitor.records[0].logs["loss"], monitor.records[1].logs["loss"]]
    )


# ----- activations ----------------------------------------------------------------------------
def test_saturated_share_matches_a_numpy_forward_pass():
    X, y = data(n=32)
    model = mlp(cr.nn.Sigmoid, 2.0, depth=1)  # std 2 drives many units into saturation
    monitor = diag.Monitor(model, warn=False, probe_size=20)
    train(model, monitor, X, y)
    w, b = model[0].weight.data, model[0].bias.data  # the weights after the epoch
    h = sigmoid(X[:20] @ w + b)
    expected = np.mean(h * (1 - h) < 0.01 * 0.25)
    stats = monitor.records[0].activations[0]
    assert stats.saturated == pytest.approx(expected)
    assert 0.1 < stats.saturated < 0.9
    assert stats.mean == pytest.approx(h.mean())
    assert stats.std == pytest.approx(h.std())


def test_dead_share_matches_a_numpy_forward_pass():
    X, y = data(n=32)
    model = mlp(cr.nn.ReLU, "he", depth=1)
    model[0].bias.data[:10] = -100.0  # these 10 of 30 units can never fire
    probe = X[:12]
    monitor = diag.Monitor(model, warn=False, probe=probe)
    train(model, monitor, X, y, lr=0.0)
    h = np.maximum(probe @ model[0].weight.data + model[0].bias.data, 0)
    expected = np.mean(~np.any(h > 0, axis=0))
    assert monitor.records[0].activations[0].dead == pytest.approx(expected)
    assert expected >= 10 / 30


def test_the_monitor_does_not_change_training():
    X, y = data()
    runs = []
    for callbacks in ([], [diag.Monitor(warn=False)]):
        model = mlp(cr.nn.Tanh, "xavier", depth=2)
        opt = cr.optim.Adam(model.parameters(), lr=0.01)
        h = cr.fit(
            model, cr.nn.SoftmaxCrossEntropy(), opt, (X, y), 3, callbacks=callbacks,
            batch_size=16, seed=0, progress=False,
        )  # fmt: skip
        runs.append((h.history["loss"], model[0].weight.data.copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


# ----- warnings -------------------------------------------------------------------------------
def test_vanishing_gradients_warn_for_a_deep_sigmoid_network(capsys):
    X, y = data()
    model = mlp(cr.nn.Sigmoid, 0.01, depth=5)
    monitor = diag.Monitor(model)
    train(model, monitor, X, y, epochs=3)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1  # once, while the condition lasts
    assert "epoch 1" in err[0]
    assert "vanishing gradients" in err[0]
    assert [a.kind for a in monitor.alerts] == ["vanishing"]
    norms = monitor.records[0].layer_grad_norms
    assert norms["0"] < 1e-3 * norms["10"]


def test_vanishing_is_judged_in_the_order_the_layers_run_not_the_order_declared():
    # the same deep sigmoid body, its output layer declared first: still vanishing, with
    # the body's first layer as the first layer
    class HeadFirst(cr.nn.Module):
        def __init__(self):
            body = mlp(cr.nn.Sigmoid, 0.01, depth=5)
            self.head = body[-1]
            self.body = cr.nn.Sequential(*list(body)[:-1])

        def forward(self, x):
            return self.head(self.body(x))

    X, y = data()
    model = HeadFirst()
    monitor = diag.Monitor(model, warn=False)
    train(model, monitor, X, y)
    norms = monitor.records[0].layer_grad_norms
    assert next(iter(norms)) == "body.0"
    assert list(norms)[-1] == "head"
    assert [a.kind for a in monitor.alerts] == ["vanishing"]


def test_a_layer_called_twice_gets_a_row_per_call():
    class Twice(cr.nn.Module):
        def __init__(self):
            self.first, self.act = cr.nn.Linear(8, 5, dtype="float64"), cr.nn.Sigmoid()
            self.second = cr.nn.Linear(5, 3, dtype="float64")

        def forward(self, x):
            return self.second(self.act(self.act(self.first(x))))  # σ(σ(·))

    X, _ = data()
    model = Twice()
    rows = diag.layer_outputs(model, X[:4])
    assert [name for name, _, _ in rows] == ["act", "act#2"]
    inner = 1 / (1 + np.exp(-(X[:4] @ model.first.weight.data + model.first.bias.data)))
    np.testing.assert_allclose(rows[1][2], 1 / (1 + np.exp(-inner)), rtol=1e-12)


def test_no_warning_for_a_relu_he_network(capsys):
    X, y = data()
    model = mlp(cr.nn.ReLU, "he", depth=5)
    monitor = diag.Monitor(model)
    train(model, monitor, X, y, epochs=3)
    assert capsys.readouterr().err == ""
    assert monitor.alerts == []
    norms = monitor.records[0].layer_grad_norms
    assert norms["0"] > 1e-2 * norms["10"]


def test_warnings_can_go_to_a_callable():
    X, y = data()
    lines = []
    monitor = diag.Monitor(warn=lines.append, thresholds=diag.Thresholds(explode=1e-9))
    train(mlp(cr.nn.ReLU, "he", depth=2), monitor, X, y)
    assert len(lines) == 1
    assert "exploding gradients" in lines[0]
    assert "\n" not in lines[0]


def test_a_non_finite_validation_loss_warns(capsys):
    X, y = data()
    X_val = X[:8].copy()
    X_val[0] = np.finfo(X.dtype).max  # finite inputs (fit checks that) whose logits overflow
    monitor = diag.Monitor()
    model = mlp(cr.nn.ReLU, "he", depth=1)
    with np.errstate(over="ignore", invalid="ignore"):  # NumPy would warn
        train(model, monitor, X, y, val_data=(X_val, y[:8]))
    err = capsys.readouterr().err
    assert "non-finite loss: val_loss = nan" in err


def test_non_finite_gradients_warn_at_once():
    model = mlp(cr.nn.ReLU, "he", depth=1)
    lines = []
    monitor = diag.Monitor(model, warn=lines.append, probe=np.zeros((2, 8)))
    state = SimpleNamespace(model=model, loader=None, epoch=0)
    monitor.on_train_begin(state)
    monitor.on_epoch_begin(state)
    for p in model.parameters():
        p.grad = np.ones_like(p.data)
    model[0].weight.grad[0, 0] = np.nan
    monitor.on_batch_end(state)
    assert lines == ["chainrule diagnostics: epoch 1: non-finite gradients in 0.weight: "
                     "the weights will become nan"]  # fmt: skip


def test_the_rules_by_hand():
    t = diag.Thresholds()
    assert diag._checks.vanishing({"a": 1e-3, "b": 1.0}, t) is None  # exactly the threshold
    assert diag._checks.vanishing({"a": 0.9e-4, "b": 0.1}, t) is not None
    assert diag._checks.vanishing({"a": 0.0, "b": 0.0}, t) is None  # no gradient at all
    # an infinite last layer is the non-finite alert's case, not a ratio of 0 to report
    assert diag._checks.vanishing({"a": 1.0, "b": math.inf}, t) is None
    assert diag._checks.exploding({"a": 2e3}, {}, t) is not None
    assert diag._checks.exploding({"a": 5.0}, {"a": 0.04}, t) is not None  # 125× growth
    assert diag._checks.exploding({"a": 5.0}, {"a": 0.06}, t) is None
    assert diag._checks.nonfinite_loss({"loss": 1.0, "accuracy": float("nan")}) is None


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="every"):
        diag.Monitor(every=0)
    with pytest.raises(ValueError, match="probe batch"):
        diag.probe_batch(object(), 4)


def test_a_batch_with_exploding_gradients_warns_at_once():
    model = mlp(cr.nn.ReLU, "he", depth=1)  # layer 0: weight (8, 30), bias (30,); layer 1
    lines = []
    limit = diag.Thresholds(explode=10.0)
    monitor = diag.Monitor(model, warn=lines.append, probe=np.zeros((2, 8)), thresholds=limit)
    state = SimpleNamespace(model=model, loader=None, epoch=0)
    monitor.on_train_begin(state)
    monitor.on_epoch_begin(state)
    for p in model.parameters():
        p.grad = np.ones_like(p.data)
    monitor.on_batch_end(state)
    # layer 0: √(8·30 + 30) = √270 = 16.43 > 10; layer 1: √(30·3 + 3) = √93 = 9.64 < 10
    assert lines == ["chainrule diagnostics: epoch 1: exploding gradients: layer 0 has "
                     "gradient norm 1.64e+01 > 10"]  # fmt: skip


def test_exploding_gradients_warn_before_the_loss_turns_nan():
    X, y = data()
    lines = []
    monitor = diag.Monitor(warn=lines.append)
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="loss became nan"):
        train(mlp(cr.nn.ReLU, "he", depth=2), monitor, X * 1e3, y, 3, batch_size=16, lr=1e3)
    assert "exploding gradients" in lines[0]
    # the norms are huge everywhere: a small first/last ratio is then no vanishing
    assert not any("vanishing" in line for line in lines)
