"""LambdaCallback: Keras's callback of plain functions, called with Keras's arguments."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _scripted import CrashAfter, SimulatedCrashError, quiet_fit

import chainrule as cr


def _problem(n=24, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)
    cr.manual_seed(seed)
    model = cr.nn.Sequential(cr.nn.Linear(4, 8), cr.nn.ReLU(), cr.nn.Linear(8, 3))
    return model, X, y


def test_each_function_gets_kerass_arguments_in_fits_order():
    model, X, y = _problem()
    calls = []
    cb = cr.callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train_begin", dict(logs))),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch, dict(logs))),
        on_batch_end=lambda batch, logs: calls.append(("batch_end", batch, sorted(logs))),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: calls.append(("train_end", sorted(logs))),
    )
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    quiet_fit(model, opt, (X, y), 2, [cb], val_data=(X, y))
    batch = ["loss", "accuracy"]
    epoch = sorted(["loss", "accuracy", "val_loss", "val_accuracy"])
    expected = [("train_begin", {})]
    for e in range(2):
        expected.append(("epoch_begin", e, {}))
        expected += [("batch_end", b, sorted(batch)) for b in range(3)]  # 24 / 8 batches
        expected.append(("epoch_end", e, epoch))
    expected.append(("train_end", epoch))
    assert calls == expected


def test_batch_logs_are_the_running_mean_over_the_epoch():
    # with lr = 0 the weights never move, so after k batches the running loss is the
    # mean loss of the first 8k samples (no shuffling), computed here directly
    model, X, y = _problem()
    seen = []
    cb = cr.callbacks.LambdaCallback(on_batch_end=lambda b, logs: seen.append(logs["loss"]))
    opt = cr.optim.SGD(model.parameters(), lr=0.0)
    history = quiet_fit(model, opt, (X, y), 1, [cb], shuffle=False)
    with cr.no_grad():
        per_sample = cr.nn.CrossEntropyLoss(reduction="none")(model(cr.tensor(X)), y).numpy()
    expected = [per_sample[: 8 * k].astype(np.float64).mean() for k in (1, 2, 3)]
    np.testing.assert_allclose(seen, expected, rtol=1e-6)
    assert seen[-1] == history.history["loss"][0]


def test_keys_added_in_on_epoch_end_go_into_the_history():
    model, X, y = _problem()
    cb = cr.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: logs.update(twice=2.0 * epoch)
    )
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    history = quiet_fit(model, opt, (X, y), 3, [cb])
    assert history.history["twice"] == [0.0, 2.0, 4.0]


def test_on_train_end_gets_empty_logs_when_no_epoch_finished():
    model, X, y = _problem()
    got = []

    class StopAtOnce(cr.callbacks.Callback):
        def on_train_begin(self, state):
            state.stop_training = True

    cb = cr.callbacks.LambdaCallback(on_train_end=got.append)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    quiet_fit(model, opt, (X, y), 2, [StopAtOnce(), cb])
    assert got == [{}]


def test_on_train_batch_end_is_kerass_other_name_for_on_batch_end():
    model, X, y = _problem()
    batches = []
    cb = cr.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: batches.append(b))
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    quiet_fit(model, opt, (X, y), 1, [cb])
    assert batches == [0, 1, 2]
    with pytest.raises(TypeError, match="same hook"):
        cr.callbacks.LambdaCallback(on_batch_end=print, on_train_batch_end=print)


@pytest.mark.parametrize(
    ("name", "hint"),
    [("on_batch_begin", "use on_batch_end"), ("on_test_end", "never run")],
)
def test_hooks_fit_never_calls_are_refused(name, hint):
    with pytest.raises(TypeError, match=f"fit has no {name} hook.*{hint}"):
        cr.callbacks.LambdaCallback(**{name: print})


def test_a_misspelt_hook_and_a_non_function_are_refused():
    with pytest.raises(TypeError, match="unexpected keyword argument 'on_epoch_ends'"):
        cr.callbacks.LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="on_epoch_end must be a function, got str"):
        cr.callbacks.LambdaCallback(on_epoch_end="print")


def test_no_keras_style_warning_for_its_own_hooks():
    # fit warns about a Callback whose hooks are written as Keras's (epoch, logs); the
    # LambdaCallback's functions are Keras's on purpose and its methods are not
    model, X, y = _problem()
    cb = cr.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: None)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet_fit(model, opt, (X, y), 1, [cb])


def test_a_resumed_run_calls_the_functions_from_the_resumed_epoch(tmp_path):
    model, X, y = _problem()
    path = tmp_path / "ckpt.safetensors"
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    first = []
    cb = cr.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: first.append(e))
    save = cr.callbacks.ModelCheckpoint(path)
    with pytest.raises(SimulatedCrashError):
        quiet_fit(model, opt, (X, y), 4, [cb, save, CrashAfter(2)])
    assert first == [0, 1]  # the crash came before epoch 1's save (savers run last)
    model, _, _ = _problem(seed=1)  # other weights: the checkpoint brings them back
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    point = cr.load(path, model, opt)
    resumed = []
    cb = cr.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: resumed.append(e))
    quiet_fit(model, opt, (X, y), 4, [cb], resume_from=point)
    assert resumed == [1, 2, 3]  # from the checkpoint of epoch 0
