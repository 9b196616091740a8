"""Review of fit, evaluate and their callbacks against what PyTorch and Keras users expect."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def _cross_entropy(logits: np.ndarray, labels: np.ndarray, ignore_index: int = -100) -> float:
    """PyTorch's mean cross-entropy, worked in NumPy: over the rows not labelled
    ``ignore_index``."""
    z = logits.astype(np.float64)
    log_p = z - z.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    kept = np.flatnonzero(labels != ignore_index)
    return float(-log_p[kept, labels[kept]].mean())


@pytest.mark.parametrize("batch_size", [1, 2, 3, 8])
def test_evaluate_averages_over_the_rows_not_ignored_whatever_the_batch_size(batch_size):
    # rows 2 and 3 are ignored: in batches of 1 or 2 some batch holds only ignored rows
    # (its mean is NaN), in batches of 3 the batches hold different numbers of scored rows
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 3)).astype(np.float32)
    y = np.array([0, 1, -100, -100, 1, 1, 0, 1])
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 2)
    logits = X @ model.weight.data + model.bias.data  # weight: (in, out)
    logs = cr.evaluate(model, cr.nn.CrossEntropyLoss(), (X, y), batch_size=batch_size)
    assert logs["loss"] == pytest.approx(_cross_entropy(logits, y), rel=1e-5)
    scored = y != -100
    assert logs["accuracy"] == pytest.approx(np.mean(logits[scored].argmax(1) == y[scored]))


def test_fit_logs_the_epoch_loss_over_the_rows_not_ignored():
    # lr=0 keeps the starting weights, so the epoch's loss is theirs on all the data; the
    # batches of 3, in order, hold 1, 3 and 2 rows not ignored
    rng = np.random.default_rng(1)
    X = rng.standard_normal((9, 3)).astype(np.float32)
    y = np.array([0, -100, -100, 1, 1, 0, -100, 1, 0])
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 2)
    logits = X @ model.weight.data + model.bias.data  # weight: (in, out)
    opt = cr.optim.SGD(model.parameters(), lr=0.0)
    history = cr.fit(
        model, cr.nn.CrossEntropyLoss(), opt, (X, y), 1, batch_size=3, shuffle=False,
        progress=False,
    )  # fmt: skip
    assert history.history["loss"][0] == pytest.approx(_cross_entropy(logits, y), rel=1e-5)


def _monitoring(callback):
    """Two epochs of a fit that validates, watched by ``callback``."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((12, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    cr.fit(
        model, cr.nn.CrossEntropyLoss(), opt, (X, y), 2, batch_size=4,
        validation_split=0.25, callbacks=[callback], progress=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "callback",
    [
        lambda path: cr.callbacks.EarlyStopping(monitor="val_los", mode="min"),
        lambda path: cr.callbacks.ReduceLROnPlateau(monitor="val_los", mode="min"),
        lambda path: cr.callbacks.ModelCheckpoint(path, "val_los", save_best_only=True, mode="min"),
    ],
)
def test_a_mistyped_val_monitor_in_a_run_that_validates_names_the_close_key(callback, tmp_path):
    # the run has validation data: the hint to pass val_data would send the user astray
    with pytest.raises(KeyError) as caught:
        _monitoring(callback(tmp_path / "best.safetensors"))
    message = str(caught.value)
    assert "did you mean 'val_loss'?" in message
    assert "pass val_data" not in message


def _data():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 3)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64)


def test_fit_takes_callbacks_none_as_no_callbacks():
    # Keras's default (and what wrappers pass on): the same run as with no callbacks
    X, y = _data()
    runs = []
    for callbacks in (None, []):
        cr.manual_seed(0)
        model = cr.nn.Linear(3, 2)
        opt = cr.optim.SGD(model.parameters(), lr=0.1)
        loss = cr.nn.CrossEntropyLoss()
        runs.append(cr.fit(model, loss, opt, (X, y), 2, callbacks=callbacks, progress=False))
    assert runs[0].history == runs[1].history


def test_evaluate_and_predict_take_batch_size_none_as_their_default():
    # as fit does, and Keras's evaluate and predict (None: their default batch size)
    X, y = _data()
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 2)
    loss = cr.nn.CrossEntropyLoss()
    logits = X @ model.weight.data + model.bias.data  # weight: (in, out)
    logs = cr.evaluate(model, loss, (X, y), batch_size=None)
    assert logs["loss"] == pytest.approx(_cross_entropy(logits, y), rel=1e-5)
    np.testing.assert_allclose(cr.predict(model, X, batch_size=None), logits, rtol=1e-6)


def test_predict_refuses_a_dataset_by_name():
    # NumPy would fail on its (x, y) pairs with "inhomogeneous shape", naming neither
    X, y = _data()
    with pytest.raises(TypeError, match=r"got a ArrayDataset; .* for an ArrayDataset its X"):
        cr.predict(cr.nn.Linear(3, 2), cr.data.ArrayDataset(X, y))
