"""What a Keras user expects of fit's screen, of callbacks written as Keras writes them, and
of the shape errors a Keras habit (targets of shape (N,) for outputs of shape (N, 1), labels
in a column) runs into."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr


def _zero_linear():
    """A 2-in, 2-class linear model with every weight 0: its logits are 0, so its
    cross-entropy is ln 2 = 0.693147… and it predicts class 0 (the arg-max of a tie)."""
    model = cr.nn.Linear(2, 2)
    for p in model.parameters():
        p.data[...] = 0.0
    return model


# ----- 1. verbose=1 ends an epoch's line with the validation values, as Keras ------------------
def test_the_progress_bar_ends_each_epoch_with_its_validation_values(capsys):
    model = _zero_linear()
    # zero inputs and balanced labels: the gradient is exactly 0, the weights stay 0
    X, y = np.zeros((4, 2), np.float32), np.array([0, 1, 0, 1])
    Xv, yv = np.ones((4, 2), np.float32), np.array([0, 0, 0, 1])  # class 0 right 3 times in 4
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = cr.nn.CrossEntropyLoss()
    cr.fit(model, loss_fn, opt, (X, y), 2, batch_size=4, validation_data=(Xv, yv), verbose=1)
    err = capsys.readouterr().err
    for epoch in ("epoch 1/2", "epoch 2/2"):
        line = [s for s in err.replace("\r", "\n").splitlines() if epoch in s and "1/1" in s]
        assert line, err
        last = line[-1]
        assert "loss=0.6931" in last  # ln 2
        assert "accuracy=0.5000" in last  # class 0 for labels 0, 1, 0, 1
        assert "val_loss=0.6931" in last
        assert "val_accuracy=0.7500" in last


def test_a_run_with_a_bar_that_fails_mid_epoch_raises_the_losses_error(capsys):
    model = _zero_linear()
    X = np.array([[1.0, 0.0], [1e30, 0.0]], np.float32)  # the second batch's loss overflows
    opt = cr.optim.SGD(model.parameters(), lr=1e10)
    with pytest.raises(FloatingPointError, match="the loss became"):
        cr.fit(
            model,
            cr.nn.CrossEntropyLoss(),
            opt,
            (X, np.array([1, 0])),
            1,
            batch_size=1,
            shuffle=False,
            progress=True,
        )
    assert "epoch 1/1" in capsys.readouterr().err


# ----- 2. a callback written as Keras writes it: on_epoch_end(self, epoch, logs) ----------------
class _KerasEpochEnd(cr.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.got = epoch


class _KerasBatchEnd(cr.callbacks.Callback):
    def on_batch_end(self, batch, logs=None):
        pass


class _KerasTrainBegin:
    def on_train_begin(self, logs=None):
        pass


def _tiny_fit(callbacks):
    model = _zero_linear()
    X, y = np.zeros((4, 2), np.float32), np.array([0, 1, 0, 1])
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    cr.fit(model, cr.nn.CrossEntropyLoss(), opt, (X, y), 1, callbacks=callbacks, verbose=0)


@pytest.mark.parametrize(
    ("callback", "hook"),
    [
        (_KerasEpochEnd(), r"on_epoch_end\(epoch, \.\.\.\)"),
        (_KerasBatchEnd(), r"on_batch_end\(batch, \.\.\.\)"),
        (_KerasTrainBegin(), r"on_train_begin\(logs, \.\.\.\)"),
    ],
)
def test_a_hook_with_kerass_first_argument_is_warned_about_at_the_callers_line(callback, hook):
    with pytest.warns(UserWarning, match=hook + r".*TrainState first.*state\.epoch") as caught:
        _tiny_fit([callback])
    assert [w.filename for w in caught] == [__file__]  # the fit call's line, not fit's own


def test_the_hooks_as_fit_calls_them_are_not_warned_about():
    class Ours(cr.callbacks.Callback):
        def on_epoch_end(self, state, logs):
            self.epoch = state.epoch

        def on_batch_end(self, state):
            pass

    cb = Ours()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _tiny_fit([cb, cr.callbacks.EarlyStopping(monitor="loss")])
    assert cb.epoch == 0


def test_the_warning_for_kerass_hook_names_points_at_the_callers_line_too():
    class KerasOnly(cr.callbacks.Callback):
        def on_train_batch_end(self, state):
            pass

    with pytest.warns(UserWarning, match="on_train_batch_end, which fit never calls") as caught:
        _tiny_fit([KerasOnly()])
    assert [w.filename for w in caught] == [__file__]


# ----- 3. the reshape the shape errors suggest fits the whole data set, not one batch -----------
def _regression(n=50):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.float32)  # y of shape (N,), as Keras users keep it


@pytest.mark.parametrize("loss_fn", [cr.nn.MSELoss(), cr.nn.BCEWithLogitsLoss()])
def test_a_target_of_shape_n_for_outputs_n_1_is_told_a_reshape_that_fits_all_of_y(loss_fn):
    X, y = _regression()  # 50 rows, batches of 32: y.reshape(32, 1) would not fit y
    model = cr.nn.Linear(3, 1)
    opt = cr.optim.SGD(model.parameters(), lr=0.01)
    with pytest.raises(ValueError, match=r"target\.reshape\(-1, 1\)\)$"):
        cr.fit(model, loss_fn, opt, (X, y), 1, verbose=0)
    history = cr.fit(model, loss_fn, opt, (X, y.reshape(-1, 1)), 1, verbose=0)  # the hint
    assert len(history.history["loss"]) == 1


def test_the_hint_keeps_a_shape_whose_rows_differ_and_one_dimensional_predictions():
    with pytest.raises(ValueError, match=r"target\.reshape\(2, 3\)\)$"):
        cr.nn.functional.mse_loss(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"target\.reshape\(3,\)\)$"):
        cr.nn.functional.mse_loss(np.ones(3), np.ones((3, 1)))


def test_class_labels_in_a_column_are_told_to_flatten():
    X, _ = _regression()
    y = (X[:, :1] > 0).astype(np.int64)  # (N, 1), as a DataFrame column gives them
    model = cr.nn.Linear(3, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = cr.nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match=r"labels in a column: target\.reshape\(-1\)"):
        cr.fit(model, loss_fn, opt, (X, y), 1, verbose=0)
    assert cr.fit(model, loss_fn, opt, (X, y.reshape(-1)), 1, verbose=0).history["accuracy"]
