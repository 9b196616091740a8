"""What a user coming from PyTorch or Keras reaches for: a
history that does not make every epoch's checkpoint slower, Keras's names for fit's
arguments, clear errors for arguments in the wrong place, and a tidy `cr.callbacks`."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import chainrule as cr
from chainrule._checkpoint_format import read_checkpoint
from chainrule.callbacks import Callback, EarlyStopping, ModelCheckpoint


def _setup(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 3))
    y = rng.integers(0, 3, size=40)
    cr.manual_seed(seed)
    model = cr.nn.Sequential(cr.nn.Linear(3, 5), cr.nn.ReLU(), cr.nn.Linear(5, 3))
    return model, cr.optim.Adam(model.parameters(), lr=0.01), (X, y)


def _fit(model, opt, data, epochs=2, **kwargs):
    kwargs.setdefault("progress", False)
    return cr.fit(model, cr.nn.CrossEntropyLoss(), opt, data, epochs, batch_size=8, **kwargs)


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# ----- 1. cr.load(path, model): the training state, the weights loaded into the model -----
def test_with_a_model_load_still_returns_the_training_state_alone(tmp_path):
    model, opt, _ = _setup()
    cr.save(tmp_path / "m.safetensors", model, opt, epoch=3, note="x")
    assert cr.load(tmp_path / "m.safetensors", model) == {"epoch": 3, "note": "x"}
    assert cr.load(tmp_path / "m.safetensors", model, opt) == {"epoch": 3, "note": "x"}


# ----- 2. the history: tensors in the file, not JSON text growing with every epoch -----
def _history(n: int) -> cr.History:
    h = cr.History()
    for e in range(n):
        h.append(e, {"loss": 1.0 / (e + 1), "val_loss": 2.0 / (e + 1)})
    return h


def _bits(column) -> list:
    return [(type(v), struct.pack("<d", v) if isinstance(v, float) else v) for v in column]


def test_model_checkpoint_stores_the_history_columns_as_tensors(tmp_path):
    model, opt, data = _setup()
    ckpt = ModelCheckpoint(tmp_path / "c.safetensors", monitor="loss")
    history = _fit(model, opt, data, epochs=5, callbacks=[ckpt])
    tensors, metadata = read_checkpoint(tmp_path / "c.safetensors")
    saved = json.loads(metadata["training"])["history"]
    loss = tensors[saved["history"]["loss"]["__array__"]]
    assert loss.dtype == np.float64
    assert loss.tolist() == history.history["loss"]
    assert tensors[saved["epoch"]["__array__"]].dtype == np.int64
    # and a resumed fit gets the lists back
    state = cr.load(tmp_path / "c.safetensors", model, opt)
    assert cr.History(**state["history"]) == history


def test_the_training_metadata_does_not_grow_with_the_epochs(tmp_path):
    model, _, _ = _setup()
    sizes = []
    for n in (10, 1000):
        form = cr._history.checkpoint_form(_history(n))
        cr.save(tmp_path / f"{n}.safetensors", model, history=form)
        sizes.append(len(read_checkpoint(tmp_path / f"{n}.safetensors")[1]["training"]))
    assert sizes[0] == sizes[1]


def test_the_history_round_trips_bit_exactly(tmp_path):
    payload_nan = struct.unpack("<d", struct.pack("<Q", 0x7FF8_0000_DEAD_BEEF))[0]
    h = cr.History(
        history={
            "loss": [0.1, -0.0, float("inf"), float("nan"), payload_nan, 5e-324],
            "steps": [1, 2, 3, 4, 5, 2**70],  # ints a user's own history kept: a list stays
            "flags": [True, False, True, True, False, True],
        },
        epoch=[0, 1, 2, 3, 4, 5],
    )
    model, _, _ = _setup()
    cr.save(tmp_path / "h.safetensors", model, history=cr._history.checkpoint_form(h))
    back = cr.History(**cr.load(tmp_path / "h.safetensors", model)["history"])
    assert back.history.keys() == h.history.keys()
    for k in h.history:
        assert _bits(back.history[k]) == _bits(h.history[k])
    assert _bits(back.epoch) == _bits(h.epoch)


def test_a_checkpoint_of_the_json_history_still_resumes(tmp_path):
    # written before the history was stored as tensors: its columns are JSON lists
    from dataclasses import asdict

    model, _, _ = _setup()
    h = _history(3)
    cr.save(tmp_path / "old.safetensors", model, history=asdict(h))
    assert cr.History(**cr.load(tmp_path / "old.safetensors", model)["history"]) == h


def test_a_history_column_of_another_shape_is_refused():
    with pytest.raises(ValueError, match=r"'loss' must be a list or a 1-D array"):
        cr.History(history={"loss": np.zeros((2, 2))}, epoch=[0, 1])


# ----- 3. Keras's habits in fit -----
def test_validation_data_is_val_data():
    model, opt, data = _setup()
    ours = _fit(model, opt, data, val_data=data)
    model, opt, data = _setup()
    keras = _fit(model, opt, data, validation_data=data)
    assert keras == ours
    assert "val_loss" in keras.history
    with pytest.raises(TypeError, match="both val_data and validation_data"):
        _fit(model, opt, data, val_data=data, validation_data=data)


def test_validation_split_validates_on_the_last_samples_before_shuffling():
    model, opt, (X, y) = _setup()
    history = _fit(model, opt, (X, y), epochs=1, validation_split=0.25)
    last = cr.evaluate(model, cr.nn.CrossEntropyLoss(), (X[30:], y[30:]), batch_size=8)
    assert history.history["val_loss"] == [last["loss"]]
    with pytest.raises(ValueError, match="both val_data and validation_split"):
        _fit(model, opt, (X, y), val_data=(X, y), validation_split=0.25)
    with pytest.raises(ValueError, match="between 0 and 1"):
        _fit(model, opt, (X, y), validation_split=1.0)
    loader = cr.data.DataLoader(cr.data.ArrayDataset(X, y), batch_size=8)
    with pytest.raises(ValueError, match="splits \\(X, y\\) arrays"):
        cr.fit(model, cr.nn.CrossEntropyLoss(), opt, loader, 1, validation_split=0.25)


@pytest.mark.parametrize(("verbose", "shown"), [(0, False), (False, False), (1, True), (2, True)])
def test_verbose_is_progress(capsys, verbose, shown):
    model, opt, data = _setup()
    cr.fit(model, cr.nn.CrossEntropyLoss(), opt, data, 1, verbose=verbose)
    assert ("epoch 1/1" in capsys.readouterr().err) is shown


def test_verbose_with_progress_or_of_another_value_is_refused():
    model, opt, data = _setup()
    with pytest.raises(TypeError, match="both progress and verbose"):
        _fit(model, opt, data, verbose=0)  # _fit gives progress=False
    with pytest.raises(ValueError, match="verbose must be 0, 1, 2 or 'auto'"):
        cr.fit(model, cr.nn.CrossEntropyLoss(), opt, data, 1, verbose=3)


def test_x_and_y_as_two_arguments_name_the_order():
    model, opt, (X, y) = _setup()
    loss_fn = cr.nn.CrossEntropyLoss()
    with pytest.raises(TypeError, match=r"one argument, \(X, y\)"):
        cr.fit(model, loss_fn, opt, X, y, epochs=1)
    with pytest.raises(TypeError, match=r"one argument, \(X, y\)"):
        cr.fit(model, loss_fn, opt, X, y)


@pytest.mark.parametrize(
    ("swap", "message"),
    [
        ("optimizer first", r"loss_fn is an optimizer \(Adam\); the order is fit\(model, loss_fn"),
        ("a loss name", r"not the name 'cross_entropy'"),
        ("no optimizer", r"optimizer must be an optimizer with step\(\).*the order is"),
    ],
)
def test_a_loss_or_optimizer_in_the_wrong_place_names_the_order(swap, message):
    model, opt, data = _setup()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    loss_fn = cr.nn.CrossEntropyLoss()
    args = {
        "optimizer first": (opt, loss_fn),
        "a loss name": ("cross_entropy", opt),
        "no optimizer": (loss_fn, loss_fn),
    }[swap]
    with pytest.raises(TypeError, match=message):
        cr.fit(model, *args, data, 1, progress=False)
    assert _same(model.state_dict(), before)


@pytest.mark.parametrize(
    ("callbacks", "message"),
    [
        ([lambda *a: None], r"callbacks\[0\] is a function, not a callback"),
        ([EarlyStopping], r"callbacks\[0\] is the class EarlyStopping; give an instance"),
        (EarlyStopping(monitor="loss"), r"must be a list of callbacks: callbacks=\[Early"),
    ],
)
def test_what_is_not_a_callback_is_refused(callbacks, message):
    model, opt, data = _setup()
    with pytest.raises(TypeError, match=message):
        _fit(model, opt, data, callbacks=callbacks)


def test_a_callback_of_its_own_class_with_hooks_is_still_one():
    class Counter:  # not a Callback subclass: duck typing stays
        def __init__(self):
            self.epochs = 0

        def on_epoch_end(self, state, logs):
            self.epochs += 1

    model, opt, data = _setup()
    counter = Counter()
    _fit(model, opt, data, callbacks=[counter])
    assert counter.epochs == 2


@pytest.mark.parametrize(
    "callback",
    [
        lambda: EarlyStopping(monitor="val_loss"),
        lambda: ModelCheckpoint("never.safetensors", monitor="val_accuracy", save_best_only=True),
    ],
)
def test_a_val_monitor_without_val_data_fails_before_training(callback):
    class Epochs(Callback):
        begun = 0

        def on_epoch_begin(self, state):
            Epochs.begun += 1

    model, opt, data = _setup()
    with pytest.raises(ValueError, match=r"not among the logs .* pass val_data=") as caught:
        _fit(model, opt, data, callbacks=[Epochs(), callback()])
    assert isinstance(caught.value, KeyError)  # as a missing monitor was before
    assert str(caught.value).startswith(("EarlyStopping: 'val_", "ModelCheckpoint: 'val_"))
    assert Epochs.begun == 0


# ----- 4. cr.callbacks shows what it offers -----
def test_the_callbacks_module_shows_its_callbacks_only():
    public = [n for n in dir(cr.callbacks) if not n.startswith("_")]
    assert public == sorted(cr.callbacks.__all__)
