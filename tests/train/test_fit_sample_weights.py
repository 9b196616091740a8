"""Keras's sample_weight and class_weight in fit and evaluate, against NumPy worked here.

Keras 3 weighs a batch's loss as Σ wᵢ·lᵢ / N ("sum_over_batch_size"), not PyTorch's
Σ wᵢ·lᵢ / Σ wᵢ; its epoch loss is Σ wᵢ·lᵢ / N over all the data; `class_weight` gives a
sample the weight of its class (1.0 for a class left out); its ``metrics`` are unweighted.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule as cr

N, BATCH, LR = 10, 4, 0.3  # batches of 4, 4 and 2


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, 3))
    y = rng.integers(0, 3, N)
    w = rng.uniform(0.0, 2.0, N)
    return X, y, w


def _model():
    cr.manual_seed(5)
    model = cr.nn.Linear(3, 3, dtype="float64")
    return model, cr.optim.SGD(model.parameters(), lr=LR)


def _params(model):
    return model.weight.data.copy(), model.bias.data.copy()


def _softmax(z):
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def _cross_entropy(W, b, X, y):
    """Each sample's loss -log softmax(X W + b)[y] (Linear keeps W as (in, out)), and
    the softmax."""
    p = _softmax(X @ W + b)
    return -np.log(p[np.arange(len(y)), y]), p


def _sgd_by_hand(W, b, X, y, w, epochs):
    """SGD on Keras's weighted loss L = Σ wᵢ·lᵢ / n of each batch (in order, no shuffle):
    dL/dz = wᵢ (pᵢ − onehot(yᵢ)) / n. Returns the parameters and each epoch's Σ w·l / N."""
    logged = []
    for _ in range(epochs):
        total = 0.0
        for s in range(0, N, BATCH):
            xb, yb, wb = X[s : s + BATCH], y[s : s + BATCH], w[s : s + BATCH]
            losses, p = _cross_entropy(W, b, xb, yb)
            total += (wb * losses).sum()
            p[np.arange(len(yb)), yb] -= 1
            dz = wb[:, None] * p / len(yb)
            W, b = W - LR * xb.T @ dz, b - LR * dz.sum(axis=0)
        logged.append(total / N)
    return W, b, logged


def _fit(data, epochs=2, loss_fn=None, **kwargs):
    model, opt = _model()
    loss_fn = cr.nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    kwargs = {"batch_size": BATCH, "shuffle": False, "progress": False, **kwargs}
    history = cr.fit(model, loss_fn, opt, data, epochs, **kwargs)
    return model, history


@pytest.mark.parametrize(
    "loss_fn",
    [cr.nn.CrossEntropyLoss(), cr.nn.functional.cross_entropy],
    ids=["module", "function"],
)
def test_two_epochs_of_sgd_with_sample_weights_match_the_keras_loss_worked_by_hand(loss_fn):
    X, y, w = _data()
    W0, b0 = _params(_model()[0])
    W, b, logged = _sgd_by_hand(W0, b0, X, y, w, 2)
    model, history = _fit((X, y, w), loss_fn=loss_fn)
    np.testing.assert_allclose(model.weight.data, W, rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.bias.data, b, rtol=0, atol=1e-10)
    np.testing.assert_allclose(history.history["loss"], logged, rtol=1e-10)
    assert loss_fn is cr.nn.functional.cross_entropy or loss_fn.reduction == "mean"


def test_weights_of_one_train_as_no_weights():
    X, y, _ = _data()
    weighted, h1 = _fit((X, y, np.ones(N)))
    plain, h2 = _fit((X, y))
    np.testing.assert_allclose(weighted.weight.data, plain.weight.data, rtol=0, atol=1e-12)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-12)


