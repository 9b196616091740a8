"""`cr.fit`, `cr.evaluate`, `cr.predict` and `History`, checked against NumPy recomputations.

The models here are single Linear layers in float64, so every loss, accuracy and SGD step
can be recomputed independently with a few lines of NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

N_TRAIN, N_VAL, N_IN, N_CLASSES = 10, 7, 3, 4
BATCH = 4  # 10 samples -> batches of 4, 4 and 2: a mean of batch means would be wrong


# ----- independent NumPy references --------------------------------------------------------
def _logits(W, b, X):
    return X @ W + b


def _ce(W, b, X, y):
    """Mean softmax cross-entropy with integer labels, via a stable log-sum-exp."""
    z = _logits(W, b, X)
    zmax = z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z - zmax).sum(axis=1)) + zmax[:, 0]
    return float(np.mean(lse - z[np.arange(len(y)), y]))


def _ce_one_hot(W, b, X, T):
    z = _logits(W, b, X)
    zmax = z.max(axis=1, keepdims=True)
    log_p = z - zmax - np.log(np.exp(z - zmax).sum(axis=1, keepdims=True))
    return float(np.mean(-(T * log_p).sum(axis=1)))


def _acc(W, b, X, y):
    return float(np.mean(_logits(W, b, X).argmax(axis=1) == y))


def _weights(layer):
    return layer.weight.data.copy(), layer.bias.data.copy()


def _classification_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_TRAIN, N_IN))
    y = rng.integers(0, N_CLASSES, size=N_TRAIN)
    Xv = rng.normal(size=(N_VAL, N_IN))
    yv = rng.integers(0, N_CLASSES, size=N_VAL)
    return X, y, Xv, yv


def _linear(n_in=N_IN, n_out=N_CLASSES, seed=0):
    cr.manual_seed(seed)
    return cr.nn.Linear(n_in, n_out, init="xavier", dtype="float64")


# ----- History shape and the epoch loss --------------------------------------------------
def test_history_has_one_value_per_epoch_for_each_metric():
    X, y, Xv, yv = _classification_data()
    model = _linear()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        opt,
        (X, y),
        5,
        val_data=(Xv, yv),
        batch_size=BATCH,
        progress=False,
    )
    assert isinstance(history, cr.History)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key, values in history.history.items():
        assert len(values) == 5, key
        assert all(isinstance(v, float) for v in values), key
    assert history.epoch == [0, 1, 2, 3, 4]


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses_with_lr_zero():
    # With lr = 0 the weights never move, so the sample-weighted mean of the batch losses
    # is exactly the loss on the whole training set, recomputed here with NumPy.
    X, y, Xv, yv = _classification_data()
    model = _linear()
    W, b = _weights(model)
    history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        cr.optim.SGD(model.parameters(), lr=0.0),
        (X, y),
        3,
        val_data=(Xv, yv),
        batch_size=BATCH,
        shuffle=True,
        seed=1,
        progress=False,
    )
    full = _ce(W, b, X, y)
    batch_means = [_ce(W, b, X[i : i + BATCH], y[i : i + BATCH]) for i in range(0, N_TRAIN, BATCH)]
    # the check below can tell the right average from the naive one
    assert abs(np.mean(batch_means) - full) > 1e-3
    np.testing.assert_allclose(history.history["loss"], [full] * 3, rtol=1e-12)
    np.testing.assert_allclose(history.history["val_loss"], [_ce(W, b, Xv, yv)] * 3, rtol=1e-12)
    assert history.history["accuracy"] == [_acc(W, b, X, y)] * 3
    assert history.history["val_accuracy"] == [_acc(W, b, Xv, yv)] * 3
    np.testing.assert_array_equal(model.weight.data, W)


def test_regression_losses_follow_a_numpy_replay_of_minibatch_sgd():
    # MSE on a linear model, batches in order: replay every SGD step in NumPy and check the
    # epoch loss is sum(n_i * L_i) / N of the batch losses seen *before* each step.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(N_TRAIN, N_IN))
    y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3 + 0.1 * rng.normal(size=(N_TRAIN, 1))
    Xv = rng.normal(size=(5, N_IN))
    yv = Xv @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    model = _linear(N_IN, 1)
    W, b = _weights(model)
    lr, epochs = 0.05, 3
    history = cr.fit(
        model,
        cr.nn.MSELoss(),
        cr.optim.SGD(model.parameters(), lr=lr),
        (X, y),
        epochs,
        val_data=(Xv, yv),
        batch_size=BATCH,
        shuffle=False,
        progress=False,
    )
    expected_loss, expected_val = [], []
    for _ in range(epochs):
        total = 0.0
        for i in range(0, N_TRAIN, BATCH):
            xb, yb = X[i : i + BATCH], y[i : i + BATCH]
            err = xb @ W + b - yb
            total += len(xb) * float(np.mean(err**2))
            g = 2 * err / err.size  # d mean(err²) / d out
            W, b = W - lr * (xb.T @ g), b - lr * g.sum(axis=0)
        expected_loss.append(total / N_TRAIN)
        expected_val.append(float(np.mean((Xv @ W + b - yv) ** 2)))
    assert set(history.history) == {"loss", "val_loss"}  # no accuracy for regression
    np.testing.assert_allclose(history.history["loss"], expected_loss, rtol=1e-12)
    np.testing.assert_allclose(history.history["val_loss"], expected_val, rtol=1e-12)
    np.testing.assert_allclose(model.weight.data, W, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(model.bias.data, b, rtol=1e-12, atol=1e-15)


def test_accuracy_with_one_hot_targets():
    X, y, Xv, yv = _classification_data(seed=5)
    T, Tv = np.eye(N_CLASSES)[y], np.eye(N_CLASSES)[yv]
    model = _linear(seed=2)
    W, b = _weights(model)
    history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        cr.optim.SGD(model.parameters(), lr=0.0),
        (X, T),
        2,
        val_data=(Xv, Tv),
        batch_size=BATCH,
        progress=False,
    )
    assert history.history["accuracy"] == [_acc(W, b, X, y)] * 2
    assert history.history["val_accuracy"] == [_acc(W, b, Xv, yv)] * 2
    np.testing.assert_allclose(history.history["loss"], [_ce_one_hot(W, b, X, T)] * 2, rtol=1e-12)


def test_int_labels_and_one_hot_targets_give_the_same_history():
    X, y, Xv, yv = _classification_data(seed=6)
    runs = []
    for targets, val_targets in [(y, yv), (np.eye(N_CLASSES)[y], np.eye(N_CLASSES)[yv])]:
        model = _linear(seed=4)
        runs.append(
            cr.fit(
                model,
                cr.nn.SoftmaxCrossEntropy(),
                cr.optim.SGD(model.parameters(), lr=0.2),
                (X, targets),
                3,
                val_data=(Xv, val_targets),
                batch_size=BATCH,
                shuffle=False,
                progress=False,
            )
        )
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(runs[0].history[key], runs[1].history[key], rtol=1e-12)


# ----- what fit accepts ----------------------------------------------------------------------
def test_fit_accepts_a_loader_a_dataset_or_an_xy_pair_identically():
    X, y, Xv, yv = _classification_data(seed=7)
    inputs = {
        "loader": cr.data.DataLoader(cr.data.ArrayDataset(X, y), batch_size=BATCH),
        "dataset": cr.data.ArrayDataset(X, y),
        "pair": (X, y),
    }
    results = {}
    for name, train_data in inputs.items():
        model = _linear(seed=8)
        history = cr.fit(
            model,
            cr.nn.SoftmaxCrossEntropy(),
            cr.optim.SGD(model.parameters(), lr=0.3),
            train_data,
            3,
            val_data=(Xv, yv),
            batch_size=BATCH,
            shuffle=False,
            progress=False,
        )
        results[name] = (history.history, _weights(model))
    ref_hist, (ref_W, ref_b) = results["loader"]
    assert ref_hist["loss"][0] != ref_hist["loss"][-1]  # training did something
    for name in ("dataset", "pair"):
        hist, (W, b) = results[name]
        assert hist == ref_hist, name
        np.testing.assert_array_equal(W, ref_W)
        np.testing.assert_array_equal(b, ref_b)


def test_zero_epochs_trains_nothing_and_returns_an_empty_history():
    X, y, _, _ = _classification_data()
    model = _linear()
    W, b = _weights(model)
    events = []

    class Recorder:
        def on_train_begin(self, state):
            events.append("train_begin")

        def on_epoch_begin(self, state):
            events.append("epoch_begin")

        def on_train_end(self, state):
            events.append("train_end")

    history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        cr.optim.SGD(model.parameters(), lr=1.0),
        (X, y),
        0,
        callbacks=[Recorder()],
        progress=False,
    )
    assert history.epoch == []
    assert all(len(v) == 0 for v in history.history.values())
    assert events == ["train_begin", "train_end"]
    np.testing.assert_array_equal(model.weight.data, W)
    np.testing.assert_array_equal(model.bias.data, b)


def test_negative_epochs_is_a_value_error():
    X, y, _, _ = _classification_data()
    model = _linear()
    with pytest.raises(ValueError, match="epochs"):
        cr.fit(
            model,
            cr.nn.SoftmaxCrossEntropy(),
            cr.optim.SGD(model.parameters(), lr=0.1),
            (X, y),
            -1,
            progress=False,
        )


@pytest.mark.parametrize("epochs", [2.0, "3", None])
def test_epochs_that_are_not_an_int_are_named(epochs):
    X, y, _, _ = _classification_data()
    model = _linear()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="fit: epochs must be an int"):
        cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, (X, y), epochs, progress=False)


# ----- callbacks -------------------------------------------------------------------------------
def test_callback_hooks_run_in_order_with_one_batch_end_per_batch():
    X, y, Xv, yv = _classification_data()
    model = _linear()
    events = []

    class Recorder(cr.callbacks.Callback):
        def on_train_begin(self, state):
            events.append("train_begin")

        def on_epoch_begin(self, state):
            events.append(("epoch_begin", state.epoch))

        def on_batch_end(self, state):
            events.append(("batch_end", state.epoch, state.batch, state.step))

        def on_epoch_end(self, state, logs):
            events.append(("epoch_end", state.epoch, sorted(logs)))

        def on_train_end(self, state):
            events.append("train_end")

    cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        cr.optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        2,
        val_data=(Xv, yv),
        callbacks=[Recorder()],
        batch_size=BATCH,
        progress=False,
    )
    n_batches = -(-N_TRAIN // BATCH)  # 3
    expected = ["train_begin"]
    step = 0
    for epoch in range(2):
        expected.append(("epoch_begin", epoch))
        for batch in range(1, n_batches + 1):
            step += 1
            expected.append(("batch_end", epoch, batch, step))
        expected.append(("epoch_end", epoch, ["accuracy", "loss", "val_accuracy", "val_loss"]))
    expected.append("train_end")
    assert events == expected


def test_a_callback_can_stop_training_after_the_current_epoch():
    X, y, _, _ = _classification_data()
    model = _linear()

    class StopAtSecond:
        def on_epoch_end(self, state, logs):
            if state.epoch == 1:
                state.stop_training = True

    history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        cr.optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        10,
        callbacks=[StopAtSecond()],
        progress=False,
    )
    assert history.epoch == [0, 1]


def test_stop_training_set_after_a_batch_ends_the_epoch_there_as_in_keras():
    # batches of 4, 4 and 2 in order; the callback stops after the second batch of epoch 0.
    # The truth: a run on only those 8 samples (the same two batches), by hand in NumPy.
    X, y, Xv, yv = _classification_data()
    model = _linear()
    W, b = _weights(model)
    losses = []
    for lo, hi in ((0, 4), (4, 8)):
        xb, yb = X[lo:hi], y[lo:hi]
        losses.append(_ce(W, b, xb, yb) * len(xb))
        z = _logits(W, b, xb)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(yb)), yb] -= 1
        g = p / len(yb)
        W, b = W - 0.1 * xb.T @ g, b - 0.1 * g.sum(axis=0)
    events = []

    class StopAfterTwoBatches:
        def on_batch_end(self, state):
            events.append(("batch", state.step))
            if state.step == 2:
                state.stop_training = True

        def on_epoch_end(self, state, logs):
            events.append(("epoch_end", state.epoch))

    history = cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        cr.optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        5,
        val_data=(Xv, yv),
        callbacks=[StopAfterTwoBatches()],
        batch_size=BATCH,
        shuffle=False,
        progress=False,
    )
    assert events == [("batch", 1), ("batch", 2), ("epoch_end", 0)]
    assert history.epoch == [0]
    np.testing.assert_allclose(model.weight.data, W, rtol=1e-12, atol=1e-15)
    assert history.history["loss"][0] == pytest.approx(sum(losses) / 8, rel=1e-12)
    assert history.history["val_loss"][0] == pytest.approx(_ce(W, b, Xv, yv), rel=1e-12)


# ----- failures and progress output -------------------------------------------------------
def test_a_non_finite_loss_stops_fit_before_the_weights_change():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_TRAIN, N_IN))
    y = rng.normal(size=(N_TRAIN, 1))
    y[5, 0] = 1e200  # batch size 2, in order: sample 5 is in the third batch, step 2
    model = _linear(N_IN, 1)
    seen_steps, weights = [], []

    class Steps:
        def on_batch_end(self, state):
            seen_steps.append(state.step)
            weights.append(model.weight.data.copy())

    with pytest.raises(FloatingPointError, match=r"the loss became inf at step 2\b") as info:
        cr.fit(
            model,
            cr.nn.MSELoss(),
            cr.optim.SGD(model.parameters(), lr=0.01),
            (X, y),
            3,
            callbacks=[Steps()],
            batch_size=2,
            shuffle=False,
            progress=False,
        )
    assert "the optimizer did not take this step" in str(info.value)
    assert seen_steps == [1, 2]  # two good steps, then the bad batch
    np.testing.assert_array_equal(model.weight.data, weights[-1])  # as after step 1
    assert np.isfinite(model.weight.data).all()


def test_nan_in_the_training_data_is_refused_before_training():
    X, y, _, _ = _classification_data()
    X[3, 2] = np.nan
    model = _linear()
    before = model.weight.data.copy()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"fit: the training data holds 1 NaN or infinite"):
        cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, (X, y), 1, progress=False)
    np.testing.assert_array_equal(model.weight.data, before)


def test_accuracy_with_integer_one_hot_targets_equals_float_one_hot():
    X, y, Xv, yv = _classification_data(seed=3)
    runs = []
    for dtype in (np.int64, np.float64):
        model = _linear(seed=4)
        onehot = np.eye(N_CLASSES, dtype=dtype)
        opt = cr.optim.SGD(model.parameters(), lr=0.1)
        history = cr.fit(
            model, cr.nn.SoftmaxCrossEntropy(), opt, (X, onehot[y]), 2,
            val_data=(Xv, onehot[yv]), batch_size=N_CLASSES, progress=False,
        )  # fmt: skip
        runs.append(history.history)
    assert runs[0] == runs[1]
    assert 0 <= runs[0]["val_accuracy"][-1] <= 1


def test_multi_label_targets_get_no_accuracy_even_where_a_batch_looks_one_hot():
    # 0/1 targets of two columns: with batches of 2, some batches happen to be one-hot rows
    X, _, _, _ = _classification_data(seed=6)
    Y = np.random.default_rng(6).integers(0, 2, size=(len(X), 2))
    model = _linear(N_IN, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.001)
    history = cr.fit(model, cr.nn.MSELoss(), opt, (X, Y), 2, batch_size=2, progress=False)
    assert set(history.history) == {"loss"}


def _binary_accuracy(W, b, X, Y):
    """Keras' binary accuracy by hand: p = sigmoid(logit) > 0.5, averaged per sample, then
    over the samples."""
    p = 1 / (1 + np.exp(-_logits(W, b, X)))
    return float(np.mean(np.mean((p > 0.5) == (Y == 1), axis=1)))


@pytest.mark.parametrize("outputs", [1, 3])
def test_binary_cross_entropy_reports_binary_accuracy(outputs):
    # lr 0: the weights stay put, so every epoch's accuracy is that of the initial model;
    # 3 outputs: multi-label targets, each sample scoring the fraction it predicts right
    X, _, Xv, _ = _classification_data(seed=8)
    rng = np.random.default_rng(8)
    Y, Yv = rng.integers(0, 2, size=(len(X), outputs)), rng.integers(0, 2, (len(Xv), outputs))
    model = _linear(N_IN, outputs)
    W, b = _weights(model)
    opt = cr.optim.SGD(model.parameters(), lr=0.0)
    for loss_fn in (cr.nn.BCEWithLogitsLoss(), cr.nn.functional.binary_cross_entropy_with_logits):
        history = cr.fit(
            model,
            loss_fn,
            opt,
            (X, Y.astype(float)),
            1,
            val_data=(Xv, Yv.astype(float)),
            batch_size=BATCH,
            progress=False,
        )
        assert history.history["accuracy"][0] == pytest.approx(_binary_accuracy(W, b, X, Y))
        assert history.history["val_accuracy"][0] == pytest.approx(_binary_accuracy(W, b, Xv, Yv))
        scores = cr.evaluate(model, loss_fn, (Xv, Yv.astype(float)))
        assert scores["accuracy"] == pytest.approx(_binary_accuracy(W, b, Xv, Yv))


def test_binary_cross_entropy_with_soft_targets_gets_no_accuracy():
    X, _, _, _ = _classification_data(seed=9)
    Y = np.random.default_rng(9).uniform(size=(len(X), 1))
    model = _linear(N_IN, 1)
    opt = cr.optim.SGD(model.parameters(), lr=0.01)
    history = cr.fit(model, cr.nn.BCEWithLogitsLoss(), opt, (X, Y), 1, progress=False)
    assert set(history.history) == {"loss"}


def test_finite_data_whose_sum_overflows_is_accepted():
    X, y, _, _ = _classification_data(seed=7)
    X = X.astype(np.float32)
    X[:, 0] = 3e38  # finite, but the sum over the data set overflows float32
    model = cr.nn.Linear(N_IN, N_CLASSES)
    opt = cr.optim.SGD(model.parameters(), lr=0.0)
    with pytest.raises(FloatingPointError, match="the loss became"):  # not the data check
        cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, (X, y), 1, progress=False)


def test_predict_on_an_empty_vector_gives_an_empty_vector():
    assert cr.predict(_linear(), []).shape == (0,)


def test_integer_multi_output_targets_get_no_accuracy():
    X, _, _, _ = _classification_data(seed=5)
    Y = np.random.default_rng(5).integers(0, 5, size=(len(X), 2))
    model = _linear(N_IN, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.001)
    history = cr.fit(model, cr.nn.MSELoss(), opt, (X, Y), 1, progress=False)
    assert set(history.history) == {"loss"}


def _quick_fit(progress):
    X, y, _, _ = _classification_data()
    model = _linear()
    return cr.fit(
        model,
        cr.nn.SoftmaxCrossEntropy(),
        cr.optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        2,
        batch_size=BATCH,
        progress=progress,
    )


def test_progress_false_prints_nothing(capsys):
    _quick_fit(progress=False)
    out, err = capsys.readouterr()
    assert out == ""
    assert err == ""


def test_progress_none_is_silent_when_stderr_is_not_a_terminal(capsys):
    _quick_fit(progress=None)
    out, err = capsys.readouterr()
    assert out == ""
    assert err == ""


def test_progress_true_shows_a_tqdm_bar_on_stderr(capsys):
    _quick_fit(progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "epoch 1/2" in err
    assert "epoch 2/2" in err
    assert "batch" in err  # the bar's unit


# ----- evaluate and predict --------------------------------------------------------------
def test_evaluate_matches_numpy_and_restores_training_mode():
    _, _, Xv, yv = _classification_data(seed=9)
    model = _linear(seed=9)
    W, b = _weights(model)
    model.train()
    logs = cr.evaluate(model, cr.nn.SoftmaxCrossEntropy(), (Xv, yv), batch_size=3)
    assert set(logs) == {"loss", "accuracy"}
    assert logs["loss"] == pytest.approx(_ce(W, b, Xv, yv), rel=1e-12)
    assert logs["accuracy"] == _acc(W, b, Xv, yv)
    assert model.training
    prefixed = cr.evaluate(model, cr.nn.SoftmaxCrossEntropy(), (Xv, yv), prefix="val_")
    assert set(prefixed) == {"val_loss", "val_accuracy"}


def test_evaluate_runs_dropout_in_eval_mode():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(20, N_IN)), rng.integers(0, N_CLASSES, 20)
    cr.manual_seed(0)
    layer = cr.nn.Linear(N_IN, N_CLASSES, dtype="float64")
    model = cr.nn.Sequential(cr.nn.Dropout(0.5), layer)
    W, b = _weights(layer)
    first = cr.evaluate(model, cr.nn.SoftmaxCrossEntropy(), (X, y))
    second = cr.evaluate(model, cr.nn.SoftmaxCrossEntropy(), (X, y))
    assert first == second
    assert first["loss"] == pytest.approx(_ce(W, b, X, y), rel=1e-12)


def test_predict_returns_the_model_outputs_in_batches():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(11, N_IN))
    model = _linear(seed=3)
    W, b = _weights(model)
    out = cr.predict(model, X, batch_size=4)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, X @ W + b, rtol=1e-12)


def test_predict_on_no_rows_gives_no_rows_of_outputs():
    model = _linear(seed=3)
    out = cr.predict(model, np.zeros((0, N_IN)))
    assert out.shape == (0, N_CLASSES)
    assert out.dtype == model.weight.dtype


def test_predict_and_evaluate_restore_every_module_mode_even_after_an_error():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(6, N_IN)), rng.integers(0, N_CLASSES, 6)
    frozen = cr.nn.BatchNorm1d(N_IN, dtype="float64").eval()  # a user froze this one
    model = cr.nn.Sequential(frozen, cr.nn.Dropout(0.5), _linear(seed=5))
    model.training = True
    model[1].training = True
    modes = [m.training for m in model.modules()]
    cr.predict(model, X)
    assert [m.training for m in model.modules()] == modes
    cr.evaluate(model, cr.nn.SoftmaxCrossEntropy(), (X, y))
    assert [m.training for m in model.modules()] == modes
    with pytest.raises(ValueError, match="out of range"):
        cr.evaluate(model, cr.nn.SoftmaxCrossEntropy(), (X, y + N_CLASSES))
    assert [m.training for m in model.modules()] == modes


def test_float64_data_runs_a_float32_model_in_float32():
    # as Keras casts inputs to the layer's dtype: the same history as float32 data, exactly
    X, y, Xv, yv = _classification_data(seed=6)

    def run(cast):
        cr.manual_seed(7)
        model = cr.nn.Sequential(cr.nn.Linear(N_IN, 8), cr.nn.ReLU(), cr.nn.Linear(8, N_CLASSES))
        opt = cr.optim.SGD(model.parameters(), lr=0.1)
        data, val = (cast(X), y), (cast(Xv), yv)
        history = cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, data, 2, val_data=val)
        return history.history, cr.predict(model, cast(Xv))

    (h64, out64), (h32, out32) = run(lambda a: a), run(lambda a: a.astype(np.float32))
    assert h64 == h32
    assert out64.dtype == np.float32
    np.testing.assert_array_equal(out64, out32)


def test_integer_data_runs_a_float32_model_in_float32():
    # int64 counts, as np.loadtxt(dtype=int) gives them: NumPy alone would promote
    # int64 @ float32 to float64; the inputs are cast like float64 data instead
    rng = np.random.default_rng(8)
    X, y = rng.integers(0, 256, size=(12, N_IN)), rng.integers(0, N_CLASSES, 12)

    def run(cast):
        cr.manual_seed(9)
        model = cr.nn.Linear(N_IN, N_CLASSES, init=0.001)
        opt = cr.optim.SGD(model.parameters(), lr=1e-4)
        history = cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, (cast(X), y), 2, batch_size=4)
        return history.history, cr.predict(model, cast(X))

    (h8, out8), (h32, out32) = run(lambda a: a), run(lambda a: a.astype(np.float32))
    assert out8.dtype == np.float32
    assert h8 == h32
    np.testing.assert_array_equal(out8, out32)


@pytest.mark.parametrize(
    ("batch_size", "error"), [(0, ValueError), (-2, ValueError), (2.0, TypeError)]
)
def test_predict_refuses_a_batch_size_that_is_not_a_positive_int(batch_size, error):
    with pytest.raises(error, match=f"predict: batch_size must be .*{batch_size}"):
        cr.predict(_linear(seed=3), np.zeros((3, N_IN)), batch_size=batch_size)


def test_empty_validation_data_is_an_error_not_a_perfect_score():
    X = np.zeros((8, 3), np.float32)
    y = np.zeros(8, np.int64)
    model = cr.nn.Linear(3, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"fit: val_data is empty"):
        cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, (X, y), 1, val_data=(X[:0], y[:0]))
    with pytest.raises(ValueError, match=r"evaluate: the data is empty"):
        cr.evaluate(model, cr.nn.SoftmaxCrossEntropy(), (X[:0], y[:0]))


def test_evaluation_reads_every_sample_of_a_loader_that_drops_or_shuffles():
    # as Keras, an evaluation never leaves samples out: a DataLoader made for training
    # (drop_last, shuffle) is read in order and whole, for evaluate and for val_data
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(13, 3)).astype(np.float32), np.arange(13) % 2
    model, loss_fn = cr.nn.Linear(3, 2), cr.nn.SoftmaxCrossEntropy()
    whole = cr.evaluate(model, loss_fn, (X, y))
    for loader in (
        cr.data.DataLoader((X, y), batch_size=8, drop_last=True),
        cr.data.DataLoader((X, y), batch_size=4, shuffle=True, seed=1),
    ):
        got = cr.evaluate(model, loss_fn, loader)
        assert got["accuracy"] == whole["accuracy"]
        assert got["loss"] == pytest.approx(whole["loss"], rel=1e-6)
    opt = cr.optim.SGD(model.parameters(), lr=0.0)  # lr 0: validation sees these weights
    val = cr.data.DataLoader((X, y), batch_size=20, drop_last=True)  # no whole batch
    history = cr.fit(model, loss_fn, opt, (X, y), 1, val_data=val, progress=False)
    assert history.history["val_loss"][0] == pytest.approx(whole["loss"], rel=1e-6)


def test_continuing_with_other_logged_keys_keeps_columns_aligned():
    X = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    model = cr.nn.Linear(3, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    loss = cr.nn.SoftmaxCrossEntropy()
    h = cr.fit(model, loss, opt, (X, y), 2, progress=False)
    h = cr.fit(model, loss, opt, (X, y), 4, val_data=(X, y), history=h, initial_epoch=2)
    assert h.epoch == [0, 1, 2, 3]
    assert all(len(column) == 4 for column in h.history.values())
    assert np.isnan(h.history["val_loss"][:2]).all()
    assert np.isfinite(h.history["val_loss"][2:]).all()


def test_loader_settings_given_with_a_data_loader_are_an_error_not_ignored():
    X, y, _, _ = _classification_data()
    loader = cr.data.DataLoader(cr.data.ArrayDataset(X, y), batch_size=8, shuffle=True, seed=0)
    model = _linear()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    loss = cr.nn.SoftmaxCrossEntropy()
    for kwargs in ({"batch_size": 4}, {"shuffle": False}, {"seed": 3}):
        with pytest.raises(ValueError, match=r"train_data is a DataLoader \(batch_size=8"):
            cr.fit(model, loss, opt, loader, 1, progress=False, **kwargs)
    history = cr.fit(model, loss, opt, loader, 1, batch_size=8, shuffle=True, progress=False)
    assert len(history.epoch) == 1  # the loader's own settings, repeated: fine


def test_nan_targets_and_inputs_too_large_for_the_model_are_refused_up_front():
    X, _, _, _ = _classification_data(seed=10)
    Y = np.random.default_rng(10).normal(size=(len(X), 1))
    Y[5, 0] = np.nan
    model = cr.nn.Linear(N_IN, 1)  # float32
    opt = cr.optim.SGD(model.parameters(), lr=0.01)
    before = model.weight.data.copy()
    with pytest.raises(ValueError, match=r"holds 1 NaN or infinite target values \(y of shape"):
        cr.fit(model, cr.nn.MSELoss(), opt, (X, Y), 1, progress=False)
    Y[5, 0] = 0.0
    X = X.copy()
    X[2, 1] = 1e300  # finite in float64, infinite in the model's float32
    with pytest.raises(ValueError, match=r"1 input values beyond the range of the model's float32"):
        cr.fit(model, cr.nn.MSELoss(), opt, (X, Y), 1, progress=False)
    np.testing.assert_array_equal(model.weight.data, before)


def test_a_summed_loss_is_the_datasets_sum_whatever_the_batch_size():
    # MSELoss(reduction="sum") over the data is Σ (pred − y)², worked here by hand from the
    # predictions; the mean loss is that over the number of elements
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3)).astype(np.float32)
    y = rng.normal(size=(100, 1)).astype(np.float32)
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 1)
    squared = (cr.predict(model, X).astype(np.float64) - y) ** 2
    for batch_size in (7, 10, 25, 100):
        summed = cr.evaluate(model, cr.nn.MSELoss(reduction="sum"), (X, y), batch_size)
        assert summed["loss"] == pytest.approx(squared.sum(), rel=1e-5)
        mean = cr.evaluate(model, cr.nn.MSELoss(), (X, y), batch_size)
        assert mean["loss"] == pytest.approx(squared.mean(), rel=1e-5)
    history = cr.fit(model, cr.nn.MSELoss(reduction="sum"), cr.optim.SGD(model.parameters(),
                     lr=0.0), (X, y), 1, batch_size=30, progress=False)  # fmt: skip
    assert history.history["loss"][0] == pytest.approx(squared.sum(), rel=1e-5)


def test_a_loss_per_element_is_refused_before_training():
    model = cr.nn.Linear(3, 1)
    before = model.weight.data.copy()
    data = (np.ones((4, 3), np.float32), np.ones((4, 1), np.float32))
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"reduction='none'\) gives a loss per element"):
        cr.fit(model, cr.nn.MSELoss(reduction="none"), opt, data, 1, progress=False)
    with pytest.raises(ValueError, match="one number per batch"):
        cr.evaluate(model, cr.nn.MSELoss(reduction="none"), data)
    np.testing.assert_array_equal(model.weight.data, before)


def test_keras_call_forms_are_named():
    X, y = np.zeros((4, 3), np.float32), np.zeros(4, np.int64)
    model, loss_fn = cr.nn.Linear(3, 2), cr.nn.SoftmaxCrossEntropy()
    with pytest.raises(TypeError, match=r"evaluate\(model, loss_fn, \(X, y\)\)"):
        cr.evaluate(model, loss_fn, X, y)
    with pytest.raises(TypeError, match=r"predict takes the inputs as one array \(X\)"):
        cr.predict(model, (X, y))
    with pytest.raises(TypeError, match=r"for a DataLoader the inputs of its dataset"):
        cr.predict(model, cr.data.DataLoader((X, y)))
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="fit: initial_epoch must be >= 0, got -1"):
        cr.fit(model, loss_fn, opt, (X, y), 2, initial_epoch=-1)


def test_progress_is_shown_by_default_in_a_jupyter_kernel(monkeypatch):
    from chainrule import _fit_progress

    monkeypatch.setattr(_fit_progress.sys.stderr, "isatty", lambda: False, raising=False)
    assert _fit_progress._show_progress(None) is False
    monkeypatch.setitem(_fit_progress.sys.modules, "ipykernel.zmqshell", object())
    assert _fit_progress._show_progress(None) is True
    assert _fit_progress._show_progress(False) is False


def test_evaluation_of_a_loader_subclass_keeps_its_own_batching():
    # read again in order and whole, a shuffling loader is still of its own class
    class Scaled(cr.data.DataLoader):
        def _batch(self, idx):
            x, t = super()._batch(idx)
            return x * 100, t

    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(10, 3)).astype(np.float32), np.arange(10) % 2
    model, loss_fn = cr.nn.Linear(3, 2), cr.nn.SoftmaxCrossEntropy()
    plain = cr.evaluate(model, loss_fn, (X * 100, y))
    shuffled = cr.evaluate(model, loss_fn, Scaled((X, y), batch_size=4, shuffle=True, seed=0))
    assert shuffled["loss"] == pytest.approx(plain["loss"], rel=1e-6)