def test_mse_weights_each_sample_by_the_mean_over_its_outputs():
    # Keras's MSE is the mean over a sample's outputs; then Σ wᵢ·lᵢ / N
    X, _, w = _data()
    T = np.random.default_rng(1).standard_normal((N, 3))
    model, _ = _fit((X, T, w), epochs=1, loss_fn=cr.nn.MSELoss())
    W, b = _params(_model()[0])
    total = 0.0
    for s in range(0, N, BATCH):
        xb, tb, wb = X[s : s + BATCH], T[s : s + BATCH], w[s : s + BATCH]
        r = xb @ W + b - tb
        total += (wb * (r**2).mean(axis=1)).sum()
        dz = 2 * wb[:, None] * r / (len(xb) * 3)
        W, b = W - LR * xb.T @ dz, b - LR * dz.sum(axis=0)
    np.testing.assert_allclose(model.weight.data, W, rtol=0, atol=1e-10)
    model.weight.data[...] = W  # the same weights, whatever fit did
    model.bias.data[...] = b
    r = X @ W + b - T
    got = cr.evaluate(model, cr.nn.MSELoss(), (X, T), batch_size=3, sample_weight=w)
    assert got["loss"] == pytest.approx((w * (r**2).mean(axis=1)).sum() / N, rel=1e-12)


def test_evaluate_weighs_the_loss_and_not_the_accuracy():
    X, y, w = _data()
    model, _ = _model()
    losses, p = _cross_entropy(*_params(model), X, y)
    for got in (
        cr.evaluate(model, cr.nn.CrossEntropyLoss(), (X, y), batch_size=3, sample_weight=w),
        cr.evaluate(model, cr.nn.CrossEntropyLoss(), (X, y, w), batch_size=3),
    ):
        assert got["loss"] == pytest.approx((w * losses).sum() / N, rel=1e-12)
        assert got["accuracy"] == np.mean(p.argmax(axis=1) == y)  # Keras's metrics=
    summed = cr.evaluate(model, cr.nn.CrossEntropyLoss(reduction="sum"), (X, y, w))
    assert summed["loss"] == pytest.approx((w * losses).sum(), rel=1e-12)


def test_validation_data_with_weights_logs_the_weighted_val_loss():
    X, y, w = _data()
    Xv, yv, wv = _data(seed=1)
    model, history = _fit((X, y, w), epochs=1, validation_data=(Xv, yv, wv))
    losses, _ = _cross_entropy(*_params(model), Xv, yv)
    assert history.history["val_loss"][0] == pytest.approx((wv * losses).sum() / N, rel=1e-12)


def test_class_weight_trains_as_the_sample_weights_it_implies():
    X, y, _ = _data()
    implied = np.where(y == 0, 2.0, np.where(y == 2, 0.25, 1.0))  # class 1 left out: 1.0
    by_class, h1 = _fit((X, y), class_weight={0: 2.0, 2: 0.25})
    by_sample, h2 = _fit((X, y, implied))
    assert np.array_equal(by_class.weight.data, by_sample.weight.data)
    assert h1.history == h2.history
    one_hot = np.eye(3)[y]  # Keras: the arg-max of one-hot or probability rows
    model, _ = _fit((X, one_hot), class_weight={0: 2.0, 2: 0.25})
    np.testing.assert_allclose(model.weight.data, by_class.weight.data, rtol=0, atol=1e-12)


def test_class_weight_for_one_output_a_sample_reads_its_0_1_target_as_the_nearest_integer():
    X, y, _ = _data()
    t = (y == 1).astype(np.float64)[:, None]  # (N, 1) targets of a binary classifier
    implied = np.where(t[:, 0] == 1, 3.0, 1.0)
    runs = []
    for data, extra in [((X, t), {"class_weight": {1: 3.0}}), ((X, t, implied), {})]:
        cr.manual_seed(5)
        model = cr.nn.Linear(3, 1, dtype="float64")
        opt = cr.optim.SGD(model.parameters(), lr=LR)
        cr.fit(
            model, cr.nn.BCEWithLogitsLoss(), opt, data, 2, batch_size=4, progress=False, **extra
        )
        runs.append(model.weight.data)
    assert np.array_equal(*runs)


def test_per_position_losses_divide_by_the_positions_scored():
    # logits (N, C, d) and labels (N, d), some ignored: Σ wᵢ Σₜ lᵢₜ / (positions scored)
    rng = np.random.default_rng(2)
    Z = rng.standard_normal((5, 3, 4))
    y = rng.integers(0, 3, (5, 4))
    y[1, :3] = -100
    w = rng.uniform(0.5, 2.0, 5)
    p = _softmax(np.moveaxis(Z, 1, -1).reshape(-1, 3)).reshape(5, 4, 3)
    kept = y != -100
    picked = np.take_along_axis(p, np.where(kept, y, 0)[..., None], axis=-1)[..., 0]
    losses = np.where(kept, -np.log(picked), 0.0)
    expected = (w[:, None] * losses).sum() / kept.sum()
    got = cr.evaluate(cr.nn.Identity(), cr.nn.CrossEntropyLoss(), (Z, y), sample_weight=w)
    assert got["loss"] == pytest.approx(expected, rel=1e-12)


def test_the_weighted_loss_is_the_one_torch_gives_keras_s_way():
    torch = pytest.importorskip("torch")
    X, y, w = _data()
    model, _ = _model()
    z = torch.tensor(X @ model.weight.data + model.bias.data)
    per_sample = torch.nn.functional.cross_entropy(z, torch.tensor(y), reduction="none")
    expected = float((per_sample * torch.tensor(w)).sum() / N)
    got = cr.evaluate(model, cr.nn.functional.cross_entropy, (X, y), sample_weight=w)
    assert got["loss"] == pytest.approx(expected, rel=1e-12)


class _Grab:
    state = None

    def on_train_begin(self, state):
        self.state = state


class _InterruptAt:
    def __init__(self, epoch, batch):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, state):
        if (state.epoch, state.batch) == (self.epoch, self.batch):
            raise KeyboardInterrupt


def test_a_weighted_run_resumed_mid_epoch_ends_as_one_never_stopped():
    X, y, w = _data()
    kwargs = {"batch_size": BATCH, "shuffle": True, "seed": 3, "progress": False}
    model, opt = _model()
    straight = cr.fit(model, cr.nn.CrossEntropyLoss(), opt, (X, y, w), 3, **kwargs)
    reference = model.weight.data.copy()
    model, opt = _model()
    grab = _Grab()
    callbacks = [grab, _InterruptAt(1, 2)]
    with pytest.raises(KeyboardInterrupt):
        cr.fit(model, cr.nn.CrossEntropyLoss(), opt, (X, y, w), 3, callbacks=callbacks, **kwargs)
    point = json.loads(json.dumps(grab.state.resume_point()))  # the weights are not in it
    assert point["meter"][0] == 2 * BATCH
    history = cr.fit(
        model,
        cr.nn.CrossEntropyLoss(),
        opt,
        (X, y, w),
        3,
        resume_from=point,
        history=grab.state.history,
        **kwargs,
    )
    assert np.array_equal(model.weight.data, reference)
    assert history.history == straight.history


# ----- errors -------------------------------------------------------------------------------
def _fit_error(data, **kwargs):
    model, opt = _model()
    loss_fn = kwargs.pop("loss_fn", cr.nn.CrossEntropyLoss())
    cr.fit(model, loss_fn, opt, data, 1, progress=False, **kwargs)


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (np.ones(N - 1), "sample_weight has 9 weights for 10 samples"),
        (np.ones((N, 2)), r"shape \(10,\).*temporal"),
        (np.r_[-1.0, np.ones(N - 1)], "finite and >= 0, got -1"),
        (np.r_[np.nan, np.ones(N - 1)], "finite and >= 0, got nan"),
    ],
)
def test_bad_sample_weights_are_named(weights, match):
    X, y, _ = _data()
    with pytest.raises(ValueError, match=match):
        _fit_error((X, y, weights))
    with pytest.raises(ValueError, match=match):
        _fit_error((X, y), validation_data=(X, y, weights))
    with pytest.raises(ValueError, match="evaluate: .*" + match):
        cr.evaluate(_model()[0], cr.nn.CrossEntropyLoss(), (X, y), sample_weight=weights)


@pytest.mark.parametrize(
    ("class_weight", "error", "match"),
    [
        ([1.0, 2.0], TypeError, "class_weight must be a dict"),
        ({"0": 1.0}, TypeError, "keys must be class indices"),
        ({True: 1.0}, TypeError, "keys must be class indices"),
        ({-1: 1.0}, ValueError, "key -1 is not one of the classes"),
        ({3: 1.0}, ValueError, "key 3 is not one of the model's 3 classes"),
        ({0: -2.0}, ValueError, r"class_weight\[0\] must be finite and >= 0"),
        ({0: "2"}, TypeError, r"class_weight\[0\] must be a number"),
    ],
)
def test_bad_class_weights_are_named(class_weight, error, match):
    X, y, _ = _data()
    with pytest.raises(error, match=match):
        _fit_error((X, y), class_weight=class_weight)


def test_class_weight_needs_arrays_and_no_sample_weights():
    X, y, w = _data()
    loader = cr.data.DataLoader(cr.data.ArrayDataset(X, y), batch_size=4)
    with pytest.raises(TypeError, match="class_weight goes with \\(X, y\\) arrays"):
        _fit_error(loader, class_weight={0: 2.0})
    with pytest.raises(ValueError, match="refuses class_weight and sample_weight"):
        _fit_error((X, y, w), class_weight={0: 2.0})
    with pytest.raises(ValueError, match="class_weight weighs a sample by its class"):
        _fit_error((X, np.zeros((N, 3, 2))), class_weight={0: 2.0})
    with pytest.raises(ValueError, match="given for data that holds sample weights"):
        cr.evaluate(_model()[0], cr.nn.CrossEntropyLoss(), (X, y, w), sample_weight=w)
    with pytest.raises(TypeError, match="sample_weight goes with \\(X, y\\) arrays"):
        cr.evaluate(_model()[0], cr.nn.CrossEntropyLoss(), loader, sample_weight=w)


def test_a_loss_that_cannot_give_each_sample_s_loss_is_refused_before_training():
    X, y, w = _data()
    model, opt = _model()
    before = model.weight.data.copy()

    def loss_fn(out, target):
        return cr.nn.functional.cross_entropy(out, target)

    with pytest.raises(TypeError, match="loss_fn cannot give: use a loss module"):
        cr.fit(model, loss_fn, opt, (X, y, w), 1, progress=False)
    with pytest.raises(TypeError, match="evaluate: sample_weight and class_weight"):
        cr.evaluate(model, loss_fn, (X, y), sample_weight=w)
    assert np.array_equal(model.weight.data, before)


def test_a_loss_with_its_own_class_weights_keeps_its_divisor():
    # weights of one give the loss's own mean, Σ cw[y]·l / Σ cw[y] over the rows kept;
    # the sample weights then multiply each row's term
    X, y, w = _data()
    y[3] = -100
    cw = np.array([1.0, 2.0, 0.5])
    model, _ = _model()
    losses, _ = _cross_entropy(*_params(model), X, np.where(y < 0, 0, y))
    kept = y >= 0
    terms = np.where(kept, cw[np.where(kept, y, 0)] * losses, 0.0)
    loss_fn = cr.nn.CrossEntropyLoss(weight=cw)
    got = cr.evaluate(model, loss_fn, (X, y), batch_size=N, sample_weight=w)
    expected = (w * terms).sum() / cw[y[kept]].sum()
    assert got["loss"] == pytest.approx(expected, rel=1e-12)
